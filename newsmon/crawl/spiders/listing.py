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

A listing page's cards come from the page object's chain (`newsmon.extract.listing`); when
the page gives none, the spider goes on along it: the app's data endpoint, then the browser
(`RENDER_WANTED_META`), then for the News Feed the site's RSS (`siterss.SiteRssSpider`, which
also reads that RSS on every News Feed run). Following the cards and reading the articles is
`articles.ArticleSpider`'s part.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from newsmon.config import NewsmonConfigError, base_url_from_settings
from newsmon.crawl.http import failure_words, http_status, is_blocked
from newsmon.crawl.meta import (
    APP_DATA_META,
    CONDITIONAL_META,
    CONTENT_TYPES_META,
    LISTING_META,
    RENDER_WANTED_META,
    VALIDATORS_META,
)
from newsmon.crawl.pages import forget, listing_page
from newsmon.crawl.spiders.siterss import SiteRssSpider
from newsmon.crawl.walks import Validators
from newsmon.extract.listing import ListingPage, endpoint_cards, endpoint_next_page
from newsmon.extract.normalize.urls import is_on_site
from newsmon.run.outcome import NETWORK_ERROR, fetch_failures
from newsmon.run.settings_check import check_settings
from newsmon.site import listing_path

logger = logging.getLogger(__name__)

# Without rel=next, a page with at least this many cards is taken as full: try the next one.
GUESS_NEXT_MIN_CARDS = 10
# What the app's data endpoint answers.
JSON_TYPES = ("application/json",)


def listing_url(base_url: str, key: str, page: int = 1) -> str:
    """URL of page N of a listing: /tag/<slug>/, /author/<slug>/ or /news-archive/ (+page/N/).

    `key` is a listing key (`newsmon.site.listing_kind`): a tag slug, "author/<slug>" or
    "news-archive"; the three kinds share the card markup and the pagination.
    """
    root = base_url + listing_path(key)
    return root if page <= 1 else f"{root}page/{page}/"


