"""A run's outcome: components mark a run failed; `scrapy crawl` turns that into its exit code."""

from __future__ import annotations

import logging

from scrapy import Spider, signals
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

EXIT_CODE_STAT = "newsmon/run/exit_code"
FAILURES_STAT = "newsmon/run/failures"

# Exit codes: 1 a run that failed (nothing fetched, state not written, health check failed),
# 2 a configuration newsmon cannot run with (bad setting, unusable state file).
RUN_FAILED = 1
CONFIG_ERROR = 2


def fail_run(crawler: Crawler, reason: str, code: int = RUN_FAILED) -> None:
    """Log why a run failed and record it, so the crawl exits non-zero for cron and systemd."""
    logger.error("run failed: %s", reason)
    stats = crawler.stats
    if stats is None:
        return
    stats.max_value(EXIT_CODE_STAT, code)
    failures = list(stats.get_value(FAILURES_STAT, []))
    failures.append(reason)
    stats.set_value(FAILURES_STAT, failures)


def run_exit_code(crawler: Crawler) -> int:
    """The exit code components recorded for a finished crawl (0 if none failed it)."""
    stats = crawler.stats
    return int(stats.get_value(EXIT_CODE_STAT, 0)) if stats is not None else 0


class RunOutcome:
    """Fail the run (non-zero exit) when it could not fetch a single listing page."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunOutcome:
        """Connect to spider_closed."""
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """A run that fetched no listing page saw nothing of the site: that is a failure."""
        stats = self.crawler.stats
        pages = stats.get_value("newsmon/listings/pages", 0) if stats is not None else 0
        if not pages:
            fail_run(self.crawler, f"no listing page could be fetched (run ended: {reason})")
