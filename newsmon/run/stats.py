"""Scrapy's in-memory stats collector, without the cost of its deprecation shim on its own fields.

Scrapy 2.19 sends every attribute lookup on a stats collector through
`StatsCollector.__getattribute__`, which first looks for a `_cached_<name>` attribute and pays
an AttributeError when there is none: `inc_value` reads `self._stats` twice, so each count
raised two exceptions (scrapy/scrapy#7045; the fix, #7842, is not released). newsmon counts
a few dozen stats per article, about 0.15 ms of CPU per article in a 2,000-article crawl.
"""

from __future__ import annotations

from typing import Any

from scrapy.statscollectors import MemoryStatsCollector


class QuickStatsCollector(MemoryStatsCollector):
    """MemoryStatsCollector whose private fields are read directly.

    Public methods still go through Scrapy's shim, so a caller passing the deprecated `spider`
    argument is still warned.
    """

    def __getattribute__(self, name: str) -> Any:
        """Private names (`_stats`, `_dump`, ...) directly; public ones as Scrapy does."""
        if name[0] == "_":
            return object.__getattribute__(self, name)
        return super().__getattribute__(name)
