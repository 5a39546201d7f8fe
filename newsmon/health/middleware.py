"""Spider middleware: count how article items and listing pages were read, for the health checks.

The spider's page objects fall back quietly (JSON-LD, meta, markup, listing card) and record
on each item which link of each chain gave each value, and where the page's markup and its
own JSON-LD/meta disagree (the item's provenance). This middleware sums that up for the run,
with the card source of every listing page as the spider announces it once the page is read
to its end (the `listing_read` signal: after the app's data endpoint or the site's RSS, when
the page itself had no cards), when NEWSMON_HEALTH_ENABLED is on. It reads no page again.
Stats: `newsmon/health/audited`, `.../listings_audited`, `.../audit_errors`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response, TextResponse

from newsmon.crawl.signals import listing_read
from newsmon.extract.listing import CardsFound
from newsmon.health.audit import audit_article, audit_listing
from newsmon.health.run import RunHealth, run_health
from newsmon.items import ArticleItem

logger = logging.getLogger(__name__)


class AuditMiddleware:
    """Record how each article and listing page was read; never changes what passes."""

    def __init__(self, crawler: Crawler, health: RunHealth) -> None:
        self.crawler = crawler
        self.health = health

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AuditMiddleware:
        """Off when NEWSMON_HEALTH_ENABLED is false."""
        health = run_health(crawler)
        if not health.config.enabled:
            raise NotConfigured("NEWSMON_HEALTH_ENABLED is off")
        middleware = cls(crawler, health)
        crawler.signals.connect(middleware.listing_read, signal=listing_read)
        return middleware

    def process_spider_output(
        self, response: Response | None, result: Iterable[Any]
    ) -> Iterable[Any]:
        """Audit each item of the callback's output."""
        for output in result:
            yield self._audit_item(output, response)

    async def process_spider_output_async(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        """The asynchronous twin of `process_spider_output`."""
        async for output in result:
            yield self._audit_item(output, response)

    def listing_read(self, url: str, found: CardsFound) -> None:
        """Count how a listing page's cards were found (its final read)."""
        try:
            self.health.observations.add_listing(audit_listing(url, found))
        except Exception:
            # The audit watches extraction; it must never be the thing that breaks a crawl.
            self._count("audit_errors")
            logger.exception("could not audit listing page %s", url)
            return
        self._count("listings_audited")

    def _audit_item(self, output: Any, response: Response | None) -> Any:
        if not isinstance(output, ArticleItem) or not isinstance(response, TextResponse):
            return output
        audit = audit_article(output, response.url)
        if audit is None:
            return output  # not built by a page object: nothing recorded to count
        self.health.observations.add_article(audit)
        self._count("audited")
        return output

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsmon/health/{key}")
