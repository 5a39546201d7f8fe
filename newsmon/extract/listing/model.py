"""A listing's card, as every source of cards gives it, and the names of those sources.

A card of the card markup may be an outline (its URL and date, the rest read on demand): its
`reader` is what reads it whole (`newsmon.extract.listing.cards.OutlineReader`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Protocol

# The sources of a listing's cards, in the order they are tried; each is counted in health
# (`source/cards/<name>`), so a redesign shows as a change of source.
MARKUP = "markup"  # the 2025 card markup: article.js-card.archiveCard
THEME_2023 = "links"  # the 2023 theme's headline links, h3 > a
HEADLINES = "headlines"  # markup-independent: headline links to articles in the main content
NEXT_DATA = "next-data"  # the app's data in the page (__NEXT_DATA__)
NEXT_DATA_ENDPOINT = "next-data-endpoint"  # the app's data endpoint (/_next/data/...json)
SITE_RSS = "site-rss"  # the site's own RSS, for the News Feed only
NO_CARDS = "none"
CARD_SOURCES = (MARKUP, THEME_2023, HEADLINES, NEXT_DATA, NEXT_DATA_ENDPOINT, SITE_RSS)


@dataclass(frozen=True)
class ListingCard:
    """One article card of a listing page, with what the card itself says."""

    url: str
    title: str = ""
    published: datetime | None = None
    primary_tag: str = ""
    author: str = ""
    excerpt: str = ""
    ghost_id: str = ""
    """The Ghost post id, when the card's source names it (the site's RSS, the app's data)."""

    reader: CardReader | None = field(default=None, compare=False, repr=False)
    """Reads the whole card, for an outline (URL and date only); None for a whole card."""

    def whole(self) -> ListingCard:
        """The card with every field read (an outline reads the rest of its markup now)."""
        return self if self.reader is None else self.reader.read()

    def detached(self) -> ListingCard:
        """The card without its listing page: an outline keeps a copy of its own markup only.

        What a request carries to its article: the page object reads the rest of the card only
        if the article page lacks a field (most never do), and the listing's tree is not kept
        alive by requests waiting in the scheduler.
        """
        return self if self.reader is None else replace(self, reader=self.reader.detached())

    def __reduce__(self) -> tuple[type[ListingCard], tuple[object, ...]]:
        """Pickle the whole card (a request in a disk or Redis queue): markup cannot be."""
        whole = self.whole()
        return (ListingCard, tuple(getattr(whole, name) for name in _CARD_FIELDS))


# What a pickled card holds: every field but its reader.
_CARD_FIELDS = tuple(f.name for f in fields(ListingCard) if f.name != "reader")


@dataclass(frozen=True)
class CardsFound:
    """The cards of one listing page and the source that gave them."""

    source: str
    """One of CARD_SOURCES, or "none"."""

    cards: list[ListingCard] = field(default_factory=list)
    """In page order, one per article."""


def unique(cards: list[ListingCard]) -> list[ListingCard]:
    """The cards without repeats of a URL (the first card of an article wins)."""
    kept: dict[str, ListingCard] = {}
    for card in cards:
        kept.setdefault(card.url, card)
    return list(kept.values())


class CardReader(Protocol):
    """Reads an outline card whole; `detached` gives one that holds no listing page."""

    def read(self) -> ListingCard:
        """The whole card."""

    def detached(self) -> CardReader:
        """The same reader, over a copy of the card's own markup only."""
