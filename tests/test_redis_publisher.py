"""The publisher of a crawl scaled out on Redis, and the configuration around it.

`python -m newsmon publish --from-redis URL` resumes where a killed publisher stopped, keeps
the store's dedupe and update rules from one shared crawl to the next, keeps unreadable
payloads aside; bad configuration stops workers and publisher in one line; `watch
--from-redis` crawls as a worker and publishes each cycle. Real redis-server, real processes.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from newsmon.distributed.envelope import decode, encode
from tests.crawling import FAST, ROOT
from tests.published import check_archive
from tests.redis_processes import (  # the fixtures are imported for pytest to find them
    LEASE_SECONDS,
    WALK_ALL,
    all_tags,
    assert_published_exactly_once,
    items_left,
    prefix_fixture,  # noqa: F401
    publisher_settings,
    redis_url_fixture,  # noqa: F401
    spawn,
    start_publisher,
    start_worker,
    stored_articles,
    wait_until,
    with_settings,
)
from tests.replica.client import start_replica


def test_a_killed_publisher_resumes_where_it_stopped(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    client = redis.Redis.from_url(redis_url)
    with start_replica("--articles", "400") as replica:
        truth = replica.truth()
        worker = start_worker(
            "worker", replica, redis_url, prefix, tmp_path, *all_tags(replica), settings=WALK_ALL
        )
        assert worker.wait() == 0, worker.log[-3000:]
    assert items_left(redis_url, prefix) == len(truth)

    # Small batches, so the kill lands in the middle of one.
    settings = {**publisher_settings(replica, prefix, tmp_path), "NEWSMON_REDIS_BATCH": "7"}
    first = start_publisher(redis_url, settings, tmp_path, "--follow", name="first")
    try:
        # Killed early (hundreds of items to go), so it surely dies in the middle of the work.
        wait_until(lambda: first.log.count(" article (version ") >= 20, 120, "some items stored")
        first.process.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        first.stop()
    interrupted = int(client.llen(f"{prefix}:items:processing"))
    assert 0 < items_left(redis_url, prefix) < len(truth)

    # The next publisher waits for the dead one's lock to expire (if it has not yet), puts its
    # unfinished batch back, and records everything once.
    second = start_publisher(redis_url, settings, tmp_path, name="second")
    assert second.wait(120) == 0, second.log[-3000:]
    if interrupted:
        assert f"{interrupted} item(s) of an interrupted batch go back to the queue" in second.log
    assert items_left(redis_url, prefix) == 0
    assert_published_exactly_once(
        tmp_path / "output", tmp_path / "state" / "newsmon.sqlite3", truth
    )


def test_the_next_shared_crawl_publishes_only_new_and_updated_articles(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    state = tmp_path / "state" / "newsmon.sqlite3"
    with start_replica("--articles", "120") as replica:
        settings = publisher_settings(replica, prefix, tmp_path)
        first = start_worker(
            "first", replica, redis_url, prefix, tmp_path, *all_tags(replica), settings=WALK_ALL
        )
        assert first.wait() == 0, first.log[-3000:]
        assert start_publisher(redis_url, settings, tmp_path, name="publish-1").wait(120) == 0
        assert len(check_archive(tmp_path / "output")) == 120

        published = replica.post("/__replica__/publish?count=3")
        updated = replica.post("/__replica__/update?count=2")
        assert len(published) == 3 and updated
        second = start_worker(
            "second", replica, redis_url, prefix, tmp_path, *all_tags(replica), settings=WALK_ALL
        )
        assert second.wait() == 0, second.log[-3000:]
        publisher = start_publisher(redis_url, settings, tmp_path, name="publish-2")
        assert publisher.wait(120) == 0, publisher.log[-3000:]

    # The finished crawl was not resumed: a new one walked everything again (a fresh duplicate
    # filter), and the store told what was news.
    assert "starts and seeds crawl" in second.log and "(generation 2)" in second.log
    assert second.stats.get("newsmon/redis/items_pushed") == 123
    lines = check_archive(tmp_path / "output")
    later = lines[120:]
    assert sorted(line["url"] for line in later if line["change"] == "new") == sorted(
        article["url"] for article in published
    )
    changed = [line for line in later if line["change"] == "updated"]
    assert sorted(line["url"] for line in changed) == sorted(a["url"] for a in updated)
    assert all(line["version"] == 2 for line in changed)
    assert len(later) == 3 + len(updated)
    versions = stored_articles(state)
    assert len(versions) == 123 and sum(versions.values()) == 123 + len(updated)
    totals = f"items/new 3, items/unchanged {120 - len(updated)}, items/updated {len(updated)}"
    assert totals in publisher.log
    # Its feed files changed (the news): the totals say how many, as a crawl's stats do.
    assert re.search(
        rf"publish/changed [1-9]\d*, publish/exported {3 + len(updated)}\b", publisher.log
    )


def test_unreadable_payloads_are_kept_aside_and_incomplete_items_dropped(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    client = redis.Redis.from_url(redis_url)
    items = f"{prefix}:items"
    with start_replica("--articles", "60") as replica:
        truth = replica.truth()
        worker = start_worker(
            "worker", replica, redis_url, prefix, tmp_path, *all_tags(replica), settings=WALK_ALL
        )
        assert worker.wait() == 0, worker.log[-3000:]
        # A copy of a real item without its title, and three payloads that are no items.
        envelope = decode(client.lindex(items, 0) or b"")
        envelope.item.title = ""
        client.lpush(items, encode(envelope.item, spider="tags", worker="test"))
        client.lpush(items, b"\xff\xfe not JSON", json.dumps({"format": 99}))
        client.lpush(items, json.dumps({"format": 1, "item": {"url": 5}}))
        publisher = start_publisher(
            redis_url, publisher_settings(replica, prefix, tmp_path), tmp_path
        )
        assert publisher.wait(120) == 0, publisher.log[-3000:]

    assert publisher.log.count("item payload refused") == 3
    assert "dropped (missing title): " in publisher.log
    kept = [json.loads(record) for record in client.lrange(f"{prefix}:items:rejected", 0, -1)]
    reasons = sorted(record["reason"] for record in kept)
    assert reasons[0].startswith("field url is not text")
    assert reasons[1].startswith("not JSON")
    assert reasons[2].startswith("not an item envelope")
    assert any(record.get("payload_base64") for record in kept), "binary payload not kept whole"
    assert_published_exactly_once(
        tmp_path / "output", tmp_path / "state" / "newsmon.sqlite3", truth
    )


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        (
            "NEWSMON_REDIS_URL",
            "http://127.0.0.1:6379/",
            "a Redis URL looks like redis://host:6379/0",
        ),
        (
            "NEWSMON_REDIS_URL",
            "redis://:s3cret-pw@127.0.0.1:{closed}/0",
            "cannot use Redis at redis://***@127.0.0.1:",
        ),
        ("NEWSMON_REDIS_PREFIX", "a b%", "NEWSMON_REDIS_PREFIX must be letters, digits"),
        (
            "NEWSMON_REDIS_LEASE_SECONDS",
            "0",
            "NEWSMON_REDIS_LEASE_SECONDS must be a number of seconds above 0",
        ),
    ],
)
def test_bad_redis_settings_stop_a_worker_in_one_line(
    redis_url: str, tmp_path: Path, setting: str, value: str, message: str
) -> None:
    closed = _closed_port()
    settings = {
        **FAST,
        "NEWSMON_BASE_URL": "http://127.0.0.1:9",
        "NEWSMON_REDIS_URL": redis_url,
        "NEWSMON_STATE_PATH": str(tmp_path / "state" / "newsmon.sqlite3"),
        "NEWSMON_OUTPUT_DIR": str(tmp_path / "output"),
        setting: value.format(closed=closed),
    }
    result = _run(with_settings([sys.executable, "-m", "scrapy", "crawl", "newsfeed"], settings))
    assert result.returncode == 2, result.stderr[-3000:]
    assert f"newsmon: {message}" in result.stderr
    assert "Traceback" not in result.stderr and "s3cret-pw" not in result.stderr
    assert not (tmp_path / "state").exists() and not (tmp_path / "output").exists()


def test_publisher_refuses_a_missing_or_unreachable_redis_in_one_line(tmp_path: Path) -> None:
    state = {
        "NEWSMON_STATE_PATH": str(tmp_path / "state" / "newsmon.sqlite3"),
        # The test's own folder: the default, output/, is where a user's real feeds go.
        "NEWSMON_OUTPUT_DIR": str(tmp_path / "output"),
    }
    publish = [sys.executable, "-m", "newsmon", "publish"]
    missing = _run(with_settings(list(publish), state))
    assert missing.returncode == 2
    assert "newsmon: publish needs --from-redis URL" in missing.stderr
    url = f"redis://:s3cret-pw@127.0.0.1:{_closed_port()}/0"
    unreachable = _run(with_settings([*publish, "--from-redis", url], state))
    assert unreachable.returncode == 2
    assert "newsmon: cannot use Redis at redis://***@127.0.0.1:" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr and "s3cret-pw" not in unreachable.stderr
    # A refused run touches nothing: no state file, no output folder (nor its marker).
    assert not (tmp_path / "state").exists()
    assert not (tmp_path / "output").exists()


def test_a_watch_that_cannot_reach_redis_touches_nothing(tmp_path: Path) -> None:
    state = {
        "NEWSMON_STATE_PATH": str(tmp_path / "state" / "newsmon.sqlite3"),
        "NEWSMON_OUTPUT_DIR": str(tmp_path / "output"),
    }
    url = f"redis://:s3cret-pw@127.0.0.1:{_closed_port()}/0"
    command = [sys.executable, "-m", "newsmon", "watch", "--every", "1h", "--from-redis", url]
    refused = _run(with_settings(command, state))
    assert refused.returncode == 2, refused.stderr[-3000:]
    assert "newsmon: cannot use Redis at redis://***@127.0.0.1:" in refused.stderr
    assert "Traceback" not in refused.stderr and "s3cret-pw" not in refused.stderr
    assert not (tmp_path / "state").exists()
    assert not (tmp_path / "output").exists()


def test_watch_from_redis_crawls_as_a_worker_and_publishes_each_cycle(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    with start_replica("--articles", "60") as replica:
        expected = [a for a in replica.truth() if "news-feed" in a["tag_slugs"]]
        settings = {
            **FAST,
            **publisher_settings(replica, prefix, tmp_path),
            "NEWSMON_WATCH_CRAWLS": "newsfeed",
            "NEWSMON_TAGS": "",
            "NEWSMON_MAX_PAGES": "10",
            "NEWSMON_REDIS_LEASE_SECONDS": LEASE_SECONDS,
        }
        command = [
            sys.executable,
            "-m",
            "newsmon",
            "watch",
            "--every",
            "1h",
            "--from-redis",
            redis_url,
        ]
        watch = spawn("watch", with_settings(command, settings), tmp_path)
        try:
            wait_until(lambda: "publish finished" in watch.log, 180, "the first cycle to publish")
            watch.process.send_signal(signal.SIGTERM)
            assert watch.wait(60) == 0, watch.log[-3000:]
        finally:
            watch.stop()
    assert "crawl newsfeed finished (exit 0)" in watch.log
    assert "starts and seeds crawl" in watch.log
    assert items_left(redis_url, prefix) == 0
    assert_published_exactly_once(
        tmp_path / "output", tmp_path / "state" / "newsmon.sqlite3", expected
    )


def _closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_shared_crawl_that_fetched_no_listing_page_fails(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    settings = {
        **FAST,
        # Nothing listens there: every listing page fails at once (no retries, to be quick).
        "NEWSMON_BASE_URL": f"http://127.0.0.1:{_closed_port()}",
        "RETRY_ENABLED": "False",
        "ROBOTSTXT_OBEY": "False",
        "NEWSMON_REDIS_URL": redis_url,
        "NEWSMON_REDIS_PREFIX": prefix,
        "NEWSMON_REDIS_POLL_SECONDS": "0.2",
    }
    result = _run(with_settings([sys.executable, "-m", "scrapy", "crawl", "newsfeed"], settings))
    assert result.returncode == 1, result.stderr[-3000:]
    assert "run failed: no worker of the shared crawl could fetch a listing page" in result.stderr
    assert "shared crawl " in result.stderr and " finished" in result.stderr


def test_a_second_following_publisher_waits_and_takes_over(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    def settings(name: str) -> dict[str, str]:
        # Two machines: each its own state and output; Redis decides who consumes.
        return {
            "NEWSMON_BASE_URL": "http://127.0.0.1:9",
            "NEWSMON_REDIS_PREFIX": prefix,
            "NEWSMON_REDIS_POLL_SECONDS": "0.2",
            "NEWSMON_REDIS_LEASE_SECONDS": LEASE_SECONDS,
            "NEWSMON_OUTPUT_DIR": str(tmp_path / name / "output"),
            "NEWSMON_STATE_PATH": str(tmp_path / name / "state" / "newsmon.sqlite3"),
        }

    active = start_publisher(redis_url, settings("a"), tmp_path, "--follow", name="a")
    standby = None
    try:
        wait_until(lambda: "publishing from" in active.log, 60, "the first publisher")
        standby = start_publisher(redis_url, settings("b"), tmp_path, "--follow", name="b")
        wait_until(lambda: "waiting (standby)" in standby.log, 60, "the standby to wait")
        assert "publishing from" not in standby.log
        active.process.send_signal(signal.SIGKILL)
        active.wait(30)
        wait_until(lambda: "publishing from" in standby.log, 60, "the standby to take over")
        standby.process.send_signal(signal.SIGTERM)
        assert standby.wait(60) == 0, standby.log[-3000:]
    finally:
        active.stop()
        if standby is not None:
            standby.stop()
    assert (tmp_path / "b" / "output" / "newsfeed.xml").exists()
