"""The crawls the benchmarks measure: newsmon's `tags` crawl and the bare Scrapy spider.

Both run as fresh `scrapy` subprocesses with the same concurrency settings against the same
replica, so their CPU time, wall time and peak memory can be compared in one run.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.process import ROOT, BenchmarkError, Measured, run_measured, scrapy_command
from benchmarks.replica import SEED, Replica, replica_now
from tests.crawling import FAST, parse_stats
from tests.replica.catalog import TAGS
from tests.replica.content import Site

# Environment variables that point Scrapy at a project (and so at newsmon's settings).
PROJECT_VARIABLES = frozenset({"SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT"})

PAGE_SIZE = 20  # cards per listing page on the replica
BARE_SPIDER = Path(__file__).resolve().parent / "bare_spider.py"
# Generous: a 20,000-article crawl on a loaded 2-core machine takes minutes, 200,000 an hour.
CRAWL_TIMEOUT = 3600.0
TIMEOUT_PER_ARTICLE = 0.05


@dataclass(frozen=True)
class CrawlPlan:
    """What a crawl must walk to reach every article of a replica."""

    articles: int
    tags: tuple[str, ...]
    """Every tag slug with at least one article (every article has at least one tag)."""
    listing_sizes: dict[str, int]
    """Articles per tag listing."""
    max_pages: int
    """NEWSMON_MAX_PAGES that lets the longest listing be walked to its end."""
    published: tuple[datetime, ...]
    """Publication time of every article (for the revisit window of incremental runs)."""


def plan_crawl(articles: int) -> CrawlPlan:
    """Plan a crawl of a replica of `articles` articles from the replica's own site model.

    The model is drawn in-process with the replica's seed and clock (metadata only, which takes
    a second for 20,000 articles), so the plan needs no truth.json from the server.
    """
    site = Site(SEED, articles, replica_now())
    sizes = {slug: len(site.listing("tag", slug) or []) for slug in TAGS}
    sizes = {slug: size for slug, size in sorted(sizes.items()) if size}
    covered = sum(1 for article in site.articles if set(article.tag_slugs) & set(sizes))
    if covered != len(site.articles):
        raise BenchmarkError(f"only {covered} of {len(site.articles)} articles carry a tag")
    longest = max(sizes.values())
    return CrawlPlan(
        articles=len(site.articles),
        tags=tuple(sizes),
        listing_sizes=sizes,
        max_pages=math.ceil(longest / PAGE_SIZE),
        published=tuple(article.published for article in site.articles),
    )


@dataclass
class CrawlRun:
    """One measured crawl: what the kernel, Scrapy's stats and the replica's log say."""

    measured: Measured
    stats: dict[str, Any]
    log_path: Path
    requests: list[dict[str, Any]] = field(default_factory=list)
    """The replica's request log for this crawl alone."""

    @property
    def pages(self) -> int:
        """Responses the replica sent during this crawl."""
        return len(self.requests)

    def stat(self, key: str) -> int:
        """One integer stats value (0 when absent)."""
        return int(self.stats.get(key, 0) or 0)

    def reached(self) -> str:
        """`2,000 extracted, 2,000 new`: how much of the replica the crawl reached."""
        extracted = self.stat("newsmon/articles/extracted")
        return f"{extracted:,} extracted, {self.stat('newsmon/items/new'):,} new"


def settings_args(settings: Mapping[str, str]) -> list[str]:
    """`-s NAME=VALUE` arguments for a `scrapy` command."""
    args: list[str] = []
    for name, value in settings.items():
        args += ["-s", f"{name}={value}"]
    return args


def newsmon_crawl(
    replica: Replica, plan: CrawlPlan, workdir: Path, name: str, **settings: str
) -> CrawlRun:
    """Run `scrapy crawl tags -a tags=<every tag>` with state and output under `workdir`.

    Reusing a `workdir` continues from its state file: that is how incremental runs are made.
    """
    merged = {
        **FAST,
        "NEWSMON_BASE_URL": replica.base_url,
        "NEWSMON_STATE_PATH": str(workdir / "state" / "newsmon.sqlite3"),
        "NEWSMON_OUTPUT_DIR": str(workdir / "output"),
        "NEWSMON_MAX_PAGES": str(plan.max_pages),
        **settings,
    }
    command = scrapy_command("crawl", "tags", "-a", "tags=" + ",".join(plan.tags))
    command += settings_args(merged)
    timeout = max(CRAWL_TIMEOUT, plan.articles * TIMEOUT_PER_ARTICLE)
    return _run_crawl(replica, command, workdir / f"{name}.log", cwd=ROOT, timeout=timeout)


def bare_crawl(replica: Replica, urls: list[str], workdir: Path) -> CrawlRun:
    """Fetch `urls` with the bare spider: Scrapy's defaults plus newsmon's concurrency."""
    workdir.mkdir(parents=True, exist_ok=True)
    urls_path = workdir / "urls.txt"
    urls_path.write_text("\n".join(urls) + "\n", encoding="utf-8")
    command = scrapy_command("runspider", str(BARE_SPIDER), "-a", f"urls={urls_path}")
    command += settings_args(FAST)
    # Run from a folder outside the project (Scrapy looks for scrapy.cfg in every parent
    # folder), so nothing of newsmon's project is loaded, wherever --workdir points; and
    # without the variables that name a project (Scrapy's get_project_settings() sets
    # SCRAPY_SETTINGS_MODULE in the process that called it, and children inherit it).
    env = {k: v for k, v in os.environ.items() if k not in PROJECT_VARIABLES}
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-bare-") as outside:
        return _run_crawl(replica, command, workdir / "bare.log", cwd=Path(outside), env=env)


def _run_crawl(
    replica: Replica,
    command: list[str],
    log_path: Path,
    cwd: Path,
    timeout: float = CRAWL_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> CrawlRun:
    """Run one crawl on a clean request log; fail loudly if Scrapy did not finish cleanly."""
    replica.reset_requests()
    measured = run_measured(command, log_path=log_path, timeout=timeout, cwd=cwd, env=env)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    if measured.returncode != 0:
        raise BenchmarkError(
            f"{' '.join(command[3:6])} exited {measured.returncode}; last lines of {log_path}:\n"
            + "\n".join(log.splitlines()[-15:])
        )
    return CrawlRun(measured, parse_stats(log), log_path, replica.requests())


def fetched_urls(replica: Replica, run: CrawlRun) -> list[str]:
    """The URLs a crawl fetched, in order, as absolute URLs (for the bare spider)."""
    return [replica.base_url + entry["path"] for entry in run.requests if entry["method"] == "GET"]
