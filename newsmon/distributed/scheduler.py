"""scrapy-redis's scheduler, made safe for workers that die: atomic enqueue, leased requests.

scrapy-redis 0.9.1 runs on Scrapy 2.19 as it is (its queue serializes requests with
`Request.to_dict` and `request_from_dict`, its duplicate filter and scheduler use no removed
API); only its stats calls pass the deprecated `spider` argument. What it does not do is
survive a worker killed at the wrong moment, which this subclass adds:
- `enqueue_request` marks the fingerprint seen and queues the request in one Lua script
  (scrapy-redis does SADD, then ZADD: a kill in between loses the request for good);
- `next_request` leases the request it pops (see `newsmon.distributed.leases`) instead of
  just removing it from the queue;
- `close` releases the leases of finished requests and requeues any other;
- listing walks are bounded in Redis (`bounds_walks`): an article request a walk led to
  counts against it while queued or leased, and the walk's next page waits in Redis while
  the count is at NEWSMON_WALK_MAX_OUTSTANDING (see `newsmon.distributed.scripts`).
Its queue (a sorted set by priority) and its duplicate filter (a set of fingerprints) are
scrapy-redis's own, under the keys of `newsmon.distributed.keys.CrawlKeys`.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Request
from scrapy.utils.misc import load_object
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from newsmon.compat import encode_request, requests_in_progress
from newsmon.crawl.meta import WALK_META, WALK_NEXT_META
from newsmon.distributed.leases import Leases
from newsmon.distributed.worker import SharedCrawl, shared_crawl

logger = logging.getLogger(__name__)

# What the ENQUEUE script answers.
NOT_QUEUED, QUEUED, HELD_BACK = 0, 1, 2


class LeasingScheduler(Scheduler):  # type: ignore[misc]  # scrapy-redis ships no type hints
    """The shared scheduler of a worker: Redis queue, Redis duplicate filter, leases."""

    crawler: Crawler
    shared: SharedCrawl
    leases: Leases
    bounds_walks = True
    """The spiders hold no walk's next page themselves: this scheduler does, in Redis."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeasingScheduler:
        """Build on the worker's Redis connection, with the shared crawl's key names."""
        shared = shared_crawl(crawler)
        assert shared.leases is not None
        settings = crawler.settings
        dupefilter_cls = load_object(settings.get("DUPEFILTER_CLASS"))
        if not (isinstance(dupefilter_cls, type) and issubclass(dupefilter_cls, RFPDupeFilter)):
            # The Lua enqueue writes fingerprints into the set scrapy-redis's filter reads.
            dupefilter_cls = RFPDupeFilter
        scheduler = cls(
            server=shared.client,
            # The queue and the filter outlive this worker: the crawl is shared. A new crawl
            # starts with fresh ones (`newsmon.distributed.scripts.JOIN`).
            persist=True,
            queue_key=shared.keys.requests,
            queue_cls="scrapy_redis.queue.PriorityQueue",
            dupefilter=dupefilter_cls(
                shared.client,
                key=shared.keys.dupefilter,
                debug=settings.getbool("DUPEFILTER_DEBUG"),
            ),
            dupefilter_key=shared.keys.dupefilter,
            # Never block the reactor on an empty queue: idle workers poll (RedisWorker).
            idle_before_close=0,
        )
        scheduler.crawler = crawler
        scheduler.stats = crawler.stats
        scheduler.shared = shared
        scheduler.leases = shared.leases
        return scheduler

    def open(self, spider: Spider) -> None:
        """Join the shared crawl (or start it), then open scrapy-redis's queue.

        scrapy-redis's `open` does the same but logs with `Spider.log`, which Scrapy 2.19
        deprecates; its queue and filter are built here already, so it has nothing else to do.
        """
        self.shared.join()
        self.spider = spider
        self.queue = PriorityQueue(server=self.server, spider=spider, key=self.queue_key)
        waiting = len(self.queue)
        if waiting:
            logger.info("joining a crawl with %d request(s) waiting in Redis", waiting)

    def enqueue_request(self, request: Request) -> bool:
        """Queue a request unless its fingerprint was seen in this crawl (atomically)."""
        queue: PriorityQueue = self.queue
        keys = self.shared.keys
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        role, walk = walk_role(request)
        try:
            outcome = self.shared.scripts.enqueue(
                keys=[keys.requests, keys.dupefilter, keys.walk_counts, keys.held_pages],
                args=[
                    fingerprint,
                    -request.priority,
                    encode_request(queue, request),
                    role,
                    walk,
                    self.leases.walk_bound,
                ],
            )
        except redis.RedisError as error:
            self.leases.hold(f"could not queue {request.url} in Redis ({error})")
            raise
        if outcome == NOT_QUEUED:
            self.df.log(request, self.spider)
            self._count("filtered")
            return False
        if outcome == HELD_BACK:
            # Queued by whichever worker finishes enough of the walk's article requests.
            if self.stats is not None:
                self.stats.inc_value("newsmon/listings/held_back")
            logger.debug("listing %r: next page held back in Redis: %s", walk, request.url)
        self._count("enqueued")
        return True

    def next_request(self) -> Request | None:
        """Release the leases of finished requests, then lease the next one, if any.

        None once a write to Redis failed (`Leases.holding`): the worker takes no more work,
        goes idle when its requests in progress are done, and stops (`RedisWorker`).
        """
        if self.leases.holding:
            return None
        try:
            self.leases.release_finished(requests_in_progress(self.crawler))
            request = self.leases.take(self.queue)
        except redis.RedisError as error:
            # Nothing taken; the worker goes idle and its idle check reports Redis's state.
            logger.error("could not take a request from Redis: %s", error)
            return None
        if request is not None:
            self._count("dequeued")
        return request

    def has_pending_requests(self) -> bool:
        """Whether the shared queue holds requests (of any worker) this worker may take."""
        if self.leases.holding:
            return False
        try:
            return len(self) > 0
        except redis.RedisError as error:
            logger.error("could not read the shared queue's length: %s", error)
            return False

    def close(self, reason: str) -> Any:
        """Release finished requests' leases; put any unfinished one back into the queue.

        The engine closes the scheduler after every request in progress was processed (it
        waits for them), so normally every lease is released here.
        """
        try:
            if self.leases.holding:
                self.leases.requeue_all()
            else:
                self.leases.release_finished(requests_in_progress(self.crawler) or set())
                if self.leases.held:
                    self.leases.requeue_all()
        except redis.RedisError as error:
            logger.error(
                "could not settle this worker's leases in Redis (%s): other workers take its"
                " requests back once its heartbeat expires",
                error,
            )
        return super().close(reason)

    def _count(self, what: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"scheduler/{what}/redis")


def walk_role(request: Request) -> tuple[str, str]:
    """What a request is to a listing walk, for the Redis count: (role, the walk's slug).

    ("article", slug) for an article request a walk's card led to, ("next", slug) for a
    walk's next listing page, ("", "") for any other request.
    """
    walk = request.meta.get(WALK_META)
    if isinstance(walk, str) and walk:
        return "article", walk
    walk = request.meta.get(WALK_NEXT_META)
    if isinstance(walk, str) and walk:
        return "next", walk
    return "", ""
