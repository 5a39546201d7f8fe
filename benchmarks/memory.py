"""Section 5, memory: the peak memory of full newsmon crawls of growing size.

Each crawl is a fresh `scrapy crawl` process over a fresh state; its peak is that process's
own high-water mark (`VmHWM`, read by the crawl itself at exit: see `benchmarks/peak.py`).
The smallest crawl is section 1's newsmon crawl (2,000 articles); the larger ones (20,000,
and 200,000 with `--long`) get their own replica. Each larger crawl is judged against the
one ten times smaller.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def memory(crawls: Sequence[tuple[int, CrawlRun]]) -> SectionResult:
    """Peak memory of each crawl (smallest first), each judged against the one before."""
    figures = {}
    rows = []
    previous: tuple[int, float] | None = None
    for articles, run in crawls:
        m = run.measured
        figures[str(articles)] = {
            "max_rss_bytes": m.max_rss_bytes,
            "ru_maxrss_bytes": m.ru_maxrss_bytes,
            "articles_extracted": run.stat("newsmon/articles/extracted"),
            "articles_stored": run.stat("newsmon/items/new"),
            "pages": run.pages,
            "cpu_seconds": m.cpu_seconds,
            "wall_seconds": m.wall_seconds,
        }
        mib = m.max_rss_bytes / MIB
        figure = f"peak RSS MiB (own VmHWM), crawl of {articles:,} articles ({run.reached()})"
        if previous is None:
            rows.append(Row(SECTION, figure, fmt_num(mib)))
        else:
            base_articles, base_mib = previous
            growth = ratio(mib, base_mib)
            rows.append(
                Row(
                    SECTION,
                    figure,
                    fmt_num(mib),
                    f"{base_articles:,} articles: {fmt_num(base_mib)}",
                    fmt_ratio(growth),
                    f"<= {MAX_GROWTH:g}x",
                    judged(None if not mib or growth is None else growth <= MAX_GROWTH),
                )
            )
        previous = (articles, mib)
    return SectionResult("memory", "Memory", figures, rows)
