"""Conditional GET: ask "changed since?" with the validators the store remembers.

A request opts in with `meta["newsmon_conditional"] = True` (listing pages of an incremental
walk, article revisits). The middleware adds `If-None-Match` (ETag) and `If-Modified-Since`
(Last-Modified) from `meta["newsmon_validators"]` when the spider passed them, else from the
store (saved per URL), and lets a 304 reach the callback: an unchanged page then costs one
bodiless answer. Saving validators is the spider's job, because only it knows when a page's
content has been fully processed (see `newsmon.crawl.walks`).
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from newsmon.store import get_store

CONDITIONAL = "newsmon_conditional"
VALIDATORS = "newsmon_validators"
# Marks a request this middleware made conditional (its 304 is expected, not an error).
SENT = "newsmon_conditional_sent"


def response_validators(response: Response) -> tuple[str | None, str | None]:
    """The (ETag, Last-Modified) a response came with, as text; None for a missing one."""
    return (_header(response, b"ETag"), _header(response, b"Last-Modified"))


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    if not value:
        return None
    text = value.decode("latin-1").strip()
    # A validator is echoed back in a header: refuse anything that could split it.
    if not text or any(ch in text for ch in "\r\n\x00"):
        return None
    return text


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
        if not request.meta.get(CONDITIONAL) or request.meta.get(SENT):
            return
        validators = request.meta.get(VALIDATORS)
        if validators is None:
            validators = get_store(self.crawler).listing_validators(request.url)
        etag, last_modified = validators
        if not etag and not last_modified:
            return
        if etag:
            request.headers[b"If-None-Match"] = etag
        if last_modified:
            request.headers[b"If-Modified-Since"] = last_modified
        request.meta[SENT] = True
        # Without this HttpErrorMiddleware would swallow the 304 the request asks for.
        allowed = list(request.meta.get("handle_httpstatus_list", []))
        if 304 not in allowed:
            request.meta["handle_httpstatus_list"] = [*allowed, 304]
        self._count("sent")

    def process_response(self, request: Request, response: Response) -> Any:
        """Count how conditional requests were answered; the response goes on unchanged."""
        if request.meta.get(SENT):
            self._count("not_modified" if response.status == 304 else f"http_{response.status}")
        return response

    def _count(self, outcome: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsmon/conditional/{outcome}")
