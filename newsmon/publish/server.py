"""A read-only HTTP server for the output folder: feeds with validators, 304s and gzip.

`/` is the front door (output/index.html) when publishing wrote one. A feed URL with a query
string (`/newsfeed.xml?filter=kharkiv`) is answered by `newsmon.publish.queries` from the
store, with the same validators, 304s and gzip.

What subscribers' readers need and nothing more: GET and HEAD (405 otherwise), the feed media
types, a content-based ETag (an unchanged feed keeps its ETag across runs, because publishing
leaves an unchanged file alone) and Last-Modified with 304 answers, gzip when asked. Only
newsmon's own files are served (`newsmon.publish.served`): anything else in the folder, dot
files, and symlinks that lead out are not found.

Built on twisted.web, which Scrapy already brings, rather than a thread per connection: one
event loop (in a thread of its own, so `watch --serve` can keep its scheduler) holds every
connection, at most NEWSMON_SERVE_MAX_CONNECTIONS at once, each with NEWSMON_SERVE_TIMEOUT to
send its request (`newsmon.publish.connections`); the blocking work (hashing, compressing,
reading the store) runs in a small thread pool. So a crowd of slow clients costs no threads,
and files are streamed from disk a chunk at a time: memory stays flat however many ask.
"""

from __future__ import annotations

import functools
import gzip
import ipaddress
import logging
import os
import socket
import tempfile
import threading
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urlsplit

from twisted.internet.defer import Deferred
from twisted.internet.error import CannotListenError
from twisted.logger import (
    FilteringLogObserver,
    LogLevel,
    LogLevelFilterPredicate,
    STDLibLogObserver,
    globalLogPublisher,
)
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request

from newsmon.publish.conditional import (
    Validators,
    accepts_gzip,
    etag_matches,
    not_modified_since,
    validator_headers,
)
from newsmon.publish.connections import CappedPort, GuardedSite, Limits
from newsmon.publish.paths import INDEX_NAME
from newsmon.publish.queries import Answer, FeedQueries
from newsmon.publish.served import GZIP_MAX_BYTES, FileStream, Found, Jobs, ServedFolder

logger = logging.getLogger(__name__)
# The access log keeps the name operators filter on, wherever the server's code lives.
access_log = logging.getLogger("newsmon.serve")

CONTENT_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    # JSON lines: application/x-ndjson is the type most tools recognise.
    ".jsonl": "application/x-ndjson; charset=utf-8",
    # The only JSON files newsmon writes there are JSON Feeds.
    ".json": "application/feed+json; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
DEFAULT_TYPE = "application/octet-stream"
ALLOWED_METHODS = "GET, HEAD"
# Threads for the blocking work: hashing and compressing files, reading the store. Few: the
# work is bounded by the disk and the cores, and they are all the threads a crowd can cost.
POOL_THREADS = 4
# Connections waiting to be accepted while the server is at its cap (the kernel's queue).
BACKLOG = 1024


def content_type(path: Path) -> str:
    """The media type a file is served with, by its extension."""
    return CONTENT_TYPES.get(path.suffix.lower(), DEFAULT_TYPE)


