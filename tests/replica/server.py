"""HTTP side of the replica: validators, conditional GET, gzip, methods, control API, request log.

Every site response passes through `Hook`s: a hook may answer instead of the site (`before`)
or alter any response (`after`). Fault profiles (`--faults`), a client-rendered mode
(`--render client`) and markup drift (`--drift`) are meant to plug in there.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.replica.content import Site
from tests.replica.views import Page, Views

CONTROL_PREFIX = "/__replica__/"
PAGE_METHODS = ("GET", "HEAD")
_COMPRESSIBLE = ("text/", "application/rss+xml", "application/xml", "application/json")
# Size of each chunk of a response sent with Transfer-Encoding: chunked.
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Request:
    """One request as hooks and routes see it."""

    method: str
    target: str
    path: str
    query: str
    headers: Message


@dataclass
class Response:
    """One response before it is written: hooks may replace or alter it."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class Hook:
    """A per-request hook point; the base class changes nothing."""

    def before(self, request: Request) -> Response | None:
        """Answer instead of the site (e.g. a fault), or None to let the site answer."""
        return None

    def after(self, request: Request, response: Response) -> Response:
        """Alter the site's response (e.g. drift its markup, drop its validators)."""
        return response


class RequestLog:
    """Every site request served, for tests to inspect (control requests are not logged)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def record(self, request: Request, status: int) -> None:
        """Remember one served request."""
        entry = {
            "method": request.method,
            "path": request.target,
            "status": status,
            "if_none_match": "If-None-Match" in request.headers,
            "if_modified_since": "If-Modified-Since" in request.headers,
            "user_agent": request.headers.get("User-Agent", ""),
        }
        with self._lock:
            self._entries.append(entry)

    def snapshot(self) -> list[dict[str, Any]]:
        """A copy of the log."""
        with self._lock:
            return list(self._entries)

    def reset(self) -> None:
        """Forget every request."""
        with self._lock:
            self._entries.clear()


class ReplicaServer(ThreadingHTTPServer):
    """The replica: a threaded HTTP server around one `Site`."""

    daemon_threads = True
    allow_reuse_address = True
    # The listen backlog. socketserver's default of 5 drops the SYNs of a crawler that opens
    # its eight connections at once, and the kernel sends them again a second later: every
    # crawl of the replica stalled for one second at its start. A real web server's is
    # hundreds (nginx: 511).
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        site: Site,
        hooks: Iterable[Hook] = (),
        verbose: bool = False,
    ) -> None:
        super().__init__(address, ReplicaHandler)
        self.site = site
        self.views = Views(site)
        self.hooks = list(hooks)
        self.verbose = verbose
        self.log = RequestLog()
        self.lock = threading.RLock()  # one writer or renderer at a time over the site
        self.started = site.clock

    @property
    def origin(self) -> str:
        """`http://host:port` of the bound socket."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    # -- site pages -----------------------------------------------------------------------
    def respond(self, request: Request) -> Response:
        """Answer a site request through the hooks, then apply content encoding."""
        response = None
        for hook in self.hooks:
            response = hook.before(request)
            if response is not None:
                break
        if response is None:
            response = self._site_response(request)
        for hook in self.hooks:
            response = hook.after(request, response)
        return _encode(request, response)

    def _site_response(self, request: Request) -> Response:
        if request.method not in PAGE_METHODS:
            return Response(405, b"Method Not Allowed\n", _plain(Allow=", ".join(PAGE_METHODS)))
        with self.lock:
            page = self.views.route(request.path, request.query, self.origin)
        return _validated(page, request, self.started)

    # -- control API ----------------------------------------------------------------------
    def control(self, request: Request) -> Response:
        """The `/__replica__/` API: ground truth, publish/update, request log."""
        name = request.path.removeprefix(CONTROL_PREFIX)
        routes: dict[str, tuple[str, Callable[[dict[str, list[str]]], Any]]] = {
            "truth.json": ("GET", lambda q: self._truth(self.site.articles)),
            "publish": ("POST", lambda q: self._truth(self.site.publish(_count(q)))),
            "update": ("POST", lambda q: self._truth(self.site.update(_count(q)))),
            "rename": ("POST", lambda q: self._truth([self.site.rename(_slug(q), edit=_flag(q))])),
            "remove": ("POST", lambda q: self._truth([self.site.remove(_slug(q), _status(q))])),
            "restore": ("POST", lambda q: self._truth([self.site.restore(_slug(q))])),
            "requests.json": ("GET", lambda q: self.log.snapshot()),
            "requests/reset": ("POST", lambda q: self.log.reset() or {"ok": True}),
        }
        if name not in routes:
            return _json(404, {"error": f"no control route {name!r}"})
        method, action = routes[name]
        if request.method != method:
            return _json(405, {"error": f"use {method}"}, Allow=method)
        try:
            with self.lock:
                return _json(200, action(parse_qs(request.query)))
        except ValueError as exc:
            return _json(400, {"error": str(exc)})

    def _truth(self, articles: list[Any]) -> list[dict[str, Any]]:
        """Ground truth of `articles`, newest first."""
        ordered = sorted(articles, key=lambda a: a.index, reverse=True)
        return [self.site.truth(a, self.origin) for a in ordered]


