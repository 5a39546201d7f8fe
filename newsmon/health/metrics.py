"""What a run measured: named ratios, the fields they are about, and how far a share may move.

A run is described by `Metrics`: named ratios (count, out of) such as "coverage/body" (items
with a body, out of the article pages read) or "source/body/c-content" (bodies found in the
site's own container). The fields measured are the ones the article page object declares.
"""

from __future__ import annotations

import math

from newsmon.extract.article import ArticlePage

# (count, out of): a share that keeps its sample size, so shares of runs can be summed.
Ratio = tuple[int, int]
Metrics = dict[str, Ratio]

# Fields whose coverage (share of items with the field filled) is measured and checked.
COVERAGE_FIELDS = ArticlePage.names(coverage=True)
# Fields whose source (which link of the fallback chain gave the value) is tracked; "cards" is
# the listing pages' article cards.
SOURCE_FIELDS = (*ArticlePage.names(tracked=True), "cards")
# Fields compared between the page's markup and its own JSON-LD/meta.
CROSS_CHECKED_FIELDS = ArticlePage.cross_checked()
# Sources that are the site's own markup or data for a field: with no baseline yet, most
# values must come from these.
PRIMARY_SOURCES: dict[str, frozenset[str]] = {
    "title": frozenset({"jsonld", "h1"}),
    "authors": frozenset({"jsonld", "byline"}),
    "published": frozenset({"jsonld", "meta", "next-data", "time", "date-line"}),
    "body": frozenset({"c-content", "reading-progress-end", "itemprop", "next-data"}),
    "cards": frozenset({"markup"}),
}
# Sources an item may come from before a baseline exists: the primary ones and the fallbacks
# the site is known to need. The others are last resorts (a guessed body container, a title
# from <title>, a date only from the listing card would be fine, but no date is not).
DEFAULT_USUAL_SOURCES: dict[str, frozenset[str]] = {
    "title": PRIMARY_SOURCES["title"] | {"og-title"},
    "authors": PRIMARY_SOURCES["authors"] | {"authors-line", "meta", "twitter"},
    "published": PRIMARY_SOURCES["published"] | {"card"},
    "body": PRIMARY_SOURCES["body"] | {"class-hint"},
}


def share_of(metrics: Metrics, key: str) -> tuple[float, int] | None:
    """(share, sample size) of `key`, or None when nothing was measured."""
    count, total = metrics.get(key, (0, 0))
    return (count / total, total) if total > 0 else None


def lower_bound(baseline: float, sample: int, drop: float) -> float:
    """The lowest share still consistent with `baseline`: a set drop, or 3 sigma if wider.

    Small runs vary by chance: a share of 0.4 over 20 items moves by 0.11 (one sigma) without
    anything being wrong, so the bound widens with the sampling error of this run.
    """
    sigma = math.sqrt(max(baseline * (1 - baseline), 0.0) / max(sample, 1))
    return baseline - max(drop, 3 * sigma)


def upper_bound(baseline: float, sample: int, rise: float) -> float:
    """The highest share still consistent with `baseline` (see `lower_bound`)."""
    sigma = math.sqrt(max(baseline * (1 - baseline), 0.0) / max(sample, 1))
    return baseline + max(rise, 3 * sigma)


def pct(value: float) -> str:
    """A share as a whole percentage."""
    return f"{100 * value:.0f}%"
