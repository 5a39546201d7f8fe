"""SIGKILL a crawl at many moments: nothing a subscriber or the next run reads is ever broken.

A run is killed at a dozen moments spread over its life, read from its progress rather than
from fixed sleeps: right after the spider opens, after a share of the pages still to fetch has
been served (from the replica's request log), as the spider closes, and while it appends to
the archive. After every kill each feed still parses, the store passes SQLite's integrity
check and the archive holds whole, distinct records (a reader skips a last line without its
newline, as the archive's contract says). The site keeps publishing in between; a last,
undisturbed run must then archive every article exactly once.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.crawling import FAST, ROOT
from tests.published import all_tag_slugs, check_feeds, check_store
from tests.replica.client import Replica, start_replica

ARTICLES = 100
# When to kill, in order: after a share of the pages still to fetch has been served, or at a
# moment of the run's life. A moment the run ends before is tried again on the next run.
SCHEDULE: tuple[tuple[str, float], ...] = (
    ("progress", 0.1),
    ("progress", 0.4),
    ("opened", 0),
    ("progress", 0.7),
    ("closing", 0),
    ("progress", 0.25),
    ("appending", 0),
    ("progress", 0.55),
    ("progress", 0.9),
    ("closing", 0),
    ("appending", 0),
    ("progress", 0.15),
)
# A full walk also fetches the listing pages: about this many for the replica's tags.
LISTING_PAGES = 30
# New articles the site publishes when the store has caught up, so runs have work to do.
PUBLISH = 30
DEADLINE = 120.0


def crawl(replica: Replica, workdir: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """Start `scrapy crawl tags` over every tag of the replica, its log going to a file."""
    settings = {
        **FAST,
        "NEWSMON_BASE_URL": replica.base_url,
        "NEWSMON_OUTPUT_DIR": str(workdir / "output"),
        "NEWSMON_STATE_PATH": str(workdir / "state" / "newsmon.sqlite3"),
        "NEWSMON_MAX_PAGES": "30",
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "tags"]
    command += ["-a", f"tags={all_tag_slugs(replica.truth())}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    with log_path.open("wb") as log:
        return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)


def stored_articles(state_path: Path) -> int:
    """How many articles the store holds (0 before the first run)."""
    if not state_path.exists():
        return 0
    with sqlite3.connect(f"file:{state_path}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COUNT(*) FROM article").fetchone()[0])


def archive_records(output_dir: Path, *, torn_tail_allowed: bool) -> list[tuple[str, int, str]]:
    """(url, version, change) of every whole archive line; a torn last line only after a kill."""
    path = output_dir / "articles.jsonl"
    if not path.exists():
        return []
    data = path.read_bytes()
    whole, _, tail = data.rpartition(b"\n")
    assert torn_tail_allowed or not tail, f"{path} ends in a half-written line"
    records = [json.loads(line) for line in whole.decode("utf-8").splitlines() if line]
    keys = [(r["url"], r["version"], r["change"]) for r in records]
    assert len(keys) == len(set(keys)), "a version was archived twice"
    return keys


def wait_for(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> bool:
    """Wait until `ready()` or the process ends; tell whether it is still running."""
    deadline = time.monotonic() + DEADLINE
    while process.poll() is None and time.monotonic() < deadline:
        if ready():
            return True
        time.sleep(0.03)
    return process.poll() is None


def test_killed_at_many_moments_nothing_breaks_and_the_next_run_completes(
    tmp_path: Path,
) -> None:
    rng = random.Random(7)
    state_path = tmp_path / "state" / "newsmon.sqlite3"
    output_dir = tmp_path / "output"
    archive = output_dir / "articles.jsonl"
    moments: list[str] = []
    with start_replica("--articles", str(ARTICLES)) as replica:
        run = 0
        while len(moments) < len(SCHEDULE):
            run += 1
            assert run <= 2 * len(SCHEDULE), f"only {len(moments)} kills in {run - 1} runs"
            remaining = len(replica.truth()) - stored_articles(state_path)
            if remaining < 10:
                # Everything is stored: the site publishes more, so the next run has work.
                replica.post(f"/__replica__/publish?count={PUBLISH}")
                replica.post("/__replica__/update?count=2")
                remaining += PUBLISH
            replica.reset_requests()
            log_path = tmp_path / f"run-{run}.log"
            archive_size = archive.stat().st_size if archive.exists() else 0
            kind, share = SCHEDULE[len(moments)]
            if kind == "progress":
                target = max(1, int(share * rng.uniform(0.8, 1.2) * (remaining + LISTING_PAGES)))
                moment = f"after {target} requests"

                def ready(target: int = target) -> bool:
                    return len(replica.requests()) >= target

            elif kind == "closing":
                moment = "as the spider closes"

                def ready(log_path: Path = log_path) -> bool:
                    return b"Closing spider" in log_path.read_bytes()

            elif kind == "appending":
                moment = "while appending to the archive"

                def ready(size: int = archive_size) -> bool:
                    return archive.exists() and archive.stat().st_size != size

            else:
                moment = "right after the spider opened"

                def ready(log_path: Path = log_path) -> bool:
                    return b"Spider opened" in log_path.read_bytes()

            process = crawl(replica, tmp_path, log_path)
            if wait_for(process, ready):
                process.send_signal(signal.SIGKILL)
                process.wait()
                moments.append(f"run {run}: {moment} ({len(replica.requests())} served)")
            else:
                # The run ended before its moment came: a normal run, also checked.
                assert process.returncode == 0, log_path.read_text()[-3000:]
            # Whatever happened, what is on disk is whole.
            check_feeds(output_dir)
            check_store(state_path)
            archive_records(output_dir, torn_tail_allowed=True)

        final = crawl(replica, tmp_path, tmp_path / "final.log")
        final.wait(timeout=DEADLINE)
        truth = replica.truth()

    final_log = (tmp_path / "final.log").read_text()
    assert final.returncode == 0, final_log[-3000:]
    assert "Traceback" not in final_log
    assert len(moments) >= 10, moments
    check_feeds(output_dir)
    check_store(state_path)
    records = archive_records(output_dir, torn_tail_allowed=False)
    new = [url for url, _, change in records if change == "new"]
    assert sorted(new) == sorted(article["url"] for article in truth), (
        "the archive does not hold every article exactly once as new"
    )
