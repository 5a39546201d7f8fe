"""Item pipelines, one job each: clean (100), validate (200), dedupe and store (300).

Each counts its outcomes in the crawl stats under `newsmon/`. Items that are not ArticleItems
pass through untouched: they belong to someone else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from newsmon.config import base_url_from_settings
from newsmon.extract.normalize.dates import is_plausible
from newsmon.extract.normalize.text import (
    clean_block_text,
    clean_markup,
    clean_text,
    dedupe_keep_order,
    strip_trailing_chrome,
    word_count,
)
from newsmon.extract.normalize.urls import canonical_url, is_http_url
from newsmon.items import ArticleItem
from newsmon.store import body_fingerprint, get_store

logger = logging.getLogger(__name__)


_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def _safe_slug(slug: str) -> str:
    """A tag slug made of [a-z0-9-] only: a hostile "../../x" or "..%2F..%2Fx" becomes "x"."""
    if _SLUG.match(slug):
        return slug
    # Slugs end up in file names and URLs; nothing that could climb a folder gets through.
    return _NOT_SLUG.sub("-", unquote(slug).lower()).strip("-")


def _clean_tags(names: list[str], slugs: list[str]) -> tuple[list[str], list[str]]:
    """Clean tag names and slugs, dropping repeats while keeping the two lists aligned."""
    names = [clean_text(name) for name in names]
    slugs = [_safe_slug(clean_text(slug).strip("/").lower()) for slug in slugs]
    if len(names) != len(slugs):
        # Not pairs: the page object is at fault; clean each list on its own rather than guess.
        return dedupe_keep_order(names), dedupe_keep_order(slugs)
    kept_names: list[str] = []
    kept_slugs: list[str] = []
    seen: set[str] = set()
    for name, slug in zip(names, slugs, strict=True):
        # The slug is the tag's identity; two slugs under one display name are two tags.
        key = slug or name.casefold()
        if key and key not in seen:
            seen.add(key)
            kept_names.append(name)
            kept_slugs.append(slug)
    return kept_names, kept_slugs


def clean_article(item: ArticleItem) -> ArticleItem:
    """Normalise every text field of `item` in place and return it."""
    item.url = item.url.strip()
    item.title = clean_text(item.title)
    item.authors = dedupe_keep_order(clean_text(author) for author in item.authors)
    item.tags, item.tag_slugs = _clean_tags(item.tags, item.tag_slugs)
    item.primary_tag = clean_text(item.primary_tag)
    item.summary = strip_trailing_chrome(clean_text(item.summary))
    item.body = strip_trailing_chrome(clean_block_text(item.body))
    item.body_html = clean_markup(item.body_html)
    item.image_url = item.image_url.strip()
    item.image_caption = clean_text(item.image_caption)
    item.related = dedupe_keep_order(url.strip() for url in item.related)
    item.listings = dedupe_keep_order(clean_text(slug) for slug in item.listings)
    item.word_count = word_count(item.body)
    return item


class CleanPipeline:
    """Normalise text: NFC, entities decoded, invisible characters and page chrome removed."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanPipeline:
        """Build the pipeline for a crawl."""
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        """Clean an ArticleItem in place; pass anything else through."""
        if isinstance(item, ArticleItem):
            clean_article(item)
            self.stats.inc_value("newsmon/items/cleaned")
        return item


def drop_reason(item: ArticleItem) -> str | None:
    """Return why `item` cannot be published (a stats-friendly key), or None if it can."""
    if not item.url:
        return "missing_url"
    if not is_http_url(item.url):
        return "invalid_url"
    if not item.title:
        return "missing_title"
    if item.published is None:
        return "missing_published"
    if item.published.utcoffset() is None:
        # A naive time could be Kyiv or UTC: three hours of doubt in every feed's order.
        return "naive_published"
    if item.modified is not None and item.modified.utcoffset() is None:
        return "naive_modified"
    if not is_plausible(item.published) or (
        item.modified is not None and not is_plausible(item.modified)
    ):
        # 1970 (an epoch zero) or 2999 is an extraction error; it would sit atop the feed.
        return "implausible_date"
    if not item.body:
        return "missing_body"
    return None


class ValidatePipeline:
    """Drop items that miss what every subscriber needs: URL, title, publication time, body."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        """Build the pipeline for a crawl."""
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        """Pass a complete ArticleItem on; drop an incomplete one with its reason."""
        if not isinstance(item, ArticleItem):
            return item
        reason = drop_reason(item)
        if reason is not None:
            self.stats.inc_value(f"newsmon/dropped/{reason}")
            # Default (WARNING) log level: an incomplete article means extraction broke.
            raise DropItem(reason.replace("_", " "))
        self.stats.inc_value("newsmon/items/valid")
        return item


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
        """Open (or join) the crawl's state store now: a bad state file stops the crawl early."""
        get_store(self.crawler)

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
        result = get_store(self.crawler).record(
            item, canonical=item.url, fingerprint=body_fingerprint(item.body), now=self.clock()
        )
        self.stats.inc_value(f"newsmon/items/{result.outcome}")
        if result.outcome == "unchanged":
            # Normal for a monitor: most articles it sees it has seen before.
            raise DropItem("unchanged", log_level="DEBUG")
        logger.info("%s article (version %d): %s", result.outcome, result.version, item.url)
        return item
