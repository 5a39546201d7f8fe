"""The baseline: a bare Scrapy spider that fetches a list of URLs and parses nothing.

Run with Scrapy's own defaults (from a folder without scrapy.cfg, so none of newsmon's
settings, middlewares, pipelines or extensions load) and the same concurrency settings as the
newsmon crawl it is compared with:

    scrapy runspider benchmarks/bare_spider.py -a urls=URLS.txt -s CONCURRENT_REQUESTS_PER_DOMAIN=8

Standalone on purpose: it imports nothing from newsmon or the benchmarks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response


class BareSpider(scrapy.Spider):
    """Request every URL of a file (one a line) once; ignore every response."""

    name = "bare"

    def __init__(self, *args: Any, urls: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.urls_path = Path(urls)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """One request per line of the URL file."""
        for url in self.urls_path.read_text(encoding="utf-8").split():
            # dont_filter: the list is fetched as given, a URL listed twice is fetched twice.
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response: Response, **kwargs: Any) -> None:
        """Parse nothing: what is left is the cost of fetching with Scrapy."""
        return None
