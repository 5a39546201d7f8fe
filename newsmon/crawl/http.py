"""HTTP facts spiders and middlewares share: a response's validators, a failed request's status."""

from __future__ import annotations

from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

Validators = tuple[str | None, str | None]


def response_validators(response: Response) -> Validators:
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


def failure_words(failure: Failure) -> str:
    """How a request failed, for a log line: "answered HTTP 404" or "failed: <error>"."""
    status = http_status(failure)
    return f"answered HTTP {status}" if status is not None else f"failed: {failure.value}"


def http_status(failure: Failure) -> int | None:
    """The HTTP status of a failed request that got an answer (HttpError), else None."""
    if failure.check(HttpError):
        status: int = failure.value.response.status  # type: ignore[union-attr]
        return status
    return None
