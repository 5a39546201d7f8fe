"""Every use of a private API of Scrapy, scrapy-redis and scrapy-playwright, in one place.

Where newsmon needs something these libraries offer no public API for, it goes through this
module and nowhere else, so that an upgrade has one file to revisit. Each entry names the
pinned version it was written against (`PINNED`, which tests/test_compat.py checks against
requirements.txt), and tests/test_compat.py checks that what each entry relies on is still
there, in the shape it expects: a failure there names the dependency that changed and the
entry to revisit.

This module sits at the bottom of newsmon's layers: it imports Scrapy and the two plugins,
never another newsmon module. It imports scrapy-redis and scrapy-playwright for type hints
only (the entries receive their objects), so importing it imports neither plugin: a run
that renders nothing never imports Playwright.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import DownloadCancelledError, ScrapyDeprecationWarning
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from twisted.internet.defer import CancelledError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request
    from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
    from scrapy_redis.queue import Base as RedisQueue

# The versions every entry below was written against (as pinned in requirements.txt).
PINNED = {"scrapy": "2.19.0", "scrapy-redis": "0.9.1", "scrapy-playwright": "0.0.48"}


# --- Scrapy 2.19.0: the size limit of HttpCompressionMiddleware ------------------------------


class SizeHookCompressionMiddleware(HttpCompressionMiddleware):
    """HttpCompressionMiddleware that hands a body inflating past its limit to a hook (2.19.0)."""

    # Scrapy checks DOWNLOAD_MAXSIZE while decompressing, in the private `_handle_encoding`,
    # which raises the private `_DecompressionMaxSizeExceeded`; `process_response` logs a
    # warning for it and raises IgnoreRequest. Catching it here, below `process_response`,
    # lets a subclass raise its own exception without Scrapy's warning being logged as well.
    def _handle_encoding(
        self, body: bytes, content_encoding: list[bytes], max_size: int
    ) -> tuple[bytes, list[bytes]]:
        """Scrapy's decoding, with a body over `max_size` handed to `inflated_past_limit`."""
        try:
            return super()._handle_encoding(body, content_encoding, max_size)
        except _DecompressionMaxSizeExceeded as error:
            replacement = self.inflated_past_limit(max_size)
            if replacement is None:
                raise
            raise replacement from error

    def inflated_past_limit(self, max_size: int) -> Exception | None:
        """Hook: what to raise for a body that inflates past `max_size`; None: Scrapy's way."""
        return None


# Scrapy 2.19.0's download handlers cancel a download whose Content-Length is over
# DOWNLOAD_MAXSIZE with a DownloadCancelledError whose message comes from the private
# `scrapy.utils._download_handlers.get_maxsize_msg`; nothing else tells that case apart.
_MAXSIZE_WORDS = "larger than download max size"


def cancelled_for_max_size(exception: BaseException) -> bool:
    """Whether a download was cancelled for being over DOWNLOAD_MAXSIZE (2.19.0).

    Announced by Content-Length: a DownloadCancelledError that says so. Found while receiving
    (a chunked response has no length): the handler's `_ResponseReader` cancels its Deferred,
    which ends as a DownloadCancelledError with no message (it logged the reason itself);
    Scrapy's timeouts fail otherwise.
    """
    if not isinstance(exception, DownloadCancelledError | CancelledError):
        return False
    return _MAXSIZE_WORDS in str(exception) or not str(exception)


# --- Scrapy 2.19.0: the stats collector's deprecation shim -----------------------------------


# The `spider` argument's default: Scrapy warns whenever one is passed, None included.
_NOT_GIVEN: Any = object()


