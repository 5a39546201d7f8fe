"""The article side of a listing walk: a read listing page's cards, and the articles they lead to.

`ArticleSpider` is the base of the listing spiders. It follows the cards of a listing page
once they are found (whatever source of the chain found them), announces the page's final
read with the `listing_read` signal (health counts its card source), and fetches and reads
articles, revisits included. How listing pages are requested and read is its subclasses'
business (`newsmon.crawl.spiders.listing`, `newsmon.crawl.spiders.siterss`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Self

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response, TextResponse
from scrapy.utils.misc import load_object
from twisted.python.failure import Failure

from newsmon.config import NewsmonConfigError
from newsmon.crawl.http import (
    failure_words,
    http_status,
    is_blocked,
    is_transient,
    refused_for_good,
    response_validators,
)
from newsmon.crawl.keeper import WalkKeeper
from newsmon.crawl.meta import (
    ARTICLE_META,
    CARD_ARG,
    CONDITIONAL_META,
    WALK_META,
    WALK_NEXT_META,
)
from newsmon.crawl.pages import article_page, forget
from newsmon.crawl.signals import listing_read
from newsmon.crawl.walks import Validators, walk_bound
from newsmon.extract.article import NotAnArticle, UnreadablePage
from newsmon.extract.listing import NO_CARDS, CardsFound, ListingCard
from newsmon.extract.normalize.urls import canonical_url, is_on_site
from newsmon.items import ArticleItem
from newsmon.run.outcome import NETWORK_ERROR, fetch_failures

logger = logging.getLogger(__name__)

# Card URLs whose article key is remembered (about 3 MB at most); then the memo starts again.
# Bounded so that a run of 200,000 articles holds no more of them than one of 10,000.
KEY_CACHE_SIZE = 10_000

# A revisit answered with one of these: the site says the article is gone.
GONE_STATUSES = frozenset({404, 410})


class ArticleSpider(scrapy.Spider):
    """Follow a listing page's cards to their articles; read articles and revisits."""

    base_url: str
    max_pages: int
    slugs: list[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keys: dict[str, str] = {}
        # Per walk, its article requests not finished yet, and its next page held back.
        self._outstanding: dict[str, int] = {}
        self._held: dict[str, Request] = {}
        self.max_outstanding = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """Read the walks' bound when the spider opens; release held pages at idle."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.read_walk_bound, signal=signals.spider_opened)
        crawler.signals.connect(spider.release_held, signal=signals.spider_idle)
        return spider

    def read_walk_bound(self) -> None:
        """Hold walks' next pages here (NEWSMON_WALK_MAX_OUTSTANDING), unless the scheduler does.

        Read at spider_opened, not in `from_crawler`: Scrapy builds the spider before the
        add-ons (Redis worker mode) set their settings. A shared scheduler counts every
        worker's requests and holds the pages itself, in Redis; the spider only names each
        next page's walk (WALK_NEXT_META): a page held in a worker's memory would be lost
        with the worker.
        """
        settings = self.crawler.settings
        bounded_by_scheduler = getattr(load_object(settings["SCHEDULER"]), "bounds_walks", False)
        self.max_outstanding = 0 if bounded_by_scheduler else walk_bound(settings)

    @property
    def walks(self) -> WalkKeeper:
        """The crawl's WalkKeeper (newsmon's settings always enable one)."""
        keeper = self.crawler.get_extension(WalkKeeper)
        if keeper is None:
            raise NewsmonConfigError("EXTENSIONS must enable a WalkKeeper for listing spiders")
        return keeper

    def listing_request(
        self,
        slug: str,
        page: int,
        url: str,
        *,
        conditional: bool = False,
        validators: Validators | None = None,
    ) -> Request:
        """A request for one listing page (the subclass knows how to read one)."""
        raise NotImplementedError

    def cards_missing(self, slug: str, page: int, url: str) -> Iterator[Request]:
        """A listing page gave no cards by any source of the chain: an empty listing."""
        self.listing_empty(slug, page, url)
        return iter(())

    def listing_empty(self, slug: str, page: int, url: str) -> None:
        """A listing page gave no cards by any source: counted, logged, the walk incomplete."""
        self._count("listings/empty")
        # Likely broken markup: do not let validators vouch for a page we could not read.
        self.walks.listing_failed(slug, f"page {page} has no article cards")
        logger.warning("listing page has no article cards: %s", url)
        self.announce(url, CardsFound(NO_CARDS))

    def announce(self, url: str, found: CardsFound) -> None:
        """Tell the crawl (health) how a listing page's cards were found in the end."""
        self.crawler.signals.send_catch_log(signal=listing_read, url=url, found=found)

    def follow_cards(
        self, found: CardsFound, page_url: str, slug: str, page: int, next_url: str | None
    ) -> Iterator[Request]:
        """The requests a read listing page leads to: new articles, then the next page."""
        self.announce(page_url, found)
        cards = found.cards
        on_site = []
        for card in cards:
            if not is_on_site(card.url, self.base_url):
                self._count("articles/offsite_link")
                continue
            on_site.append((card, self.key_of(card.url)))
        self.walks.cards_seen(slug, [(key, card.published) for card, key in on_site])
        known = self.walks.known([key for _, key in on_site])
        known_here = [key for _, key in on_site if key in known]
        self.walks.cards_of_known_articles(known_here, slug)
        self._count("articles/known", len(known_here))
        for card, key in on_site:
            if key not in known and self.walks.card_of_new_article(key, slug, on_card=True):
                yield self.article_request(card, key, walk=slug)
        if page >= self.max_pages:
            return
        if not self.walks.walk(slug).full and all(key in known for _, key in on_site):
            self._count("listings/stopped_at_known")
            logger.debug("listing %r page %d holds only known articles: walk ends", slug, page)
            return
        if next_url and is_on_site(next_url, self.base_url):
            walk = self.walks.walk(slug)
            request = self.listing_request(slug, page + 1, next_url, conditional=not walk.full)
            request.meta[WALK_NEXT_META] = slug
            if self.max_outstanding and self._outstanding.get(slug, 0) >= self.max_outstanding:
                # Asked for once enough of this walk's articles are done (`_settled`).
                self._held[slug] = request
                self._count("listings/held_back")
                return
            yield request

    def _settled(self, meta: dict[str, Any]) -> list[Request]:
        """An article request of a walk finished: its held next page, if it may go now."""
        slug = meta.get(WALK_META)
        if not isinstance(slug, str) or slug not in self._outstanding:
            return []
        self._outstanding[slug] -= 1
        if slug in self._held and self._outstanding[slug] < self.max_outstanding:
            return [self._held.pop(slug)]
        return []

    def release_held(self) -> None:
        """Nothing else to do: ask for every held page.

        An article request that never came back (one the duplicate filter dropped, say) must
        not stop its walk.
        """
        if not self._held:
            return
        held, self._held = list(self._held.values()), {}
        for request in held:
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def key_of(self, url: str) -> str:
        """The article key (canonical URL) of a card's URL, worked out once per URL.

        An article shows in several listings (3.4 on average on the replica) and w3lib's
        canonicalisation is the dearest step of reading a card; the one key object is then
        shared by every book of the walks that holds it. Bounded like the walks' own books.
        """
        key = self._keys.get(url)
        if key is None:
            if len(self._keys) >= KEY_CACHE_SIZE:
                self._keys.clear()
            key = self._keys[url] = canonical_url(url, self.base_url)
        return key

    def article_request(self, card: ListingCard, key: str, walk: str | None = None) -> Request:
        """The request for one card's article (counted against its walk, if one led to it)."""
        meta: dict[str, Any] = {ARTICLE_META: key}
        if walk is not None:
            meta[WALK_META] = walk
            self._outstanding[walk] = self._outstanding.get(walk, 0) + 1
        return Request(
            card.url,
            callback=self.parse_article,
            errback=self.article_failed,
            # Detached: an outline card on its listing page would keep the page alive in the
            # scheduler; whole, every card would be read in full for the few articles whose
            # page lacks a field.
            cb_kwargs={CARD_ARG: card.detached(), "key": key},
            meta=meta,
        )

    def refetch_request(self, key: str) -> Request:
        """The request for an article an earlier run listed but could not store."""
        return Request(
            key,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={CARD_ARG: None, "key": key},
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

    def parse_revisit(self, response: Response, key: str) -> Iterator[ArticleItem | Request]:
        """Hand a changed page to parse_article; a 304 is counted and yields nothing."""
        self.walks.article_answered(key)
        if response.status == 304:
            self._count("revisits/not_modified")
            return
        self._count("revisits/fetched")
        yield from self.parse_article(response, None, key)

    def parse_article(
        self, response: Response, card: ListingCard | None, key: str
    ) -> Iterator[ArticleItem | Request]:
        """Turn an article page into an item; then maybe its walk's next page."""
        yield from self.read_article(response, card, key)
        yield from self._settled(response.meta)

    def read_article(
        self, response: Response, card: ListingCard | None, key: str
    ) -> Iterator[ArticleItem]:
        """Turn an article page into an item; a page that is not an article is counted."""
        if not isinstance(response, TextResponse):
            self._drop_page(response.url, "not HTML", key)
            return
        page = article_page(response)
        try:
            item = page.to_item()
        except UnreadablePage as error:
            self._unreadable(response.url, error.reason, key)
            return
        except NotAnArticle as error:
            self._drop_page(response.url, error.reason, key)
            return
        except Exception as error:
            # No page may crash the crawl: its own content broke extraction; said once.
            logger.debug("extraction of %s raised", response.url, exc_info=True)
            self._unreadable(response.url, f"extraction error ({type(error).__name__})", key)
            return
        finally:
            # After reading: a part read only when a field needed it (the app's data) is
            # counted too, if it was refused.
            for cut in page.cuts:
                self._count(f"pages/cut/{cut}")
            forget(response)
        item.listings = self.walks.listings_of(key)
        item.crawled_at = datetime.now(UTC)
        # The URL asked for, the redirects passed and the page's own URLs: a renamed article
        # is still the stored one (the store matches any of them).
        redirects = response.meta.get("redirect_urls", [])
        item.aliases = list(dict.fromkeys([key, *redirects, response.url, *page.identity_urls()]))
        if response.status == 200:
            item.validators = response_validators(response)
        self._count("articles/extracted")
        yield item

    def revisit_failed(self, failure: Failure) -> None:
        """Report a revisit that failed; the article stays as stored, the next run tries again.

        A 404 or 410 is the site saying the article is gone: the second in a row removes it.
        """
        if http_status(failure) in GONE_STATUSES:
            self.walks.article_missing(failure.request.meta[ARTICLE_META])  # type: ignore[attr-defined]
        self._report_failure(failure, "revisits", "revisit failed")

    def article_failed(self, failure: Failure) -> list[Request]:
        """Report an article that could not be fetched; the crawl goes on.

        If it may come next time (a block, a network or server error), the next run fetches
        it again, whatever its listing says then. Its walk's held page may go now.
        """
        key = failure.request.meta.get(ARTICLE_META)  # type: ignore[attr-defined]
        if key is not None:
            refused = refused_for_good(failure)
            if refused is not None:
                # Too large, not HTML, leading off the site: the same next run, so it waits.
                self.walks.page_failed(key, f"refused ({refused})")
            self.walks.article_failed(
                key,
                "an article could not be fetched",
                transient=is_transient(failure),
                detail=failure_words(failure),
            )
        self._report_failure(failure, "articles", "article not fetched")
        return self._settled(failure.request.meta)  # type: ignore[attr-defined]

    def _report_failure(self, failure: Failure, kind: str, words: str) -> None:
        """Count a failed request under `kind` (by HTTP status if it got one) and log it."""
        request = failure.request  # type: ignore[attr-defined]
        if is_blocked(failure):
            # The block was said once for the run; each page it kept away is counted only.
            self._count(f"{kind}/blocked")
            logger.debug("%s: %s", words, failure.value)
            return
        status = http_status(failure)
        if kind == "articles":
            what = f"HTTP {status}" if status is not None else NETWORK_ERROR
            fetch_failures(self.crawler).articles[what] += 1
        if status is not None:
            self._count(f"{kind}/http_{status}")
            logger.warning("%s: HTTP %s at %s", words, status, request.url)
        else:
            self._count(f"{kind}/failed")
            logger.warning("%s: %s at %s", words, failure.value, request.url)

    def _drop_page(self, url: str, reason: str, key: str) -> None:
        """A page that is not an article: counted, logged, asked again only after a pause."""
        self.walks.page_failed(key, f"not an article ({reason})")
        self.walks.article_done(key)
        self._count("articles/not_article")
        self._count(f"articles/not_article/{_stat_word(reason)}")
        logger.warning("not an article (%s): %s", reason, url)

    def _unreadable(self, url: str, reason: str, key: str) -> None:
        """An article page whose own content keeps it from being read: counted, said once."""
        self.walks.page_failed(key, f"unreadable ({reason})")
        self.walks.article_done(key)
        self._count("articles/unreadable")
        self._count(f"articles/unreadable/{_stat_word(reason)}")
        logger.warning("article unreadable (%s): %s", reason, url)

    def _count(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None and count:
            self.crawler.stats.inc_value(f"newsmon/{key}", count)


def _stat_word(reason: str) -> str:
    """A reason as a stats key: its words before any parenthesis, joined by underscores."""
    return "_".join(reason.split("(")[0].split())
