"""ListingSpider: walk listing pages, follow every article card, yield one item per article."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newsmon.config import NewsmonConfigError, base_url_from_settings
from newsmon.items import ArticleItem
from newsmon.normalize.urls import canonical_url, is_on_site
from newsmon.pages.article import ArticlePage, NotAnArticle
from newsmon.pages.listing import ListingCard, ListingPage

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
    # Which listings each article was seen in during this run (bounded by one run's cards).
    seen_in: dict[str, set[str]]

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
        # Resolved now so a bad tag list stops the crawl before any request.
        spider.slugs = spider.listing_slugs()
        return spider

    def listing_slugs(self) -> list[str]:
        """The listings (tag slugs) this spider walks."""
        raise NotImplementedError

    async def start(self) -> AsyncIterator[Request]:
        """Request page 1 of every listing."""
        for slug in self.slugs:
            yield self.listing_request(slug, 1, listing_url(self.base_url, slug))

    def listing_request(self, slug: str, page: int, url: str) -> Request:
        """A request for one listing page."""
        return Request(
            url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"slug": slug, "page": page},
            # Listing pages change between runs; they are never skipped as duplicates.
            dont_filter=True,
            meta={"newsmon_listing": slug},
        )

    def parse_listing(self, response: Response, slug: str, page: int) -> Iterator[Request]:
        """Follow every article card of a listing page, then the next page."""
        if not isinstance(response, TextResponse):
            self._count("listings/not_html")
            logger.warning("listing %s is not HTML: %s", slug, response.url)
            return
        listing = ListingPage.from_response(response)
        cards = listing.cards()
        self._count("listings/pages")
        if not cards:
            self._count("listings/empty")
            logger.warning("listing page has no article cards: %s", response.url)
            return
        for card in cards:
            if not is_on_site(card.url, self.base_url):
                self._count("articles/offsite_link")
                continue
            yield from self.article_requests(card, slug)
        if page < self.max_pages:
            next_url = listing.next_url() or self.guess_next_page(listing, slug, page, len(cards))
            if next_url and is_on_site(next_url, self.base_url):
                yield self.listing_request(slug, page + 1, next_url)

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
        if first_sighting:
            yield Request(
                card.url,
                callback=self.parse_article,
                errback=self.article_failed,
                cb_kwargs={"card": card},
            )

    def parse_article(self, response: Response, card: ListingCard) -> Iterator[ArticleItem]:
        """Turn an article page into an item; a page that is not an article is counted."""
        if not isinstance(response, TextResponse):
            self._drop_page(response.url, "not HTML")
            return
        try:
            item = ArticlePage.from_response(response).to_item(card)
        except NotAnArticle as error:
            self._drop_page(response.url, error.reason)
            return
        key = canonical_url(card.url, self.base_url)
        item.listings = sorted(self.seen_in.get(key, set()))
        item.crawled_at = datetime.now(UTC)
        self._count("articles/extracted")
        yield item

    def listing_failed(self, failure: Failure) -> None:
        """Report a listing that could not be fetched; the other listings go on."""
        request = failure.request  # type: ignore[attr-defined]
        slug = request.cb_kwargs.get("slug", "?")
        if failure.check(HttpError):
            status = failure.value.response.status  # type: ignore[union-attr]
            self._count(f"listings/http_{status}")
            if status == 404 and request.cb_kwargs.get("page", 1) == 1:
                logger.error("unknown listing %r: %s answered 404", slug, request.url)
            elif status == 404:
                logger.info("listing %r ends before page %s", slug, request.cb_kwargs["page"])
            else:
                logger.error("listing %r failed: HTTP %s at %s", slug, status, request.url)
        else:
            self._count("listings/failed")
            logger.error("listing %r failed at %s: %s", slug, request.url, failure.value)

    def article_failed(self, failure: Failure) -> None:
        """Report an article that could not be fetched; the crawl goes on."""
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            status = failure.value.response.status  # type: ignore[union-attr]
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
