"""A worker's leases: the requests it took from the shared queue and has not finished.

Taking a request moves it, in one Redis script, from the queue into the worker's lease hash.
It leaves that hash when its outcome is in Redis (see `newsmon.compat.requests_in_progress`):
the requests its callback produced are queued and its items pushed. A worker that dies keeps
its leases until its heartbeat key expires; then the next worker (or the publisher) that
settles the crawl puts them back into the queue. So no request is lost, and one may be fetched twice
(a worker killed after pushing an item but before releasing the lease): the shared duplicate
filter drops the requests it produces again, and the store drops the item it produces again.

Releasing a lease also counts down the listing walk its request came from (an article a
walk's card led to), and may queue that walk's held-back next page: the same script, so a
killed worker leaves the counts exact (see `newsmon.distributed.scripts`).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field

import redis
from scrapy.http import Request
from scrapy.statscollectors import StatsCollector
from scrapy_redis.queue import Base as RedisQueue

from newsmon.compat import decode_request
from newsmon.crawl.meta import WALK_META
from newsmon.distributed.keys import CrawlKeys
from newsmon.distributed.scripts import Scripts

logger = logging.getLogger(__name__)


@dataclass
class Leases:
    """The requests one worker holds, by lease id, mirrored in its Redis lease hash."""

    client: redis.Redis
    scripts: Scripts
    keys: CrawlKeys
    worker: str
    stats: StatsCollector | None = None
    walk_bound: int = 0
    """NEWSMON_WALK_MAX_OUTSTANDING: a walk's held page is queued once its count is below."""
    held: dict[str, Request] = field(default_factory=dict)
    holding: bool = False
    """Set after a failed write to Redis: no lease is released any more (see `hold`)."""
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def key(self) -> str:
        """The Redis hash of this worker's leases."""
        return self.keys.leases(self.worker)

    def take(self, queue: RedisQueue) -> Request | None:
        """Lease the best request of the shared queue; None if the queue is empty."""
        lease = str(next(self._ids))
        data = self.scripts.pop_lease(keys=[self.keys.requests, self.key], args=[lease])
        if data is None:
            return None
        request = decode_request(queue, data)
        self.held[lease] = request
        self._count("leased")
        return request

    def release_finished(self, in_progress: set[Request] | None) -> int:
        """Release the leases of requests the engine is done with; how many were released."""
        if in_progress is None or self.holding or not self.held:
            return 0
        done = [lease for lease, request in self.held.items() if request not in in_progress]
        if not done:
            return 0
        args: list[str | int] = [self.walk_bound]
        for lease in done:
            walk = self.held[lease].meta.get(WALK_META)
            args += [lease, walk if isinstance(walk, str) else ""]
        released, unheld = self.scripts.release_leases(
            keys=[self.key, self.keys.requests, self.keys.walk_counts, self.keys.held_pages],
            args=args,
        )
        for lease in done:
            del self.held[lease]
        self._count("released", int(released))
        if unheld:
            self._count("walk_pages_released", int(unheld))
        return len(done)

    def hold(self, why: str) -> None:
        """Keep every lease from now on: a request or item of a finished request may be lost.

        After a write to Redis failed (a request not queued, an item not pushed), releasing
        the lease of the request that produced it would lose that work for good. The worker
        takes no more requests (`LeasingScheduler.next_request`), stops once those in
        progress are done (exit code 1, finish reason redis_write_failed:
        `RedisWorker.spider_idle`), and its leases go back into the queue to be redone.
        """
        if not self.holding:
            logger.error("%s: this worker keeps its leases, to be redone when it stops", why)
            self.holding = True
            self._count("holding")

    def requeue_all(self) -> int:
        """Put every request still leased back into the queue (the worker stops early)."""
        moved = int(self.scripts.requeue_leases(keys=[self.keys.requests, self.key], args=[]))
        if moved:
            logger.info("put %d unfinished request(s) back into the shared queue", moved)
            self._count("requeued", moved)
        self.held.clear()
        return moved

    def _count(self, what: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"newsmon/redis/{what}", count)
