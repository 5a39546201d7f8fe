"""Let the garbage collector run as often as a crawl needs it, not as often as Python guesses.

CPython runs its cyclic collector's youngest pass every 700 net allocations of container
objects, and the older passes every 10 of the one below. A crawl allocates millions of
short-lived objects (requests, responses, trees, items) and makes few cycles: at 700 the
collector took 0.6 s of a 14 s crawl of 2,000 articles (964 passes, 7 of them over every
object the process holds), at 10,000 about 0.07 s (BENCHMARKS.md, fifth pass).
`CollectorPacing` sets `NEWSMON_GC_THRESHOLD` as the youngest pass's threshold from the
moment the spider opens until the engine has stopped (publishing at close included), and
counts the passes and their CPU time until the spider closes in the crawl's stats
(`newsmon/gc/collections`, `newsmon/gc/seconds`: the process's passes, whichever crawl of
the process caused them).

A process that runs crawls inside it (a script, a test) gets Python's thresholds back when
its last paced crawl ends, however it ends: a crawl that fails before its spider opens never
changed them, one whose engine never ran gives them back as its spider closes. Several
crawls at once share the largest threshold asked for. The older generations keep Python's
ratios: a cycle that lives long is still collected, only later, and the youngest generation
holds at most NEWSMON_GC_THRESHOLD objects (a few MB).
"""

from __future__ import annotations

import gc
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector


class _Collector:
    """The process's collector while crawls pace it: their thresholds, its passes."""

    def __init__(self) -> None:
        self.python_thresholds: tuple[int, int, int] | None = None
        self.pacers: dict[object, int] = {}
        """Each pacing crawl's CollectorPacing -> the threshold it asked for."""
        self.collections = 0
        self.seconds = 0.0
        self._started = 0.0

    def pace(self, pacer: object, threshold: int) -> None:
        """Start (or go on) pacing for one more crawl."""
        if not self.pacers:
            self.python_thresholds = gc.get_threshold()
            gc.callbacks.append(self._timed)
        self.pacers[pacer] = threshold
        self._apply()

    def release(self, pacer: object) -> None:
        """One crawl is done; the last one gives Python's thresholds back."""
        if self.pacers.pop(pacer, None) is None:
            return
        if self.pacers:
            self._apply()
            return
        if self.python_thresholds is not None:
            gc.set_threshold(*self.python_thresholds)
        self.python_thresholds = None
        if self._timed in gc.callbacks:
            gc.callbacks.remove(self._timed)

    def _apply(self) -> None:
        """The largest threshold any pacing crawl asked for, with Python's older ratios."""
        assert self.python_thresholds is not None
        _, middle, oldest = self.python_thresholds
        gc.set_threshold(max(self.pacers.values()), middle, oldest)

    def _timed(self, phase: str, info: dict[str, Any]) -> None:
        """The collector's callback: the CPU time of each pass."""
        if phase == "start":
            self._started = time.process_time()
        else:
            self.collections += 1
            self.seconds += time.process_time() - self._started


COLLECTOR = _Collector()


class CollectorPacing:
    """Set the collector's threshold for the crawl; count its passes and their time."""

    def __init__(self, crawler: Crawler, threshold: int) -> None:
        self.crawler = crawler
        self.threshold = threshold
        self._counted_from: tuple[int, float] = (0, 0.0)
        self._engine_started = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CollectorPacing:
        """Read NEWSMON_GC_THRESHOLD; 0 leaves Python's collector as it is."""
        threshold = crawler.settings.getint("NEWSMON_GC_THRESHOLD")
        if threshold <= 0:
            raise NotConfigured  # Python's own setting, asked for: nothing to log
        pacing = cls(crawler, threshold)
        crawler.signals.connect(pacing.engine_started, signal=signals.engine_started)
        crawler.signals.connect(pacing.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(pacing.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pacing.engine_stopped, signal=signals.engine_stopped)
        return pacing

    def engine_started(self) -> None:
        """The engine runs: engine_stopped will follow, after publishing at close."""
        self._engine_started = True

    def spider_opened(self) -> None:
        """Raise the youngest generation's threshold; count passes from now on."""
        COLLECTOR.pace(self, self.threshold)
        self._counted_from = (COLLECTOR.collections, COLLECTOR.seconds)

    def spider_closed(self) -> None:
        """Record the passes so far (the stats are dumped as the spider closes)."""
        collections, seconds = self._counted_from
        stats: StatsCollector | None = self.crawler.stats
        if stats is not None:
            stats.set_value("newsmon/gc/collections", COLLECTOR.collections - collections)
            stats.set_value("newsmon/gc/seconds", round(COLLECTOR.seconds - seconds, 3))
        if not self._engine_started:
            # Closed without its engine ever running: no engine_stopped will follow.
            COLLECTOR.release(self)

    def engine_stopped(self) -> None:
        """Give the thresholds back (after publishing at close)."""
        COLLECTOR.release(self)
