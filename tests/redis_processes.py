"""Worker and publisher processes of a Redis deployment, started as a user starts them.

Workers are `python -m scrapy crawl tags -s NEWSMON_REDIS_URL=...` (each with a User-Agent
naming it, so the replica's request log tells who fetched what), the publisher is
`python -m newsmon publish --from-redis URL`; each logs to a file in its test's folder. Also
the fixtures every Redis test module uses (a Redis, and a key prefix of each test's own) and
the check that a crawl published every article of the replica exactly once.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.crawling import FAST, ROOT, parse_stats
from tests.published import all_tag_slugs, check_archive, check_feeds, check_store
from tests.redis_server import redis_server
from tests.replica.client import Replica
from tests.test_crawl import COMPARED_FIELDS

# A killed worker's requests come back after this long: short, so the tests are quick; long
# enough that a busy machine does not take a live worker's requests away (and if it did,
# they would only be fetched twice, which the tests would still pass: nothing is lost).
LEASE_SECONDS = "4"
WORKER_TIMEOUT = 300.0
# Pages enough to walk each of the replica's tags to its end.
WALK_ALL = {"NEWSMON_MAX_PAGES": "200"}


@pytest.fixture(scope="module", name="redis_url")
def redis_url_fixture() -> Iterator[str]:
    """A running Redis's URL (one per test module)."""
    with redis_server() as url:
        yield url


