"""The first ten minutes: the README's commands, its offline demo run twice, the `newsmon` command.

The demo test copies the project into a fresh folder (what a clone holds, with this
virtualenv linked in as `.venv`) and runs the README's demo command there, literally, twice.
"""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import feedparser
import pytest

from tests.crawling import ROOT
from tests.replica.demo import DEFAULT_PORT as DEMO_PORT
from tests.replica.demo import port_is_free

README = ROOT / "README.md"
NEXT_LINE = (
    "next: `.venv/bin/python -m newsmon serve -s NEWSMON_OUTPUT_DIR=output/demo"
    " -s NEWSMON_STATE_PATH=state/demo/newsmon.sqlite3` and subscribe to"
    " http://localhost:8080/newsfeed.xml"
)


def readme_commands() -> list[str]:
    """Every line of the README's shell code blocks."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def readme_command(containing: str) -> str:
    """The one README command line that contains `containing` (its comment cut off)."""
    found = [line for line in readme_commands() if containing in line]
    assert len(found) == 1, f"README commands with {containing!r}: {found}"
    return found[0].split("  #")[0].strip()


def test_the_readme_installs_and_tests_as_ci_does() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    ci_commands = [line.strip() for line in ci if line.strip() and not line.startswith("#")]
    assert readme_command("install.sh") == "./install.sh"
    assert readme_command("-m pytest") == ".venv/bin/python -m pytest"
    assert "./install.sh" in ci_commands
    assert ".venv/bin/python -m pytest" in ci_commands


def test_the_readme_is_one_screen_then_links_to_docs() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 200
    first_link = next(i for i, line in enumerate(lines) if "](docs/" in line)
    assert first_link < 60, "the first screen must end with a link to docs/"


def test_the_links_between_readme_and_docs_resolve() -> None:
    link = re.compile(r"\]\(([\w./-]+\.md)(?:#([\w-]+))?\)")
    for page in (README, *sorted((ROOT / "docs").glob("*.md"))):
        for target, anchor in link.findall(page.read_text(encoding="utf-8")):
            path = (page.parent / target).resolve()
            assert path.is_file(), f"{page.name} links to a missing {target}"
            if anchor:
                headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.M)
                slugs = {
                    re.sub(r"[^\w -]", "", h).strip().lower().replace(" ", "-") for h in headings
                }
                assert anchor in slugs, f"{page.name} links to a missing {target}#{anchor}"


def test_every_newsmon_setting_is_in_the_settings_reference() -> None:
    from newsmon import settings

    reference = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    names = [name for name in dir(settings) if name.startswith("NEWSMON_")]
    assert names
    assert [name for name in names if f"`{name}`" not in reference] == []


def fresh_copy(destination: Path) -> Path:
    """The project's files as a clone has them, with this virtualenv as `.venv`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (destination / ".venv").symlink_to(Path(sys.prefix))
    return destination


def feed_files(output: Path) -> dict[str, bytes]:
    """The news feeds under `output` (health.xml aside: it says when it was last checked)."""
    return {
        str(path.relative_to(output)): path.read_bytes()
        for path in sorted(output.rglob("*"))
        if path.suffix in {".xml", ".atom"} and path.name != "health.xml"
    }


def test_the_readme_demo_twice_in_a_fresh_copy(tmp_path: Path) -> None:
    command = readme_command("tests.replica.demo")
    assert command == ".venv/bin/python -m tests.replica.demo"
    if not port_is_free(DEMO_PORT):
        pytest.skip(f"port {DEMO_PORT}, the demo's default, is taken by another program")
    project = fresh_copy(tmp_path / "newsmon")
    runs = []
    for _ in range(2):
        done = subprocess.run(
            command,
            shell=True,
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:]
        demo = project / "output" / "demo"
        runs.append(
            (done.stdout.splitlines(), feed_files(demo), (demo / "articles.jsonl").read_text())
        )
    for lines, _, _ in runs:
        assert len(lines) <= 80, "\n".join(lines)
        assert lines[-1] == NEXT_LINE
        # The tags crawl's run summary comes right before it: its heading, then its own
        # indented lines only, the report's path last.
        start = max(i for i, line in enumerate(lines) if "INFO: run report of tags:" in line)
        summary = lines[start + 1 : -1]
        assert 4 <= len(summary) <= 10, "\n".join(lines[-12:])
        assert all("INFO:   " in line for line in summary), "\n".join(lines[-12:])
        assert "INFO:   report: state/demo/reports/" in summary[-1]
        assert "Traceback" not in "\n".join(lines)
    second_lines, second_feeds, second_archive = runs[1]
    assert not [line for line in second_lines if "WARNING" in line or "ERROR" in line]
    _, first_feeds, first_archive = runs[0]
    assert second_feeds == first_feeds, "the second run changed the feeds"
    assert second_archive == first_archive, "the second run archived articles again"
    assert {"newsfeed.xml", "newsfeed.atom", "tags/russia.xml"} <= set(first_feeds)
    # The feeds link to the replica on its fixed port, nothing else.
    links = {entry.link for entry in feedparser.parse(first_feeds["newsfeed.xml"]).entries}
    assert links
    assert all(link.startswith(f"http://127.0.0.1:{DEMO_PORT}/") for link in links)
    # Only the demo's folders were written: not the real run's output/ or state file.
    assert sorted(p.name for p in (project / "output").iterdir()) == [".gitkeep", "demo"]
    assert sorted(p.name for p in (project / "state").iterdir()) == ["demo"]


