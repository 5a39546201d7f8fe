"""Retry transient failures with backoff, honour Retry-After, and retry truncated pages.

Scrapy's RetryMiddleware retries at once and ignores Retry-After: a rate-limited site gets the
same request again immediately and answers 429 again. This one, in its place at 550:

- waits before each retry: the server's Retry-After (seconds or an HTTP date) on 429 and 503,
  else exponential backoff, NEWSMON_RETRY_BACKOFF seconds doubled per attempt, jittered;
- never waits longer than NEWSMON_RETRY_AFTER_MAX seconds: a server that asks for more is
  not retried in this run (the next run asks again), so one page cannot stall a run;
- waits for that request only: the wait is an awaited timer in the reactor, so every other
  request goes on meanwhile (a waiting retry holds one of CONCURRENT_REQUESTS);
- treats a 200 HTML page that stops before its closing </body> or </html> as a transient
  failure: a truncated page stored once would be announced again as an "update" when the
  whole page arrives. If it stays truncated through every retry it is refused for this run.

Retries, give-ups and waits are counted under `newsmon/retry/`.
"""

from __future__ import annotations

import logging
import random
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message

from newsmon.config import NewsmonConfigError
from newsmon.crawl.middlewares.guard import RefusedRequest

logger = logging.getLogger(__name__)

# Statuses whose Retry-After means "come back then" (RFC 9110 §10.2.3).
RETRY_AFTER_STATUSES = frozenset({429, 503})
HTML_TYPES = (b"text/html", b"application/xhtml+xml")
# A complete page ends with </html> (or at least </body>) near its end.
_CLOSING_TAG = re.compile(rb"</\s*(?:html|body)\s*>", re.IGNORECASE)
_TAIL_BYTES = 64 * 1024
# Backoff waits vary by this share either way, so failed requests do not return in lockstep.
JITTER = 0.2


def seconds_setting(settings: BaseSettings, name: str, default: float) -> float:
    """A setting that is a number of seconds, 0 or more; NewsmonConfigError otherwise."""
    try:
        value = settings.getfloat(name, default)
    except (TypeError, ValueError):
        value = -1.0
    if not value >= 0:  # also refuses NaN
        raise NewsmonConfigError(
            f"{name} must be a number of seconds, 0 or more, not {settings.get(name)!r}"
        )
    return value


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks to wait (delay-seconds or HTTP-date), or None."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def looks_truncated(response: Response) -> bool:
    """Tell whether a 200 HTML answer stops before its closing </body> or </html> tag."""
    content_type = (response.headers.get("Content-Type") or b"").lower()
    if response.status != 200 or not content_type.startswith(HTML_TYPES) or not response.body:
        return False
    return _CLOSING_TAG.search(response.body[-_TAIL_BYTES:]) is None


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware with waits: Retry-After, backoff, and a cap."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff = seconds_setting(settings, "NEWSMON_RETRY_BACKOFF", 1.0)
        self.max_wait = seconds_setting(settings, "NEWSMON_RETRY_AFTER_MAX", 60.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        """Build the middleware from RETRY_* and NEWSMON_RETRY_* settings."""
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        """Retry a retryable status or a truncated page, after the wait it calls for."""
        if request.meta.get("dont_retry", False):
            return response
        if response.status in self.retry_http_codes:
            wait = self._wait_for(request, response)
            if wait is None:
                return response
            retry = self._retry_request(request, response_status_message(response.status))
            if retry is None:
                return response
            await self._wait(wait, request, f"HTTP {response.status}")
            return retry
        if looks_truncated(response):
            self._count("retry/truncated")
            retry = self._retry_request(request, "truncated HTML")
            if retry is None:
                self._count("refused/truncated")
                raise RefusedRequest(
                    "truncated", "refused a page that stayed truncated through every retry"
                )
            await self._wait(self._backoff(retry), request, "truncated HTML")
            return retry
        return response

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        """Retry a transient download error (timeout, lost connection) after a backoff."""
        if request.meta.get("dont_retry", False) or not isinstance(
            exception, self.exceptions_to_retry
        ):
            return None
        retry = self._retry_request(request, exception)
        if retry is None:
            return None
        await self._wait(self._backoff(retry), request, type(exception).__name__)
        return retry

    def _retry_request(self, request: Request, reason: str | Exception) -> Request | None:
        """A copy of `request` to send again, or None once its retries are used up."""
        # What Scrapy's RetryMiddleware passes to this public helper from its private `_retry`:
        # the request's meta overrides the RETRY_* settings the middleware read at start.
        assert self.crawler.spider is not None
        return get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=reason,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
            give_up_log_level=request.meta.get("give_up_log_level", self.give_up_log_level),
        )

    def _wait_for(self, request: Request, response: Response) -> float | None:
        """Seconds to wait before retrying, or None if the server asks for too long."""
        if response.status in RETRY_AFTER_STATUSES:
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            if asked is not None:
                if asked > self.max_wait:
                    self._count("retry/retry_after_over_max")
                    logger.info(
                        "%s asks to wait %.0f s (Retry-After), more than "
                        "NEWSMON_RETRY_AFTER_MAX (%.0f s): not retried in this run",
                        request.url,
                        asked,
                        self.max_wait,
                    )
                    return None
                self._count("retry/retry_after")
                return asked
        return self._backoff(request, attempt=request.meta.get("retry_times", 0) + 1)

    def _backoff(self, request: Request, attempt: int | None = None) -> float:
        """NEWSMON_RETRY_BACKOFF doubled per attempt, jittered, capped at the maximum wait."""
        attempt = attempt if attempt is not None else request.meta.get("retry_times", 1)
        base = self.backoff * 2 ** max(0, attempt - 1)
        return min(self.max_wait, base * random.uniform(1 - JITTER, 1 + JITTER))

    async def _wait(self, seconds: float, request: Request, why: str) -> None:
        """Wait for this request only; the reactor keeps serving the others."""
        if seconds <= 0:
            return
        self._count("retry/waits")
        logger.debug("retrying %s in %.1f s (%s)", request.url, seconds, why)
        await sleep(seconds)

    def _count(self, key: str) -> None:
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value(f"newsmon/{key}")
