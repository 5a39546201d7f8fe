"""Scrapyd: deploy newsmon with `scrapyd-deploy` and run the newsfeed spider through a real
Scrapyd on 127.0.0.1, as the README's third way of scheduling shows."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import feedparser
import pytest

from tests.crawling import FAST, ROOT
from tests.feedcheck import check_atom, check_rss

pytest.importorskip("scrapyd", reason="scrapyd is installed by requirements-dev.txt")
pytest.importorskip("scrapyd_client", reason="scrapyd-client is installed by requirements-dev.txt")

WAIT = 180.0
# What an egg needs: the package (with its JSON Schema), the Scrapy project marker, packaging.
PROJECT_FILES = ("newsmon", "scrapy.cfg", "setup.py", "pyproject.toml")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def post_form(url: str, fields: list[tuple[str, str]]) -> Any:
    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=60) as response:
        return json.load(response)


@contextmanager
def scrapyd(workdir: Path) -> Iterator[tuple[str, Path]]:
    """A real Scrapyd on 127.0.0.1 with its eggs, logs and dbs in `workdir`; (url, log)."""
    workdir.mkdir(parents=True)
    port = free_port()
    # Scrapyd reads ./scrapyd.conf from its working folder.
    (workdir / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {workdir / 'eggs'}\n"
        f"logs_dir = {workdir / 'logs'}\n"
        f"dbs_dir = {workdir / 'dbs'}\n"
        "items_dir =\n"
        "max_proc = 1\n"
        "poll_interval = 0.5\n"
    )
    log = workdir / "scrapyd.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd"], cwd=workdir, stdout=sink, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                if get_json(url + "daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                pass
            assert process.poll() is None, f"scrapyd exited: {log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, "scrapyd did not start"
            time.sleep(0.3)
        yield url, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def copy_project(target: Path, scrapyd_url: str) -> Path:
    """The project's files in a clean folder (egg builds write there, not in the work tree)."""
    target.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    # The project's own scrapy.cfg, plus a target for this Scrapyd's port.
    with (target / "scrapy.cfg").open("a") as cfg:
        cfg.write(f"\n[deploy:test]\nurl = {scrapyd_url}\nproject = newsmon\n")
    return target


def test_scrapyd_deploys_and_runs_the_newsfeed_spider(replica_small: Any, tmp_path: Path) -> None:
    output = tmp_path / "output"
    state = tmp_path / "state" / "newsmon.sqlite3"
    with scrapyd(tmp_path / "scrapyd") as (url, scrapyd_log):
        project = copy_project(tmp_path / "project", url)
        deploy_tool = Path(sys.executable).with_name("scrapyd-deploy")
        deployed = subprocess.run(
            [str(deploy_tool), "test", "--version", "1"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
        assert deployed.returncode == 0, deployed.stderr + deployed.stdout
        answer = json.loads(deployed.stdout)
        assert answer["status"] == "ok" and answer["project"] == "newsmon", answer
        assert answer["spiders"] == 4  # listed by Scrapyd from the egg
        egg = tmp_path / "scrapyd" / "eggs" / "newsmon" / "1.egg"
        with zipfile.ZipFile(egg) as archive:
            assert "newsmon/schema/article.schema.json" in archive.namelist()
            # The front door's template: publishing reads it from the egg.
            assert "newsmon/publish/templates/index.html.jinja" in archive.namelist()
        spiders = get_json(url + "listspiders.json?project=newsmon")["spiders"]
        assert sorted(spiders) == ["archive", "authors", "newsfeed", "tags"]

        settings = {
            **FAST,
            "NEWSMON_BASE_URL": replica_small.base_url,
            "NEWSMON_OUTPUT_DIR": str(output),
            "NEWSMON_STATE_PATH": str(state),
            "NEWSMON_MAX_PAGES": "2",
        }
        scheduled = post_form(
            url + "schedule.json",
            [("project", "newsmon"), ("spider", "newsfeed")]
            + [("setting", f"{name}={value}") for name, value in settings.items()],
        )
        assert scheduled["status"] == "ok", scheduled
        job = scheduled["jobid"]

        deadline = time.monotonic() + WAIT
        while True:
            jobs = get_json(url + "listjobs.json?project=newsmon")
            if any(entry["id"] == job for entry in jobs["finished"]):
                break
            assert time.monotonic() < deadline, f"job {job} did not finish: {jobs}"
            time.sleep(0.5)
        log_text = scrapyd_log.read_text()

    # The spider ran from the egg and exited 0 (Scrapyd logs a non-zero exit as "died").
    finished = f"Process finished: project='newsmon' spider='newsfeed' job='{job}'"
    assert finished in log_text, log_text[-3000:]
    assert not re.search(rf"Process died: \S+ \S+ job='{job}'", log_text)
    job_log = (tmp_path / "scrapyd" / "logs" / "newsmon" / "newsfeed" / f"{job}.log").read_text()
    assert re.search(r"published \d+ feed files", job_log), job_log[-3000:]
    check_rss(output / "newsfeed.xml")
    check_atom(output / "newsfeed.atom")
    assert "The Kyiv Independent \u2014 News Feed" in (output / "index.html").read_text()
    entries = feedparser.parse((output / "newsfeed.xml").read_bytes()).entries
    in_feed = [a for a in replica_small.truth() if "news-feed" in a["tag_slugs"]]
    assert len(entries) == min(len(in_feed), 2 * 20)
    assert (output / "articles.jsonl").read_text().count("\n") == len(entries)
    assert state.exists() and state.with_name(state.name + ".lock").exists()
