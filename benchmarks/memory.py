"""Section 5, memory: peak RSS of a full newsmon crawl of 2,000 and of 20,000 articles.

Each crawl is a fresh `scrapy crawl` process over a fresh state; its peak resident set size
is the kernel's `ru_maxrss` for that process. The smaller crawl is section 1's newsmon crawl;
the larger one gets its own replica.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.crawls import CrawlRun, newsmon_crawl, plan_crawl
from benchmarks.replica import start_replica
from benchmarks.report import Row, SectionResult, fmt_num, fmt_ratio, judged, ratio

SECTION = "5 memory"
# Target: ten times the articles, at most this many times the memory.
MAX_GROWTH = 1.3
MIB = 1024 * 1024


def large_crawl(articles: int, workdir: Path) -> CrawlRun:
    """A full newsmon crawl of a replica of `articles` articles (its own replica)."""
    plan = plan_crawl(articles)
    with start_replica(articles) as replica:
        return newsmon_crawl(replica, plan, workdir / f"memory-{articles}", f"newsmon-{articles}")


def memory(
    small: CrawlRun, small_articles: int, large: CrawlRun, large_articles: int
) -> SectionResult:
    """Peak RSS of both crawls and their ratio."""
    figures = {}
    for articles, run in ((small_articles, small), (large_articles, large)):
        figures[str(articles)] = {
            "max_rss_bytes": run.measured.max_rss_bytes,
            "articles_extracted": run.stat("newsmon/articles/extracted"),
            "articles_stored": run.stat("newsmon/items/new"),
            "pages": run.pages,
            "cpu_seconds": run.measured.cpu_seconds,
            "wall_seconds": run.measured.wall_seconds,
        }
    small_mib = small.measured.max_rss_bytes / MIB
    large_mib = large.measured.max_rss_bytes / MIB
    growth = ratio(large_mib, small_mib)
    return SectionResult(
        "memory",
        "Memory",
        figures,
        [
            Row(
                SECTION,
                f"peak RSS MiB, crawl of {small_articles:,} articles ({small.reached()})",
                fmt_num(small_mib),
            ),
            Row(
                SECTION,
                f"peak RSS MiB, crawl of {large_articles:,} articles ({large.reached()})",
                fmt_num(large_mib),
                f"{small_articles:,} articles: {fmt_num(small_mib)}",
                fmt_ratio(growth),
                f"<= {MAX_GROWTH:g}x",
                judged(growth is not None and growth <= MAX_GROWTH),
            ),
        ],
    )
