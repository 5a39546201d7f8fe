"""The garbage collector's pace during a crawl (NEWSMON_GC_THRESHOLD), on real crawls."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from scrapy import Spider
from scrapy.utils.test import get_crawler

from newsmon.run.collector import COLLECTOR, CollectorPacing
from tests.crawling import ROOT, run_crawl
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


# Crawls run inside one Python process, as a script would: each prints the collector's
# thresholds and callbacks once the process's crawls are over.
IN_PROCESS = textwrap.dedent(
    """
    import gc, json, sys
    from scrapy import Spider
    from scrapy.crawler import CrawlerProcess

    class Nothing(Spider):
        name = "nothing"
        async def start(self):
            return
            yield

    class FailsToOpen:
        def open_spider(self):
            raise RuntimeError("cannot open")

    python = (gc.get_threshold(), len(gc.callbacks))
    settings = {
        "EXTENSIONS": {"newsmon.run.collector.CollectorPacing": 0},
        "NEWSMON_GC_THRESHOLD": 12345,
        "LOG_LEVEL": "ERROR",
        "TELNETCONSOLE_ENABLED": False,
    }
    if sys.argv[1] == "fails-to-open":
        settings["ITEM_PIPELINES"] = {"__main__.FailsToOpen": 1}
    process = CrawlerProcess(settings)
    crawlers = 2 if sys.argv[1] == "two-crawls" else 1
    for _ in range(crawlers):
        process.crawl(Nothing)
    process.start()
    print(json.dumps({"python": python, "after": (gc.get_threshold(), len(gc.callbacks))}))
    """
)


def thresholds_after(case: str) -> dict[str, list[object]]:
    """Run the in-process crawls of `case`; Python's thresholds before and after."""
    process = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, case],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return json.loads(process.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_crawls_inside_a_process_leave_its_collector_as_it_was() -> None:
    """A finished crawl, two crawls at once, a crawl whose pipeline cannot open: each process
    ends with Python's thresholds and callbacks."""
    for case in ("one-crawl", "two-crawls", "fails-to-open"):
        result = thresholds_after(case)
        assert result["after"] == result["python"], case


def test_two_paced_crawls_share_the_largest_threshold_until_the_last_ends() -> None:
    """The first crawl to end does not take the thresholds from the one still running."""
    python = gc.get_threshold()
    first = CollectorPacing.from_crawler(get_crawler(Spider, {"NEWSMON_GC_THRESHOLD": 5_000}))
    second = CollectorPacing.from_crawler(get_crawler(Spider, {"NEWSMON_GC_THRESHOLD": 9_000}))
    try:
        first.spider_opened()
        assert gc.get_threshold() == (5_000, *python[1:])
        second.spider_opened()
        assert gc.get_threshold() == (9_000, *python[1:])
        second.engine_stopped()
        assert gc.get_threshold() == (5_000, *python[1:])
        gc.collect(0)
        first.spider_closed()  # its engine never started: it gives them back here
        assert first.crawler.stats.get_value("newsmon/gc/collections") >= 1
        assert gc.get_threshold() == python
    finally:
        COLLECTOR.release(first)
        COLLECTOR.release(second)
        gc.set_threshold(*python)