@pytest.fixture(name="prefix")
def prefix_fixture(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{name}:*"))
    if keys:
        client.delete(*keys)


@dataclass
class Process:
    """A worker or publisher process, logging to a file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def wait(self, timeout: float = WORKER_TIMEOUT) -> int:
        return self.process.wait(timeout=timeout)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def stats(self) -> dict[str, Any]:
        return parse_stats(self.log)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def with_settings(base: list[str], settings: dict[str, str]) -> list[str]:
    for name, value in settings.items():
        base += ["-s", f"{name}={value}"]
    return base


def spawn(name: str, command: list[str], workdir: Path) -> Process:
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    return Process(name, process, log_path)


def start_worker(
    name: str,
    replica: Replica,
    redis_url: str,
    prefix: str,
    workdir: Path,
    *spider_args: str,
    settings: dict[str, str] | None = None,
) -> Process:
    """`scrapy crawl tags -s NEWSMON_REDIS_URL=...`, with a User-Agent naming the worker."""
    merged = {
        **FAST,
        "NEWSMON_BASE_URL": replica.base_url,
        "NEWSMON_REDIS_URL": redis_url,
        "NEWSMON_REDIS_PREFIX": prefix,
        "NEWSMON_REDIS_POLL_SECONDS": "0.2",
        "NEWSMON_REDIS_LEASE_SECONDS": LEASE_SECONDS,
        # Where a single-machine run would write: a worker must leave both untouched.
        "NEWSMON_OUTPUT_DIR": str(workdir / name / "output"),
        "NEWSMON_STATE_PATH": str(workdir / name / "state" / "newsmon.sqlite3"),
        "USER_AGENT": f"newsmon/0.1 (test; {name})",
        **(settings or {}),
    }
    base = [sys.executable, "-m", "scrapy", "crawl", "tags", *spider_args]
    return spawn(name, with_settings(base, merged), workdir)


def publisher_settings(replica: Replica, prefix: str, workdir: Path) -> dict[str, str]:
    return {
        "NEWSMON_BASE_URL": replica.base_url,
        "NEWSMON_REDIS_PREFIX": prefix,
        "NEWSMON_REDIS_POLL_SECONDS": "0.2",
        "NEWSMON_REDIS_LEASE_SECONDS": LEASE_SECONDS,
        "NEWSMON_REDIS_PUBLISH_EVERY": "5",
        "NEWSMON_OUTPUT_DIR": str(workdir / "output"),
        "NEWSMON_STATE_PATH": str(workdir / "state" / "newsmon.sqlite3"),
    }


def start_publisher(
    redis_url: str, settings: dict[str, str], workdir: Path, *options: str, name: str = "publisher"
) -> Process:
    base = [sys.executable, "-m", "newsmon", "publish", "--from-redis", redis_url, *options]
    return spawn(name, with_settings(base, settings), workdir)


def all_tags(replica: Replica) -> list[str]:
    """`-a tags=` with every tag of the replica, and pages enough to walk each to its end."""
    return ["-a", f"tags={all_tag_slugs(replica.truth())}"]


def run_worker(
    name: str,
    replica: Replica,
    redis_url: str,
    prefix: str,
    workdir: Path,
    settings: dict[str, str],
    timeout: float = WORKER_TIMEOUT,
) -> Process:
    """Run a worker over every tag to its end (killed if it outlives `timeout`)."""
    worker = start_worker(
        name, replica, redis_url, prefix, workdir, *all_tags(replica), settings=settings
    )
    try:
        worker.wait(timeout)
    finally:
        worker.stop()
    return worker


def publish_all(redis_url: str, replica: Replica, prefix: str, workdir: Path) -> Process:
    """Run `publish --from-redis` once, to the end; it must succeed."""
    publisher = start_publisher(redis_url, publisher_settings(replica, prefix, workdir), workdir)
    assert publisher.wait(120) == 0, publisher.log[-3000:]
    return publisher


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def items_left(redis_url: str, prefix: str) -> int:
    client = redis.Redis.from_url(redis_url)
    return int(client.llen(f"{prefix}:items")) + int(client.llen(f"{prefix}:items:processing"))


def stored_articles(state_path: Path) -> Counter[str]:
    """How many versions the store holds per canonical URL."""
    with sqlite3.connect(f"file:{state_path}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT a.canonical_url FROM version v JOIN article a ON a.id = v.article_id"
        )
        return Counter(row[0] for row in rows)


def assert_matches_truth(lines: list[dict[str, Any]], truth: list[dict[str, Any]]) -> None:
    """Each archive line says what the replica published (as tests/test_crawl.py checks)."""
    by_url = {article["url"]: article for article in truth}
    for line in lines:
        expected = by_url[line["url"]]
        for field in COMPARED_FIELDS:
            want = expected[field]
            if field == "related":
                # The replica may embed one article twice; newsmon lists it once (as on one
                # machine: the 2,000-article replica has one such page).
                want = list(dict.fromkeys(want))
            assert line[field] == want, f"{line['url']}: field {field!r}"
        assert line["body"].split("\n\n") == expected["body"], f"{line['url']}: body"


def assert_published_exactly_once(
    output_dir: Path, state_path: Path, truth: list[dict[str, Any]]
) -> None:
    """Every article of the replica is in the archive once and in the store once, as it is."""
    lines = check_archive(output_dir)
    urls = Counter(line["url"] for line in lines)
    expected = {article["url"] for article in truth}
    twice = [url for url, n in urls.items() if n > 1]
    assert not twice, f"{len(twice)} articles published more than once, e.g. {twice[:3]}"
    missing = expected - set(urls)
    assert not missing, f"{len(missing)} articles never published, e.g. {sorted(missing)[:3]}"
    assert set(urls) == expected
    assert_matches_truth(lines, truth)
    assert all(line["change"] == "new" and line["version"] == 1 for line in lines)
    check_store(state_path)
    versions = stored_articles(state_path)
    assert set(versions) == expected and set(versions.values()) == {1}
    assert check_feeds(output_dir), "no feed was published"


def assert_worker_kept_no_state(worker: Process, workdir: Path) -> None:
    assert not (workdir / worker.name / "state").exists(), "a worker wrote a state file"
    assert not (workdir / worker.name / "output").exists(), "a worker published something"


def site_requests_by_worker(replica: Replica) -> Counter[str]:
    return Counter(
        entry["user_agent"].rsplit("; ", 1)[-1].rstrip(")") for entry in replica.requests()
    )
