"""The stats collector newsmon configures behaves as Scrapy's own, only cheaper per count."""

from __future__ import annotations

import warnings

import pytest
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


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("get_value", ("x", None)),
        ("set_value", ("x", 1)),
        ("inc_value", ("x", 1, 0)),
        ("max_value", ("x", 1)),
        ("min_value", ("x", 1)),
    ],
)
@pytest.mark.parametrize("spider", [object(), None])
def test_every_quick_method_warns_as_scrapy_does(
    method: str, args: tuple[object, ...], spider: object
) -> None:
    """A `spider` passed by keyword or position, None included, warns in Scrapy's words, on
    Scrapy's collector and on newsmon's alike."""
    crawler = get_crawler(settings_dict={"STATS_DUMP": False})
    for stats in (MemoryStatsCollector(crawler), QuickStatsCollector(crawler)):
        bound = getattr(stats, method)
        for positional, keyword in (((*args, spider), {}), (args, {"spider": spider})):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                bound(*positional, **keyword)
            messages = [str(warning.message) for warning in caught]
            assert any(f"'spider' argument to StatsCollector.{method}()" in m for m in messages)


def test_a_failed_count_leaves_what_scrapy_leaves() -> None:
    """A count that cannot be added still sets the stat to its start, as Scrapy's does."""
    crawler = get_crawler(settings_dict={"STATS_DUMP": False})
    for stats in (MemoryStatsCollector(crawler), QuickStatsCollector(crawler)):
        with pytest.raises(TypeError):
            stats.inc_value("k", "x")  # type: ignore[arg-type]
        assert stats.get_value("k") == 0
