"""The site's own RSS in a News Feed run: a second source of articles, and the last card source.

Every run that walks the News Feed reads `/news-archive/rss/` once, conditionally (its
validators are kept with the News Feed walk's, and saved only when that walk completes, like a
listing page's). Its entries tagged with a walked listing (by category name: "News Feed" is
`news-feed`) are

- followed when the store does not know them (by URL or Ghost post id): articles a broken
  listing walk would miss are still fetched;
- handed to the keeper, for health's cross-check of the walk (`newsmon.health.crosscheck`);
- the cards of the News Feed's first page when no other source of the chain found any.

An RSS that cannot be fetched or read is one WARNING: the walk goes on without it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from newsmon.crawl.http import failure_words, is_blocked
from newsmon.crawl.meta import CONDITIONAL_META, CONTENT_TYPES_META, VALIDATORS_META
from newsmon.crawl.spiders.articles import ArticleSpider
from newsmon.crawl.walks import Validators
from newsmon.extract.listing import SITE_RSS, CardsFound
from newsmon.extract.normalize.urls import canonical_url, is_on_site
from newsmon.extract.siterss import (
    FEED_TYPES,
    SITE_RSS_PATH,
    SiteRssEntry,
    SiteRssError,
    read_site_rss,
)
from newsmon.site import NEWS_FEED_SLUG

logger = logging.getLogger(__name__)

Outcome = Literal["pending", "read", "not_modified", "failed"]
NO_CARDS_ON_PAGE_1 = "page 1 has no article cards"


@dataclass
class SiteRssState:
    """The site's RSS in this run: how its request went, its entries, who waits for them."""

    url: str
    outcome: Outcome = "pending"
    validators: Validators | None = None
    """The validators the request was sent with (from the last complete News Feed walk)."""

    entries: list[SiteRssEntry] = field(default_factory=list)
    waiting: list[tuple[str, str]] = field(default_factory=list)
    """(listing, page URL) of listing pages that found no cards and wait for the RSS's."""


