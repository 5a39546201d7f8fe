"""RedisItemsPipeline (300 in worker mode, in place of the store): push items to Redis.

Workers keep no store: each cleaned and validated article goes, as one JSON envelope, onto
the shared item list, and the publisher (`python -m newsmon publish --from-redis URL`) records
it in the store. A push is one LPUSH, done before the request that produced the item releases
its lease, so an item is never lost; it may be pushed twice (a worker killed right after the
push redoes the request), which the store's dedupe makes harmless.
"""

from __future__ import annotations

from typing import Any

import redis
from scrapy.crawler import Crawler

from newsmon.distributed.envelope import encode
from newsmon.distributed.worker import SharedCrawl, shared_crawl
from newsmon.items import ArticleItem


class RedisItemsPipeline:
    """Push every ArticleItem onto the shared item list; pass it on unchanged."""

    def __init__(self, crawler: Crawler, shared: SharedCrawl) -> None:
        self.crawler = crawler
        self.shared = shared

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisItemsPipeline:
        """Build the pipeline on the crawl's Redis connection."""
        return cls(crawler, shared_crawl(crawler))

    def process_item(self, item: Any) -> Any:
        """Push an ArticleItem (and count it); anything else passes through."""
        if not isinstance(item, ArticleItem):
            return item
        payload = encode(item, spider=self.shared.keys.spider, worker=self.shared.worker)
        try:
            self.shared.client.lpush(self.shared.items.items, payload)
        except redis.RedisError as error:
            if self.shared.leases is not None:
                self.shared.leases.hold(f"could not push {item.url} to Redis ({error})")
            raise
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("newsmon/redis/items_pushed")
        return item
