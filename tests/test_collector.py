"""The garbage collector's pace during a crawl (NEWSMON_GC_THRESHOLD), on real crawls."""

from __future__ import annotations

import gc
from pathlib import Path

from scrapy import Spider
from scrapy.utils.test import get_crawler

from newsmon.run.collector import CollectorPacing
from tests.crawling import run_crawl
from tests.replica.client import Replica


def crawl_with(replica: Replica, workdir: Path, **settings: str) -> dict[str, object]:
    """One crawl of the News Feed's first pages; its stats."""
    result = run_crawl(
        "newsfeed", replica.base_url, workdir, settings={"NEWSMON_MAX_PAGES": "2", **settings}
    )
    assert result.returncode == 0, result.log[-3000:]
    assert result.stat("newsmon/items/new") > 0
    return result.stats


def test_a_crawl_runs_the_collector_less_often_than_python_would(
    replica_small: Replica, tmp_path: Path
) -> None:
    """The default threshold makes fewer passes than Python's 700 on the same crawl, and the
    stats say how many and how long; 0 leaves Python's collector alone and counts nothing."""
    paced = crawl_with(replica_small, tmp_path / "paced")
    python_pace = crawl_with(replica_small, tmp_path / "python", NEWSMON_GC_THRESHOLD="700")
    untouched = crawl_with(replica_small, tmp_path / "untouched", NEWSMON_GC_THRESHOLD="0")
    assert isinstance(paced["newsmon/gc/seconds"], float)
    assert paced["newsmon/gc/collections"] * 5 < python_pace["newsmon/gc/collections"]
    assert "newsmon/gc/collections" not in untouched


def test_python_s_thresholds_come_back_when_the_engine_stops() -> None:
    """A crawl run inside a longer process (a test, a script) leaves its collector as it was."""
    before = gc.get_threshold()
    crawler = get_crawler(Spider, {"NEWSMON_GC_THRESHOLD": 12_345})
    pacing = CollectorPacing.from_crawler(crawler)
    assert gc.get_threshold() == (12_345, *before[1:])
    gc.collect(0)
    pacing.spider_closed()
    assert crawler.stats.get_value("newsmon/gc/collections") >= 1
    pacing.engine_stopped()
    assert gc.get_threshold() == before