# What `pip install .` reads: built from a copy, so the build's `build/` and `*.egg-info`
# folders land in the test's folder, not in the user's checkout.
PACKAGE_FILES = ("pyproject.toml", "setup.py", "README.md", "requirements.txt", "newsmon")


def install_into(target: Path) -> Path:
    """`pip install .` (without the pinned dependencies, present already) into `target`."""
    source = target.with_name(target.name + "-source")
    source.mkdir(parents=True)
    for name in PACKAGE_FILES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), "."],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target / "bin" / "newsmon"


def test_the_newsmon_command_has_the_commands_of_python_m_newsmon(tmp_path: Path) -> None:
    script = install_into(tmp_path / "site")
    env = {"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"}
    helped = subprocess.run(
        [str(script), "--help"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    module = subprocess.run(
        [sys.executable, "-m", "newsmon", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert helped.stdout.startswith("usage: newsmon ")
    assert module.stdout.startswith("usage: python -m newsmon ")
    commands = re.compile(r"^    (\w+)\s", re.MULTILINE)
    assert commands.findall(helped.stdout) == commands.findall(module.stdout)
    assert commands.findall(helped.stdout) == ["watch", "serve", "publish"]

    # It runs: `newsmon serve` serves a folder, from the installed copy, until SIGTERM.
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "newsfeed.xml").write_text("<rss/>")
    server = subprocess.Popen(
        [str(script), "serve", "--port", "0", "-s", f"NEWSMON_OUTPUT_DIR={tmp_path / 'out'}"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        url = re.search(r"serving \S+ on (http://127\.0\.0\.1:\d+/)", line)
        assert url, line
        with urllib.request.urlopen(url.group(1) + "newsfeed.xml", timeout=30) as response:
            assert response.read() == b"<rss/>"
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def snapshot(folder: Path) -> list[tuple[str, bytes]]:
    """Every path below a folder with its bytes (b"" for folders)."""
    return sorted((p.as_posix(), p.read_bytes() if p.is_file() else b"") for p in folder.rglob("*"))


@pytest.mark.parametrize("given", ["state", "output"])
def test_the_demo_never_removes_what_it_did_not_make(tmp_path: Path, given: str) -> None:
    # A real state and a real archive, passed by mistake to the demo.
    state = tmp_path / "real-state" / "newsmon.sqlite3"
    output = tmp_path / "real-output"
    if given == "state":
        state.parent.mkdir()
        state.write_bytes(b"SQLite format 3\x00 a real state")
        (state.parent / "reports").mkdir()
    else:
        output.mkdir()
        (output / ".newsmon").write_text("newsmon\nsite: https://kyivindependent.com\n")
        (output / "articles.jsonl").write_text('{"url": "https://kyivindependent.com/a/"}\n')
    before = sorted(
        (p.as_posix(), p.read_bytes() if p.is_file() else b"") for p in tmp_path.rglob("*")
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.replica.demo",
            "--port",
            str(free_port()),
            "--state",
            str(state),
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr[-3000:]
    assert "pass another --state/--output" in done.stderr
    after = sorted(
        (p.as_posix(), p.read_bytes() if p.is_file() else b"") for p in tmp_path.rglob("*")
    )
    assert after == before, "the demo touched what it did not make"