class ReplicaHandler(BaseHTTPRequestHandler):
    """Routes each request to the site (through hooks and the log) or the control API."""

    server: ReplicaServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm and delayed ACKs each
    # keep-alive response would wait ~40 ms, which made every crawl ten times slower.
    disable_nagle_algorithm = True
    server_version = "nginx"
    timeout = 30

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)  # drained so the connection can be reused
        request = Request(self.command, self.path, parts.path or "/", parts.query, self.headers)
        try:
            if request.path.startswith(CONTROL_PREFIX):
                response = self.server.control(request)
            else:
                response = self.server.respond(request)
                self.server.log.record(request, response.status)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = Response(500, b"Internal Server Error\n", _plain())
        self._send(request, response)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

    def _send(self, request: Request, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        chunked = response.headers.get("Transfer-Encoding") == "chunked"
        if response.status != 304 and not chunked:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if request.method == "HEAD" or response.status == 304:
            return
        if not chunked:
            self.wfile.write(response.body)
            return
        # No length announced: a client learns the size only as the chunks arrive.
        for start in range(0, len(response.body), CHUNK_BYTES):
            chunk = response.body[start : start + CHUNK_BYTES]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    def version_string(self) -> str:
        """The `Server` header."""
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        """Log to stderr only with --verbose."""
        if self.server.verbose:
            super().log_message(format, *args)


def _plain(**headers: str) -> dict[str, str]:
    return {"Content-Type": "text/plain; charset=utf-8", **headers}


def _json(status: int, data: Any, **headers: str) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode()
    return Response(
        status,
        body,
        {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", **headers},
    )


def _count(query: dict[str, list[str]]) -> int:
    """The `count` parameter of publish/update (default 1)."""
    raw = query.get("count", ["1"])[0]
    if not raw.isdigit():
        raise ValueError(f"count must be a non-negative integer, not {raw!r}")
    return int(raw)


def _validated(page: Page, request: Request, fallback_modified: datetime) -> Response:
    """Headers of a routed page: validators on 200s, and 304 when the client's copy is fresh."""
    headers = {"Content-Type": page.content_type}
    if page.location:
        headers["Location"] = page.location
    if page.status != 200:
        headers["Cache-Control"] = "no-cache, private, no-store, must-revalidate"
        body = page.body or f"Moved Permanently. Redirecting to {page.location}".encode()
        return Response(page.status, body, headers)
    etag = 'W/"' + hashlib.sha1(page.body).hexdigest()[:24] + '"'
    modified = (page.last_modified or fallback_modified).replace(microsecond=0)
    headers.update(
        {
            "ETag": etag,
            "Last-Modified": format_datetime(modified, usegmt=True),
            "Cache-Control": "public, max-age=0",
        }
    )
    if _fresh(request.headers, etag, modified):
        del headers["Content-Type"]
        return Response(304, b"", headers)
    return Response(200, page.body, headers)


def _fresh(headers: Message, etag: str, modified: datetime) -> bool:
    """RFC 9110: If-None-Match (weak comparison) wins over If-Modified-Since."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    if_modified_since = headers.get("If-Modified-Since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and modified <= since


def _encode(request: Request, response: Response) -> Response:
    """Gzip text bodies when the client accepts it."""
    content_type = response.headers.get("Content-Type", "")
    if not content_type.startswith(_COMPRESSIBLE) or "Transfer-Encoding" in response.headers:
        return response
    response.headers["Vary"] = "Accept-Encoding"
    accepted = request.headers.get("Accept-Encoding", "")
    if response.body and "gzip" in accepted and "gzip;q=0" not in accepted.replace(" ", ""):
        response.body = gzip.compress(response.body, mtime=0)
        response.headers["Content-Encoding"] = "gzip"
    return response


def _slug(query: dict[str, list[str]]) -> str:
    """The `slug` parameter of a control request."""
    values = query.get("slug")
    if not values:
        raise ValueError("slug is required")
    return values[0]


def _flag(query: dict[str, list[str]]) -> bool:
    """The `edit` parameter: edit the article too (default yes)."""
    return query.get("edit", ["1"])[0] not in ("0", "false", "no")


def _status(query: dict[str, list[str]]) -> int:
    """The `status` parameter of a removal (404 or 410)."""
    try:
        return int(query.get("status", ["404"])[0])
    except ValueError as error:
        raise ValueError("status must be 404 or 410") from error
