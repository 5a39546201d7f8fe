"""Back off after a run the site blocked: the next run waits, however it is started.

After a blocked run (`newsmon.crawl.blocks`) the next one waits at least the site's
Retry-After, else `FIRST_WAIT` doubled with each blocked run in a row, never more than
`LONGEST_WAIT` (a Retry-After of days would silence the monitor: the health feed keeps saying
why it waits). The wait is kept in the state file, so it holds for `python -m newsmon watch`,
cron and a plain `scrapy crawl` alike: a run started during it does nothing and exits 0 with
one line saying when the next attempt is due (`BackingOff`, said by the crawl command).
`-s NEWSMON_IGNORE_BACKOFF=True` runs anyway. The first run that gets through (a listing page
read, no block) ends the back-off.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from newsmon.config import base_url_from_settings
from newsmon.crawl.blocks import block_watch
from newsmon.run.outcome import STORE, fail_run, has_problem
from newsmon.run.wording import counted
from newsmon.store import Backoff, StateStoreError, get_store, site_origin

logger = logging.getLogger(__name__)

FIRST_WAIT = timedelta(minutes=10)
LONGEST_WAIT = timedelta(hours=6)


class BackingOff(RuntimeError):
    """The site blocked the last run and the back-off has not ended: this run is skipped."""


def backoff_wait(blocked_runs: int, retry_after: float | None) -> timedelta:
    """How long to wait after the `blocked_runs`-th blocked run in a row."""
    doubled = FIRST_WAIT * 2 ** min(max(blocked_runs - 1, 0), 16)
    asked = timedelta(seconds=retry_after) if retry_after else timedelta(0)
    return min(max(doubled, asked), LONGEST_WAIT)


def when(moment: datetime, now: datetime) -> str:
    """'2026-11-27 12:10:00 UTC (in 9 min)': a time and how far off it is."""
    left = max(0, round((moment - now).total_seconds()))
    if left < 90:
        span = f"{left} s"
    elif left < 5400:
        span = f"{round(left / 60)} min"
    else:
        span = f"{left / 3600:.1f} h"
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC (in {span})"


def backing_off(backoff: Backoff, now: datetime) -> BackingOff:
    """The one line of a run skipped during a back-off."""
    runs = counted(backoff.blocked_runs, "blocked run")
    return BackingOff(
        f"backing off from {backoff.origin} after {runs} (the last: {backoff.reason}): next "
        f"attempt due at {when(backoff.until, now)}; this run does nothing "
        "(-s NEWSMON_IGNORE_BACKOFF=True runs anyway)"
    )


class BackoffGate:
    """Extension: skip a run during a back-off; start or end the back-off when a run ends."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.origin = site_origin(base_url_from_settings(crawler.settings))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffGate:
        """Raise BackingOff if the back-off holds (before the run opens anything else)."""
        gate = cls(crawler)
        if not crawler.settings.getbool("NEWSMON_IGNORE_BACKOFF", False):
            now = datetime.now(UTC)
            backoff = get_store(crawler).backoff(gate.origin)
            if backoff is not None and backoff.until > now:
                raise backing_off(backoff, now)
        crawler.signals.connect(gate.spider_closed, signal=signals.spider_closed)
        return gate

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """A blocked run starts (or lengthens) the back-off; a run that got through ends it."""
        watch = block_watch(self.crawler)
        stats = self.crawler.stats
        read = stats.get_value("newsmon/listings/pages", 0) if stats is not None else 0
        try:
            if watch.block is not None:
                now = datetime.now(UTC)
                backoff = get_store(self.crawler).record_blocked_run(
                    self.origin,
                    watch.block.words(),
                    now=now,
                    wait=lambda runs: backoff_wait(runs, watch.retry_after),
                )
                logger.warning(
                    "backing off: the next run waits until %s (%s in a row%s); "
                    "-s NEWSMON_IGNORE_BACKOFF=True runs anyway",
                    when(backoff.until, now),
                    counted(backoff.blocked_runs, "blocked run"),
                    f", Retry-After {watch.retry_after:.0f} s" if watch.retry_after else "",
                )
            elif read and get_store(self.crawler).clear_backoff(self.origin):
                logger.info("the site lets newsmon in again: back-off ended")
        except StateStoreError as error:
            if not has_problem(self.crawler, STORE):
                fail_run(self.crawler, f"could not record the back-off: {error}", problem=STORE)
