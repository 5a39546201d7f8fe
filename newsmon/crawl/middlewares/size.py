"""Count pages refused for size (DOWNLOAD_MAXSIZE), under one reason and with one plain message.

Scrapy enforces DOWNLOAD_MAXSIZE in two places: the download handler (when Content-Length
announces too much) and HttpCompressionMiddleware (when a compressed body inflates past it,
which is how an oversized page usually arrives). Both only log; neither is counted. This
subclass of HttpCompressionMiddleware, in its place at 590, counts both cases as
`newsmon/refused/too_large` and hands the spider's errback a short reason, which it logs.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import DownloadCancelledError
from scrapy.http import Request
from scrapy.utils._compression import _DecompressionMaxSizeExceeded

from newsmon.crawl.middlewares.guard import RefusedRequest

# The download handler's message when Content-Length is over the limit.
_MAXSIZE_WORDS = "larger than download max size"


class SizeLimitMiddleware(HttpCompressionMiddleware):
    """HttpCompressionMiddleware that counts and explains pages over DOWNLOAD_MAXSIZE."""

    def _handle_encoding(
        self, body: bytes, content_encoding: list[bytes], max_size: int
    ) -> tuple[bytes, list[bytes]]:
        """Decompress as Scrapy does; a body that inflates past the limit is refused.

        Caught here rather than around process_response so that Scrapy's own warning for
        it is not logged as well: the spider's errback reports the page in one line.
        (A private method of Scrapy 2.19, pinned; test_hostile fails if it moves.)
        """
        try:
            return super()._handle_encoding(body, content_encoding, max_size)
        except _DecompressionMaxSizeExceeded as error:
            raise self._too_large(max_size) from error

    def process_exception(self, request: Request, exception: Exception) -> None:
        """A download cancelled for its announced size is refused with the same reason."""
        if isinstance(exception, DownloadCancelledError) and _MAXSIZE_WORDS in str(exception):
            limit = request.meta.get("download_maxsize", self._max_size)
            raise self._too_large(limit) from exception

    def _too_large(self, limit: int) -> RefusedRequest:
        if self.stats is not None:
            self.stats.inc_value("newsmon/refused/too_large")
        return RefusedRequest(
            "too_large", f"refused a page over DOWNLOAD_MAXSIZE ({limit // 1024} KiB)"
        )
