"""Listing walks stay bounded on Redis workers too, and a killed worker loses no held page.

On one machine a walk's next page waits in the spider while NEWSMON_WALK_MAX_OUTSTANDING of
its article requests are unfinished (tests/test_backpressure.py). Workers share the crawl, so
the count and the held page are kept in Redis (`newsmon.distributed.scripts`): any worker's
finished article counts its walk down and queues the page. Real workers, a real Redis, the
replica over HTTP, as in tests/test_redis.py.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import redis

from newsmon.distributed.keys import CrawlKeys
from newsmon.distributed.scripts import Scripts
from tests.redis_processes import (  # the fixtures are imported for pytest to find them
    all_tags,
    assert_published_exactly_once,
    items_left,
    prefix_fixture,  # noqa: F401
    publish_all,
    redis_url_fixture,  # noqa: F401
    run_worker,
    site_requests_by_worker,
    start_worker,
    wait_until,
)
from tests.replica.client import start_replica

BOUNDED = {"NEWSMON_MAX_PAGES": "200", "NEWSMON_WALK_MAX_OUTSTANDING": "2"}


def walk_keys(redis_url: str, prefix: str) -> dict[str, int]:
    """How many walks have a count, and how many a held page, in the shared crawl."""
    client = redis.Redis.from_url(redis_url)
    return {
        "counted": int(client.hlen(f"{prefix}:tags:walks:outstanding")),
        "held": int(client.hlen(f"{prefix}:tags:walks:held")),
    }


def test_workers_hold_walk_pages_in_redis_and_reach_every_article(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    with start_replica("--articles", "600") as replica:
        truth = replica.truth()
        workers = [
            start_worker(
                name, replica, redis_url, prefix, tmp_path, *all_tags(replica), settings=BOUNDED
            )
            for name in ("worker-a", "worker-b")
        ]
        held_seen = 0
        try:
            while any(worker.process.poll() is None for worker in workers):
                held_seen = max(held_seen, walk_keys(redis_url, prefix)["held"])
                time.sleep(0.05)
            for worker in workers:
                assert worker.wait() == 0, worker.log[-3000:]
        finally:
            for worker in workers:
                worker.stop()
        publish_all(redis_url, replica, prefix, tmp_path)

    stats = [worker.stats for worker in workers]
    held_back = sum(s.get("newsmon/listings/held_back", 0) for s in stats)
    released = sum(s.get("newsmon/redis/walk_pages_released", 0) for s in stats)
    assert held_back > 0 and held_seen > 0, "no walk ever waited for its articles"
    # Every held page went out because its walk's count came down, on one worker or the
    # other: the counts were exact, none had to be let go when the crawl went idle.
    assert released == held_back, (held_back, released)
    assert sum(s.get("newsmon/redis/walk_pages_unheld", 0) for s in stats) == 0
    assert walk_keys(redis_url, prefix) == {"counted": 0, "held": 0}
    assert_published_exactly_once(
        tmp_path / "output", tmp_path / "state" / "newsmon.sqlite3", truth
    )
    assert items_left(redis_url, prefix) == 0


def test_a_killed_worker_loses_no_held_page(redis_url: str, prefix: str, tmp_path: Path) -> None:
    with start_replica("--articles", "600") as replica:
        truth = replica.truth()
        replica.reset_requests()
        victim = start_worker(
            "victim", replica, redis_url, prefix, tmp_path, *all_tags(replica), settings=BOUNDED
        )
        try:
            # Killed while walks wait in Redis for their articles, far from done.
            wait_until(
                lambda: (
                    walk_keys(redis_url, prefix)["held"] > 0
                    and site_requests_by_worker(replica)["victim"] >= 60
                ),
                120,
                "the victim to hold walk pages",
            )
            held_at_kill = walk_keys(redis_url, prefix)["held"]
            victim.process.send_signal(signal.SIGKILL)
            victim.wait(30)
        finally:
            victim.stop()
        survivor = run_worker("survivor", replica, redis_url, prefix, tmp_path, BOUNDED)
        assert survivor.process.returncode == 0, survivor.log[-3000:]
        fetched = site_requests_by_worker(replica)
        publish_all(redis_url, replica, prefix, tmp_path)

    assert victim.process.returncode == -signal.SIGKILL
    assert held_at_kill > 0
    assert fetched["victim"] < sum(fetched.values()) * 3 / 4, "killed too late to tell"
    # The survivor took the victim's requests back once its heartbeat expired, counted its
    # walks down as it finished them, and so let their held pages go.
    assert survivor.stats.get("newsmon/redis/reclaimed", 0) >= 1, survivor.log[-3000:]
    assert survivor.stats.get("newsmon/redis/walk_pages_released", 0) >= held_at_kill
    assert survivor.stats.get("newsmon/redis/walk_pages_unheld", 0) == 0
    assert walk_keys(redis_url, prefix) == {"counted": 0, "held": 0}
    assert_published_exactly_once(
        tmp_path / "output", tmp_path / "state" / "newsmon.sqlite3", truth
    )


def test_the_scripts_count_exactly_and_keep_every_page(redis_url: str, prefix: str) -> None:
    """The Lua steps one by one: counts up and down, one held page a walk, requeued leases."""
    client = redis.Redis.from_url(redis_url)
    scripts = Scripts(client)
    keys = CrawlKeys(prefix, "tags")
    leases = keys.leases("worker")
    walk_keys_ = [keys.walk_counts, keys.held_pages]

    def enqueue(fingerprint: str, request: str, role: str) -> int:
        args = [fingerprint, 0, request, role, "war" if role else "", 2]
        return int(scripts.enqueue(keys=[keys.requests, keys.dupefilter, *walk_keys_], args=args))

    def release(lease: str) -> list[int]:
        args = [2, lease, "war"]
        return [
            int(n)
            for n in scripts.release_leases(keys=[leases, keys.requests, *walk_keys_], args=args)
        ]

    def count() -> int:
        return int(client.hget(keys.walk_counts, "war") or 0)

    assert enqueue("f1", "article-1", "article") == 1
    assert enqueue("f1", "article-1", "article") == 0  # seen: not queued, not counted
    assert enqueue("f2", "article-2", "article") == 1
    assert count() == 2
    assert enqueue("", "page-2", "next") == 2  # at the bound: held in Redis
    assert enqueue("", "page-2-again", "next") == 1  # one held page a walk; never dropped
    assert client.zscore(keys.requests, "page-2") is None
    # A worker leased article 1 and finished it: counted down, page 2 queued.
    client.hset(leases, "1", "0|article-1")
    assert release("1") == [1, 1]
    assert count() == 1 and client.zscore(keys.requests, "page-2") == 0
    assert client.hlen(keys.held_pages) == 0
    # Article 2's lease went back to the queue (its worker was thought dead): finishing it
    # late counts nothing down, the redo will.
    client.hset(leases, "2", "0|article-2")
    scripts.requeue_leases(keys=[keys.requests, leases], args=[])
    assert release("2") == [0, 0]
    assert count() == 1
