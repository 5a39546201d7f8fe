"""Count pages refused for size (DOWNLOAD_MAXSIZE), under one reason and with one plain message.

Scrapy enforces DOWNLOAD_MAXSIZE in two places: the download handler (when Content-Length
announces too much) and HttpCompressionMiddleware (when a compressed body inflates past it,
which is how an oversized page usually arrives). Both only log; neither is counted. This
subclass of HttpCompressionMiddleware, in its place at 590, counts both cases as
`newsmon/refused/too_large` and hands the spider's errback a short reason, which it logs.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.http import Request

from newsmon.compat import SizeHookCompressionMiddleware, cancelled_for_max_size
from newsmon.crawl.middlewares.guard import RefusedRequest


class SizeLimitMiddleware(SizeHookCompressionMiddleware):
    """HttpCompressionMiddleware that counts and explains pages over DOWNLOAD_MAXSIZE."""

    max_size: int

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SizeLimitMiddleware:
        """Scrapy's middleware, which also keeps DOWNLOAD_MAXSIZE for the refusal message."""
        middleware = super().from_crawler(crawler)
        middleware.max_size = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        return middleware

    def inflated_past_limit(self, max_size: int) -> Exception:
        """A body that inflates past the limit is refused.

        Refused below Scrapy's process_response, so that Scrapy's own warning for it is not
        logged as well: the spider's errback reports the page in one line.
        """
        return self._too_large(max_size)

    def process_exception(self, request: Request, exception: Exception) -> None:
        """A download cancelled for its announced size is refused with the same reason."""
        if cancelled_for_max_size(exception):
            limit = request.meta.get("download_maxsize", self.max_size)
            raise self._too_large(limit) from exception

    def _too_large(self, limit: int) -> RefusedRequest:
        if self.stats is not None:
            self.stats.inc_value("newsmon/refused/too_large")
        return RefusedRequest(
            "too_large", f"refused a page over DOWNLOAD_MAXSIZE ({limit // 1024} KiB)"
        )