class SiteRssSpider(ArticleSpider):
    """Read the site's RSS in every run that walks the News Feed."""

    _site_rss: SiteRssState | None = None

    @property
    def site_rss(self) -> SiteRssState:
        """The state of the site's RSS in this run."""
        if self._site_rss is None:
            self._site_rss = SiteRssState(self.base_url + SITE_RSS_PATH)
        return self._site_rss

    def reads_site_rss(self) -> bool:
        """Tell whether this run reads the site's RSS (it walks the News Feed)."""
        return NEWS_FEED_SLUG in self.slugs

    def site_rss_request(self, *, conditional: bool = True) -> Request:
        """The request for the site's RSS; conditional when the last complete walk kept one."""
        state = self.site_rss
        meta: dict[str, object] = {CONTENT_TYPES_META: FEED_TYPES}
        if conditional:
            state.validators = self.walks.take_validators(state.url)
            if state.validators is not None:
                meta.update({CONDITIONAL_META: True, VALIDATORS_META: state.validators})
        return Request(
            state.url,
            callback=self.parse_site_rss,
            errback=self.site_rss_failed,
            dont_filter=True,
            # Read early: a listing page that finds no cards may wait for its entries.
            priority=1,
            meta=meta,
        )

    def parse_site_rss(self, response: Response) -> Iterator[Request]:
        """Follow the RSS's new articles; serve the listing pages that wait for its cards."""
        state = self.site_rss
        if response.status == 304:
            self._count("site_rss/not_modified")
            state.outcome = "not_modified"
            self.walks.page_read(NEWS_FEED_SLUG, state.url, state.validators or (None, None))
            if state.waiting:
                yield from self._read_again()
            return
        try:
            entries = read_site_rss(response.body, response.url)
        except SiteRssError as error:
            yield from self._unavailable(f"{response.url} is unreadable: {error}")
            return
        state.entries, state.outcome = entries, "read"
        self._count("site_rss/read")
        self.walks.page_fetched(NEWS_FEED_SLUG, response)
        yield from self._discover(entries)
        waiting, state.waiting = state.waiting, []
        for slug, url in waiting:
            yield from self._rss_cards(slug, url)

    def site_rss_failed(self, failure: Failure) -> Iterator[Request]:
        """The RSS could not be fetched: one warning, and the walk goes on without it."""
        request = failure.request  # type: ignore[attr-defined]
        # A block was said once for the run; the RSS it kept away is no news.
        level = logging.DEBUG if is_blocked(failure) else logging.WARNING
        yield from self._unavailable(f"{request.url} {failure_words(failure)}", level)

    def cards_missing(self, slug: str, page: int, url: str) -> Iterator[Request]:
        """The News Feed's first page found no cards: the site's RSS gives them, if it can."""
        if page != 1 or slug != NEWS_FEED_SLUG or not self.reads_site_rss():
            return super().cards_missing(slug, page, url)
        state = self.site_rss
        if state.outcome == "read":
            return self._rss_cards(slug, url)
        if state.outcome == "failed":
            return super().cards_missing(slug, page, url)
        # Whatever the RSS brings, nobody read this page: its validators must not vouch.
        self.walks.listing_failed(slug, NO_CARDS_ON_PAGE_1)
        state.waiting.append((slug, url))
        if state.outcome == "not_modified":
            return self._read_again()
        return iter(())  # the RSS's answer serves the page

    def closed(self, reason: str) -> None:
        """Say so if a listing page still waits for the RSS (it was read by no one here)."""
        for _, url in self.site_rss.waiting if self._site_rss is not None else []:
            self._count("listings/empty")
            logger.warning("listing page has no article cards, and no site RSS came: %s", url)

    def _read_again(self) -> Iterator[Request]:
        """Ask for the RSS in full: a 304 gave no entries, and a listing page needs them."""
        self.site_rss.outcome = "pending"
        yield self.site_rss_request(conditional=False)

    def _unavailable(self, why: str, level: int = logging.WARNING) -> Iterator[Request]:
        state = self.site_rss
        state.outcome = "failed"
        self._count("site_rss/failed")
        logger.log(
            level, "the site's RSS %s; the walk goes on without it (no cross-check this run)", why
        )
        waiting, state.waiting = state.waiting, []
        for slug, url in waiting:
            yield from super().cards_missing(slug, 1, url)

    def _discover(self, entries: list[SiteRssEntry]) -> Iterator[Request]:
        """Request the entries of walked listings the store does not know; tell the keeper."""
        members = []
        for entry in entries:
            slugs = [slug for slug in self.slugs if entry.in_listing(slug)]
            if slugs and is_on_site(entry.url, self.base_url):
                members.append((entry, canonical_url(entry.url, self.base_url), slugs))
        self.walks.rss_entries(
            {
                slug: [(key, entry.published) for entry, key, slugs in members if slug in slugs]
                for slug in self.slugs
            }
        )
        known = self.walks.known([key for _, key, _ in members])
        known_ids = self.walks.known_ghost_ids([entry.ghost_id for entry, _, _ in members])
        for entry, key, slugs in members:
            if key in known or entry.ghost_id in known_ids:
                for slug in slugs:
                    self.walks.card_of_known_article(key, slug)
                continue
            first = [self.walks.card_of_new_article(key, slug) for slug in slugs]
            if first[0]:
                self._count("site_rss/new_articles")
                yield self.article_request(entry.card(), key)

    def _rss_cards(self, slug: str, url: str) -> Iterator[Request]:
        """The RSS's entries of the listing as the cards of its first page."""
        cards = [
            entry.card()
            for entry in self.site_rss.entries
            if entry.in_listing(slug) and is_on_site(entry.url, self.base_url)
        ]
        if not cards:
            yield from super().cards_missing(slug, 1, url)
            return
        self._count("listings/site_rss_cards")
        logger.warning(
            "listing page has no article cards: %s; the site's RSS stands in (%d entries)",
            url,
            len(cards),
        )
        # Its validators must not vouch for a page nobody could read.
        self.walks.listing_failed(slug, NO_CARDS_ON_PAGE_1)
        yield from self.follow_cards(CardsFound(SITE_RSS, cards), url, slug, 1, None)
