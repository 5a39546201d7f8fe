"""StorePipeline (300): dedupe across runs in the state store, pass on only what is news."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from twisted.internet import task

from newsmon.config import base_url_from_settings
from newsmon.crawl.keeper import WalkKeeper
from newsmon.extract.normalize.urls import canonical_url, is_on_site
from newsmon.items import ArticleItem
from newsmon.store import StateStoreError, body_fingerprint, get_store

logger = logging.getLogger(__name__)


class StorePipeline:
    """Dedupe across runs: record each article in the state store, pass on only news.

    The store is the crawl's shared one (`newsmon.store.get_store`): opened when the spider
    opens, closed when the engine stops, after publishing at spider close had its turn.
    """

    def __init__(
        self,
        crawler: Crawler,
        site: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.site = site
        self.clock = clock
        self._committer: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        """Build the pipeline for a crawl; NEWSMON_BASE_URL decides canonical URLs."""
        # A bad base URL stops the crawl with a clear message; NotConfigured would silently
        # run it without a store.
        pipeline = cls(crawler, base_url_from_settings(crawler.settings))
        # Opened before the engine starts: a corrupt or foreign state file stops the crawl with
        # its one-line message before any spider_opened/spider_closed handler runs.
        get_store(crawler)
        return pipeline

    def open_spider(self) -> None:
        """Open (or join) the crawl's state store now: a bad state file stops the crawl early.

        The crawl's writes are committed in batches (NEWSMON_STORE_BATCH_WRITES/_SECONDS): a
        timer commits a batch that waited its time, whether or not more items come.
        """
        store = get_store(self.crawler)
        settings = self.crawler.settings
        writes = settings.getint("NEWSMON_STORE_BATCH_WRITES", 100)
        seconds = settings.getfloat("NEWSMON_STORE_BATCH_SECONDS", 1.0)
        if writes > 1:
            store.start_batching(writes, seconds)
            self._committer = task.LoopingCall(self._commit_if_due)
            self._committer.start(max(seconds / 4, 0.05), now=False)

    def close_spider(self) -> None:
        """Commit the last batch before the spider closes (publishing reads committed data)."""
        if self._committer is not None and self._committer.running:
            self._committer.stop()
        self._committer = None
        try:
            get_store(self.crawler).stop_batching()
        except StateStoreError as error:
            self._store_failed(error)

    def _commit_if_due(self) -> None:
        """Commit a batch older than its time limit (the timer's tick)."""
        try:
            get_store(self.crawler).commit_batch_if_due()
        except StateStoreError as error:
            self._store_failed(error)

    def _store_failed(self, error: StateStoreError) -> None:
        """A batch could not be committed: the run says so once and stops, as for any write."""
        keeper = self.crawler.get_extension(WalkKeeper)
        if keeper is not None:
            keeper.store_failed(error)
        else:
            logger.error("the state store could not be written: %s", error)

    def process_item(self, item: Any) -> Any:
        """Record an ArticleItem; pass it on if new or updated, drop it if unchanged."""
        if not isinstance(item, ArticleItem):
            return item
        # The page object puts the page's rel=canonical link in item.url; this makes every
        # spelling of it (www, http, tracking, legacy section) one key.
        item.url = canonical_url(item.url, self.site)
        # The key is the body only. A headline edit with the same body and modified time is
        # not announced again: Ghost bumps the modified time on any real edit, so a title that
        # differs without it is more likely extraction noise than news.
        aliases = [
            canonical_url(url, self.site) for url in item.aliases if is_on_site(url, self.site)
        ]
        result = get_store(self.crawler).record(
            item,
            canonical=item.url,
            fingerprint=body_fingerprint(item.body),
            now=self.clock(),
            aliases=aliases,
            validators=item.validators,
        )
        self.stats.inc_value(f"newsmon/items/{result.outcome}")
        if result.outcome == "unchanged":
            # Normal for a monitor: most articles it sees it has seen before.
            raise DropItem("unchanged", log_level="DEBUG")
        logger.debug("%s article (version %d): %s", result.outcome, result.version, item.url)
        return item