class FeedResource(Resource):
    """GET/HEAD on the output folder and on feed URLs with parameters; else 405."""

    isLeaf = True

    def __init__(self, folder: ServedFolder, queries: FeedQueries | None, jobs: Jobs) -> None:
        super().__init__()
        self.folder = folder
        self.queries = queries
        self.jobs = jobs

    def render(self, request: Request) -> Any:
        """Answer one request; the answer may come later (NOT_DONE_YET)."""
        request.setHeader(b"Server", b"newsmon")
        request.setHeader(b"X-Content-Type-Options", b"nosniff")
        if request.method not in (b"GET", b"HEAD"):
            return _plain(
                request, 405, "method not allowed: this server is read-only\n", ALLOWED_METHODS
            )
        split = urlsplit((request.uri or b"/").decode("latin-1"))
        if self.queries is not None and self.queries.handles(split.path, split.query):
            # A feed URL with parameters: rendered from the store (publish/queries.py).
            answered = self.jobs.call(self.queries.answer, split.path, split.query)
            _later(request, answered.addCallback(self._send_answer, request))
            return NOT_DONE_YET
        found = self.folder.resolve(split.path)
        if found is None:
            return _plain(request, 404, "not found\n")
        if not found.is_folder:
            return self._send_file(request, found)
        if not split.path.endswith("/"):
            # Relative links in the index need the trailing slash.
            return _plain(request, 301, "moved\n", location=quote(split.path + "/"))
        front_door = self.folder.resolve("/" + INDEX_NAME) if found.relative == "" else None
        if front_door is not None:
            # The front door publishing writes (output/index.html), else the bare listing.
            return self._send_file(request, front_door)
        return _body(request, 200, self.folder.listing(found), "text/html; charset=utf-8", {})

    def _send_file(self, request: Request, found: Found) -> Any:
        try:
            handle = found.path.open("rb")
        except OSError:
            return _plain(request, 404, "not found\n")
        checked = self.folder.validators(handle)
        _later(request, checked.addCallback(self._send_version, request, found, handle), handle)
        return NOT_DONE_YET

    def _send_version(
        self, validators: Validators, request: Request, found: Found, handle: IO[bytes]
    ) -> Deferred[None] | None:
        size = os.fstat(handle.fileno()).st_size
        kind = content_type(found.path)
        compress = kind != DEFAULT_TYPE and size <= GZIP_MAX_BYTES and _wants_gzip(request)
        headers = validator_headers(validators, compress=compress)
        if kind == DEFAULT_TYPE:
            del headers["Vary"]
        if _fresh(request, validators):
            handle.close()
            _head(request, 304, headers)
            _finish(request)
            return None
        headers["Content-Type"] = kind
        if not compress:
            _stream(request, handle, headers, self.jobs.reactor)
            return None
        headers["Content-Encoding"] = "gzip"
        copy = self.folder.gzipped(found, validators.digest, handle)
        return copy.addCallback(self._send_copy, request, handle, headers)

    def _send_copy(
        self, copy: Path, request: Request, handle: IO[bytes], headers: dict[str, str]
    ) -> None:
        handle.close()
        # Opened at once: a newer copy may replace its name, never the open file's content.
        _stream(request, copy.open("rb"), headers, self.jobs.reactor)

    def _send_answer(self, answer: Answer, request: Request) -> Deferred[None] | None:
        """Send a feed rendered from the store, with validators of its own, or a refusal."""
        if answer.status != 200:
            _plain(request, answer.status, answer.body.decode("utf-8"))
            return None
        validators = Validators(answer.digest, answer.last_modified)
        compress = _wants_gzip(request)
        headers = validator_headers(validators, compress=compress)
        if _fresh(request, validators):
            _head(request, 304, headers)
            _finish(request)
            return None
        if not compress:
            _body(request, 200, answer.body, answer.content_type, headers)
            return None
        headers["Content-Encoding"] = "gzip"
        # A feed (at most NEWSMON_FEED_SIZE entries) is compressed in the pool, not the loop.
        squeeze = functools.partial(gzip.compress, compresslevel=6, mtime=0)
        compressed = self.jobs.call(squeeze, answer.body)
        return compressed.addCallback(
            lambda body: _body(request, 200, body, answer.content_type, headers)
        )


def _wants_gzip(request: Request) -> bool:
    return accepts_gzip(_header(request, "Accept-Encoding"))


def _header(request: Request, name: str) -> str | None:
    value = request.getHeader(name)
    return None if value is None else str(value)


def _fresh(request: Request, validators: Validators) -> bool:
    """The client's copy is current: If-None-Match (which wins), else If-Modified-Since."""
    if_none_match = _header(request, "If-None-Match")
    if if_none_match is not None:
        return etag_matches(if_none_match, (validators.etag, validators.gzip_etag))
    since = _header(request, "If-Modified-Since")
    return since is not None and not_modified_since(since, validators.mtime)


def _head(request: Request, status: int, headers: dict[str, str]) -> None:
    request.setResponseCode(status)
    for name, value in headers.items():
        request.setHeader(name, value)


def _body(request: Request, status: int, body: bytes, kind: str, headers: dict[str, str]) -> Any:
    """Send a small answer held in memory; NOT_DONE_YET for `render` (it is done already)."""
    _head(request, status, {**headers, "Content-Type": kind, "Content-Length": str(len(body))})
    if not request.startedWriting and request.method != b"HEAD" and not _gone(request):
        request.write(body)
    _finish(request)
    return NOT_DONE_YET


def _finish(request: Request) -> None:
    """End the answer, unless the client hung up meanwhile (Twisted refuses that)."""
    if not request.finished and not _gone(request):
        request.finish()


def _plain(request: Request, status: int, text: str, allow: str = "", location: str = "") -> Any:
    headers = {"Allow": allow} if allow else {}
    if location:
        headers["Location"] = location
    return _body(request, status, text.encode("utf-8"), "text/plain; charset=utf-8", headers)


def _stream(request: Request, handle: IO[bytes], headers: dict[str, str], reactor: Any) -> None:
    """Send an open file a chunk at a time as the client reads it; closes the file."""
    size = os.fstat(handle.fileno()).st_size
    _head(request, 200, {**headers, "Content-Length": str(size)})
    if request.method == b"HEAD" or _gone(request):
        handle.close()
        _finish(request)
        return
    FileStream(request, handle, reactor).start()


