"""Spider middleware (worker mode): the listings are seeded once per shared crawl.

Every worker runs its spider's `start()` to the end: the spider sets up its walk bookkeeping
there, for whichever worker later parses a listing page. Only the seeder (the worker that
started the crawl) passes the listing requests on to the shared queue; the others keep a
copy, in case the seeder dies before it queued them all (then a live worker takes over the
seeding and queues its copy). When the seeder's `start()` is exhausted every request it
yielded is queued (Scrapy schedules each start request before it asks for the next), so the
crawl is marked seeded then.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Request

from newsmon.distributed.worker import SEED, SharedCrawl, shared_crawl

logger = logging.getLogger(__name__)


class SeedOnceMiddleware:
    """Queue the spider's start requests on the seeding worker only."""

    def __init__(self, shared: SharedCrawl) -> None:
        self.shared = shared

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeedOnceMiddleware:
        """Build the middleware on the crawl's shared state."""
        return cls(shared_crawl(crawler))

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """Pass the start output on if this worker seeds the crawl; else keep it aside."""
        seeding = self.shared.join() == SEED
        kept = 0
        async for output in start:
            if seeding:
                yield output
            elif isinstance(output, Request):
                self.shared.start_requests.append(output)
                kept += 1
            else:
                # Not a request: an item is this worker's own output, never the seeder's.
                yield output
        self.shared.start_done = True
        if not seeding:
            logger.info("the crawl is seeded by another worker: %d start request(s) kept", kept)
            # The seeder died while this worker read its start(): it seeds now.
            taken_over = self.shared.reseed()
            for request in taken_over:
                yield request
            seeding = bool(taken_over)
        if seeding:
            self.shared.record_walked(_walked(self.shared))
            self.shared.mark_seeded()


def _walked(shared: SharedCrawl) -> list[str]:
    """The listing slugs this worker's spider walks (the spider's `slugs`)."""
    spider = getattr(shared.crawler, "spider", None)
    return [str(slug) for slug in getattr(spider, "slugs", [])]