class QuickStatsCollector(MemoryStatsCollector):
    """MemoryStatsCollector without Scrapy 2.19's cost per lookup and per count (2.19.0).

    Scrapy 2.19 sends every attribute lookup on a stats collector through
    `StatsCollector.__getattribute__`, which first looks for a `_cached_<name>` attribute and
    pays an AttributeError when there is none: `inc_value` reads `self._stats` twice, so each
    count raised two exceptions (scrapy/scrapy#7045; the fix, #7842, is not in 2.19.0); and
    its public methods come wrapped in a check for the deprecated `spider` argument. A count
    cost 2.6 us, and a crawl makes about twenty per article. Private names and the five
    methods a crawl calls all the time (`_HOT`) are read directly here, and those methods
    warn about a `spider` argument themselves, with Scrapy's words; the others still go
    through Scrapy's shim.
    """

    _HOT = frozenset({"inc_value", "set_value", "get_value", "max_value", "min_value"})

    def __getattribute__(self, name: str) -> Any:
        """Private names and the hot methods directly; the other public ones as Scrapy does."""
        if name[0] == "_" or name in QuickStatsCollector._HOT:
            return object.__getattribute__(self, name)
        return super().__getattribute__(name)

    def get_value(self, key: str, default: Any = None, spider: Any = _NOT_GIVEN) -> Any:
        """The value of the `key` stat, or `default` if it is not set."""
        if spider is not _NOT_GIVEN:
            _spider_argument_warning("get_value")
        return self._stats.get(key, default)

    def set_value(self, key: str, value: Any, spider: Any = _NOT_GIVEN) -> None:
        """Set the `key` stat to `value`."""
        if spider is not _NOT_GIVEN:
            _spider_argument_warning("set_value")
        self._stats[key] = value

    def inc_value(self, key: str, count: int = 1, start: int = 0, spider: Any = _NOT_GIVEN) -> None:
        """Add `count` to the `key` stat, which starts at `start`."""
        if spider is not _NOT_GIVEN:
            _spider_argument_warning("inc_value")
        stats = self._stats
        stats[key] = stats.setdefault(key, start) + count

    def max_value(self, key: str, value: Any, spider: Any = _NOT_GIVEN) -> None:
        """Set the `key` stat to `value` if it is not set or lower."""
        if spider is not _NOT_GIVEN:
            _spider_argument_warning("max_value")
        stats = self._stats
        stats[key] = max(stats.setdefault(key, value), value)

    def min_value(self, key: str, value: Any, spider: Any = _NOT_GIVEN) -> None:
        """Set the `key` stat to `value` if it is not set or higher."""
        if spider is not _NOT_GIVEN:
            _spider_argument_warning("min_value")
        stats = self._stats
        stats[key] = min(stats.setdefault(key, value), value)


def _spider_argument_warning(method: str) -> None:
    """Scrapy's own warning for the deprecated `spider` argument of a stats method."""
    warnings.warn(
        f"Passing a 'spider' argument to StatsCollector.{method}() is deprecated and the"
        " argument will be removed in a future Scrapy version.",
        category=ScrapyDeprecationWarning,
        stacklevel=3,
    )


# --- Scrapy 2.19.0: the engine's slot --------------------------------------------------------
# Worker mode needs two things Scrapy has no public API for, both on `ExecutionEngine._slot`:
# - which requests are still being processed (`inprogress`): the engine drops a request from
#   it only after its callback's output was scheduled or went through the item pipelines (or
#   its errback ran), which is exactly when a worker may release the request's lease. No
#   signal marks that moment.
# - a nudge (`nextcall`): an idle engine asks its scheduler for work only every 5 seconds (the
#   slot's heartbeat); a worker waiting for other workers' requests nudges it more often.
# Both degrade safely if the slot changes (tests/test_compat.py fails loudly meanwhile): no
# lease is released early (they are released when the spider closes), and the engine falls
# back to its own heartbeat.


def requests_in_progress(crawler: Crawler) -> set[Request] | None:
    """The requests the engine is processing now; None if it cannot tell (2.19.0)."""
    slot = getattr(getattr(crawler, "engine", None), "_slot", None)
    in_progress = getattr(slot, "inprogress", None)
    return in_progress if isinstance(in_progress, set) else None


def nudge_engine(crawler: Crawler) -> None:
    """Have the engine ask its scheduler for requests soon; a no-op while closing (2.19.0)."""
    slot = getattr(getattr(crawler, "engine", None), "_slot", None)
    nextcall = getattr(slot, "nextcall", None)
    # A closing slot has cancelled its nextcall; scheduling it again would restart the loop.
    if nextcall is not None and getattr(slot, "closing", None) is None:
        nextcall.schedule()


# --- scrapy-redis 0.9.1: the queue's request encoding ----------------------------------------
# The shared queue's Lua scripts push and pop requests themselves (atomic enqueue, leases), so
# they must store them exactly as scrapy-redis's own queue does (its serializer over
# `Request.to_dict`): these are the queue's own private methods, not a copy that could drift.


def encode_request(queue: RedisQueue, request: Request) -> bytes:
    """A request as scrapy-redis's queue stores it (scrapy-redis 0.9.1)."""
    encoded: bytes = queue._encode_request(request)
    return encoded


def decode_request(queue: RedisQueue, data: bytes) -> Request:
    """A request stored by scrapy-redis's queue, or by `encode_request` (scrapy-redis 0.9.1)."""
    request: Request = queue._decode_request(data)
    return request


# --- scrapy-playwright 0.0.48: starting the browser ------------------------------------------


async def launch_playwright(handler: ScrapyPlaywrightDownloadHandler) -> None:
    """Start a handler's Playwright driver and browser now (scrapy-playwright 0.0.48)."""
    # scrapy-playwright starts the driver at the engine_started signal and the browser on the
    # first page. newsmon builds the handler later, on the first page that needs a browser
    # (the signal has fired by then), and starts both at once so that a browser that cannot
    # start is known right away, once; the handler offers no public method for either.
    await handler._maybe_launch_in_thread()
    await handler._maybe_launch_browser()
