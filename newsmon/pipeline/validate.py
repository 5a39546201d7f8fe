"""ValidatePipeline (200): refuse items that miss what every subscriber needs."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from newsmon.extract.normalize.dates import is_plausible
from newsmon.items import ArticleItem
from newsmon.site import is_http_url


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
