"""Section 1, crawl cost: a full newsmon crawl against a bare Scrapy spider on the same URLs.

The newsmon crawl does everything a real run does (extraction, pipelines, store, publishing
at close); the bare spider fetches the very URLs newsmon fetched, with the same concurrency,
and parses nothing. CPU time comes from the kernel (wait4), so the replica's work and the
machine's other load are not counted; pages per second is wall time, start-up included.

The machine is shared, and its other load still slows a run down (caches, frequency, the
replica's share of the second core): bare Scrapy alone measured 3.3 to 5.1 ms per article
in runs minutes apart. So each side runs several times, alternating (newsmon, bare, newsmon,
bare, ...), and the best run of each side is compared: load only ever makes a run slower,
so the best is the least disturbed. CPU per article is that of each side's run with the
least CPU, pages per second that of each side's fastest run (usually the same run, not
necessarily). Every run's figures are in the JSON; `newsmon` and `bare_scrapy` are the runs
with the least CPU, `pages_per_second` holds the rates compared.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.crawls import CrawlPlan, CrawlRun, bare_crawl, fetched_urls
from benchmarks.replica import Replica
from benchmarks.report import Row, SectionResult, fmt_num, fmt_ratio, judged, ratio

SECTION = "1 crawl cost"
# Target: newsmon's CPU per article at most this many ms above bare Scrapy's.
MAX_EXTRA_MS_PER_ARTICLE = 3.0
# Target: newsmon's pages per second (wall) at least this share of bare Scrapy's.
MIN_PAGES_PER_SECOND_RATIO = 0.5


def run_bare(replica: Replica, newsmon: CrawlRun, workdir: Path, run: int = 1) -> CrawlRun:
    """The bare spider over exactly the URLs of the newsmon crawl (`run`: which repeat)."""
    folder = workdir / ("bare" if run == 1 else f"bare-{run}")
    return bare_crawl(replica, fetched_urls(replica, newsmon), folder)


def crawl_cost(
    plan: CrawlPlan, newsmon_runs: list[CrawlRun], bare_runs: list[CrawlRun]
) -> SectionResult:
    """Compare the best run of each side per article, and per second."""
    articles = plan.articles
    figures: dict[str, object] = {
        "articles": articles,
        "tags": len(plan.tags),
        "runs": {
            name: [_run_figures(run, articles) for run in runs]
            for name, runs in (("newsmon", newsmon_runs), ("bare_scrapy", bare_runs))
        },
    }
    newsmon = min(newsmon_runs, key=lambda run: run.measured.cpu_seconds)
    bare = min(bare_runs, key=lambda run: run.measured.cpu_seconds)
    repeats = f"best of {len(newsmon_runs)} alternating runs each"
    per_article = {}
    for name, run in (("newsmon", newsmon), ("bare_scrapy", bare)):
        m = run.measured
        per_article[name] = m.cpu_seconds / articles * 1000
        figures[name] = {
            "pages": run.pages,
            "cpu_seconds": m.cpu_seconds,
            "user_seconds": m.user_seconds,
            "system_seconds": m.system_seconds,
            "wall_seconds": m.wall_seconds,
            "max_rss_bytes": m.max_rss_bytes,
            "cpu_ms_per_article": per_article[name],
            "pages_per_second": run.pages / m.wall_seconds,
        }
    figures["newsmon"]["articles_extracted"] = newsmon.stat("newsmon/articles/extracted")  # type: ignore[index]
    figures["newsmon"]["articles_stored"] = newsmon.stat("newsmon/items/new")  # type: ignore[index]
    extra = per_article["newsmon"] - per_article["bare_scrapy"]
    times = ratio(per_article["newsmon"], per_article["bare_scrapy"])
    figures["extra_cpu_ms_per_article"] = extra
    n_rate = max(run.pages / run.measured.wall_seconds for run in newsmon_runs)
    b_rate = max(run.pages / run.measured.wall_seconds for run in bare_runs)
    rate_ratio = ratio(n_rate, b_rate)
    figures["pages_per_second"] = {"newsmon": n_rate, "bare_scrapy": b_rate, "ratio": rate_ratio}
    return SectionResult(
        key="crawl_cost",
        title="Crawl cost",
        figures=figures,
        rows=[
            Row(
                SECTION,
                f"CPU ms per article ({articles:,} articles: {newsmon.reached()}; "
                f"{newsmon.pages:,} pages; {repeats})",
                fmt_num(per_article["newsmon"], 2),
                f"bare Scrapy {fmt_num(per_article['bare_scrapy'], 2)}",
                f"{extra:+.2f} ms ({fmt_ratio(times)})",
                f"<= +{MAX_EXTRA_MS_PER_ARTICLE:g} ms",
                judged(extra <= MAX_EXTRA_MS_PER_ARTICLE),
            ),
            Row(
                SECTION,
                f"pages per second (wall, start-up included; {repeats})",
                fmt_num(n_rate),
                f"bare Scrapy {fmt_num(b_rate)}",
                fmt_ratio(rate_ratio),
                f">= {MIN_PAGES_PER_SECOND_RATIO:g}x",
                judged(None if rate_ratio is None else rate_ratio >= MIN_PAGES_PER_SECOND_RATIO),
            ),
        ],
    )


def _run_figures(run: CrawlRun, articles: int) -> dict[str, float]:
    """One run's CPU per article and rate, for the record."""
    return {
        "cpu_ms_per_article": run.measured.cpu_seconds / articles * 1000,
        "pages_per_second": run.pages / run.measured.wall_seconds,
        "wall_seconds": run.measured.wall_seconds,
    }
