"""ListingSpider: walk listing pages, follow new article cards, revisit recent articles.

Incremental by default (see `newsmon.crawl.walks` for why it is safe):
- listing pages are asked for conditionally; a 304 ends the walk of that listing;
- cards of articles the store knows are not fetched; the walk stops after the first page
  whose cards are all known, and never goes past NEWSMON_MAX_PAGES;
- known articles published within NEWSMON_REVISIT_HOURS are revisited with a conditional
  request, so updates are caught; a 304 means unchanged and yields nothing.
A listing's first walk, and the walk after one that did not complete, visit every page up to
NEWSMON_MAX_PAGES.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newsmon.config import NewsmonConfigError, base_url_from_settings
from newsmon.crawl.middlewares.conditional import CONDITIONAL, VALIDATORS, response_validators
from newsmon.crawl.walks import WalkLedger, revisit_since
from newsmon.extract.article import ArticlePage, NotAnArticle
from newsmon.extract.listing import ListingCard, ListingPage
from newsmon.extract.normalize.urls import canonical_url, is_on_site
from newsmon.items import ArticleItem
from newsmon.run.outcome import fail_run
from newsmon.store import StateStore, StateStoreError, get_store

logger = logging.getLogger(__name__)

# Without rel=next, a page with at least this many cards is taken as full: try the next one.
GUESS_NEXT_MIN_CARDS = 10
# Request meta: the canonical key of the article a request fetches (for the item signals).
ARTICLE_KEY = "newsmon_article"
# Errors that mean the state store could not be written: the run has failed.
STORE_ERRORS = (sqlite3.Error, StateStoreError)


def listing_url(base_url: str, slug: str, page: int = 1) -> str:
    """URL of page N of the listing of a tag: /tag/<slug>/ or /tag/<slug>/page/N/."""
    root = f"{base_url}/tag/{slug}/"
    return root if page <= 1 else f"{root}page/{page}/"


class ListingSpider(scrapy.Spider):
    """Base of the newsfeed and tags spiders: the listings to walk are the only difference."""

    base_url: str
    max_pages: int
    allowed_domains: list[str]
    slugs: list[str]
    # Which listings each article was seen in during this run (bounded by one run's cards).
    seen_in: dict[str, set[str]]
    revisit_hours: float
    force_full_walk: bool
    ledger: WalkLedger

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ListingSpider:
        """Read newsmon's settings; a bad base URL stops the crawl with a clear message."""
        spider: ListingSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.base_url = base_url_from_settings(settings)
        spider.max_pages = settings.getint("NEWSMON_MAX_PAGES", 3)
        if spider.max_pages < 1:
            raise NewsmonConfigError("NEWSMON_MAX_PAGES must be 1 or more")
        # OffsiteMiddleware keeps every request, redirects included, on the monitored site.
        host = urlsplit(spider.base_url).hostname or ""
        spider.allowed_domains = [host.removeprefix("www.")]
        spider.seen_in = {}
        spider.revisit_hours = settings.getfloat("NEWSMON_REVISIT_HOURS", 24.0)
        if spider.revisit_hours < 0:
            raise NewsmonConfigError("NEWSMON_REVISIT_HOURS must be 0 (no revisits) or more")
        spider.force_full_walk = settings.getbool("NEWSMON_FULL_WALK", False)
        spider.ledger = WalkLedger()
        # Resolved now so a bad tag list stops the crawl before any request.
        spider.slugs = spider.listing_slugs()
        crawler.signals.connect(spider.item_stored, signal=signals.item_scraped)
        crawler.signals.connect(spider.item_stored, signal=signals.item_dropped)
        crawler.signals.connect(spider.item_failed, signal=signals.item_error)
        crawler.signals.connect(spider.save_walks, signal=signals.spider_closed)
        return spider

    def listing_slugs(self) -> list[str]:
        """The listings (tag slugs) this spider walks."""
        raise NotImplementedError

    @property
    def store(self) -> StateStore:
        """The crawl's shared state store."""
        return get_store(self.crawler)

    async def start(self) -> AsyncIterator[Request]:
        """Request page 1 of every listing, then revisit the recent known articles."""
        # Chosen before the first request: Scrapy reads this generator lazily, and articles
        # this run stores meanwhile would be revisited in the same run (a second request each).
        revisits = self.revisit_urls()
        for slug in self.slugs:
            url = listing_url(self.base_url, slug)
            walk = self.ledger.start(
                slug,
                url,
                self.store.take_listing_validators(url),
                force_full=self.force_full_walk,
            )
            if walk.full:
                self._count("listings/full_walks")
                logger.info("listing %r: full walk (up to %d pages)", slug, self.max_pages)
            yield self.listing_request(
                slug, 1, url, conditional=not walk.full, validators=walk.entry_validators
            )
        for url in revisits:
            yield self.revisit_request(url)

    def listing_request(
        self,
        slug: str,
        page: int,
        url: str,
        *,
        conditional: bool = False,
        validators: tuple[str | None, str | None] | None = None,
    ) -> Request:
        """A request for one listing page; conditional ones may be answered 304."""
        meta: dict[str, Any] = {"newsmon_listing": slug, CONDITIONAL: conditional}
        if validators is not None:
            meta[VALIDATORS] = validators
        return Request(
            url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"slug": slug, "page": page},
            # Listing pages change between runs; they are never skipped as duplicates.
            dont_filter=True,
            meta=meta,
        )

    def parse_listing(self, response: Response, slug: str, page: int) -> Iterator[Request]:
        """Follow the new article cards of a listing page, then maybe the next page."""
        walk = self.ledger.walks[slug]
        if response.status == 304:
            # Unchanged since a complete walk saw it: every card on it, and behind it, is known.
            self._count("listings/pages")
            self._count("listings/not_modified")
            logger.info("listing %r page %d not modified: walk ends", slug, page)
            return
        if not isinstance(response, TextResponse):
            self._count("listings/not_html")
            self.ledger.listing_failed(slug, f"page {page} is not HTML")
            logger.warning("listing %s is not HTML: %s", slug, response.url)
            return
        listing = ListingPage.from_response(response)
        cards = listing.cards()
        self._count("listings/pages")
        if not cards:
            self._count("listings/empty")
            # Likely broken markup: do not let validators vouch for a page we could not read.
            self.ledger.listing_failed(slug, f"page {page} has no article cards")
            logger.warning("listing page has no article cards: %s", response.url)
            return
        self.ledger.page_fetched(slug, response.url, response_validators(response))
        on_site = []
        for card in cards:
            if not is_on_site(card.url, self.base_url):
                self._count("articles/offsite_link")
                continue
            on_site.append((card, canonical_url(card.url, self.base_url)))
        known = self.store.known_urls(key for _, key in on_site)
        for card, key in on_site:
            if key in known:
                self.note_known(key, slug)
            else:
                yield from self.article_requests(card, slug)
        if page >= self.max_pages:
            return
        if not walk.full and all(key in known for _, key in on_site):
            self._count("listings/stopped_at_known")
            logger.info("listing %r page %d holds only known articles: walk ends", slug, page)
            return
        next_url = listing.next_url() or self.guess_next_page(listing, slug, page, len(cards))
        if next_url and is_on_site(next_url, self.base_url):
            yield self.listing_request(slug, page + 1, next_url, conditional=not walk.full)

    def note_known(self, key: str, slug: str) -> None:
        """A known article's card: not fetched again; its membership of the listing recorded."""
        self._count("articles/known")
        listings = self.seen_in.setdefault(key, set())
        if slug not in listings:
            listings.add(slug)
            self.store.add_listings(key, [slug])

    def guess_next_page(
        self, listing: ListingPage, slug: str, page: int, card_count: int
    ) -> str | None:
        """/page/N+1/ when the page declares no pagination at all but looks full.

        The site's pages carry rel="next"/"prev"; a last page has "prev" only, so a missing
        "next" there means the end. Guessing is for a redesign that drops those links.
        """
        if listing.declares_pagination() or card_count < GUESS_NEXT_MIN_CARDS:
            return None
        return listing_url(self.base_url, slug, page + 1)

    def article_requests(self, card: ListingCard, slug: str) -> Iterable[Request]:
        """The request for one card's article (none if already requested this run)."""
        key = canonical_url(card.url, self.base_url)
        listings = self.seen_in.setdefault(key, set())
        first_sighting = not listings
        listings.add(slug)
        self.ledger.article_requested(key, slug)
        if first_sighting:
            yield Request(
                card.url,
                callback=self.parse_article,
                errback=self.article_failed,
                cb_kwargs={"card": card, "key": key},
                meta={ARTICLE_KEY: key},
            )

    def revisit_urls(self) -> list[str]:
        """Known articles of this spider's listings inside the revisit window, newest first."""
        since = revisit_since(self.store.newest_published(), datetime.now(UTC), self.revisit_hours)
        if since is None:
            return []
        urls = self.store.published_since(since, self.slugs)
        logger.info("revisiting %d known articles published since %s", len(urls), since)
        return urls

    def revisit_request(self, url: str) -> Request:
        """A conditional request for a known article: a 304 means it did not change."""
        self._count("revisits/requested")
        return Request(
            url,
            callback=self.parse_revisit,
            errback=self.revisit_failed,
            cb_kwargs={"key": url},
            meta={ARTICLE_KEY: url, CONDITIONAL: True},
            # A revisit is deliberate: never dropped as a duplicate of a card's request.
            dont_filter=True,
        )

    def parse_revisit(self, response: Response, key: str) -> Iterator[ArticleItem]:
        """Hand a changed page to parse_article; a 304 is counted and yields nothing."""
        if response.status == 304:
            self._count("revisits/not_modified")
            return
        self._count("revisits/fetched")
        yield from self.parse_article(response, None, key)

    def parse_article(
        self, response: Response, card: ListingCard | None, key: str
    ) -> Iterator[ArticleItem]:
        """Turn an article page into an item; a page that is not an article is counted."""
        if not isinstance(response, TextResponse):
            self._drop_page(response.url, "not HTML")
            self.ledger.article_done(key)
            return
        try:
            item = ArticlePage.from_response(response).to_item(card)
        except NotAnArticle as error:
            self._drop_page(response.url, error.reason)
            self.ledger.article_done(key)
            return
        item.listings = sorted(self.seen_in.get(key, set()))
        item.crawled_at = datetime.now(UTC)
        self._count("articles/extracted")
        yield item

    def item_stored(self, item: Any, response: Response | None, **kwargs: Any) -> None:
        """An article went through the pipelines: its walk may complete; keep its validators."""
        key = _article_key(response)
        if key is None or response is None:
            return
        self.ledger.article_done(key)
        if not isinstance(item, ArticleItem) or response.status != 200:
            return
        url = canonical_url(item.url, self.base_url)
        etag, last_modified = response_validators(response)
        if not (etag or last_modified):
            return
        try:
            # Only stored articles are revisited: a page dropped as incomplete needs none.
            if url in self.store.known_urls([url]):
                self.store.save_article_validators(url, etag, last_modified)
        except STORE_ERRORS as error:
            self._store_failed(error)

    def item_failed(self, item: Any, response: Response | None, failure: Failure) -> None:
        """A pipeline raised: the article is not stored, so the walks that led to it failed."""
        key = _article_key(response)
        if key is not None:
            self.ledger.article_failed(key, "an article could not be stored")
        if failure.check(*STORE_ERRORS) and failure.value is not None:
            self._store_failed(failure.value)

    def save_walks(self, spider: scrapy.Spider, reason: str) -> None:
        """At the end of the run, save the validators of every walk that completed."""
        if spider is not self:
            return
        complete = self.ledger.finish(reason == "finished", reason)
        for walk in self.ledger.walks.values():
            if walk.failures:
                # The failures themselves were logged where they happened, with their URLs.
                self._count("listings/incomplete_walks")
                reasons = sorted(set(walk.failures))
                logger.warning(
                    "listing %r: walk incomplete (%s); the next run walks every page up to"
                    " NEWSMON_MAX_PAGES",
                    walk.slug,
                    "; ".join(reasons[:3]) + ("; ..." if len(reasons) > 3 else ""),
                )
        try:
            for walk in complete:
                for url, (etag, last_modified) in walk.validators_to_save().items():
                    self.store.save_listing_validators(url, etag, last_modified)
        except STORE_ERRORS as error:
            self._store_failed(error)

    def _store_failed(self, error: BaseException) -> None:
        """The store refused a write: the run fails (exit 1), once."""
        if self.crawler.stats is not None and self.crawler.stats.get_value(
            "newsmon/store/write_failed"
        ):
            return
        self._count("store/write_failed")
        fail_run(self.crawler, f"the state store could not be written: {error}")

    def listing_failed(self, failure: Failure) -> None:
        """Report a listing that could not be fetched; the other listings go on."""
        request = failure.request  # type: ignore[attr-defined]
        slug = request.cb_kwargs.get("slug", "?")
        page = request.cb_kwargs.get("page", 1)
        status = _http_status(failure)
        if status is not None:
            self._count(f"listings/http_{status}")
            if status == 404 and page == 1:
                self.ledger.listing_failed(slug, "unknown listing")
                logger.error("unknown listing %r: %s answered 404", slug, request.url)
            elif status == 404:
                # The end of the listing: a normal end of the walk, not a failure.
                logger.info("listing %r ends before page %s", slug, page)
            else:
                self.ledger.listing_failed(slug, f"page {page} answered HTTP {status}")
                logger.error("listing %r failed: HTTP %s at %s", slug, status, request.url)
        else:
            self._count("listings/failed")
            self.ledger.listing_failed(slug, f"page {page} could not be fetched")
            logger.error("listing %r failed at %s: %s", slug, request.url, failure.value)

    def revisit_failed(self, failure: Failure) -> None:
        """Report a revisit that failed; the article stays as stored, the next run tries again."""
        request = failure.request  # type: ignore[attr-defined]
        status = _http_status(failure)
        if status is not None:
            self._count(f"revisits/http_{status}")
            logger.warning("revisit failed: HTTP %s at %s", status, request.url)
        else:
            self._count("revisits/failed")
            logger.warning("revisit failed: %s at %s", failure.value, request.url)

    def article_failed(self, failure: Failure) -> None:
        """Report an article that could not be fetched; the crawl goes on."""
        request = failure.request  # type: ignore[attr-defined]
        key = request.meta.get(ARTICLE_KEY)
        if key is not None:
            self.ledger.article_failed(key, "an article could not be fetched")
        status = _http_status(failure)
        if status is not None:
            self._count(f"articles/http_{status}")
            logger.warning("article not fetched: HTTP %s at %s", status, request.url)
        else:
            self._count("articles/failed")
            logger.warning("article not fetched: %s at %s", failure.value, request.url)

    def _drop_page(self, url: str, reason: str) -> None:
        self._count("articles/not_article")
        self._count(f"articles/not_article/{reason.replace(' ', '_')}")
        logger.warning("not an article (%s): %s", reason, url)

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsmon/{key}")


def _article_key(response: Response | None) -> str | None:
    """The article key a response's request carried, if it fetched an article."""
    if response is None or not isinstance(response, Response):
        return None
    try:
        key = response.meta.get(ARTICLE_KEY)
    except AttributeError:  # a response built outside a request has no meta
        return None
    return key if isinstance(key, str) else None


def _http_status(failure: Failure) -> int | None:
    """The HTTP status of a failed request that got an answer (HttpError), else None."""
    if failure.check(HttpError):
        status: int = failure.value.response.status  # type: ignore[union-attr]
        return status
    return None
