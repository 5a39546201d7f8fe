"""What became of an article page, remembered for later runs: failed, removed, back.

Part of the WalkKeeper (`newsmon.crawl.keeper`), kept apart because it is its own concern:

- a page whose own content keeps it out of the store (no article, unreadable, refused by
  validation) is asked again only after a pause that grows with each failure
  (`newsmon.store.failures`): meanwhile it counts as known, so it neither costs a download
  per run nor keeps a walk from ending early; storing it, or reading it fine, forgets it;
- a stored article whose revisit answers 404 or 410 twice in a row is removed
  (`newsmon.store.removals`): one archive line, out of the feeds; answering again brings it
  back as an update.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scrapy.exceptions import DropItem

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.crawler import Crawler

    from newsmon.store import StateStore

from newsmon.run.wording import counted
from newsmon.store import PendingArticle, StateStoreError

logger = logging.getLogger(__name__)


class InvalidItem(DropItem):
    """An item its own page made unpublishable (no title, no date, no body, ...).

    Raised by the ValidatePipeline; the walk's keeper asks such a page again only after a
    pause, since the same page fails the same way until the site changes it.
    """


# At least this many revisits answering 404/410, and more of them than answered, is a fault of
# the site (a broken deploy, a wrong route), not that many articles taken down at once.
SITE_FAULT_MIN = 3


@dataclass
class RunFates:
    """What became of pages in this run, written at its end (`PageFates.settle_fates`)."""

    succeeded: set[str] = field(default_factory=set)
    """Stored or read fine, of the pages in `failing` (no other page has a record to forget)."""
    failing: set[str] | None = None
    """Pages with a failed-page record: read from the store at the first success, plus the
    pages that failed in this run."""
    answered: set[str] = field(default_factory=set)
    missing: list[str] = field(default_factory=list)


class PageFates:
    """The WalkKeeper's memory of failed and removed pages (a mixin of WalkKeeper)."""

    crawler: Crawler
    # This run's number among the runs of the state (set when the first page is asked about).
    run_number: int | None = None
    this_run: RunFates | None = None

    if TYPE_CHECKING:
        # The WalkKeeper's own: its store, its guarded writes, its stats.
        @property
        def store(self) -> StateStore:
            """The crawl's shared state store."""

        def store_write(self, write: Callable[[], object]) -> bool:
            """Run one store write; tell whether it went through."""

        def count(self, key: str, value: int = 1) -> None:
            """Count a stat under newsmon/."""

        def listings_of(self, key: str) -> list[str]:
            """The listings that showed this article in this run."""

    def run(self) -> int:
        """The number of this run among the runs of the state (counted once, at first use).

        A run that asked no page is counted at its end: every run counts for the pauses.
        """
        if self.run_number is None:
            self.run_number = self.store.start_run()
        return self.run_number

    def waiting(self, keys: list[str]) -> set[str]:
        """Those of these pages that failed and are not due to be asked again yet."""
        waiting = self.store.waiting_pages(keys, run=self.run(), now=datetime.now(UTC))
        if waiting:
            self.count("articles/failed_waiting", len(waiting))
        return waiting

    def page_failed(self, key: str, reason: str) -> None:
        """A page's own content kept it out of the store: ask again after a growing pause."""
        now = datetime.now(UTC)
        listings = self.listings_of(key)
        self.store_write(
            lambda: self.store.record_failed_page(
                key, reason, listings=listings, run=self.run(), now=now
            )
        )
        failing = self.fates().failing
        if failing is not None:
            failing.add(key)

    def due_pages(self, slugs: list[str]) -> list[PendingArticle]:
        """Failed pages of these listings whose pause is over: asked again before the walk."""
        due = self.store.due_pages(slugs, run=self.run(), now=datetime.now(UTC))
        if due:
            self.count("articles/failed_retried", len(due))
            logger.info(
                "asking again for %s that failed before (e.g. %s: %s, %s)",
                counted(len(due), "page"),
                due[0].url,
                due[0].reason,
                counted(due[0].failures, "time"),
            )
        return [PendingArticle(p.url, p.listings, p.reason, p.failures) for p in due]

    def page_succeeded(self, key: str) -> None:
        """A page was stored (or found unchanged): it is no longer failing (written at close).

        Only pages with a failed-page record are kept: a first run stores hundreds of
        thousands of pages, of which a handful ever failed.
        """
        fates = self.fates()
        if fates.failing is None:
            # Not known (a store that cannot be read): every page is kept, as before.
            with contextlib.suppress(sqlite3.Error, StateStoreError):
                fates.failing = self.store.failed_urls()
        if fates.failing is None or key in fates.failing:
            fates.succeeded.add(key)

    def article_missing(self, key: str) -> None:
        """A revisit answered 404/410: the second run in a row removes the article."""
        self.fates().missing.append(key)

    def article_answered(self, key: str) -> None:
        """A revisit answered (200 or 304): whatever 404 came before was no removal."""
        self.fates().answered.add(key)

    def fates(self) -> RunFates:
        """The fates of pages in this run, kept until its end."""
        if self.this_run is None:
            self.this_run = RunFates()
        return self.this_run

    def settle_fates(self) -> None:
        """At the end of the run, write what became of the pages: a few statements in all.

        Raises the store's errors (the caller stops the run's writes on them). When most of
        the revisits answered 404/410 (at least SITE_FAULT_MIN), that is the site failing, not
        articles removed: no miss is counted, and the run says so.
        """
        fates = self.fates()
        self.store.forget_failed(sorted(fates.succeeded))
        self.store.note_present(sorted(fates.answered))
        missing = list(dict.fromkeys(fates.missing))
        if len(missing) >= SITE_FAULT_MIN and len(missing) > len(fates.answered):
            self.count("articles/removals_held", len(missing))
            logger.warning(
                "%d of %d revisited articles answered 404/410 (e.g. %s): taken for a fault of "
                "the site, not removals; none is removed",
                len(missing),
                len(missing) + len(fates.answered),
                missing[0],
            )
            return
        now = datetime.now(UTC)
        for key in missing:
            if self.store.note_missing(key, now):
                self.count("articles/removed")
                logger.info("article removed from the site (404/410 twice in a row): %s", key)
