"""QuarantinePipeline (250, between validate and store): broken items are not published.

An item is held back when its body is empty or tiny, when a field contradicts the page's own
JSON-LD/meta, or when a field came from a source no healthy run of this spider used (a
redesign absorbed by a fallback: a guessed body container, a date from an unknown place).
A held item is dropped before the store, so no feed or archive line ever shows it, and its
latest copy is kept in the store's `quarantine` table for inspection. It is not "seen"
either: once extraction is fixed, the next run stores and publishes it as new.

Stats: `newsmon/dropped/quarantined`, `newsmon/quarantine/<reason>`,
`newsmon/quarantine/released`, `newsmon/quarantine/unaudited`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from newsmon.config import base_url_from_settings
from newsmon.extract.normalize.text import word_count
from newsmon.extract.normalize.urls import canonical_url
from newsmon.health.audit import suspect_reasons
from newsmon.health.run import RunHealth, run_health
from newsmon.items import ArticleItem
from newsmon.store import get_store

logger = logging.getLogger(__name__)

TINY_BODY = "tiny_body"


class QuarantinePipeline:
    """Drop (and keep aside) items that look broken; pass the others on unchanged."""

    def __init__(self, crawler: Crawler, health: RunHealth, site: str) -> None:
        self.crawler = crawler
        self.health = health
        self.site = site
        self.held: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QuarantinePipeline:
        """Off when NEWSMON_HEALTH_ENABLED or NEWSMON_HEALTH_QUARANTINE is false."""
        health = run_health(crawler)
        if not (health.config.enabled and health.config.quarantine):
            raise NotConfigured("health checks or quarantine are off")
        return cls(crawler, health, base_url_from_settings(crawler.settings))

    def open_spider(self) -> None:
        """Learn the baseline and what is held now, before the first item arrives."""
        _ = self.health.usual
        self.held = set(get_store(self.crawler).quarantined_urls())

    def reasons(self, item: ArticleItem) -> list[str]:
        """Why `item` must be held back ([] if it may be published)."""
        reasons = []
        if word_count(item.body) < self.health.config.min_body_words:
            reasons.append(TINY_BODY)
        if item.provenance is None:
            # Not built by a page object (no provenance recorded): nothing to judge by.
            self._count("unaudited")
        else:
            reasons += suspect_reasons(item.provenance, self.health.usual)
        return reasons

    def process_item(self, item: Any) -> Any:
        """Pass a sound ArticleItem on; hold back and drop a broken one."""
        if not isinstance(item, ArticleItem):
            return item
        reasons = self.reasons(item)
        url = canonical_url(item.url, self.site)
        store = get_store(self.crawler)
        if not reasons:
            if url in self.held and store.release_quarantined(url):
                self.held.discard(url)
                self._count("released")
                logger.info("released from quarantine, extracted cleanly now: %s", url)
            return item
        store.quarantine_item(
            item,
            url=url,
            spider=self.health.spider_name,
            reasons=reasons,
            now=datetime.now(UTC),
        )
        self.held.add(url)
        self.health.observations.add_quarantined(url, reasons)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("newsmon/dropped/quarantined")
        for reason in reasons:
            self._count(reason)
        logger.warning("quarantined, not published: %s (%s)", url, ", ".join(reasons))
        # Logged above in one line; Scrapy's own drop message would repeat the whole item.
        raise DropItem(f"quarantined: {', '.join(reasons)}", log_level="DEBUG")

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsmon/quarantine/{key}")
