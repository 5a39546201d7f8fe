"""Redis answers that go missing and writes that fail: no request lost, no crawl stuck.

redis-py runs a command again when its reply was lost (a dropped connection, a timeout): each
Lua script of worker mode, run twice with the same arguments, must leave Redis as one run
did. And a worker whose write to Redis failed keeps its leases (releasing them would lose
the work): it must take no more work, stop, exit 1, and hand them back, not keep the shared
crawl from finishing. A real redis-server, real workers and the replica over HTTP.
"""

from __future__ import annotations

from pathlib import Path

import redis

from newsmon.distributed.keys import CrawlKeys, ItemKeys
from newsmon.distributed.scripts import Scripts
from tests.redis_processes import (  # the fixtures are imported for pytest to find them
    WALK_ALL,
    assert_published_exactly_once,
    prefix_fixture,  # noqa: F401
    publish_all,
    redis_url_fixture,  # noqa: F401
    run_worker,
)
from tests.replica.client import start_replica


def test_every_script_run_twice_changes_nothing_more(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    scripts = Scripts(client)
    keys = CrawlKeys(prefix, "tags")
    leases = keys.leases("worker")
    crawl_keys = [keys.crawl, keys.requests, keys.dupefilter, keys.workers]

    # JOIN: the seeder asking again is still the seeder (not a worker joining a crawl that
    # nobody seeds).
    client.set(keys.alive("worker"), "1")
    first = scripts.join(keys=crawl_keys, args=["worker", "now", keys.base])
    again = scripts.join(keys=crawl_keys, args=["worker", "now", keys.base])
    assert first[0] == again[0] == "seed" and first[1] == again[1]

    # POP_LEASE: a second run under the same lease id gives the same request, takes no other.
    client.zadd(keys.requests, {"request-a": 0, "request-b": 1})
    assert scripts.pop_lease(keys=[keys.requests, leases], args=["7"]) == "request-a"
    assert scripts.pop_lease(keys=[keys.requests, leases], args=["7"]) == "request-a"
    assert client.zrange(keys.requests, 0, -1) == ["request-b"]
    assert client.hgetall(leases) == {"7": "0|request-a"}

    # ENQUEUE: a dont_filter article counted once; a held page held, not also queued.
    walk_keys = [keys.walk_counts, keys.held_pages]
    enqueue_keys = [keys.requests, keys.dupefilter, *walk_keys]
    for _ in range(2):
        assert scripts.enqueue(keys=enqueue_keys, args=["", 0, "article", "article", "war", 1])
    assert client.hget(keys.walk_counts, "war") == "1"
    for _ in range(2):
        outcome = scripts.enqueue(keys=enqueue_keys, args=["", 0, "page-2", "next", "war", 1])
        assert outcome == 2
    assert client.zscore(keys.requests, "page-2") is None
    assert client.hget(keys.held_pages, "war") == "0|page-2"

    # RELEASE_LEASES: the walk counted down once, its page queued once.
    client.hset(leases, "8", "0|article")
    for expected in ([1, 1], [0, 0]):
        released = scripts.release_leases(
            keys=[leases, keys.requests, *walk_keys], args=[1, "8", "war"]
        )
        assert released == expected
    assert client.hget(keys.walk_counts, "war") is None
    assert client.zscore(keys.requests, "page-2") == 0

    # TAKE_BATCH: a second run returns the batch the first one took, and takes no more.
    items = ItemKeys(prefix)
    client.lpush(items.items, "item-1", "item-2", "item-3")
    batch_keys = [items.items, items.processing]
    assert scripts.take_batch(keys=batch_keys, args=[2]) == ["item-1", "item-2"]
    assert scripts.take_batch(keys=batch_keys, args=[2]) == ["item-1", "item-2"]
    assert client.lrange(items.items, 0, -1) == ["item-3"]


def test_a_worker_whose_pushes_fail_stops_and_hands_its_requests_back(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    # The item list is not a list: every push of the first worker fails (WRONGTYPE).
    client = redis.Redis.from_url(redis_url)
    items_key = ItemKeys(prefix).items
    client.set(items_key, "not a list")
    with start_replica("--articles", "60") as replica:
        truth = replica.truth()
        failing = run_worker("failing", replica, redis_url, prefix, tmp_path, WALK_ALL, 240)
        assert failing.process.returncode == 1, failing.log[-3000:]
        assert client.zcard(f"{prefix}:tags:requests") > 0, "its requests were not handed back"
        client.delete(items_key)
        healthy = run_worker("healthy", replica, redis_url, prefix, tmp_path, WALK_ALL)
        assert healthy.process.returncode == 0, healthy.log[-3000:]
        publish_all(redis_url, replica, prefix, tmp_path)

    assert "this worker keeps its leases" in failing.log
    assert "run failed: a write to Redis failed" in failing.log
    assert failing.stats.get("finish_reason") == "redis_write_failed"
    assert failing.stats.get("newsmon/redis/requeued", 0) > 0
    # It took no more work once its first push failed: the healthy worker did the crawl.
    leased = [worker.stats.get("newsmon/redis/leased", 0) for worker in (failing, healthy)]
    assert leased[0] < leased[1], leased
    assert_published_exactly_once(
        tmp_path / "output", tmp_path / "state" / "newsmon.sqlite3", truth
    )
