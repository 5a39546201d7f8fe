"""Conditional GET: ask "changed since?" with the validators the store remembers.

A request opts in with `meta[CONDITIONAL_META] = True` (listing pages of an incremental
walk, article revisits). The middleware adds `If-None-Match` (ETag) and `If-Modified-Since`
(Last-Modified) from `meta[VALIDATORS_META]` when the spider passed them, else from the
store (saved per URL), and lets a 304 reach the callback: an unchanged page then costs one
bodiless answer. Saving validators is not this middleware's job: a listing's are saved when
its walk completes (`newsmon.crawl.walks`), an article's with the article the store keeps
(`ArticleTables.record`), so a page not fully processed is read again.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from newsmon.crawl.meta import CONDITIONAL_META, CONDITIONAL_SENT_META, VALIDATORS_META
from newsmon.store import get_store


class ConditionalRequestsMiddleware:
    """Add If-None-Match / If-Modified-Since to opted-in requests; pass their 304s on."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestsMiddleware:
        """Build the middleware; the store is looked up per request (opened by the crawl)."""
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        """Add the validators remembered for the request's URL, if any."""
        if not request.meta.get(CONDITIONAL_META) or request.meta.get(CONDITIONAL_SENT_META):
            return
        validators = request.meta.get(VALIDATORS_META)
        if validators is None:
            validators = get_store(self.crawler).listing_validators(request.url)
        etag, last_modified = validators
        if not etag and not last_modified:
            return
        if etag:
            request.headers[b"If-None-Match"] = etag
        if last_modified:
            request.headers[b"If-Modified-Since"] = last_modified
        request.meta[CONDITIONAL_SENT_META] = True
        # Without this HttpErrorMiddleware would swallow the 304 the request asks for.
        allowed = list(request.meta.get("handle_httpstatus_list", []))
        if 304 not in allowed:
            request.meta["handle_httpstatus_list"] = [*allowed, 304]
        self._count("sent")

    def process_response(self, request: Request, response: Response) -> Any:
        """Count how conditional requests were answered; the response goes on unchanged."""
        if request.meta.get(CONDITIONAL_SENT_META):
            self._count("not_modified" if response.status == 304 else f"http_{response.status}")
        return response

    def _count(self, outcome: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsmon/conditional/{outcome}")
