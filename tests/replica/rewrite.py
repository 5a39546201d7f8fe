"""A hook that rewrites the site's HTML pages, with validators that follow the new bytes.

Base of the modes that change markup and not content (`--drift`, `--listing`): the site must
render every page in full (the conditional headers are set aside before it answers), the
rewritten page gets an ETag of its own bytes and a Last-Modified no earlier than the rewrite
began, and the hook answers 304 itself when the client already holds the page it would send.
So a crawler revalidating copies from before a redesign gets the new pages, not a 304.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

# The server's own freshness rule (If-None-Match wins over If-Modified-Since), reused so the
# rewritten pages answer conditional requests exactly as the site does.
from tests.replica.server import Hook, Request, Response, _fresh

CONDITIONAL = ("If-None-Match", "If-Modified-Since")
STASH = "X-Replica-Rewrite-"


class MarkupRewrite(Hook):
    """Serve HTML pages as `rewrite` returns them, with validators of the new bytes."""

    def __init__(self) -> None:
        self.since = datetime.now(UTC).replace(microsecond=0)

    def rewrite(self, request: Request, page: str) -> str | None:
        """The page as this mode serves it, or None to leave it as the site rendered it."""
        raise NotImplementedError

    def before(self, request: Request) -> Response | None:
        """Set conditional headers aside: the site must render the page, not answer 304."""
        for name in CONDITIONAL:
            value = request.headers.get(name)
            if value is not None:
                del request.headers[name]
                request.headers[STASH + name] = value
        return None

    def after(self, request: Request, response: Response) -> Response:
        """Rewrite an HTML page; answer 304 if the client already holds what would be sent."""
        for name in CONDITIONAL:
            value = request.headers.get(STASH + name)
            if value is not None:
                del request.headers[STASH + name]
                request.headers[name] = value  # the request log reports what was sent
        if response.status != 200:
            return response
        body = response.body
        headers = dict(response.headers)
        if headers.get("Content-Type", "").startswith("text/html"):
            page = self.rewrite(request, body.decode("utf-8"))
            if page is not None:
                body = page.encode("utf-8")
                headers["ETag"] = 'W/"' + hashlib.sha1(body).hexdigest()[:24] + '"'
                modified = self.since
                if "Last-Modified" in headers:
                    modified = max(modified, parsedate_to_datetime(headers["Last-Modified"]))
                headers["Last-Modified"] = format_datetime(modified, usegmt=True)
        if "ETag" in headers and "Last-Modified" in headers:
            modified = parsedate_to_datetime(headers["Last-Modified"])
            if _fresh(request.headers, headers["ETag"], modified):
                headers.pop("Content-Type", None)
                return Response(304, b"", headers)
        return Response(200, body, headers)
