"""`python -m benchmarks`: run every benchmark on fresh replicas and print one table.

python -m benchmarks                  # full sizes (a few minutes on 2 cores)
python -m benchmarks --json out.json  # also write the figures as JSON
python -m benchmarks --quick          # tiny sizes: checks that the code runs
python -m benchmarks --long           # also a 200,000-article crawl in section 5 (an hour)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.crawl_cost import crawl_cost, run_bare
from benchmarks.crawls import CrawlPlan, CrawlRun, newsmon_crawl, plan_crawl
from benchmarks.extraction import extraction
from benchmarks.incremental import incremental
from benchmarks.machine import describe, load_text, machine_info
from benchmarks.memory import large_crawl, memory
from benchmarks.process import BenchmarkError, compile_bytecode
from benchmarks.publishing import publishing
from benchmarks.replica import start_replica
from benchmarks.report import MET, MISSED, NOT_JUDGED, SectionResult, markdown_table, write_json
from benchmarks.serving import serving
from benchmarks.sizes import FULL, LONG, QUICK, Sizes

SECTIONS = ("crawl", "extraction", "incremental", "publishing", "memory", "serving")
# Sections that need section 1's full newsmon crawl (as the baseline, first run or small crawl).
NEED_FULL_CRAWL = {"crawl", "incremental", "memory"}


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure newsmon against bare Scrapy, trafilatura and newspaper4k on the "
        "offline replica; print one table.",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (checks the code runs)")
    parser.add_argument(
        "--long",
        action="store_true",
        help="section 5 also crawls 200,000 articles and judges it against 20,000 (an hour "
        "or more on 2 cores)",
    )
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS)} (default: all)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep state, feeds and crawl logs here (default: a temporary folder, removed)",
    )
    return parser


class Progress:
    """Timestamped progress lines on stderr (stdout carries only the table)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.started

    def __call__(self, message: str) -> None:
        """Print one progress line."""
        print(f"[{self.elapsed:6.1f} s] {message}", file=sys.stderr, flush=True)


def run(sections: set[str], sizes: Sizes, workdir: Path, say: Progress) -> list[SectionResult]:
    """Run the chosen sections; results in the table's order (1 to 6)."""
    results: dict[str, SectionResult] = {}
    full: CrawlRun | None = None
    plan: CrawlPlan | None = None
    if sections & {"crawl", "extraction", "incremental", "memory"}:
        plan = plan_crawl(sizes.crawl_articles)
        say(f"replica of {plan.articles:,} articles, {len(plan.tags)} tags")
        with start_replica(sizes.crawl_articles) as replica:
            if sections & NEED_FULL_CRAWL:
                say(f"1 crawl cost: newsmon crawl of {plan.articles:,} articles")
                full = newsmon_crawl(replica, plan, workdir / "newsmon", "newsmon-full")
            if "crawl" in sections and full is not None:
                newsmon_runs, bare_runs = [full], []
                for run in range(1, sizes.crawl_repeats + 1):
                    if run > 1:
                        say(f"1 crawl cost: newsmon crawl again ({run} of {sizes.crawl_repeats})")
                        newsmon_runs.append(
                            newsmon_crawl(
                                replica, plan, workdir / f"newsmon-{run}", f"newsmon-full-{run}"
                            )
                        )
                    pages = newsmon_runs[-1].pages
                    say(f"1 crawl cost: bare Scrapy over the same {pages:,} URLs ({run})")
                    bare_runs.append(run_bare(replica, newsmon_runs[-1], workdir, run))
                results["crawl"] = crawl_cost(plan, newsmon_runs, bare_runs)
            if "extraction" in sections:
                say(f"2 extraction: {sizes.extraction_pages} pages, three extractors")
                results["extraction"] = extraction(
                    replica, sizes.extraction_pages, sizes.extraction_repeats
                )
            if "incremental" in sections and full is not None:
                say(f"3 incremental: nothing new, then {sizes.new_articles} new articles")
                results["incremental"] = incremental(
                    replica, plan, full, workdir / "newsmon", sizes.new_articles
                )
    if "publishing" in sections:
        say("4 publishing: stores of " + ", ".join(f"{n:,}" for n in sizes.publish_sizes))
        results["publishing"] = publishing(workdir, sizes.publish_sizes, sizes.publish_repeats)
    if "memory" in sections and full is not None and plan is not None:
        crawls = [(plan.articles, full)]
        for articles in sizes.memory_articles:
            say(f"5 memory: newsmon crawl of {articles:,} articles")
            crawls.append((articles, large_crawl(articles, workdir)))
        results["memory"] = memory(crawls)
    if "serving" in sections:
        say(f"6 serving: {sizes.serve_slow_clients} slow clients, parallel gzip requests")
        results["serving"] = serving(
            workdir, sizes.serve_slow_clients, sizes.serve_archive_mib, sizes.serve_hold_seconds
        )
    return [results[key] for key in SECTIONS if key in results]


def summary(sections: Sequence[SectionResult]) -> str:
    """How many targets were met, missed or not judged."""
    statuses = [row.status for s in sections for row in s.rows if row.status]
    return ", ".join(f"{statuses.count(status)} {status}" for status in (MET, MISSED, NOT_JUDGED))


def _unjudged(section: SectionResult) -> SectionResult:
    """The same section with every target marked not judged."""
    section.rows = [
        dataclasses.replace(row, status=NOT_JUDGED) if row.status else row for row in section.rows
    ]
    return section


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; 0 when every chosen section could be measured (targets aside)."""
    args = build_parser().parse_args(argv)
    chosen = {name.strip() for name in args.sections.split(",") if name.strip()}
    unknown = chosen - set(SECTIONS)
    if unknown or not chosen:
        print(
            f"benchmarks: unknown section(s) {sorted(unknown)}; choose from {','.join(SECTIONS)}",
            file=sys.stderr,
        )
        return 2
    if args.quick and args.long:
        print("benchmarks: --quick and --long exclude each other", file=sys.stderr)
        return 2
    sizes = QUICK if args.quick else LONG if args.long else FULL
    command = "python -m benchmarks" + "".join(
        f" {arg}" for arg in (sys.argv[1:] if argv is None else argv)
    )
    info = machine_info()
    say = Progress()
    say(f"{sizes.describe()}; {describe(info)}")
    if not compile_bytecode():
        say("newsmon's bytecode could not be written: every crawl compiles it first")
    try:
        if args.workdir is not None:
            args.workdir.mkdir(parents=True, exist_ok=True)
            results = run(chosen, sizes, args.workdir.resolve(), say)
        else:
            with tempfile.TemporaryDirectory(prefix="newsmon-bench-") as tmp:
                results = run(chosen, sizes, Path(tmp), say)
    except BenchmarkError as error:
        print(f"benchmarks: {error}", file=sys.stderr)
        return 1
    if args.quick:
        # Tiny sizes measure start-up, not newsmon: no target is judged on them.
        results = [_unjudged(section) for section in results]
    info["load_average_end"] = list(os.getloadavg())
    header: dict[str, Any] = {
        "command": command,
        "sizes": sizes.__dict__,
        "machine": info,
        "seconds": say.elapsed,
    }
    print(f"newsmon benchmarks, {info['date']}, commit {info['commit']}")
    print(f"machine: {describe(info)}; {load_text(info)}")
    print(f"command: {command}")
    print(f"sizes: {sizes.describe()}")
    print()
    print(markdown_table(results))
    print()
    print(f"targets: {summary(results)}; {say.elapsed:.0f} s in all")
    if args.json is not None:
        write_json(args.json, header, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
