"""newsmon.compat against the pinned Scrapy, scrapy-redis and scrapy-playwright.

Each entry of newsmon/compat.py relies on a private API of one of them. The tests here check
that what it relies on is still there, in the shape it expects, and where cheap that it still
behaves as the entry needs. A failure names the dependency that changed and the entry to
revisit: fix the entry (or drop it for a public API), then update `compat.PINNED`.
"""

from __future__ import annotations

import gzip
import inspect
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from newsmon import compat
from newsmon.crawl.middlewares.guard import RefusedRequest
from newsmon.crawl.middlewares.size import SizeLimitMiddleware

ROOT = Path(__file__).resolve().parents[1]


def changed(dependency: str, entry: str, what: str) -> str:
    """The failure message: which pinned dependency changed, and which entry to revisit."""
    return (
        f"newsmon.compat.{entry} relies on a private API of {dependency} "
        f"{compat.PINNED[dependency]} that differs in the installed {dependency} "
        f"{version(dependency)}: {what}. Revisit newsmon.compat.{entry}."
    )


def parameters(function: object) -> list[str]:
    """The parameter names of a function or method, `self` included."""
    assert callable(function)
    return list(inspect.signature(function).parameters)


# --- the pins -------------------------------------------------------------------------------


def requirement_pins() -> dict[str, str]:
    """The `name==version` pins of requirements.txt."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", line)
        if match:
            pins[match[1].lower()] = match[2]
    return pins


@pytest.mark.parametrize("dependency", sorted(compat.PINNED))
def test_compat_names_the_pinned_version(dependency: str) -> None:
    pinned = requirement_pins().get(dependency)
    assert pinned == compat.PINNED[dependency], (
        f"requirements.txt pins {dependency}=={pinned}, newsmon.compat was written for "
        f"{compat.PINNED[dependency]}: run tests/test_compat.py against the new version, "
        f"revisit the entries marked {dependency} in newsmon/compat.py, then update PINNED."
    )


@pytest.mark.parametrize("dependency", sorted(compat.PINNED))
def test_the_pinned_version_is_installed(dependency: str) -> None:
    installed = version(dependency)
    assert installed == compat.PINNED[dependency], (
        f"{dependency} {installed} is installed, newsmon.compat was written for "
        f"{compat.PINNED[dependency]} (requirements.txt): revisit the entries marked "
        f"{dependency} in newsmon/compat.py."
    )


# --- Scrapy: HttpCompressionMiddleware's size limit -----------------------------------------

ENTRY_SIZE = "SizeHookCompressionMiddleware"
LIMIT = 10_000


def gzipped_response(size: int) -> tuple[Request, Response]:
    """A request and its gzip-encoded HTML answer that inflates to `size` bytes."""
    request = Request("https://example.org/page/")
    response = Response(
        request.url,
        body=gzip.compress(b"x" * size),
        headers={"Content-Encoding": "gzip", "Content-Type": "text/html"},
        request=request,
    )
    return request, response


def size_middleware(cls: type[HttpCompressionMiddleware]) -> HttpCompressionMiddleware:
    return cls.from_crawler(get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": LIMIT}))


def test_handle_encoding_is_still_there() -> None:
    method = getattr(HttpCompressionMiddleware, "_handle_encoding", None)
    assert method is not None, changed(
        "scrapy", ENTRY_SIZE, "HttpCompressionMiddleware._handle_encoding is gone"
    )
    assert parameters(method) == ["self", "body", "content_encoding", "max_size"], changed(
        "scrapy", ENTRY_SIZE, f"_handle_encoding takes {parameters(method)}"
    )


def test_the_decompression_limit_exception_is_still_there() -> None:
    try:
        from scrapy.utils._compression import _DecompressionMaxSizeExceeded
        from scrapy.utils.gz import gunzip
    except ImportError as error:
        pytest.fail(changed("scrapy", ENTRY_SIZE, f"cannot import it any more ({error})"))
    assert issubclass(_DecompressionMaxSizeExceeded, Exception)
    with pytest.raises(_DecompressionMaxSizeExceeded):
        gunzip(gzip.compress(b"x" * (LIMIT * 2)), max_size=LIMIT)


def test_a_body_inflating_past_the_limit_goes_to_the_hook() -> None:
    middleware = size_middleware(SizeLimitMiddleware)
    request, response = gzipped_response(LIMIT * 5)
    try:
        middleware.process_response(request, response)
    except RefusedRequest as refused:
        assert refused.reason == "too_large"
    except IgnoreRequest as ignored:
        pytest.fail(changed("scrapy", ENTRY_SIZE, f"the hook was not called ({ignored})"))
    else:
        pytest.fail(changed("scrapy", ENTRY_SIZE, "an over-size body was not refused"))
    assert middleware.stats is not None
    assert middleware.stats.get_value("newsmon/refused/too_large") == 1


def test_a_body_within_the_limit_is_decoded_as_before() -> None:
    middleware = size_middleware(SizeLimitMiddleware)
    request, response = gzipped_response(LIMIT // 2)
    decoded = middleware.process_response(request, response)
    assert isinstance(decoded, Response)
    assert len(decoded.body) == LIMIT // 2, changed("scrapy", ENTRY_SIZE, "decoding differs")
    assert "Content-Encoding" not in decoded.headers


def test_without_the_hook_scrapy_handles_it_its_way() -> None:
    middleware = size_middleware(compat.SizeHookCompressionMiddleware)
    request, response = gzipped_response(LIMIT * 5)
    with pytest.raises(IgnoreRequest) as raised:
        middleware.process_response(request, response)
    assert "exceeded DOWNLOAD_MAXSIZE" in str(raised.value), changed(
        "scrapy", ENTRY_SIZE, "Scrapy's own refusal changed"
    )


ENTRY_CANCEL = "cancelled_for_max_size"


def test_the_download_handler_still_cancels_with_the_same_words() -> None:
    try:
        from scrapy.core.downloader.handlers import http11
        from scrapy.utils._download_handlers import get_maxsize_msg
    except ImportError as error:
        pytest.fail(changed("scrapy", ENTRY_CANCEL, f"cannot import it any more ({error})"))
    # The HTTP/1.1 handler builds its cancel message with this helper, as a
    # DownloadCancelledError (scrapy/core/downloader/handlers/http11.py).
    assert getattr(http11, "get_maxsize_msg", None) is get_maxsize_msg, changed(
        "scrapy", ENTRY_CANCEL, "the HTTP/1.1 handler no longer uses get_maxsize_msg"
    )
    assert getattr(http11, "DownloadCancelledError", None) is DownloadCancelledError, changed(
        "scrapy", ENTRY_CANCEL, "the HTTP/1.1 handler no longer raises DownloadCancelledError"
    )
    message = get_maxsize_msg(LIMIT * 2, LIMIT, Request("https://example.org/"), expected=True)
    assert compat.cancelled_for_max_size(DownloadCancelledError(message)), changed(
        "scrapy", ENTRY_CANCEL, f"its message now reads {message!r}"
    )
    assert not compat.cancelled_for_max_size(DownloadCancelledError("cancelled"))
    assert not compat.cancelled_for_max_size(IgnoreRequest(message))
