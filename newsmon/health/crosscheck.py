"""The site's RSS against the listing walks: articles it lists that the walks never saw.

A listing extraction that silently drops cards (a redesign the chain half-understands, a card
shape it skips) leaves no trace in the listing's own figures. The site's RSS is an independent
witness: an entry tagged with a walked listing, published inside the time window the walk's
cards cover, whose article the walk did not find, was missed by the extraction. The window is
the oldest to the newest card the walk read (dates from the cards, else from the store), so
entries older than the walk reached, or newer than the listing shows yet (a cached page), are
never counted. The RSS's new articles are fetched anyway (`newsmon.crawl.spiders.siterss`):
nothing is lost, but the run is told.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from newsmon.crawl.keeper import WalkKeeper
from newsmon.crawl.sightings import CardDates


def missed_articles(
    window: tuple[datetime, datetime] | None,
    listed: Sequence[tuple[str, datetime | None]],
    walked: Callable[[str], bool],
) -> tuple[list[str], int]:
    """(keys the walk missed, number of listed entries inside the walk's time window)."""
    if window is None:
        return [], 0
    oldest, newest = window
    inside = list(
        dict.fromkeys(
            key
            for key, published in listed
            if published is not None and oldest <= published <= newest
        )
    )
    return [key for key in inside if not walked(key)], len(inside)


def walk_window(
    dates: CardDates | None, published_of: Callable[[Iterable[str]], Mapping[str, datetime]]
) -> tuple[datetime, datetime] | None:
    """The oldest and newest date of a walk's cards (undated ones dated from the store)."""
    if dates is None:
        return None
    known = [dates.oldest, dates.newest]
    if dates.undated:
        known += published_of(dict.fromkeys(dates.undated)).values()
    found = [published for published in known if published is not None]
    return (min(found), max(found)) if found else None


def cross_check(
    keeper: WalkKeeper, published_of: Callable[[Iterable[str]], Mapping[str, datetime]]
) -> tuple[list[str], int] | None:
    """The walks' misses over every listing the site's RSS was read for; None: no RSS."""
    if keeper.rss_listed is None:
        return None
    sightings = keeper.sightings
    missed: list[str] = []
    checked = 0
    for slug, listed in sorted(keeper.rss_listed.items()):
        window = walk_window(sightings.card_dates.get(slug), published_of)
        slug_missed, slug_checked = missed_articles(
            window, listed, functools.partial(sightings.walked, slug)
        )
        missed += [key for key in slug_missed if key not in missed]
        checked += slug_checked
    return missed, checked