def _gone(request: Request) -> bool:
    """Tell whether the client hung up while its answer was being prepared."""
    return bool(getattr(request, "_disconnected", False))


def _later(request: Request, work: Deferred[Any], handle: IO[bytes] | None = None) -> None:
    """Answer 500 (and log) if preparing an answer failed; close what it had open."""

    def failed(failure: Failure) -> None:
        if handle is not None:
            handle.close()
        logger.error("serving %r failed: %s", request.uri, failure.getErrorMessage())
        if not request.startedWriting and not _gone(request):
            _plain(request, 500, "the server could not read this file just now\n")

    work.addErrback(failed)


class FeedSite(GuardedSite):
    """The site, logging each request to the access log when it is done."""

    def log(self, request: Any) -> None:
        """One access line: client, method, path, status, length, user agent."""
        length = request.responseHeaders.getRawHeaders(b"content-length", [b"-"])[0]
        # %r: a request line is client input; repr keeps control characters out of the log.
        access_log.info(
            "%s %s %r %d %s %r",
            request.getClientAddress().host if request.getClientAddress() else "-",
            request.method.decode("latin-1"),
            (request.uri or b"").decode("latin-1"),
            request.code,
            length.decode("latin-1"),
            _header(request, "User-Agent") or "",
        )


def _ip(host: str) -> str:
    """The IP address to bind for a host name or address ("localhost" -> "127.0.0.1")."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    if not host:
        return ""
    return str(socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][4][0])


_twisted_logged = False


def _log_twisted_warnings() -> None:
    """Send Twisted's own warnings and errors (an unhandled failure) to Python logging, once."""
    global _twisted_logged
    if not _twisted_logged:
        predicate = LogLevelFilterPredicate(defaultLogLevel=LogLevel.warn)
        observer = STDLibLogObserver(name="newsmon.serve.twisted")
        watched: Any = FilteringLogObserver(observer, [predicate])  # type: ignore[arg-type,list-item]
        globalLogPublisher.addObserver(watched)
        _twisted_logged = True


def _new_reactor() -> Any:
    """A reactor of the server's own (not installed): the process's global one stays free."""
    try:
        from twisted.internet.epollreactor import EPollReactor

        return EPollReactor()
    except ImportError:  # not Linux
        from twisted.internet.pollreactor import PollReactor

        return PollReactor()


class FeedServer:
    """The HTTP server of one output folder (and feeds with parameters, if given)."""

    def __init__(
        self,
        address: tuple[str, int],
        output_dir: Path,
        queries: FeedQueries | None,
        limits: Limits,
    ) -> None:
        self.queries = queries
        _log_twisted_warnings()
        self.reactor = _new_reactor()
        self.pool = ThreadPool(minthreads=0, maxthreads=POOL_THREADS, name="newsmon-serve")
        jobs = Jobs(self.reactor, self.pool)
        # The gzip copies: private to this server, removed when it stops.
        cache = Path(tempfile.mkdtemp(prefix="newsmon-serve-"))
        self.folder = ServedFolder(output_dir, jobs, cache)
        self.site = FeedSite(
            FeedResource(self.folder, queries, jobs), limits=limits, reactor=self.reactor
        )
        try:
            site: Any = self.site  # an IProtocolFactory (zope typing confuses mypy)
            self.port = CappedPort(address[1], site, BACKLOG, _ip(address[0]), self.reactor)
            self.port.startListening()
        except CannotListenError as error:
            self.folder.close()
            # The socket's own error (address in use, ...): callers report OSErrors.
            raise error.socketError from error
        except BaseException:
            self.folder.close()
            raise
        self.site.connections.port = self.port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The server's base URL, e.g. http://127.0.0.1:8080/."""
        bound = self.port.getHost()
        name = str(bound.host)
        shown = f"[{name}]" if ":" in name else name
        return f"http://{shown}:{bound.port}/"

    def start(self) -> None:
        """Serve from a daemon thread until `stop()`."""
        self.pool.start()
        self._thread = threading.Thread(
            target=self.reactor.run,
            kwargs={"installSignalHandlers": False},
            name="newsmon-serve",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, free the port, remove the compressed copies."""
        if self._thread is not None:
            self.reactor.callFromThread(self.port.stopListening)
            self.reactor.callFromThread(self.reactor.stop)
            self._thread.join(timeout=30)
            self._thread = None
        else:
            self.port.connectionLost(None)
        self.pool.stop()
        self.folder.close()


def make_server(
    output_dir: Path,
    host: str,
    port: int,
    queries: FeedQueries | None = None,
    limits: Limits | None = None,
) -> FeedServer:
    """Bind a server for `output_dir` (port 0: any free port; see `FeedServer.url`)."""
    return FeedServer((host, port), Path(output_dir), queries, limits or Limits(64, 15.0))
