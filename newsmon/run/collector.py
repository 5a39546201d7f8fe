"""Let the garbage collector run as often as a crawl needs it, not as often as Python guesses.

CPython runs its cyclic collector's youngest pass every 700 net allocations of container
objects, and the older passes every 10 of the one below. A crawl allocates millions of
short-lived objects (requests, responses, trees, items) and makes few cycles: at 700 the
collector took 0.6 s of a 14 s crawl of 2,000 articles (964 passes, 7 of them over every
object the process holds), at 10,000 it took 0.04 s (BENCHMARKS.md). `CollectorPacing`
sets `NEWSMON_GC_THRESHOLD` as the youngest pass's threshold from the moment the crawler is
built (its components' imports included) until its engine has stopped (publishing at close
included), puts Python's back then (a crawl run inside a longer process leaves that process
as it was), and counts the passes and their time until the spider closes in the crawl's
stats (`newsmon/gc/collections`, `newsmon/gc/seconds`).

The older generations keep Python's ratios: a cycle that lives long is still collected, only
later, and the youngest generation holds at most NEWSMON_GC_THRESHOLD objects (a few MB).
"""

from __future__ import annotations

import gc
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector


class CollectorPacing:
    """Set the collector's threshold for the crawl; count its passes and their time."""

    def __init__(self, threshold: int, stats: StatsCollector) -> None:
        self.threshold = threshold
        self.stats = stats
        self._python_thresholds: tuple[int, int, int] | None = None
        self._started = 0.0
        self._collections = 0
        self._seconds = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CollectorPacing:
        """Read NEWSMON_GC_THRESHOLD; 0 leaves Python's collector as it is."""
        threshold = crawler.settings.getint("NEWSMON_GC_THRESHOLD")
        if threshold <= 0:
            raise NotConfigured  # Python's own setting, asked for: nothing to log
        pacing = cls(threshold, crawler.stats)
        pacing.start()
        crawler.signals.connect(pacing.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pacing.engine_stopped, signal=signals.engine_stopped)
        return pacing

    def start(self) -> None:
        """Raise the youngest generation's threshold and start counting passes."""
        if self._python_thresholds is not None:
            return
        self._python_thresholds = gc.get_threshold()
        _, middle, oldest = self._python_thresholds
        gc.set_threshold(self.threshold, middle, oldest)
        gc.callbacks.append(self._timed)

    def spider_closed(self) -> None:
        """Record the passes made so far (the stats are dumped as the spider closes)."""
        self.stats.set_value("newsmon/gc/collections", self._collections)
        self.stats.set_value("newsmon/gc/seconds", round(self._seconds, 3))

    def engine_stopped(self) -> None:
        """Put Python's thresholds back."""
        if self._python_thresholds is None:
            return
        gc.set_threshold(*self._python_thresholds)
        self._python_thresholds = None
        if self._timed in gc.callbacks:
            gc.callbacks.remove(self._timed)

    def _timed(self, phase: str, info: dict[str, Any]) -> None:
        """The collector's callback: the CPU time of each pass."""
        if phase == "start":
            self._started = time.process_time()
        else:
            self._collections += 1
            self._seconds += time.process_time() - self._started
