"""Accept only what a news page is: HTML, read in the charset its bytes are really in.

- A page request answered with anything but HTML (a PDF, an image, XML with entities) is
  refused as `newsmon/refused/not_html`. Content sniffing would otherwise turn a PDF into a
  TextResponse and the page objects would make an "article" of it. A request that wants
  another type says so in `meta[CONTENT_TYPES_META]` (a tuple of media types).
- A page whose declared charset is a single-byte one (Latin-1, windows-1251, ...) while its
  bytes are valid UTF-8 with non-ASCII text is read as UTF-8, counted as
  `newsmon/repaired/charset` and logged once. Valid UTF-8 that is really Latin-1 or
  windows-1251 text is vanishingly rare, so trusting the bytes loses nothing, while trusting
  the declaration publishes "cafÃ©" in every feed.
"""

from __future__ import annotations

import codecs
import logging
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse

from newsmon.crawl.meta import CONTENT_TYPES_META
from newsmon.crawl.middlewares.guard import RefusedRequest

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
_UTF8_NAMES = frozenset({"utf-8", "utf8"})


class ContentCheckMiddleware:
    """Refuse non-HTML answers to page requests; read mislabelled UTF-8 pages as UTF-8."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContentCheckMiddleware:
        """Build the middleware for a crawl."""
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        """Check the media type of a 200 answer, then its charset."""
        if response.status != 200 or urlsplit(request.url).path == "/robots.txt":
            return response
        wanted = tuple(request.meta.get(CONTENT_TYPES_META) or HTML_TYPES)
        media_type = _media_type(response)
        if media_type and media_type not in wanted:
            self._count("refused/not_html")
            raise RefusedRequest(
                "not_html", f"refused an answer of type {media_type}: a page must be HTML"
            )
        if isinstance(response, TextResponse) and media_type in HTML_TYPES:
            return self._utf8_if_mislabelled(response)
        return response

    def _utf8_if_mislabelled(self, response: TextResponse) -> Response:
        declared = codecs.lookup(response.encoding).name
        if declared in _UTF8_NAMES or declared.startswith("utf-16") or response.body.isascii():
            return response
        try:
            response.body.decode("utf-8")
        except UnicodeDecodeError:
            return response
        self._count("repaired/charset")
        logger.warning(
            "page declares charset %s but its bytes are UTF-8: read as UTF-8: %s",
            declared,
            response.url,
        )
        return response.replace(encoding="utf-8")

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsmon/{key}")


def _media_type(response: Response) -> str:
    """The media type of the Content-Type header, lower-cased, without parameters."""
    raw = response.headers.get("Content-Type")
    if not raw:
        return ""
    return raw.decode("latin-1").split(";", 1)[0].strip().lower()
