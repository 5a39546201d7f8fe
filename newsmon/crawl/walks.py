"""Bookkeeping of a run's listing walks: which ones completed, so their validators can vouch.

A listing page's validators (ETag, Last-Modified) let the next run ask "changed since?" and
stop at a 304, and a page whose cards are all known stops the walk too. Both are only safe if
everything the walk pointed to was stored: otherwise a 304 or an all-known page would hide an
article that a killed or failed run never stored. So a walk's validators are saved only when
the walk completed: every listing page fetched, every article it led to stored (or dropped for
a reason, or found to be no article), the spider finished normally.

Page 1's validators double as the mark of a complete walk: a walk takes them out of the store
when it starts and puts them back when it completes. After a crash the next walk finds none,
and walks every page up to NEWSMON_MAX_PAGES without stopping early (a "full" walk), as the
first walk of a listing does.

Pure bookkeeping: no Scrapy, no store. The spider feeds it events and saves what it returns;
the validators of the pages a walk read wait in the store (`StateStore.note_walk_page`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from newsmon.items import Validators

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


def walk_bound(settings: BaseSettings) -> int:
    """NEWSMON_WALK_MAX_OUTSTANDING: unfinished article requests before a walk waits (0: none)."""
    return max(0, settings.getint("NEWSMON_WALK_MAX_OUTSTANDING"))


@dataclass
class ListingWalk:
    """One listing's walk in this run."""

    slug: str
    """The listing: "news-feed" or a tag slug."""

    entry_url: str
    """URL of page 1, whose saved validators mark the last walk as complete."""

    entry_validators: Validators | None
    """Page 1's validators taken from the store at start; None: the last walk did not
    complete (or there was none), so this walk is a full one."""

    full: bool
    """Walk every page up to NEWSMON_MAX_PAGES: no conditional listing requests, no stop at
    an all-known page."""

    entry_fetched: bool = False
    """Page 1 was answered with a body in this walk (its validators are with the others:
    the keeper keeps every page's in the store until the walk completes)."""

    failures: list[str] = field(default_factory=list)
    """Why the walk is incomplete; empty while it may still complete."""

    def entry_to_put_back(self) -> Validators | None:
        """Page 1's validators taken at the start, to put back if page 1 came without a body."""
        return None if self.entry_fetched else self.entry_validators


class WalkLedger:
    """Tracks every walk and every article request a walk led to, until the run ends."""

    def __init__(self) -> None:
        self.walks: dict[str, ListingWalk] = {}
        # Article key -> the listings whose cards led to it, while its request is in flight.
        self._pending: dict[str, set[str]] = {}
        # Article key -> why its request failed in this run (failures only: a few).
        self._failed: dict[str, str] = {}

    def start(
        self, slug: str, entry_url: str, entry_validators: Validators | None, *, force_full: bool
    ) -> ListingWalk:
        """Begin a listing's walk; it is full when forced or when page 1 had no validators."""
        walk = ListingWalk(
            slug=slug,
            entry_url=entry_url,
            entry_validators=entry_validators,
            full=force_full or entry_validators is None,
        )
        self.walks[slug] = walk
        return walk

    def page_fetched(self, slug: str, url: str) -> None:
        """A listing page of the walk came with a body (its validators are the keeper's)."""
        walk = self.walks[slug]
        if url == walk.entry_url:
            walk.entry_fetched = True

    def listing_failed(self, slug: str, reason: str) -> None:
        """A listing page of the walk could not be fetched or read."""
        if slug in self.walks:
            self.walks[slug].failures.append(reason)

    def article_requested(self, key: str, slug: str) -> None:
        """A card of `slug` led to fetching the article `key` (or to one already in flight)."""
        self._pending.setdefault(key, set()).add(slug)

    def article_done(self, key: str) -> None:
        """The article's request ended with a handled outcome (stored, dropped, not an article)."""
        self._pending.pop(key, None)

    def article_failed(self, key: str, reason: str) -> None:
        """The article could not be fetched or stored: every walk that led to it is incomplete."""
        self._failed[key] = reason
        for slug in self._pending.pop(key, set()):
            self.listing_failed(slug, reason)

    def article_seen_after_its_end(self, key: str, slug: str) -> None:
        """A card of `slug` shows an article whose request ended: incomplete if it failed."""
        reason = self._failed.get(key)
        if reason is not None:
            self.listing_failed(slug, reason)

    def finish(self, finished_normally: bool, reason: str) -> list[ListingWalk]:
        """Close the books at the end of the run; return the walks that completed."""
        for key, slugs in self._pending.items():
            for slug in slugs:
                self.listing_failed(slug, f"article {key} was still in flight at the end")
        self._pending.clear()
        if not finished_normally:
            for walk in self.walks.values():
                walk.failures.append(f"the run ended early ({reason})")
        return [walk for walk in self.walks.values() if not walk.failures]


def revisit_since(
    newest_published: datetime | None, now: datetime, hours: float
) -> datetime | None:
    """Start of the revisit window: `hours` before the newest stored article, or before now.

    The newest article stands in for "now" as the site sees it: after a pause of the
    monitor the articles published just before it are the ones whose updates were missed,
    and a site (or replica) whose clock differs from ours is still measured by its own
    clock. The earlier of the two wins, so a future-dated article cannot empty the window.
    """
    if newest_published is None or hours <= 0:
        return None
    return min(newest_published, now) - timedelta(hours=hours)
