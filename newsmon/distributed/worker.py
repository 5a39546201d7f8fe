"""One worker's membership of a shared crawl: join or seed it, stay alive, see it finish.

A crawl (per spider, under NEWSMON_REDIS_PREFIX) goes seeding -> seeded -> finished:
- The first worker to join starts it: a fresh queue and duplicate filter, and it is the
  seeder. Every worker runs the spider's `start()` (its walk bookkeeping needs it), but only
  the seeder's listing requests are queued (`newsmon.distributed.seeding`), so two workers
  starting together do not walk the listings twice. Workers that join later only consume.
- Each worker renews a heartbeat key with a TTL of NEWSMON_REDIS_LEASE_SECONDS. When one
  stops renewing (killed, machine gone), any worker settling the crawl puts its leased
  requests back into the queue; if it was the seeder and had not finished seeding, a live
  worker queues the listing requests again.
- The crawl is finished when the seeding is done, the queue is empty, no live worker
  holds a lease and no listing walk holds a page back: nothing can add a request any more.
  Until then an idle worker does not close (it polls every NEWSMON_REDIS_POLL_SECONDS);
  then every worker closes, "finished".
  A worker that starts after that starts the next crawl.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import redis
from scrapy import Spider, signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured
from scrapy.http import Request
from scrapy.utils.asyncio import create_looping_call

from newsmon.compat import nudge_engine, requests_in_progress
from newsmon.config import NewsmonConfigError
from newsmon.crawl.walks import walk_bound
from newsmon.distributed.keys import (
    CrawlKeys,
    ItemKeys,
    connect,
    positive_seconds,
    prefix_from_settings,
    redis_url_from_settings,
)
from newsmon.distributed.leases import Leases
from newsmon.distributed.scripts import Scripts, text
from newsmon.run.outcome import fail_run

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

SEED = "seed"
JOIN = "join"
FINISHED = "finished"
RESEED = "reseed"
# The finish reason of a worker that stopped after a failed write to Redis.
REDIS_WRITE_FAILED = "redis_write_failed"
# A heartbeat every quarter of the lease: three can be missed (a busy machine) before the
# other workers take this one's requests back.
HEARTBEATS_PER_LEASE = 4


def worker_id() -> str:
    """A name for this worker process, unique across machines: host, pid, random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class Settled:
    """Where the shared crawl stands, as one SETTLE script saw it."""

    requeued: int
    """Requests of dead workers put back into the queue just now."""

    busy: int
    """Requests leased by live workers (this one included)."""

    state: str
    """finished, reseed (this worker must queue the listings again), seeding or running."""

    unheld: int = 0
    """Walks' held-back pages queued because nothing else was queued or leased any more."""


