"""WalkKeeper: what the listing walks remember between runs, and what this run's walks did.

The spider decides what to fetch; to decide, it asks this extension what earlier runs left
(which articles are known, which are worth a revisit, the validators of a listing's first
page), and it tells it what happened (a page fetched, a card seen, a listing failed). The
keeper writes to the store: listings a known article was seen in, and the validators of
every walk that completed (see `newsmon.crawl.walks` for why only those). An article page's
validators travel on its item, and the store keeps them with the article it stores
(`ArticleTables.record`): a page held back or refused leaves none, so it is read again.

It also keeps what the run's walks found, for the health checks' cross-check with the site's
RSS: the cards each listing's walk read (with their dates) and the entries of the site's RSS
tagged with each listing.

Nothing is left behind by a failed run: an article a walk asked for that a transient failure
kept out of the store (a bot challenge, a network or server error, a state file that could
not be written) is remembered in the store's pending articles, and the next run fetches it
again before it walks, even if its listing then answers 304 (`pending_refetches`). A state
file that cannot be written stops the run early: one ERROR line, close reason
`store_failed`, exit 1; what was not stored is fetched by the next run.

Worker mode puts `newsmon.distributed.walks.WorkerWalkKeeper` in its place, which keeps
nothing between runs.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

from newsmon.config import base_url_from_settings
from newsmon.crawl.fates import InvalidItem, PageFates
from newsmon.crawl.http import response_validators
from newsmon.crawl.meta import article_key
from newsmon.crawl.sightings import Sightings
from newsmon.crawl.walks import ListingWalk, Validators, WalkLedger, revisit_since
from newsmon.extract.normalize.urls import canonical_url
from newsmon.items import ArticleItem
from newsmon.run.outcome import REQUESTED_STAT, STORE, fail_run
from newsmon.run.wording import counted
from newsmon.store import PendingArticle, StateStore, StateStoreError, error_kind, get_store

logger = logging.getLogger(__name__)

# Errors that mean the state store could not be written: the run has failed.
STORE_ERRORS = (sqlite3.Error, StateStoreError)
# The close reason of a run stopped because the state store could not be written.
STORE_FAILED_REASON = "store_failed"


class WalkKeeper(PageFates):
    """Extension: the walks' memory of earlier runs and the books of this one."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.site = base_url_from_settings(crawler.settings)
        self.ledger = WalkLedger()
        # Which listings showed which articles in this run, and the dates on the walks' cards.
        self.sightings = Sightings()
        # Listings whose first page answered 404: no such tag (or author) on the site.
        self.missing: set[str] = set()
        # Per listing, the site RSS's entries tagged with it; None until the RSS was read.
        self.rss_listed: dict[str, list[tuple[str, datetime | None]]] | None = None
        # Articles an earlier run left behind that this run fetches again, and those of them
        # it stored or found to be no article (forgotten at the end, in one write).
        self.pending: set[str] = set()
        self.settled: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WalkKeeper:
        """Follow every item to its end (stored, dropped, failed) and the spider's close."""
        keeper = cls(crawler)
        crawler.signals.connect(keeper.item_stored, signal=signals.item_scraped)
        crawler.signals.connect(keeper.item_stored, signal=signals.item_dropped)
        crawler.signals.connect(keeper.item_failed, signal=signals.item_error)
        crawler.signals.connect(keeper.spider_closed, signal=signals.spider_closed)
        return keeper

    @property
    def store(self) -> StateStore:
        """The crawl's shared state store."""
        return get_store(self.crawler)

    # --- what earlier runs left -----------------------------------------------------------

    def start_walk(self, slug: str, url: str, *, force_full: bool) -> ListingWalk:
        """Begin a listing's walk; full if forced or if the last walk did not complete."""
        return self.ledger.start(slug, url, self.take_validators(url), force_full=force_full)

    def known(self, keys: list[str]) -> set[str]:
        """Those of these article keys the store holds, or that failed and must wait."""
        known = self.store.known_urls(keys)
        return known | self.waiting([key for key in keys if key not in known])

    def known_ghost_ids(self, ghost_ids: list[str]) -> set[str]:
        """Those of these Ghost post ids that a stored article carries."""
        return self.store.known_ghost_ids(ghost_ids)

    def take_validators(self, url: str) -> Validators | None:
        """The validators a complete walk saved for a URL, taken out until the walk completes.

        None if the store cannot give them up (a full disk): the walk is then a full one.
        """
        try:
            return self.store.take_listing_validators(url)
        except STORE_ERRORS as error:
            self.store_failed(error)
            return None

    def pending_refetches(self, slugs: list[str]) -> list[PendingArticle]:
        """Articles earlier runs of these listings left behind, to fetch again (oldest first).

        Each is registered as asked for by the listings that showed it, so a card met later in
        this run does not fetch it twice and its walk completes only once it is stored.
        """
        try:
            pending = self.store.pending_articles(slugs, datetime.now(UTC))
            asked = {article.url for article in pending}
            due = [page for page in self.due_pages(slugs) if page.url not in asked]
        except STORE_ERRORS as error:
            self.store_failed(error)
            return []
        walked = set(slugs)
        for article in pending + due:
            self.pending.add(article.url)
            for slug in article.listings:
                if slug in walked:
                    self.card_of_new_article(article.url, slug)
        if pending:
            self._count("articles/refetched", len(pending))
            logger.info(
                "fetching again %s an earlier run could not store (e.g. %s: %s)",
                counted(len(pending), "article"),
                pending[0].url,
                pending[0].reason,
            )
        return pending + due

    def revisit_urls(self, slugs: list[str], hours: float) -> list[str]:
        """Known articles of these listings inside the revisit window, newest first."""
        since = revisit_since(self.store.newest_published(), datetime.now(UTC), hours)
        if since is None:
            return []
        urls = self.store.published_since(since, slugs)
        logger.debug("revisiting %d known articles published since %s", len(urls), since)
        self.sightings.revisiting(urls)
        return urls

    # --- this run -------------------------------------------------------------------------

    def walk(self, slug: str) -> ListingWalk:
        """The walk of a listing this run started."""
        return self.ledger.walks[slug]

    def page_fetched(self, slug: str, response: Response) -> None:
        """A listing page of the walk came with a body (and maybe validators)."""
        self.page_read(slug, response.url, response_validators(response))

    def page_read(self, slug: str, url: str, validators: Validators) -> None:
        """A page of the walk was read; its validators vouch for it once the walk completes.

        (None, None) for a page that must be fetched in full next time: one whose cards came
        from elsewhere (the app's data endpoint), so its own validators prove nothing. They
        wait in the store, not in memory: a first run reads tens of thousands of pages.
        """
        self.ledger.page_fetched(slug, url)
        self.store_write(lambda: self.store.note_walk_page(slug, url, *validators))

    def cards_seen(self, slug: str, cards: list[tuple[str, datetime | None]]) -> None:
        """The walk of `slug` read these (article key, card date) off a listing page."""
        dates = self.sightings.dates(slug)
        for key, published in cards:
            dates.add(key, published)

    def expect_site_rss(self, expected: bool) -> None:
        """Tell whether this run reads the site's RSS (else its walks' cards need no books)."""
        self.sightings.track_walked(expected)

    def rss_entries(self, listed: dict[str, list[tuple[str, datetime | None]]]) -> None:
        """The site's RSS lists these (article key, publication time) under each listing."""
        if self.rss_listed is None:
            self.rss_listed = {}
        for slug, entries in listed.items():
            self.rss_listed.setdefault(slug, []).extend(entries)
        self.sightings.keep_walked_only(
            [(slug, key) for slug, entries in listed.items() for key, _ in entries]
        )

    def listing_failed(self, slug: str, reason: str) -> None:
        """A listing page of the walk could not be fetched or read."""
        self.ledger.listing_failed(slug, reason)

    def listing_missing(self, slug: str) -> None:
        """The listing's first page answered 404: no such listing on the site.

        It gets no feed (`newsmon.publish.extension`). Its walk is not reported incomplete:
        there is nothing to walk again, and the spider's error line has said it.
        """
        self.missing.add(slug)

    def card_of_new_article(self, key: str, slug: str, *, on_card: bool = False) -> bool:
        """A card of `slug` leads to the unknown article `key`; tell whether to request it.

        An article is requested once per run, however many listings show it. `on_card`: the
        card is on a page of the listing's walk (not an entry of the RSS, not a refetch).
        """
        sightings = self.sightings
        first_sighting = not sightings.seen(key)
        sightings.see(slug, key, on_card=on_card)
        if first_sighting or sightings.in_flight(key):
            sightings.requested(key, slug)
            self.ledger.article_requested(key, slug)
        else:
            # Its request has ended in this run (an article stored under another URL, say, is
            # still unknown by this one): the walk has nothing to wait for, unless it failed.
            # Waiting for it left the walk "in flight" at the end, and the next run walked it
            # in full.
            self.ledger.article_seen_after_its_end(key, slug)
        if first_sighting:
            self._count(REQUESTED_STAT.removeprefix("newsmon/"))
        return first_sighting

    def card_of_known_article(self, key: str, slug: str) -> None:
        """A known article in the RSS: not fetched again; its membership of the listing recorded."""
        self.cards_of_known_articles([key], slug, on_card=False)

    def cards_of_known_articles(
        self, keys: Iterable[str], slug: str, *, on_card: bool = True
    ) -> None:
        """Known articles' cards of one listing page, recorded in one store transaction."""
        fresh = [
            key for key in dict.fromkeys(keys) if self.sightings.see(slug, key, on_card=on_card)
        ]
        if fresh:
            try:
                self.store.add_to_listing(fresh, slug)
            except STORE_ERRORS as error:
                self.store_failed(error)

    def listings_of(self, key: str) -> list[str]:
        """The listings that showed an article in flight or revisited in this run, sorted."""
        return self.sightings.listings_of(key)

    def article_done(self, key: str) -> None:
        """The article's request ended with a handled outcome (dropped, not an article).

        Its listings are forgotten: record its fate (`page_failed`) before.
        """
        self.ledger.article_done(key)
        self.settle(key)

    def settle(self, key: str) -> None:
        """The article's request has its outcome: forget its listings (the store, at the end)."""
        self.sightings.settle(key)
        if key in self.pending:
            self.settled.add(key)

    def article_failed(
        self, key: str, reason: str, *, transient: bool = False, detail: str = ""
    ) -> None:
        """The article could not be fetched: every walk that led to it is incomplete.

        A transient failure (challenge, network or server error) leaves it for the next run,
        with `detail` (how this request failed) as the reason.
        """
        self.ledger.article_failed(key, reason)
        if transient:
            self.leave_behind(key, detail or reason)
        # Its listings are done with; a pending article that failed again stays pending.
        self.sightings.settle(key)

    def leave_behind(self, key: str, reason: str) -> None:
        """Remember an article a transient failure kept out of the store, for the next run."""
        listings = self.listings_of(key)
        if not listings or self._store_failed():
            return  # a revisit (stored already), or a store that cannot take it anyway
        try:
            self.store.add_pending(key, listings, reason, datetime.now(UTC))
        except STORE_ERRORS as error:
            self.store_failed(error)
            return
        self._count("articles/left_behind")

    # --- signals --------------------------------------------------------------------------

    def item_stored(self, item: Any, response: Response | None, **kwargs: Any) -> None:
        """An article went through the pipelines: its walk may complete; note a moved URL."""
        key = article_key(response)
        if key is None or response is None:
            return
        self.ledger.article_done(key)
        refused = kwargs.get("exception")
        if isinstance(refused, InvalidItem):
            # Its own page made it unpublishable: the same page would fail the same way.
            self.page_failed(key, f"invalid item ({refused})")
        elif isinstance(item, ArticleItem):
            self.page_succeeded(key)
        self.settle(key)
        if not isinstance(item, ArticleItem) or response.status != 200:
            return
        # The store kept the page's validators with the article (`ArticleTables.record`).
        url = canonical_url(item.url, self.site)
        if url != key:
            # The page's canonical link or a redirect moved the article: the card's URL is
            # one of its URLs from now on.
            self.remember_url(key, url)

    def remember_url(self, key: str, url: str) -> None:
        """Record the URL an article was requested at as a further URL of the stored one."""
        try:
            self.store.add_url(key, url)
        except STORE_ERRORS as error:
            self.store_failed(error)

    def item_failed(self, item: Any, response: Response | None, failure: Failure) -> None:
        """A pipeline raised: the article is not stored, so the walks that led to it failed."""
        key = article_key(response)
        store_error = failure.check(*STORE_ERRORS) is not None and failure.value is not None
        if key is not None:
            self.article_failed(key, "an article could not be stored", transient=store_error)
        if store_error:
            assert failure.value is not None
            self.store_failed(failure.value)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """At the end of the run, report incomplete walks and save the complete ones."""
        complete = self.ledger.finish(reason == "finished", reason)
        self.report_incomplete()
        if self._store_failed():
            return  # nothing more can be written; the next run walks in full
        try:
            for walk in complete:
                self.store.save_walk_validators(walk.slug)
                entry = walk.entry_to_put_back()
                if entry is not None:
                    self.store.save_listing_validators(walk.entry_url, *entry)
            self.store.forget_pending(sorted(self.pending & self.settled))
            # Every run counts for the pauses of failed pages, even one that asked no page.
            self.run()
            self.settle_fates()
        except STORE_ERRORS as error:
            self.store_failed(error)

    def report_incomplete(self) -> None:
        """One warning per incomplete walk, with its first reasons."""
        for walk in self.ledger.walks.values():
            if not walk.failures:
                continue
            # The failures themselves were logged where they happened, with their URLs.
            self._count("listings/incomplete_walks")
            reasons = sorted(set(walk.failures))
            logger.warning(
                "listing %r: walk incomplete (%s); the next run walks every page up to"
                " NEWSMON_MAX_PAGES",
                walk.slug,
                "; ".join(reasons[:3]) + ("; ..." if len(reasons) > 3 else ""),
            )

    def store_failed(self, error: BaseException) -> None:
        """The store refused a write: the run fails (exit 1) and stops early, said once.

        Every article after this one would be fetched only to fail the same way (and logged
        with it): the run stops, and the next run, with the store writable, completes the set.
        """
        if self._store_failed():
            return
        self._count("store/write_failed")
        stats = self.crawler.stats
        if stats is not None:
            stats.set_value("newsmon/store/error", error_kind(error))
        fail_run(self.crawler, f"the state store could not be written: {error}", problem=STORE)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=STORE_FAILED_REASON))

    def _store_failed(self) -> bool:
        stats = self.crawler.stats
        return bool(stats is not None and stats.get_value("newsmon/store/write_failed"))

    def store_write(self, write: Callable[[], object]) -> bool:
        """Run one store write; a store that cannot be written stops the run (once)."""
        if self._store_failed():
            return False
        try:
            write()
        except STORE_ERRORS as error:
            self.store_failed(error)
            return False
        return True

    def count(self, key: str, value: int = 1) -> None:
        """Count a stat under newsmon/."""
        self._count(key, value)

    def _count(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsmon/{key}", count)
