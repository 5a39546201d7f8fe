"""A run's outcome: components mark a run failed; `scrapy crawl` turns that into its exit code."""

from __future__ import annotations

import logging

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