@dataclass
class SharedCrawl:
    """A worker's view of the shared crawl of one spider."""

    crawler: Crawler
    client: redis.Redis
    keys: CrawlKeys
    items: ItemKeys
    worker: str
    lease_seconds: float
    poll_seconds: float
    scripts: Scripts
    role: str = ""
    """SEED or JOIN once joined."""
    generation: int = 0
    start_requests: list[Request] = field(default_factory=list)
    """The listing requests of this worker's spider, kept to seed again if the seeder dies."""
    start_done: bool = False
    """The spider's `start()` was read to its end (`start_requests` is complete)."""
    reseed_pending: bool = False
    """The seeder died while seeding and this worker took over: it must queue the listings."""
    leases: Leases | None = None

    @property
    def joined(self) -> bool:
        """Whether this worker joined the crawl (idempotent `join`)."""
        return bool(self.role)

    def heartbeat(self) -> None:
        """Renew this worker's heartbeat key (and its place in the worker set)."""
        milliseconds = int(self.lease_seconds * 1000)
        pipe = self.client.pipeline(transaction=False)
        pipe.set(self.keys.alive(self.worker), "1", px=milliseconds)
        pipe.sadd(self.keys.workers, self.worker)
        pipe.execute()

    def join(self) -> str:
        """Join the running crawl or start a new one; SEED if this worker must seed it."""
        if self.joined:
            return self.role
        self.heartbeat()
        role, generation = self.scripts.join(
            keys=[self.keys.crawl, self.keys.requests, self.keys.dupefilter, self.keys.workers],
            args=[self.worker, _now(), self.keys.base],
        )
        self.role, self.generation = text(role), int(generation)
        logger.info(
            "worker %s %s crawl %s (generation %d)",
            self.worker,
            "starts and seeds" if self.role == SEED else "joins",
            self.keys.base.rstrip(":"),
            self.generation,
        )
        self._count(f"role/{self.role}")
        return self.role

    def reseed(self) -> list[Request]:
        """The kept listing requests to queue now that this worker seeds; [] if not yet due.

        Due once this worker took over the seeding and its own `start()` was read to the end:
        before that, the kept requests are not all there yet.
        """
        if not (self.reseed_pending and self.start_done):
            return []
        self.reseed_pending = False
        logger.warning(
            "the seeding worker stopped before queuing every listing: %s queues them again",
            self.worker,
        )
        self._count("reseeded")
        return [request.replace() for request in self.start_requests]

    def mark_seeded(self) -> None:
        """The listing requests are all queued: the crawl may finish once they are done."""
        if self.scripts.mark_seeded(keys=[self.keys.crawl], args=[self.worker]):
            logger.info("listings seeded by %s", self.worker)

    def settle(self) -> Settled:
        """Requeue dead workers' requests and read (or mark) the crawl's state."""
        requeued, busy, state, unheld = self.scripts.settle(
            keys=[self.keys.crawl, self.keys.requests, self.keys.workers],
            args=[self.worker, _now(), self.keys.base],
        )
        settled = Settled(int(requeued), int(busy), text(state), int(unheld))
        if settled.unheld:
            # Every walk's count should have come down to let its page go: one did not.
            logger.warning(
                "queued %d held-back listing page(s) whose walks' counts did not come down:"
                " the crawl was idle",
                settled.unheld,
            )
            self._count("walk_pages_unheld", settled.unheld)
        if settled.requeued:
            logger.warning(
                "put %d request(s) of stopped worker(s) back into the shared queue",
                settled.requeued,
            )
            self._count("reclaimed", settled.requeued)
        return settled

    def count_listing_page(self) -> None:
        """One more listing page reached a spider of this crawl (on any worker)."""
        self.client.hincrby(self.keys.crawl, "listing_pages", 1)

    def listing_pages(self) -> int:
        """Listing pages the spiders of this crawl parsed, on every worker."""
        return int(self.client.hget(self.keys.crawl, "listing_pages") or 0)

    def record_walked(self, slugs: list[str]) -> None:
        """Remember the listings this crawl walks: the publisher writes a feed for each."""
        if slugs:
            self.client.sadd(self.items.listings, *slugs)

    def leave(self) -> None:
        """Stop being a live worker (after this worker's leases were released or requeued)."""
        pipe = self.client.pipeline(transaction=False)
        pipe.delete(self.keys.alive(self.worker))
        pipe.srem(self.keys.workers, self.worker)
        pipe.execute()

    def _count(self, what: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsmon/redis/{what}", count)


_SHARED: weakref.WeakKeyDictionary[Crawler, SharedCrawl] = weakref.WeakKeyDictionary()


def shared_crawl(crawler: Crawler) -> SharedCrawl:
    """The crawl's SharedCrawl (connected on first use); NotConfigured outside Redis mode."""
    shared = _SHARED.get(crawler)
    if shared is not None:
        return shared
    settings = crawler.settings
    url = redis_url_from_settings(settings)
    if not url:
        raise NotConfigured("NEWSMON_REDIS_URL is not set: the crawl runs on one machine")
    prefix = prefix_from_settings(settings)
    lease = positive_seconds(settings, "NEWSMON_REDIS_LEASE_SECONDS", 60.0)
    poll = positive_seconds(settings, "NEWSMON_REDIS_POLL_SECONDS", 1.0)
    spider = str(getattr(crawler.spidercls, "name", "") or "")
    if not spider:
        raise NewsmonConfigError("Redis mode needs a spider with a name")
    client = connect(url)
    keys = CrawlKeys(prefix, spider)
    shared = SharedCrawl(
        crawler=crawler,
        client=client,
        keys=keys,
        items=ItemKeys(prefix),
        worker=worker_id(),
        lease_seconds=lease,
        poll_seconds=poll,
        scripts=Scripts(client),
    )
    shared.leases = Leases(
        client,
        shared.scripts,
        keys,
        shared.worker,
        crawler.stats,
        walk_bound=walk_bound(settings),
    )
    _SHARED[crawler] = shared
    return shared


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RedisWorker:
    """Extension (worker mode only): heartbeat, polling, idle handling, leaving the crawl."""

    def __init__(self, crawler: Crawler, shared: SharedCrawl) -> None:
        self.crawler = crawler
        self.shared = shared
        self._heartbeat = create_looping_call(self._beat)
        self._poll = create_looping_call(nudge_engine, crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisWorker:
        """Connect to Redis now (a wrong URL stops the crawl before any request)."""
        extension = cls(crawler, shared_crawl(crawler))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        """Join the crawl (if the scheduler did not already) and start the loops."""
        self.shared.join()
        self._heartbeat.start(self.shared.lease_seconds / HEARTBEATS_PER_LEASE, now=False)
        self._poll.start(self.shared.poll_seconds, now=False)

    def _beat(self) -> None:
        """Renew the heartbeat and take back the requests of workers that stopped."""
        try:
            self.shared.heartbeat()
            settled = self.shared.settle()
            if settled.state == RESEED:
                self._reseed()
            if settled.requeued or settled.unheld:
                nudge_engine(self.crawler)
        except redis.RedisError as error:
            # Logged, not raised: a looping call that raises stops for good. If Redis stays
            # away, the leases expire and other workers redo this one's requests.
            logger.error("Redis heartbeat failed: %s", error)

    def spider_idle(self, spider: Spider) -> None:
        """Close only when the shared crawl is finished; until then wait for work."""
        leases = self.shared.leases
        if leases is not None and leases.holding:
            # A write to Redis failed: its leases could not be released without losing work,
            # and would keep the shared crawl from finishing. The worker stops; closing puts
            # them back into the queue (`LeasingScheduler.close`) for the others to redo.
            fail_run(
                self.crawler,
                "a write to Redis failed: this worker stops and its requests go back to the"
                " shared queue",
            )
            raise CloseSpider(REDIS_WRITE_FAILED)
        if leases is not None:
            leases.release_finished(requests_in_progress(self.crawler))
        settled = self.shared.settle()
        if settled.state == RESEED:
            self._reseed()
        if settled.state == FINISHED:
            logger.info("shared crawl %s finished", self.shared.keys.base.rstrip(":"))
            return
        raise DontCloseSpider("the shared crawl is still running on other workers")

    def _reseed(self) -> None:
        """The seeder died while seeding: queue the listing requests from here.

        If this worker's own `start()` is still being read, the seeding middleware does it
        when it reaches the end (see `SharedCrawl.reseed`).
        """
        self.shared.reseed_pending = True
        requests = self.shared.reseed()
        if not requests:
            return
        for request in requests:
            self.crawler.engine.crawl(request)
        self.shared.record_walked(list(getattr(self.crawler.spider, "slugs", [])))
        self.shared.mark_seeded()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Stop the loops and leave; a crawl that fetched no listing page anywhere failed."""
        for loop in (self._heartbeat, self._poll):
            if loop.running:
                loop.stop()
        try:
            if reason == "finished" and self.shared.listing_pages() == 0:
                fail_run(self.crawler, "no worker of the shared crawl could fetch a listing page")
            self.shared.leave()
        except redis.RedisError as error:
            fail_run(self.crawler, f"could not leave the shared crawl in Redis: {error}")
