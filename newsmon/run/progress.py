"""RunProgress: a crawl's start line, and a progress line every NEWSMON_PROGRESS_INTERVAL s.

With Scrapy's dumps moved to DEBUG (`newsmon.run.quiet`), these and the run summary at the
end are what a crawl says at INFO: what it is about to do, then how far it got. A run shorter
than the interval prints no progress line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from newsmon.run.wording import counted

logger = logging.getLogger(__name__)

# Stats under these prefixes are articles that did not make it: not fetched (by status,
# network failure or a block) or dropped by a pipeline (validation, quarantine).
_FAILED_PREFIXES = ("newsmon/articles/http_", "newsmon/dropped/")
_FAILED_KEYS = ("newsmon/articles/failed", "newsmon/articles/blocked")


def failed_articles(stats: Mapping[str, Any]) -> int:
    """Articles of this run that could not be fetched or were dropped."""
    total = 0
    for key, value in stats.items():
        if not isinstance(value, int):
            continue
        if key in _FAILED_KEYS:
            total += value
            continue
        for prefix in _FAILED_PREFIXES:
            # One level deep: "newsmon/dropped/missing_title", not a sub-count of it.
            if key.startswith(prefix) and "/" not in key[len(prefix) :]:
                total += value
    return total


def progress_line(stats: Mapping[str, Any], elapsed: float) -> str:
    """'N listing pages walked; articles N new, N updated, N failed; N articles/min'."""
    new = int(stats.get("newsmon/items/new", 0))
    updated = int(stats.get("newsmon/items/updated", 0))
    unchanged = int(stats.get("newsmon/items/unchanged", 0))
    failed = failed_articles(stats)
    rate = (new + updated + unchanged + failed) * 60.0 / elapsed if elapsed > 0 else 0.0
    return (
        f"{counted(int(stats.get('newsmon/listings/pages', 0)), 'listing page')} walked; articles "
        f"{new} new, {updated} updated, {failed} failed; {rate:.0f} articles/min"
    )


class RunProgress:
    """Extension: log the start of a crawl, then its progress now and then."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunProgress:
        """Connect to spider_opened and spider_closed."""
        if not crawler.settings.getbool("LOG_ENABLED", True):
            raise NotConfigured
        extension = cls(crawler, crawler.settings.getfloat("NEWSMON_PROGRESS_INTERVAL", 30.0))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        """The start line; then a progress line every interval."""
        settings = self.crawler.settings
        slugs = list(getattr(spider, "slugs", []))
        listings = f"{counted(len(slugs), 'listing')} ({', '.join(slugs)})"
        logger.info(
            "crawl %s started: %s of %s, up to %s each; state %s, feeds to %s",
            spider.name,
            listings,
            settings.get("NEWSMON_BASE_URL"),
            counted(settings.getint("NEWSMON_MAX_PAGES"), "page"),
            settings.get("NEWSMON_STATE_PATH"),
            settings.get("NEWSMON_OUTPUT_DIR"),
        )
        self.started = time.monotonic()
        if self.interval > 0:
            self.loop = task.LoopingCall(self.log_progress, spider)
            self.loop.start(self.interval, now=False)

    def log_progress(self, spider: Spider) -> None:
        """One progress line from the crawl's stats."""
        stats = self.crawler.stats
        values = stats.get_stats() if stats is not None else {}
        elapsed = time.monotonic() - self.started
        logger.info(
            "crawl %s, %s in: %s", spider.name, _duration(elapsed), progress_line(values, elapsed)
        )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """No progress line after the end: the run summary follows."""
        if self.loop is not None and self.loop.running:
            self.loop.stop()


def _duration(seconds: float) -> str:
    """'45 s', '2 min 30 s', '1 h 5 min'."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"
