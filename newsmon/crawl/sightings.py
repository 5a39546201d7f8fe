"""Which listings showed which articles in this run: the WalkKeeper's books that grow with it.

A first run of a big listing reads hundreds of thousands of cards, and each article shows in
several listings. Kept as strings, these books cost about a kilobyte per article; here they
cost a few dozen bytes, and what must be exact stays exact:

- every article seen (on a card, in the site's RSS, left behind by an earlier run), as a 64-bit
  hash (`HashSet64`);
- the (listing, article) pairs read off walked listing pages, as hashes, for health's
  cross-check with the site's RSS: all of them until the RSS's entries are known, then only
  those the RSS lists; none in a run that reads no RSS (`track_walked`, `keep_walked_only`);
- the listings of each article whose request is in flight, exactly, until its outcome is known
  (`settle`): they go into its item, its pending record or its failed-page record; and the
  listings of each known article this run revisits (a day's worth), for the same reasons;
- pairs seen outside the walks (the site's RSS, refetches of earlier runs), exactly: there are
  a few dozen;
- per listing, the oldest and newest card date its walk read (the time window of health's
  cross-check with the site's RSS), and the first undated cards (dated from the store later).

A hash collision (two of the run's few hundred thousand keys sharing 64 bits, about 10^-9)
costs no article: a new article taken for one already asked for is still tracked by its walk,
which then never completes, so the next run walks that listing in full and fetches it. At
worst a listing membership of a known article waits for the next run, or health's cross-check
takes an article for walked. A pair not kept is taken for new: a known article's membership of
a listing is then written again, which changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from newsmon.crawl.compact import HashSet64

# Undated cards kept per listing for the cross-check's window (dated from the store at the end).
# The walk reads the newest cards first, and the site's RSS lists only the newest articles.
MAX_UNDATED = 1000


@dataclass
class CardDates:
    """The dates on one listing's cards in this run: the time window its walk covered."""

    oldest: datetime | None = None
    newest: datetime | None = None
    undated: list[str] = field(default_factory=list)
    """The first MAX_UNDATED cards without a date (their keys)."""

    def add(self, key: str, published: datetime | None) -> None:
        """Widen the window by one card's date (or note the card as undated)."""
        if published is None:
            if len(self.undated) < MAX_UNDATED:
                self.undated.append(key)
            return
        if self.oldest is None or published < self.oldest:
            self.oldest = published
        if self.newest is None or published > self.newest:
            self.newest = published


class Sightings:
    """Which listings showed which articles in this run (see the module's docstring)."""

    def __init__(self) -> None:
        self._articles = HashSet64()
        # The walked pairs kept (None: none), and the pairs wanted (None: every pair).
        self._on_cards: HashSet64 | None = HashSet64()
        self._wanted: HashSet64 | None = None
        self._elsewhere: dict[str, tuple[str, ...]] = {}
        self._in_flight: dict[str, tuple[str, ...]] = {}
        self._revisited: dict[str, tuple[str, ...]] = {}
        self.card_dates: dict[str, CardDates] = {}

    def seen(self, key: str) -> bool:
        """Tell whether any listing showed the article in this run."""
        return hash(key) in self._articles

    def see(self, slug: str, key: str, *, on_card: bool) -> bool:
        """Record that `slug` showed `key` (on a walked card, or in the RSS or a refetch).

        Tell whether this listing had not shown the article before in this run.
        """
        self._articles.add(hash(key))
        revisited = self._revisited.get(key)
        if revisited is not None and slug not in revisited:
            self._revisited[key] = (*revisited, slug)
        elsewhere = self._elsewhere.get(key, ())
        if on_card:
            pair, kept, wanted = hash((slug, key)), self._on_cards, self._wanted
            new = kept is None or (wanted is not None and pair not in wanted) or kept.add(pair)
            return new and slug not in elsewhere
        if slug in elsewhere or self.walked(slug, key):
            return False
        self._elsewhere[key] = (*elsewhere, slug)
        return True

    def walked(self, slug: str, key: str) -> bool:
        """Tell whether a card of the listing's walk led to the article in this run."""
        return self._on_cards is not None and hash((slug, key)) in self._on_cards

    def track_walked(self, tracked: bool) -> None:
        """Keep the walked pairs (a run that reads the site's RSS) or none (any other run)."""
        if not tracked:
            self._on_cards, self._wanted = None, None

    def keep_walked_only(self, pairs: Sequence[tuple[str, str]]) -> None:
        """The site's RSS listed these (listing, article) pairs: keep only those from now on.

        The run reads the RSS once; its entries usually come before most cards.
        """
        wanted = self._wanted if self._wanted is not None else HashSet64()
        for slug, key in pairs:
            wanted.add(hash((slug, key)))
        if self._on_cards is not None and self._wanted is None:
            kept = HashSet64()
            for slug, key in pairs:
                if self.walked(slug, key):
                    kept.add(hash((slug, key)))
            self._on_cards = kept
        self._wanted = wanted

    def dates(self, slug: str) -> CardDates:
        """The dates on the listing's cards read so far (an empty window if none)."""
        dates = self.card_dates.get(slug)
        if dates is None:
            dates = self.card_dates[slug] = CardDates()
        return dates

    def requested(self, key: str, slug: str) -> None:
        """The article's request, led to by `slug`, is in flight: keep its listings."""
        listings = self._in_flight.get(key, ())
        if slug not in listings:
            self._in_flight[key] = (*listings, slug)

    def in_flight(self, key: str) -> bool:
        """Tell whether the article's request is in flight (its outcome not known yet)."""
        return key in self._in_flight

    def revisiting(self, keys: Iterable[str]) -> None:
        """These known articles are revisited in this run: keep the listings that show them."""
        for key in keys:
            self._revisited.setdefault(key, ())

    def listings_of(self, key: str) -> list[str]:
        """The listings that showed an article in flight or revisited, sorted (else none)."""
        listings = self._in_flight.get(key)
        return sorted(self._revisited.get(key, ()) if listings is None else listings)

    def settle(self, key: str) -> None:
        """The article's request has its outcome: its listings are no longer needed."""
        self._in_flight.pop(key, None)
