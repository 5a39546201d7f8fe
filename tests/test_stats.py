"""The stats collector newsmon configures behaves as Scrapy's own, only cheaper per count."""

from __future__ import annotations

import warnings

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from newsmon.compat import QuickStatsCollector


def _exercise(stats: MemoryStatsCollector) -> dict[str, object]:
    stats.open_spider()
    stats.inc_value("newsmon/articles/extracted")
    stats.inc_value("newsmon/articles/extracted", 4)
    stats.inc_value("newsmon/articles/known", 0)
    stats.max_value("peak", 3)
    stats.max_value("peak", 1)
    stats.min_value("low", 5)
    stats.min_value("low", 2)
    stats.set_value("reason", "finished")
    return {**stats.get_stats(), "missing": stats.get_value("nothing", "default")}


def test_quick_stats_keep_scrapys_results() -> None:
    crawler = get_crawler(settings_dict={"STATS_DUMP": False})
    assert _exercise(QuickStatsCollector(crawler)) == _exercise(MemoryStatsCollector(crawler))


def test_quick_stats_still_warn_about_the_deprecated_spider_argument() -> None:
    stats = QuickStatsCollector(get_crawler(settings_dict={"STATS_DUMP": False}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stats.inc_value("x", spider=object())
    assert any("spider" in str(warning.message) for warning in caught)
    assert stats.get_value("x") == 1
