"""Audit what one page gave: which source filled each field, and whether the page agrees.

An `ArticleAudit` holds, for one extracted article: the fields it has, the source of each
tracked field, and where the page's visible markup or the item disagree with the page's own
JSON-LD/meta; all of it read from the provenance the page object put on the item, so no page
is read twice. A `ListingAudit` says how a listing page's cards were found (which source of the
card chain, see `newsmon.extract.listing`), and the cross-check with the site's RSS how many
articles the walks missed (`newsmon.health.crosscheck`).
`RunObservations` sums them into the run's `Metrics`, keeping one example URL per figure so
that a failed check can point at a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from newsmon.extract.listing import CardsFound
from newsmon.extract.normalize.text import word_count
from newsmon.extract.provenance import NO_SOURCE, is_filled
from newsmon.health.metrics import COVERAGE_FIELDS, Metrics
from newsmon.items import ArticleItem, Provenance

# Examples kept per run for the report (the quarantine table keeps every one).
MAX_QUARANTINE_EXAMPLES = 50


@dataclass
class ArticleAudit:
    """What one article page gave and how far it can be trusted."""

    url: str
    """The page's URL (as fetched)."""

    filled: dict[str, bool]
    """Per coverage field: whether the item has it."""

    sources: dict[str, str]
    """Per tracked field: the source of its value ("none" if no source had one)."""

    compared: list[str] = field(default_factory=list)
    """Fields for which both the markup and the JSON-LD/meta give a value."""

    markup_disagrees: list[str] = field(default_factory=list)
    """Of those, the fields where the visible markup says something else (drift)."""

    item_disagrees: list[str] = field(default_factory=list)
    """Fields where the extracted item contradicts the page's own JSON-LD/meta."""

    body_words: int = 0
    """Words in the extracted body."""


def suspect_reasons(provenance: Provenance, usual: Mapping[str, Iterable[str]]) -> list[str]:
    """Why an item should not be published as it is ([] if nothing is suspect).

    A value from a source that no healthy run used (a redesign absorbed by a fallback), or a
    value that contradicts the page's own JSON-LD/meta.
    """
    reasons = [f"disagrees_{name}" for name in provenance.item_disagrees]
    for name, allowed in usual.items():
        source = provenance.sources.get(name, NO_SOURCE)
        if source != NO_SOURCE and source not in set(allowed):
            reasons.append(f"unusual_source_{name}")
    return reasons


def audit_article(item: ArticleItem, url: str) -> ArticleAudit | None:
    """Audit an item from the provenance its page object recorded; None if it has none."""
    provenance: Provenance | None = item.provenance
    if provenance is None:
        return None
    return ArticleAudit(
        url=url,
        filled={name: is_filled(getattr(item, name)) for name in COVERAGE_FIELDS},
        sources=dict(provenance.sources),
        compared=list(provenance.compared),
        markup_disagrees=list(provenance.markup_disagrees),
        item_disagrees=list(provenance.item_disagrees),
        body_words=word_count(item.body),
    )


@dataclass(frozen=True)
class ListingAudit:
    """How one listing page's cards were found."""

    url: str
    source: str
    """The source of the card chain that gave the cards ("markup", "links", "headlines",
    "next-data", "next-data-endpoint", "site-rss"), or "none"."""

    cards: int
    dated_cards: int


def audit_listing(url: str, found: CardsFound) -> ListingAudit:
    """Audit a listing page: how its cards were found and how many carry a date."""
    dated = sum(1 for card in found.cards if card.published is not None)
    return ListingAudit(url, found.source, len(found.cards), dated)


class RunObservations:
    """Running totals of a crawl's audits, turned into Metrics at the end."""

    def __init__(self, min_body_words: int) -> None:
        self.min_body_words = min_body_words
        self.articles = 0
        self.filled: dict[str, int] = dict.fromkeys(COVERAGE_FIELDS, 0)
        self.sources: dict[str, dict[str, int]] = {}
        self.compared: dict[str, int] = {}
        self.disagreements: dict[str, int] = {}
        self.tiny_bodies = 0
        self.listing_pages = 0
        self.empty_listings = 0
        self.cards = 0
        self.dated_cards = 0
        self.examples: dict[str, str] = {}
        self.quarantined: list[dict[str, Any]] = []
        # The cross-check with the site's RSS: (articles it missed, out of those checked).
        self.missed: tuple[int, int] | None = None

    def _example(self, key: str, url: str) -> None:
        self.examples.setdefault(key, url)

    def add_article(self, audit: ArticleAudit) -> None:
        """Count one audited article."""
        self.articles += 1
        for name, filled in audit.filled.items():
            if filled:
                self.filled[name] += 1
            else:
                self._example(f"coverage/{name}", audit.url)
        for name, source in audit.sources.items():
            per_source = self.sources.setdefault(name, {})
            per_source[source] = per_source.get(source, 0) + 1
            self._example(f"source/{name}/{source}", audit.url)
        for name in audit.compared:
            self.compared[name] = self.compared.get(name, 0) + 1
        for name in audit.markup_disagrees:
            self.disagreements[name] = self.disagreements.get(name, 0) + 1
            self._example(f"disagree/{name}", audit.url)
        if audit.body_words < self.min_body_words:
            self.tiny_bodies += 1
            self._example("tiny_body", audit.url)

    def add_listing(self, audit: ListingAudit) -> None:
        """Count one audited listing page."""
        self.listing_pages += 1
        per_source = self.sources.setdefault("cards", {})
        per_source[audit.source] = per_source.get(audit.source, 0) + 1
        self._example(f"source/cards/{audit.source}", audit.url)
        if audit.cards == 0:
            self.empty_listings += 1
            self._example("listing/empty", audit.url)
        if audit.dated_cards < audit.cards:
            self._example("coverage/card_date", audit.url)
        self.cards += audit.cards
        self.dated_cards += audit.dated_cards

    def add_cross_check(self, missed: list[str], checked: int) -> None:
        """Count the site RSS's entries the walks missed, out of those inside their window."""
        self.missed = (len(missed), checked)
        if missed:
            self._example("listing/missed", missed[0])

    def add_quarantined(self, url: str, reasons: list[str]) -> None:
        """Remember a quarantined item for the report (the first few)."""
        if len(self.quarantined) < MAX_QUARANTINE_EXAMPLES:
            self.quarantined.append({"url": url, "reasons": reasons})

    def metrics(self, unreadable_articles: int = 0) -> Metrics:
        """The run's metrics; `unreadable_articles` are article pages that gave no item.

        Those count as articles with no field at all: a page the extractor gave up on is
        the bluntest drift of all.
        """
        metrics: Metrics = {}
        attempted = self.articles + unreadable_articles
        if attempted:
            for name in COVERAGE_FIELDS:
                metrics[f"coverage/{name}"] = (self.filled[name], attempted)
        if self.articles:
            metrics["tiny_body"] = (self.tiny_bodies, self.articles)
        for name, per_source in self.sources.items():
            total = sum(per_source.values())
            metrics[f"sourced/{name}"] = (total, total)
            for source, count in per_source.items():
                metrics[f"source/{name}/{source}"] = (count, total)
        for name, compared in self.compared.items():
            metrics[f"disagree/{name}"] = (self.disagreements.get(name, 0), compared)
        if self.listing_pages:
            metrics["listing/empty"] = (self.empty_listings, self.listing_pages)
        if self.cards:
            metrics["coverage/card_date"] = (self.dated_cards, self.cards)
        if self.missed is not None and self.missed[1]:
            metrics["listing/missed"] = self.missed
        return metrics
