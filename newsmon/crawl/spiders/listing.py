"""ListingSpider: walk listing pages, follow new article cards, revisit recent articles.

Incremental by default (see `newsmon.crawl.walks` for why it is safe):
- listing pages are asked for conditionally; a 304 ends the walk of that listing;
- cards of articles the store knows are not fetched; the walk stops after the first page
  whose cards are all known, and never goes past NEWSMON_MAX_PAGES;
- known articles published within NEWSMON_REVISIT_HOURS are revisited with a conditional
  request, so updates are caught; a 304 means unchanged and yields nothing.
A listing's first walk, and the walk after one that did not complete, visit every page up to
NEWSMON_MAX_PAGES. What earlier runs left, and the books of this run's walks, are kept by the
`WalkKeeper` extension; the spider only decides what to fetch.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from newsmon.config import NewsmonConfigError, base_url_from_settings
from newsmon.crawl.http import http_status
from newsmon.crawl.keeper import WalkKeeper
from newsmon.crawl.meta import (
    ARTICLE_META,
    CARD_ARG,
    CONDITIONAL_META,
    LISTING_META,
    VALIDATORS_META,
)
from newsmon.crawl.pages import article_page, forget, listing_page
from newsmon.crawl.walks import Validators
from newsmon.extract.article import NotAnArticle
from newsmon.extract.listing import ListingCard, ListingPage
from newsmon.extract.normalize.urls import canonical_url, is_on_site
from newsmon.items import ArticleItem
from newsmon.run.settings_check import check_settings

logger = logging.getLogger(__name__)

# Without rel=next, a page with at least this many cards is taken as full: try the next one.
GUESS_NEXT_MIN_CARDS = 10


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
    revisit_hours: float
    force_full_walk: bool

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Check every setting before any component of the crawl reads one (this runs first)."""
        super().update_settings(settings)
        check_settings(settings)

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
        spider.revisit_hours = settings.getfloat("NEWSMON_REVISIT_HOURS", 24.0)
        if spider.revisit_hours < 0:
            raise NewsmonConfigError("NEWSMON_REVISIT_HOURS must be 0 (no revisits) or more")
        spider.force_full_walk = settings.getbool("NEWSMON_FULL_WALK", False)
        # Resolved now so a bad tag list stops the crawl before any request.
        spider.slugs = spider.listing_slugs()
        return spider

    def listing_slugs(self) -> list[str]:
        """The listings (tag slugs) this spider walks."""
        raise NotImplementedError

    @property
    def walks(self) -> WalkKeeper:
        """The crawl's WalkKeeper (newsmon's settings always enable one)."""
        keeper = self.crawler.get_extension(WalkKeeper)
        if keeper is None:
            raise NewsmonConfigError("EXTENSIONS must enable a WalkKeeper for listing spiders")
        return keeper

    async def start(self) -> AsyncIterator[Request]:
        """Request page 1 of every listing, then revisit the recent known articles."""
        # Chosen before the first request: Scrapy reads this generator lazily, and articles
        # this run stores meanwhile would be revisited in the same run (a second request each).
        revisits = self.walks.revisit_urls(self.slugs, self.revisit_hours)
        for slug in self.slugs:
            url = listing_url(self.base_url, slug)
            walk = self.walks.start_walk(slug, url, force_full=self.force_full_walk)
            if walk.full:
                self._count("listings/full_walks")
                logger.debug("listing %r: full walk (up to %d pages)", slug, self.max_pages)
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
        validators: Validators | None = None,
    ) -> Request:
        """A request for one listing page; conditional ones may be answered 304."""
        meta: dict[str, Any] = {LISTING_META: slug, CONDITIONAL_META: conditional}
        if validators is not None:
            meta[VALIDATORS_META] = validators
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
        if response.status == 304:
            # Unchanged since a complete walk saw it: every card on it, and behind it, is known.
            self._count("listings/pages")
            self._count("listings/not_modified")
            logger.debug("listing %r page %d not modified: walk ends", slug, page)
            return
        if not isinstance(response, TextResponse):
            self._count("listings/not_html")
            self.walks.listing_failed(slug, f"page {page} is not HTML")
            logger.warning("listing %s is not HTML: %s", slug, response.url)
            return
        listing = listing_page(response)
        self._count("listings/pages")
        try:
            yield from self.follow_cards(response, listing, slug, page)
        finally:
            forget(response)

    def follow_cards(
        self, response: TextResponse, listing: ListingPage, slug: str, page: int
    ) -> Iterator[Request]:
        """The requests a readable listing page leads to: new articles, then the next page."""
        cards = listing.cards()
        if not cards:
            self._count("listings/empty")
            # Likely broken markup: do not let validators vouch for a page we could not read.
            self.walks.listing_failed(slug, f"page {page} has no article cards")
            logger.warning("listing page has no article cards: %s", response.url)
            return
        self.walks.page_fetched(slug, response)
        on_site = []
        for card in cards:
            if not is_on_site(card.url, self.base_url):
                self._count("articles/offsite_link")
                continue
            on_site.append((card, canonical_url(card.url, self.base_url)))
        known = self.walks.known([key for _, key in on_site])
        for card, key in on_site:
            if key in known:
                self._count("articles/known")
                self.walks.card_of_known_article(key, slug)
            elif self.walks.card_of_new_article(key, slug):
                yield self.article_request(card, key)
        if page >= self.max_pages:
            return
        if not self.walks.walk(slug).full and all(key in known for _, key in on_site):
            self._count("listings/stopped_at_known")
            logger.debug("listing %r page %d holds only known articles: walk ends", slug, page)
            return
        next_url = listing.next_url() or self.guess_next_page(listing, slug, page, len(cards))
        if next_url and is_on_site(next_url, self.base_url):
            walk = self.walks.walk(slug)
            yield self.listing_request(slug, page + 1, next_url, conditional=not walk.full)

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

    def article_request(self, card: ListingCard, key: str) -> Request:
        """The request for one card's article."""
        return Request(
            card.url,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={CARD_ARG: card, "key": key},
            meta={ARTICLE_META: key},
        )

    def revisit_request(self, url: str) -> Request:
        """A conditional request for a known article: a 304 means it did not change."""
        self._count("revisits/requested")
        return Request(
            url,
            callback=self.parse_revisit,
            errback=self.revisit_failed,
            cb_kwargs={"key": url},
            meta={ARTICLE_META: url, CONDITIONAL_META: True},
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
            self._drop_page(response.url, "not HTML", key)
            return
        try:
            item = article_page(response).to_item()
        except NotAnArticle as error:
            self._drop_page(response.url, error.reason, key)
            return
        finally:
            forget(response)
        item.listings = self.walks.listings_of(key)
        item.crawled_at = datetime.now(UTC)
        self._count("articles/extracted")
        yield item

    def listing_failed(self, failure: Failure) -> None:
        """Report a listing that could not be fetched; the other listings go on."""
        request = failure.request  # type: ignore[attr-defined]
        slug = request.cb_kwargs.get("slug", "?")
        page = request.cb_kwargs.get("page", 1)
        status = http_status(failure)
        if status is not None:
            self._count(f"listings/http_{status}")
            if status == 404 and page == 1:
                self.walks.listing_missing(slug)
                logger.error("unknown listing %r: %s answered 404", slug, request.url)
            elif status == 404:
                # The end of the listing: a normal end of the walk, not a failure.
                logger.debug("listing %r ends before page %s", slug, page)
            else:
                self.walks.listing_failed(slug, f"page {page} answered HTTP {status}")
                logger.error("listing %r failed: HTTP %s at %s", slug, status, request.url)
        else:
            self._count("listings/failed")
            self.walks.listing_failed(slug, f"page {page} could not be fetched")
            logger.error("listing %r failed at %s: %s", slug, request.url, failure.value)

    def revisit_failed(self, failure: Failure) -> None:
        """Report a revisit that failed; the article stays as stored, the next run tries again."""
        self._report_failure(failure, "revisits", "revisit failed")

    def article_failed(self, failure: Failure) -> None:
        """Report an article that could not be fetched; the crawl goes on."""
        key = failure.request.meta.get(ARTICLE_META)  # type: ignore[attr-defined]
        if key is not None:
            self.walks.article_failed(key, "an article could not be fetched")
        self._report_failure(failure, "articles", "article not fetched")

    def _report_failure(self, failure: Failure, kind: str, words: str) -> None:
        """Count a failed request under `kind` (by HTTP status if it got one) and log it."""
        request = failure.request  # type: ignore[attr-defined]
        status = http_status(failure)
        if status is not None:
            self._count(f"{kind}/http_{status}")
            logger.warning("%s: HTTP %s at %s", words, status, request.url)
        else:
            self._count(f"{kind}/failed")
            logger.warning("%s: %s at %s", words, failure.value, request.url)

    def _drop_page(self, url: str, reason: str, key: str) -> None:
        """A page that is not an article: counted, logged, and done with."""
        self.walks.article_done(key)
        self._count("articles/not_article")
        self._count(f"articles/not_article/{reason.replace(' ', '_')}")
        logger.warning("not an article (%s): %s", reason, url)

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsmon/{key}")
