"""Section 3, incremental runs: what a run with nothing new, and one after K new articles, cost.

Both continue from the state of section 1's full newsmon crawl, on the same replica. Their
requests come from the replica's log and are held to the scheduling budgets: a run with
nothing new makes at most one request per monitored listing, plus robots.txt, plus one
conditional request per known article inside the revisit window; K new articles add at most
K article requests and the listing pages they pushed onto.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.crawls import PAGE_SIZE, CrawlPlan, CrawlRun, newsmon_crawl
from benchmarks.replica import Replica
from benchmarks.report import Row, SectionResult, fmt_num, fmt_ratio, judged, ratio
from newsmon import settings as newsmon_settings

SECTION = "3 incremental"
REVISIT_HOURS = float(newsmon_settings.NEWSMON_REVISIT_HOURS)


@dataclass(frozen=True)
class Budget:
    """The most requests an incremental run may make, and what the number is made of."""

    listings: int
    robots: int
    revisits: int
    new_articles: int = 0
    pushed_pages: int = 0
    site_rss: int = 0
    """1 when the crawl walks the News Feed: it reads the site's RSS too (issue 17)."""

    @property
    def total(self) -> int:
        """Every allowed request."""
        return (
            self.listings
            + self.robots
            + self.site_rss
            + self.revisits
            + self.new_articles
            + self.pushed_pages
        )

    def explain(self) -> str:
        """`27 listings + robots.txt + the site RSS + 41 revisits (+ 10 new + 3 pushed pages)`."""
        rss = " + the site RSS" if self.site_rss else ""
        text = f"{self.listings} listings + robots.txt{rss} + {self.revisits} revisits"
        if self.new_articles:
            text += f" + {self.new_articles} new + {self.pushed_pages} pushed pages"
        return text


def revisit_count(published: tuple[datetime, ...]) -> int:
    """Known articles inside the revisit window, as the spider counts them.

    The window is counted back from the newest stored article (or from now, if earlier).
    """
    newest = max(published)
    since = min(newest, datetime.now(UTC)) - timedelta(hours=REVISIT_HOURS)
    return sum(1 for when in published if when >= since)


def pushed_pages(plan: CrawlPlan, new: list[dict[str, Any]]) -> int:
    """Listing pages beyond page 1 that K new articles make a walk read.

    A listing with n new cards is read until the first page of known cards: ceil(n / 20)
    pages more than the one page a run with nothing new reads.
    """
    per_listing = Counter(slug for article in new for slug in article["tag_slugs"])
    return sum(
        math.ceil(count / PAGE_SIZE) for slug, count in per_listing.items() if slug in plan.tags
    )


def incremental(
    replica: Replica, plan: CrawlPlan, full: CrawlRun, workdir: Path, new_count: int
) -> SectionResult:
    """Run newsmon twice more on the full crawl's state: nothing new, then `new_count` new."""
    base = Budget(
        listings=len(plan.tags),
        robots=1,
        revisits=revisit_count(plan.published),
        site_rss=int("news-feed" in plan.tags),
    )
    quiet = newsmon_crawl(replica, plan, workdir, "newsmon-nothing-new")
    new = replica.publish(new_count)
    after = newsmon_crawl(replica, plan, workdir, f"newsmon-after-{new_count}-new")
    grown = Budget(
        base.listings,
        base.robots,
        base.revisits,
        len(new),
        pushed_pages(plan, new),
        base.site_rss,
    )
    figures: dict[str, Any] = {"revisit_hours": REVISIT_HOURS, "new_articles": new_count}
    rows: list[Row] = []
    for key, label, run, budget in (
        ("full", "full first run", full, None),
        ("nothing_new", "run with nothing new", quiet, base),
        ("after_new", f"run after {new_count} new articles", after, grown),
    ):
        statuses = Counter(str(entry["status"]) for entry in run.requests)
        figures[key] = {
            "requests": run.pages,
            "statuses": dict(statuses),
            "conditional_requests": sum(1 for e in run.requests if e.get("if_none_match")),
            "wall_seconds": run.measured.wall_seconds,
            "cpu_seconds": run.measured.cpu_seconds,
            "articles_stored_new": run.stat("newsmon/items/new"),
            "budget": None if budget is None else {**budget.__dict__, "total": budget.total},
        }
        if budget is None:
            continue
        rows.append(
            Row(
                SECTION,
                f"requests, {label}",
                f"{run.pages:,}",
                f"full run {full.pages:,}",
                fmt_ratio(ratio(run.pages, full.pages), 3),
                f"<= {budget.total} ({budget.explain()})",
                judged(run.pages <= budget.total),
            )
        )
        rows.append(
            Row(
                SECTION,
                f"wall s, {label} ({run.stat('newsmon/items/new')} new)",
                fmt_num(run.measured.wall_seconds, 2),
                f"full run {fmt_num(full.measured.wall_seconds, 2)}",
                fmt_ratio(ratio(run.measured.wall_seconds, full.measured.wall_seconds), 3),
            )
        )
    return SectionResult("incremental", "Incremental runs", figures, rows)