class ListingSpider(SiteRssSpider):
    """Base of the listing spiders: the listings to walk are the only difference between them."""

    allowed_domains: list[str]
    revisit_hours: float
    force_full_walk: bool
    may_render: bool

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
        # The render middleware checks the value; "never" means no browser to ask for.
        spider.may_render = str(settings.get("NEWSMON_RENDER", "auto")).strip().lower() != "never"
        # Resolved now so a bad tag list stops the crawl before any request.
        spider.slugs = spider.listing_slugs()
        return spider

    def listing_slugs(self) -> list[str]:
        """The listings this spider walks, as listing keys (tag slugs, author/<slug>, ...)."""
        raise NotImplementedError

    def slugs_from(
        self,
        argument: str | None,
        setting: str,
        parse: Callable[[object], list[str]],
        none_given: str,
    ) -> list[str]:
        """Slugs of the `-a` argument, else of a list setting, checked; refuse an empty list."""
        slugs = parse(argument if argument is not None else self.crawler.settings.getlist(setting))
        if not slugs:
            raise NewsmonConfigError(none_given)
        return slugs

    async def start(self) -> AsyncIterator[Request]:
        """Request page 1 of every listing, then revisit the recent known articles."""
        # Chosen before the first request: Scrapy reads this generator lazily, and articles
        # this run stores meanwhile would be revisited in the same run (a second request each).
        revisits = self.walks.revisit_urls(self.slugs, self.revisit_hours)
        self.walks.expect_site_rss(self.reads_site_rss())
        # Every walk starts before the first answer can arrive: the site's RSS reports to the
        # News Feed's walk.
        firsts = []
        for slug in self.slugs:
            url = listing_url(self.base_url, slug)
            walk = self.walks.start_walk(slug, url, force_full=self.force_full_walk)
            if walk.full:
                self._count("listings/full_walks")
                logger.debug("listing %r: full walk (up to %d pages)", slug, self.max_pages)
            firsts.append(
                self.listing_request(
                    slug, 1, url, conditional=not walk.full, validators=walk.entry_validators
                )
            )
        # Articles an earlier run listed but could not store: fetched whatever the listings say.
        refetches = [self.refetch_request(a.url) for a in self.walks.pending_refetches(self.slugs)]
        if self.reads_site_rss():
            yield self.site_rss_request()
        for request in firsts:
            yield request
        for request in refetches:
            yield request
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
        if listing.truncated:
            # The cards past the parser's depth limit are lost: counted, the rest still read.
            self._count("pages/cut/dom_truncated")
        try:
            yield from self.read_listing(response, listing, slug, page)
        finally:
            forget(response)

    def read_listing(
        self, response: TextResponse, listing: ListingPage, slug: str, page: int
    ) -> Iterator[Request]:
        """Follow the page's cards; without any, go on along the chain past the page."""
        found = listing.found()
        if found.cards:
            self.walks.page_fetched(slug, response)
            next_url = listing.next_url() or self.guess_next_page(listing, slug, page)
            yield from self.follow_cards(found, response.url, slug, page, next_url)
            return
        data_url = listing.data_url()
        if (
            data_url is not None
            and is_on_site(data_url, self.base_url)
            # Asked the browser already (whatever it could do): the data gave nothing before.
            and RENDER_WANTED_META not in response.meta
        ):
            # Client-rendered: the app's data is one small request, a browser ten seconds.
            self._count("listings/app_data_requested")
            yield self.app_data_request(slug, page, response.url, data_url, listing)
            return
        yield from self.cards_missing(slug, page, response.url)

    def app_data_request(
        self, slug: str, page: int, page_url: str, data_url: str, listing: ListingPage
    ) -> Request:
        """The request for a listing page's data at the app's endpoint (/_next/data/...json)."""
        return Request(
            data_url,
            callback=self.parse_app_data,
            errback=self.app_data_failed,
            cb_kwargs={
                "slug": slug,
                "page": page,
                "page_url": page_url,
                "next_url": listing.next_url() or "",
                "paginated": listing.declares_pagination(),
            },
            dont_filter=True,
            meta={LISTING_META: slug, APP_DATA_META: True, CONTENT_TYPES_META: JSON_TYPES},
        )

    def parse_app_data(
        self,
        response: Response,
        slug: str,
        page: int,
        page_url: str,
        next_url: str,
        paginated: bool,
    ) -> Iterator[Request]:
        """Follow the cards of a listing page's app data; without any, ask for a browser."""
        text = response.text if isinstance(response, TextResponse) else ""
        found = endpoint_cards(text, page_url)
        if not found.cards:
            logger.warning("the app's data of listing page %s has no cards", page_url)
            yield from self.app_data_empty(slug, page, page_url)
            return
        # The page's own validators do not change with its data: fetch it in full next time.
        self.walks.page_read(slug, page_url, (None, None))
        if not next_url:
            next_url = endpoint_next_page(text, page_url) or ""
        if not next_url and not paginated and len(found.cards) >= GUESS_NEXT_MIN_CARDS:
            next_url = listing_url(self.base_url, slug, page + 1)
        yield from self.follow_cards(found, page_url, slug, page, next_url or None)

    def app_data_failed(self, failure: Failure) -> Iterator[Request]:
        """The app's data could not be fetched: go on along the chain."""
        request = failure.request  # type: ignore[attr-defined]
        level = logging.DEBUG if is_blocked(failure) else logging.WARNING
        logger.log(level, "the app's data %s %s", request.url, failure_words(failure))
        kwargs = request.cb_kwargs
        yield from self.app_data_empty(kwargs["slug"], kwargs["page"], kwargs["page_url"])

    def app_data_empty(self, slug: str, page: int, page_url: str) -> Iterator[Request]:
        """The app's data gave no cards: the browser's turn, if there is one, else the RSS's."""
        if self.may_render:
            self._count("listings/render_wanted")
            yield Request(
                page_url,
                callback=self.parse_listing,
                errback=self.listing_failed,
                cb_kwargs={"slug": slug, "page": page},
                dont_filter=True,
                meta={LISTING_META: slug, RENDER_WANTED_META: True},
            )
            return
        yield from self.cards_missing(slug, page, page_url)

    def guess_next_page(self, listing: ListingPage, slug: str, page: int) -> str | None:
        """/page/N+1/ when the page declares no pagination at all but looks full.

        The site's pages carry rel="next"/"prev"; a last page has "prev" only, so a missing
        "next" there means the end. Guessing is for a redesign that drops those links.
        """
        if listing.declares_pagination() or len(listing.found().cards) < GUESS_NEXT_MIN_CARDS:
            return None
        return listing_url(self.base_url, slug, page + 1)

    def listing_failed(self, failure: Failure) -> None:
        """Report a listing that could not be fetched; the other listings go on."""
        request = failure.request  # type: ignore[attr-defined]
        slug = request.cb_kwargs.get("slug", "?")
        page = request.cb_kwargs.get("page", 1)
        if is_blocked(failure):
            # Said once for the run (the block), not once per listing page.
            self._count("listings/blocked")
            self.walks.listing_failed(slug, f"page {page} was blocked")
            return
        status = http_status(failure)
        if status != 404 or page == 1:
            what = f"HTTP {status}" if status is not None else NETWORK_ERROR
            fetch_failures(self.crawler).listings[what] += 1
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
