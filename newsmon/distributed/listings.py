"""Spider middleware (worker mode): an article remembers the listing whose card led to it.

On one machine the spider notes every listing an article's card was seen in, and the
article's item carries them (`ArticleItem.listings`). Across workers the card may be parsed
on one worker and the article fetched on another, whose spider never saw the card; so the
listing travels with the article request, in its meta, through the shared queue. The same
middleware counts the listing pages parsed by every worker, in the shared crawl's hash: a
shared crawl that parsed none has failed (`newsmon.distributed.worker.RedisWorker`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from newsmon.crawl.meta import ARTICLE_META, LISTING_META, REDIS_LISTINGS_META
from newsmon.distributed.worker import SharedCrawl, shared_crawl
from newsmon.items import ArticleItem


class ListingMembershipMiddleware:
    """Carry a card's listing to its article's item; count listing pages in Redis."""

    def __init__(self, shared: SharedCrawl) -> None:
        self.shared = shared

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ListingMembershipMiddleware:
        """Build the middleware on the crawl's shared state."""
        return cls(shared_crawl(crawler))

    def process_spider_input(self, response: Response) -> None:
        """Count a listing page that reached the spider (any status the spider handles)."""
        if response.meta.get(LISTING_META):
            self.shared.count_listing_page()

    def process_spider_output(
        self, response: Response | None, result: Iterable[Any]
    ) -> Iterable[Any]:
        """Tag article requests with their listing; merge the tag into their items."""
        for output in result:
            yield self._carry(response, output)

    async def process_spider_output_async(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        """The asynchronous twin of `process_spider_output`."""
        async for output in result:
            yield self._carry(response, output)

    def _carry(self, response: Response | None, output: Any) -> Any:
        if response is None:
            return output
        meta = _meta(response)
        if isinstance(output, Request):
            slug = meta.get(LISTING_META)
            if slug and ARTICLE_META in output.meta:
                output.meta[REDIS_LISTINGS_META] = [str(slug)]
        elif isinstance(output, ArticleItem):
            carried = meta.get(REDIS_LISTINGS_META) or []
            if carried:
                output.listings = sorted({*output.listings, *map(str, carried)})
        return output


def _meta(response: Response) -> dict[str, Any]:
    """The meta of a response's request; {} for a response built without one."""
    try:
        return dict(response.meta)
    except AttributeError:
        return {}
