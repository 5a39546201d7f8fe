"""Scaling out on Redis: `scrapy crawl` workers share one crawl, one publisher publishes it.

Everything runs for real: a real redis-server (tests/redis_server.py), worker processes and
the publisher started as a user starts them (tests/redis_processes.py), all against the
replica over HTTP. Each test uses its own NEWSMON_REDIS_PREFIX, so tests never see each
other's keys. The publisher's own tests are in tests/test_redis_publisher.py.
"""

from __future__ import annotations

import signal
from pathlib import Path

import redis

from tests.redis_processes import (  # the fixtures are imported for pytest to find them
    WALK_ALL,
    all_tags,
    assert_published_exactly_once,
    assert_worker_kept_no_state,
    items_left,
    prefix_fixture,  # noqa: F401
    publisher_settings,
    redis_url_fixture,  # noqa: F401
    site_requests_by_worker,
    start_publisher,
    start_worker,
    wait_until,
)
from tests.replica.client import start_replica


def test_two_workers_share_the_crawl_and_publish_2000_articles_once(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    with start_replica("--articles", "2000") as replica:
        truth = replica.truth()
        replica.reset_requests()
        publisher = start_publisher(
            redis_url, publisher_settings(replica, prefix, tmp_path), tmp_path, "--follow"
        )
        workers = [
            start_worker(
                name, replica, redis_url, prefix, tmp_path, *all_tags(replica), settings=WALK_ALL
            )
            for name in ("worker-a", "worker-b")
        ]
        try:
            for worker in workers:
                assert worker.wait() == 0, worker.log[-3000:]
            # Every item is in Redis once the crawl finished; the publisher drains them.
            wait_until(lambda: items_left(redis_url, prefix) == 0, 120, "the publisher to drain")
            publisher.process.send_signal(signal.SIGTERM)
            assert publisher.wait(60) == 0, publisher.log[-3000:]
        finally:
            for process in (*workers, publisher):
                process.stop()
        by_worker = site_requests_by_worker(replica)

    assert_published_exactly_once(
        tmp_path / "output", tmp_path / "state" / "newsmon.sqlite3", truth
    )
    # The work was shared: each worker fetched a fair part of the pages and pushed a fair
    # part of the articles.
    total = sum(by_worker.values())
    assert set(by_worker) == {"worker-a", "worker-b"}, by_worker
    for worker in workers:
        assert by_worker[worker.name] >= total / 4, f"unfair share: {dict(by_worker)}"
        pushed = worker.stats.get("newsmon/redis/items_pushed", 0)
        assert pushed >= len(truth) / 4, f"{worker.name} pushed only {pushed} items"
        assert_worker_kept_no_state(worker, tmp_path)
        assert "walk incomplete" not in worker.log
    # Both walked the same crawl: one seeded it, the other joined; every request was fetched
    # once (listing pages are the only ones the duplicate filter lets through twice, and
    # only when a worker dies).
    roles = sorted(k for w in workers for k in w.stats if k.startswith("newsmon/redis/role/"))
    assert roles == ["newsmon/redis/role/join", "newsmon/redis/role/seed"]
    pages = sum(w.stats.get("downloader/request_count", 0) for w in workers)
    assert pages == total, "the replica saw other requests than the workers made"
    assert "published" in publisher.log and "could not" not in publisher.log


def test_a_killed_worker_loses_nothing(redis_url: str, prefix: str, tmp_path: Path) -> None:
    with start_replica("--articles", "600") as replica:
        truth = replica.truth()
        replica.reset_requests()
        victim = start_worker(
            "victim", replica, redis_url, prefix, tmp_path, *all_tags(replica), settings=WALK_ALL
        )
        survivor = start_worker(
            "survivor", replica, redis_url, prefix, tmp_path, *all_tags(replica), settings=WALK_ALL
        )
        try:
            # Mid-crawl: the victim has fetched a good part of its share, far from all.
            wait_until(
                lambda: site_requests_by_worker(replica)["victim"] >= 80, 120, "the victim to work"
            )
            victim.process.send_signal(signal.SIGKILL)
            victim.wait(30)
            assert survivor.wait() == 0, survivor.log[-3000:]
        finally:
            victim.stop()
            survivor.stop()
        fetched = site_requests_by_worker(replica)
        publisher = start_publisher(
            redis_url, publisher_settings(replica, prefix, tmp_path), tmp_path
        )
        assert publisher.wait(120) == 0, publisher.log[-3000:]

    assert victim.process.returncode == -signal.SIGKILL
    assert fetched["victim"] < sum(fetched.values()) * 3 / 4, (
        "the victim was killed too late to tell"
    )
    # The requests the victim held went back into the queue, and the survivor did them.
    reclaimed = survivor.stats.get("newsmon/redis/reclaimed", 0)
    assert reclaimed >= 1, survivor.log[-3000:]
    assert "of stopped worker(s) back into the shared queue" in survivor.log
    assert_published_exactly_once(
        tmp_path / "output", tmp_path / "state" / "newsmon.sqlite3", truth
    )
    assert items_left(redis_url, prefix) == 0


def test_a_seeder_that_died_while_seeding_is_replaced(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    # Seeding takes milliseconds (Scrapy queues start requests eagerly), too short to aim a
    # SIGKILL at; so the crawl is left as a seeder killed at its first step leaves it: seeding,
    # nothing queued, the seeder's heartbeat about to expire.
    client = redis.Redis.from_url(redis_url)
    crawl = f"{prefix}:tags"
    client.hset(f"{crawl}:crawl", mapping={"state": "seeding", "seeder": "ghost", "generation": 1})
    client.sadd(f"{crawl}:workers", "ghost")

    def ghost_beats_until_the_worker_joined() -> bool:
        # The ghost stays alive until the worker has joined (a slow start-up on a busy machine
        # must not find it dead already), then its heartbeat runs out within 3 s.
        joined = "joins crawl" in worker.log
        if not joined:
            client.set(f"{crawl}:alive:ghost", "1", px=3000)
        return joined

    with start_replica("--articles", "120") as replica:
        truth = replica.truth()
        client.set(f"{crawl}:alive:ghost", "1", px=3000)
        worker = start_worker(
            "worker", replica, redis_url, prefix, tmp_path, *all_tags(replica), settings=WALK_ALL
        )
        try:
            wait_until(ghost_beats_until_the_worker_joined, 120, "the worker to join the crawl")
            assert worker.wait() == 0, worker.log[-3000:]
        finally:
            worker.stop()
        publisher = start_publisher(
            redis_url, publisher_settings(replica, prefix, tmp_path), tmp_path
        )
        assert publisher.wait(120) == 0, publisher.log[-3000:]

    # It joined the running crawl, waited for the seeder, then seeded it itself.
    assert "joins crawl" in worker.log and "(generation 1)" in worker.log
    assert "the seeding worker stopped before queuing every listing" in worker.log
    assert worker.stats.get("newsmon/redis/reseeded") == 1
    assert_published_exactly_once(
        tmp_path / "output", tmp_path / "state" / "newsmon.sqlite3", truth
    )
