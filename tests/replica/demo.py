"""Offline demo: the newsfeed and tags crawls against the replica, in folders of its own.

    python -m tests.replica.demo [--port 8123] [--articles 240] [--output output/demo]
                                 [--state state/demo/newsmon.sqlite3]

It starts the replica on 127.0.0.1:PORT, runs `scrapy crawl newsfeed` and `scrapy crawl
tags` against it, and leaves the feeds in output/demo/ and the state in state/demo/, apart
from a real run's output/ and state/. A newsmon state belongs to the site it was made for
(scheme, host and port), so the port is fixed: run the demo again and it crawls the same
site with the same state. The replica's clock is pinned at the demo's first run (kept in
replica.json beside the state), so the second run finds nothing new and leaves the same
feeds. Another --port or --articles is another site: the demo then starts over, removing the
state and the feeds it wrote for the old one, and nothing it did not make.

Unlike the replica itself (standard library only), the demo is a newsmon user: it reads
newsmon's list of published files and its output-folder marker.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from newsmon.publish.folder import MARKER, marker_site
from newsmon.publish.paths import published_file, published_folder
from tests.replica.client import start_replica

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PORT = 8123
# Fast: the replica is local, so no politeness delays are needed. The replica is a frozen
# site (its clock is pinned), where no new article ever appears: the stale check, which
# fails a run after a day without new articles, would only tell that.
OFFLINE_SETTINGS = (
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    "LOG_LEVEL=INFO",
    "NEWSMON_HEALTH_STALE_HOURS=876000",
)
RECORD_NAME = "replica.json"
# The replica's origins: the only sites whose state and feeds the demo may remove.
REPLICA_HOST = "http://127.0.0.1:"


class NotTheDemos(Exception):
    """A state or feed folder the demo did not make: it is left alone."""


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the project if inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path.resolve())


def crawl(spider: str, base_url: str, output: Path, state: Path) -> int:
    """Run one `scrapy crawl` against the replica; return its exit code."""
    settings = [
        f"NEWSMON_BASE_URL={base_url}",
        f"NEWSMON_OUTPUT_DIR={shown(output)}",
        f"NEWSMON_STATE_PATH={shown(state)}",
        *OFFLINE_SETTINGS,
    ]
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for setting in settings:
        command += ["-s", setting]
    return subprocess.call(command, cwd=ROOT)


def port_is_free(port: int) -> bool:
    """Whether 127.0.0.1:port can be bound now."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pin_clock(state: Path, output: Path, port: int, articles: int) -> str:
    """The replica's pinned clock: the one of earlier runs of the same replica, or now.

    Earlier runs of another replica (another port or size) left a state that belongs to it,
    and feeds of its articles: the demo starts over.
    """
    record_path = state.parent / RECORD_NAME
    wanted = {"port": port, "articles": articles}
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = None
    if isinstance(record, dict) and {key: record.get(key) for key in wanted} == wanted:
        return str(record["now"])
    check_demos_own(state, output, made_by_demo=isinstance(record, dict))
    if state.exists():
        print(f"demo: starting over: {shown(state)} was made for another replica", flush=True)
    start_over(state, output)
    now = datetime.now(UTC).replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    record_path.parent.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps({**wanted, "now": now}) + "\n", encoding="utf-8")
    return now


def check_demos_own(state: Path, output: Path, *, made_by_demo: bool) -> None:
    """Raise NotTheDemos unless the state and the feeds are the demo's (or not there yet).

    A state the demo made has its replica.json beside it; feeds it published are marked as a
    replica's (`.newsmon` names a 127.0.0.1 site). Anything else, a real state or archive given
    by mistake as --state or --output, is never removed.
    """
    if state.exists() and not made_by_demo:
        raise NotTheDemos(f"{shown(state)} was not made by the demo (no {RECORD_NAME} beside it)")
    site = marker_site(output)
    if site is not None and not site.startswith(REPLICA_HOST):
        raise NotTheDemos(f"{shown(output)} holds the feeds of {site}, not of a replica")
    if (
        site is None
        and output.is_dir()
        and any(p for p in output.iterdir() if p.name != ".gitkeep")
    ):
        raise NotTheDemos(f"{shown(output)} holds files the demo did not publish")


def start_over(state: Path, output: Path) -> None:
    """Remove the demo's state and run reports, and every file the demo published."""
    for suffix in ("", "-wal", "-shm", ".lock"):
        state.with_name(state.name + suffix).unlink(missing_ok=True)
    shutil.rmtree(state.parent / "reports", ignore_errors=True)
    if not output.is_dir():
        return
    for path in sorted(output.rglob("*"), reverse=True):
        relative = path.relative_to(output).as_posix()
        if path.is_file() and (published_file(relative) or relative == MARKER):
            path.unlink()
        elif path.is_dir() and published_folder(relative) and not any(path.iterdir()):
            path.rmdir()


def main(argv: list[str] | None = None) -> int:
    """Run the offline demo; end with the next step."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.replica.demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"replica port (default {DEFAULT_PORT})"
    )
    parser.add_argument("--articles", type=int, default=240, help="articles on the replica")
    parser.add_argument("--output", type=Path, default=Path("output/demo"), help="feed folder")
    parser.add_argument(
        "--state", type=Path, default=Path("state/demo/newsmon.sqlite3"), help="state file"
    )
    args = parser.parse_args(argv)
    output, state = args.output.resolve(), args.state.resolve()
    if not port_is_free(args.port):
        print(
            f"demo: port {args.port} is in use (a replica still running?): stop it, or pass"
            " --port with a free one (the demo then starts over for that replica)",
            file=sys.stderr,
        )
        return 2
    try:
        now = pin_clock(state, output, args.port, args.articles)
    except NotTheDemos as refused:
        print(f"demo: {refused}: pass another --state/--output", file=sys.stderr)
        return 2
    replica_args = ("--port", str(args.port), "--articles", str(args.articles), "--now", now)
    with start_replica(*replica_args, fixed_clock=False) as replica:
        print(
            f"demo: replica of kyivindependent.com at {replica.base_url} ({args.articles}"
            f" articles, clock pinned at {now}); feeds to {shown(output)}/",
            flush=True,
        )
        status = crawl("newsfeed", replica.base_url, output, state)
        status = status or crawl("tags", replica.base_url, output, state)
    if status:
        print(f"demo: a crawl failed (exit {status}); see the lines above", file=sys.stderr)
        return status
    serve = (
        f".venv/bin/python -m newsmon serve -s NEWSMON_OUTPUT_DIR={shown(output)}"
        f" -s NEWSMON_STATE_PATH={shown(state)}"
    )
    print(f"next: `{serve}` and subscribe to http://localhost:8080/newsfeed.xml", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
