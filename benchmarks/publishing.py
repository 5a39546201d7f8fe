"""Section 4, publishing: time to write every feed with 1,000, 10,000 and 100,000 stored articles.

The stores are built in-process through `StateStore.record`, as the store pipeline fills
them, with synthetic articles (realistic lengths and tag spread). Every stored version is
marked exported first, as in a monitor's steady state, so `publish` measures the feeds: the
store queries, rendering RSS and Atom, and the atomic writes. Each size is published once to
warm up, then timed a few times into fresh folders (so every file is really written), the
sizes taking turns; the best time of each counts. The stores are flushed to disk before the
timing, as a monitor's store is between runs.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.report import Row, SectionResult, fmt_num, fmt_ratio, judged, ratio
from newsmon.items import ArticleItem
from newsmon.publish.run import NEWS_FEED_SLUG, PublishConfig, publish
from newsmon.store import StateStore, body_fingerprint

SECTION = "4 publishing"
# Target: publishing with the largest store at most this many times the time with the smallest.
MAX_GROWTH = 1.5
# The News Feed and four tags, one of them rare (its newest 50 reach far back in the store).
FEED_SLUGS = (NEWS_FEED_SLUG, "russia", "ukraine", "war", "belarus")
# Tags and how often they come first, roughly as on the replica.
PRIMARY_TAGS = {
    "news-feed": 47,
    "opinion": 10,
    "ukraine": 6,
    "world": 6,
    "war": 5,
    "russia": 2,
    "united-states": 5,
    "politics": 3,
    "business": 3,
    "collaborators": 3,
    "belarus": 1,
    "interview": 2,
    "explainer": 2,
    "human-story": 2,
}
OTHER_TAGS = ("ukraine", "war", "military", "world", "russia", "united-states", "politics")
_VOCABULARY = (
    "Ukraine Russia Kyiv Kharkiv Odesa Dnipro Lviv official said the a of to in on and with "
    "for by strike drone missile air defense energy grid talks ceasefire government minister "
    "reported according regional governor city oblast attack injured killed infrastructure "
    "front line troops forces military president parliament sanctions aid package European "
    "Union United States partners weapons reconstruction economy budget bank prices winter"
)
WORDS = tuple(_VOCABULARY.split())
START = datetime(2020, 1, 1, tzinfo=UTC)


def synthetic_article(index: int) -> ArticleItem:
    """One article as the pipelines would store it, drawn from `index` alone."""
    rng = random.Random(index)
    primary = rng.choices(tuple(PRIMARY_TAGS), tuple(PRIMARY_TAGS.values()))[0]
    tags = list(dict.fromkeys([primary, *rng.sample(OTHER_TAGS, rng.randint(0, 2))]))
    paragraphs = [
        " ".join(rng.choices(WORDS, k=rng.randint(20, 45))).capitalize() + "."
        for _ in range(rng.randint(3, 8))
    ]
    body = "\n\n".join(paragraphs)
    published = START + timedelta(minutes=35 * index)
    slug = f"synthetic-article-{index}"
    return ArticleItem(
        url=f"https://kyivindependent.com/{slug}/",
        title=f"Synthetic article {index}: " + " ".join(rng.choices(WORDS, k=8)),
        authors=["The Kyiv Independent news desk"],
        published=published,
        modified=published,
        tags=[t.replace("-", " ").title() for t in tags],
        tag_slugs=tags,
        primary_tag=tags[0].replace("-", " ").title(),
        summary=paragraphs[0][:200],
        body=body,
        body_html="".join(f"<p>{p}</p>" for p in paragraphs),
        image_url=f"https://assets.kyivindependent.com/content/images/{slug}.jpg",
        image_caption="A synthetic caption. (Photo: AFP)",
        word_count=len(body.split()),
        # About two thirds of the site's articles are in the News Feed.
        listings=[NEWS_FEED_SLUG] if rng.random() < 0.67 else [],
        crawled_at=published + timedelta(minutes=5),
    )


def grow_store(store: StateStore, start: int, stop: int) -> list[int]:
    """Record articles start..stop-1; return their version ids."""
    ids = []
    for index in range(start, stop):
        item = synthetic_article(index)
        result = store.record(
            item,
            canonical=item.url,
            fingerprint=body_fingerprint(item.body),
            now=item.crawled_at or START,
        )
        ids.append(result.version_id)
    return ids


def publishing(workdir: Path, sizes: tuple[int, ...], repeats: int) -> SectionResult:
    """Build a store of each size (one grown, the smaller ones copied), then time publishing.

    The sizes take turns (`_time_publishes`), so that all of them are timed in the same
    stretch of time.
    """
    store = StateStore(workdir / "publish-store.sqlite3")
    stores = {sizes[-1]: store}
    figures: dict[str, Any] = {"feeds": list(FEED_SLUGS), "repeats": repeats, "sizes": {}}
    built = 0
    try:
        for size in sizes:
            started = time.perf_counter()
            # Building is not what is measured: no fsync per article while filling the store
            # (the store itself always runs with synchronous = FULL).
            store._connection().execute("PRAGMA synchronous = OFF")
            ids = grow_store(store, built, size)
            for offset in range(0, len(ids), 10_000):
                store.mark_exported(ids[offset : offset + 10_000])
            store._connection().execute("PRAGMA synchronous = FULL")
            # Write the new store out now: hundreds of MB of dirty pages would otherwise be
            # flushed by the first fsync of a feed file, and timed as publishing.
            store._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            if size != sizes[-1]:
                # The store as it is at this size, kept for the turns (SQLite's own copy).
                copy_path = workdir / f"publish-store-{size}.sqlite3"
                with closing(sqlite3.connect(copy_path)) as copy:
                    store._connection().backup(copy)
                stores[size] = StateStore(copy_path)
            os.sync()
            figures["sizes"][str(size)] = {"build_seconds": time.perf_counter() - started}
            built = size
        for size, timed in _time_publishes(stores, workdir, repeats).items():
            figures["sizes"][str(size)].update(timed)
    finally:
        for one in stores.values():
            one.close()
    figures["store_bytes"] = (workdir / "publish-store.sqlite3").stat().st_size
    return SectionResult("publishing", "Publishing", figures, _rows(sizes, figures["sizes"]))


def _time_publishes(
    stores: dict[int, StateStore], workdir: Path, repeats: int
) -> dict[int, dict[str, Any]]:
    """One warm-up publish of each store, then `repeats` rounds of one timed publish each.

    Each publish goes into a fresh folder (so every file is really written). The sizes take
    turns, each round starting with the next one, as the extraction section's tools do: this
    machine's speed moves by a third from one minute to the next, and timed one size after
    the other (a minute apart, the largest store built in between), the sizes were compared
    across its phases (the same code measured 1.06x and 1.70x in two runs minutes apart).
    """
    sizes = sorted(stores)
    walls: dict[int, list[float]] = {size: [] for size in sizes}
    cpus: dict[int, list[float]] = {size: [] for size in sizes}
    files: dict[int, int] = {}
    for attempt in range(repeats + 1):
        first = attempt % len(sizes)
        for size in sizes[first:] + sizes[:first]:
            config = PublishConfig(
                output_dir=workdir / f"publish-{size}" / str(attempt),
                base_url="https://kyivindependent.com",
                feed_base_url="http://localhost:8080/",
                feed_size=50,
                update_policy="update",
                slugs=FEED_SLUGS,
            )
            wall, cpu = time.perf_counter(), time.process_time()
            report = publish(stores[size], config)
            if attempt:
                walls[size].append(time.perf_counter() - wall)
                cpus[size].append(time.process_time() - cpu)
            files[size] = len(report.feeds)
    return {
        size: {
            "files": files[size],
            "wall_seconds": walls[size],
            "cpu_seconds": cpus[size],
            "best_wall_seconds": min(walls[size]),
            "best_cpu_seconds": min(cpus[size]),
        }
        for size in sizes
    }


def _rows(sizes: tuple[int, ...], measured: dict[str, Any]) -> list[Row]:
    """One row per store size, each compared with the smallest (wall time, and CPU time)."""
    smallest = measured[str(sizes[0])]
    rows = []
    for size in sizes:
        figures = measured[str(size)]
        wall, cpu = figures["best_wall_seconds"], figures["best_cpu_seconds"]
        first, last = size == sizes[0], size == sizes[-1]
        growth = ratio(wall, smallest["best_wall_seconds"])
        cpu_growth = ratio(cpu, smallest["best_cpu_seconds"])
        judge = last and not first
        rows.append(
            Row(
                SECTION,
                f"ms to write all feeds ({figures['files']} files), {size:,} articles stored",
                f"{fmt_num(wall * 1000)} (CPU {fmt_num(cpu * 1000)})",
                ""
                if first
                else f"{sizes[0]:,} stored: {fmt_num(smallest['best_wall_seconds'] * 1000)}"
                f" (CPU {fmt_num(smallest['best_cpu_seconds'] * 1000)})",
                "" if first else f"{fmt_ratio(growth)} (CPU {fmt_ratio(cpu_growth)})",
                f"<= {MAX_GROWTH:g}x" if judge else "",
                judged(growth is not None and growth <= MAX_GROWTH) if judge else "",
            )
        )
    return rows
