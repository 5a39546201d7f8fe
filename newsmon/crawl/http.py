"""HTTP facts spiders and middlewares share: a response's validators, a failed request's status."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newsmon.crawl.blocks import BlockedRequest
from newsmon.items import Validators

# Statuses of a failure that passes: the page is there, the site could not or would not give it
# this time (a block, a rate limit, a timeout, a server error).
TRANSIENT_STATUSES = frozenset({401, 403, 408, 425, 429})

# Refusals that may not hold next run.
PASSING_REFUSALS = frozenset({"truncated"})


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


def is_blocked(failure: Failure) -> bool:
    """Tell whether a request ended because the site blocks the run (said once, elsewhere)."""
    return failure.check(BlockedRequest) is not None


def is_transient(failure: Failure) -> bool:
    """Tell whether a failed request may well succeed next run.

    A block, a network error, a 5xx, 429 and the like pass; a 404, or a page newsmon refused
    (off-site, not HTML, too large) will be the same next time.
    """
    if is_blocked(failure):
        return True
    status = http_status(failure)
    if status is not None:
        return status >= 500 or status in TRANSIENT_STATUSES
    return failure.check(IgnoreRequest) is None


def refused_for_good(failure: Failure) -> str | None:
    """Why newsmon refused the page for what it is (too large, not HTML, off-site...), else None.

    Such a refusal is the page's own doing: the next run would refuse it again. A page that
    stayed truncated through every retry is left out: that may be the network's doing.
    """
    if is_blocked(failure) or failure.check(IgnoreRequest) is None:
        return None
    reason = getattr(failure.value, "reason", None)
    if not isinstance(reason, str) or not reason or reason in PASSING_REFUSALS:
        return None
    return reason
