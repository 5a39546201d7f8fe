"""How big each benchmark is: the full sizes of the issue, and tiny ones for `--quick`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    """Every size the benchmarks use."""

    name: str
    crawl_articles: int
    """Replica of sections 1 and 3 and the smaller crawl of section 5."""
    crawl_repeats: int
    """Section 1 runs newsmon and bare Scrapy this many times each, alternating."""
    memory_articles: tuple[int, ...]
    """The larger crawls of section 5, each judged against the one before."""
    extraction_pages: int
    extraction_repeats: int
    publish_sizes: tuple[int, ...]
    publish_repeats: int
    new_articles: int
    """Articles published before the second incremental run."""
    serve_slow_clients: int
    """Slow connections held open against `serve` (section 6)."""
    serve_archive_mib: float
    """Size of the archive 8 clients ask for with gzip at once (section 6)."""
    serve_hold_seconds: float
    """How long the slow connections are held."""

    def describe(self) -> str:
        """One line for the printed header."""
        return (
            f"{self.name}: crawls of "
            + ", ".join(f"{n:,}" for n in (self.crawl_articles, *self.memory_articles))
            + f" articles, {self.extraction_pages} article pages, stores of "
            + "/".join(f"{n:,}" for n in self.publish_sizes)
            + f" articles, {self.new_articles} new articles, {self.serve_slow_clients} slow"
            f" clients, a {self.serve_archive_mib:g} MiB archive served"
        )


FULL = Sizes(
    name="full",
    crawl_articles=2_000,
    # Five, not three: on this shared machine one side's runs moved by half within a run
    # (bare Scrapy 4.24 to 6.41 ms an article), and a newsmon crawl, twice as long, meets a
    # disturbance more often; the best of five is nearer each side's undisturbed cost
    # (BENCHMARKS.md, eleventh pass).
    crawl_repeats=5,
    memory_articles=(20_000,),
    extraction_pages=200,
    extraction_repeats=5,
    publish_sizes=(1_000, 10_000, 100_000),
    publish_repeats=10,
    new_articles=10,
    serve_slow_clients=400,
    serve_archive_mib=30,
    serve_hold_seconds=5,
)
# `--long`: the full sizes plus a 200,000-article crawl, judged against the 20,000 one.
LONG = dataclasses.replace(FULL, name="long", memory_articles=(20_000, 200_000))
# Only proves the code runs (the smoke test): figures at these sizes are start-up noise.
QUICK = Sizes(
    name="quick",
    crawl_articles=60,
    crawl_repeats=2,
    memory_articles=(240,),
    extraction_pages=12,
    extraction_repeats=1,
    publish_sizes=(50, 200),
    publish_repeats=1,
    new_articles=10,
    serve_slow_clients=40,
    serve_archive_mib=1,
    serve_hold_seconds=1,
)
