"""A read-only HTTP server for the output folder: feeds with validators, 304s and gzip.

`/` is the front door (output/index.html) when publishing wrote one. A feed URL with a query
string (`/newsfeed.xml?filter=kharkiv`) is answered by `newsmon.publish.queries` from the
store, with the same validators, 304s and gzip.

What subscribers' readers need and nothing more: GET and HEAD (405 otherwise), the feed media
types, a content-based ETag (an unchanged feed keeps its ETag across runs, because publishing
leaves an unchanged file alone) and Last-Modified with 304 answers, gzip when asked. Nothing
outside the folder is reachable: no "..", no dot files (the publisher's temp files), no
symlink that leads out, and directory indexes list only what is inside.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import logging
import os
import shutil
import stat
import threading
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote, urlsplit

from newsmon.publish.conditional import (
    Validators,
    accepts_gzip,
    etag_matches,
    not_modified_since,
    validator_headers,
)
from newsmon.publish.queries import Answer, FeedQueries

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
    ".txt": "text/plain; charset=utf-8",
}
DEFAULT_TYPE = "application/octet-stream"
# Text compresses ~5x; bigger files (a months-old archive) are sent as they are rather than
# compressed in memory.
GZIP_MAX_BYTES = 32 * 1024 * 1024
# Compressed copies kept, newest used first: the feeds of one output folder.
GZIP_CACHE_ENTRIES = 64
ALLOWED_METHODS = "GET, HEAD"
# A client that sends nothing for this long loses its thread.
REQUEST_TIMEOUT_SECONDS = 30
CHUNK = 64 * 1024
# A folder's page: the root's is the front door publishing writes.
INDEX_PAGE = "index.html"


class OutputFolder:
    """The served folder: safe path resolution, cached content hashes, cached gzip copies."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        self._lock = threading.Lock()
        # (device, inode, size, mtime_ns) -> sha256: a file is hashed once per version.
        self._digests: dict[tuple[int, int, int, int], str] = {}
        self._gzipped: OrderedDict[str, bytes] = OrderedDict()

    def resolve(self, url_path: str) -> Path | None:
        """The file or folder a URL path names inside the root; None if it is not allowed."""
        path = unquote(urlsplit(url_path).path, errors="strict")
        if "\x00" in path or "\\" in path:
            return None
        parts = [part for part in path.split("/") if part]
        # Dot segments and dot files: "..", and the publisher's ".name.tmp" files.
        if any(part.startswith(".") for part in parts):
            return None
        real_root = os.path.realpath(self.root)
        candidate = os.path.realpath(os.path.join(real_root, *parts))
        if not _inside(candidate, real_root):
            return None  # a symlink that leads out of the folder
        return Path(candidate)

    def validators(self, handle: IO[bytes]) -> Validators:
        """Validators of an open file (hashing it only if this version was not seen)."""
        info = os.fstat(handle.fileno())
        key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        with self._lock:
            digest = self._digests.get(key)
        if digest is None:
            hasher = hashlib.sha256()
            while chunk := handle.read(CHUNK):
                hasher.update(chunk)
            handle.seek(0)
            digest = hasher.hexdigest()
            with self._lock:
                if len(self._digests) > 4 * GZIP_CACHE_ENTRIES:
                    self._digests.clear()  # old versions: cheap to forget, cheap to redo
                self._digests[key] = digest
        return Validators(digest, info.st_mtime)

    def gzipped(self, digest: str, handle: IO[bytes]) -> bytes:
        """The gzip encoding of a file's content, cached by content hash."""
        with self._lock:
            cached = self._gzipped.get(digest)
            if cached is not None:
                self._gzipped.move_to_end(digest)
                return cached
        # mtime=0: the same content always compresses to the same bytes (one ETag).
        data = gzip.compress(handle.read(), compresslevel=6, mtime=0)
        with self._lock:
            self._gzipped[digest] = data
            while len(self._gzipped) > GZIP_CACHE_ENTRIES:
                self._gzipped.popitem(last=False)
        return data

    def listing(self, folder: Path, url_path: str) -> bytes:
        """An HTML index of a folder inside the root: visible files and folders only."""
        real_root = os.path.realpath(self.root)
        names = []
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name.startswith(".") or not _inside(os.path.realpath(entry.path), real_root):
                continue
            names.append(entry.name + ("/" if entry.is_dir() else ""))
        title = html.escape(url_path)
        items = "".join(
            f'<li><a href="{html.escape(quote(name))}">{html.escape(name)}</a></li>\n'
            for name in names
        )
        page = (
            f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>newsmon {title}"
            f"</title></head>\n<body><h1>newsmon feeds: {title}</h1>\n<ul>\n{items}</ul>"
            "</body></html>\n"
        )
        return page.encode("utf-8")


def _inside(path: str, root: str) -> bool:
    """Tell whether a resolved path is the root or under it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def content_type(path: Path) -> str:
    """The media type a file is served with, by its extension."""
    return CONTENT_TYPES.get(path.suffix.lower(), DEFAULT_TYPE)


class FeedRequestHandler(BaseHTTPRequestHandler):
    """GET/HEAD on the output folder; every other method gets 405."""

    server: FeedServer
    timeout = REQUEST_TIMEOUT_SECONDS
    server_version = "newsmon"
    sys_version = ""

    def do_GET(self) -> None:
        """Send a file (or a folder index), or 304 when the client's copy is current."""
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        """The headers of the GET, without the body."""
        self._serve(send_body=False)

    def __getattr__(self, name: str) -> Any:
        # BaseHTTPRequestHandler looks up do_<METHOD>; any method but GET/HEAD is refused
        # with 405 rather than 501, so clients learn what is allowed.
        if name.startswith("do_"):
            return self._method_not_allowed
        raise AttributeError(name)

    def _method_not_allowed(self) -> None:
        self._plain(405, "method not allowed: this server is read-only\n", Allow=ALLOWED_METHODS)

    def _serve(self, *, send_body: bool) -> None:
        queries, split = self.server.queries, urlsplit(self.path)
        if queries is not None and queries.handles(split.path, split.query):
            # A feed URL with parameters: rendered from the store (publish/queries.py).
            self._serve_answer(queries.answer(split.path, split.query), send_body=send_body)
            return
        folder = self.server.folder
        try:
            target = folder.resolve(self.path)
        except UnicodeDecodeError:
            target = None
        if target is None:
            self._plain(404, "not found\n")
            return
        try:
            info = target.stat()
        except OSError:
            self._plain(404, "not found\n")
            return
        if stat.S_ISDIR(info.st_mode):
            self._serve_folder(target, send_body=send_body)
        elif stat.S_ISREG(info.st_mode):
            self._serve_file(target, send_body=send_body)
        else:
            self._plain(404, "not found\n")

    def _serve_folder(self, target: Path, *, send_body: bool) -> None:
        path = urlsplit(self.path).path
        if not path.endswith("/"):
            # Relative links in the index need the trailing slash.
            self._plain(301, "moved\n", Location=quote(path + "/"))
            return
        if path == "/" and (target / INDEX_PAGE).is_file():
            # The front door publishing writes (output/index.html), else the bare listing.
            self._serve_file(target / INDEX_PAGE, send_body=send_body)
            return
        body = self.server.folder.listing(target, unquote(path))
        self._respond(200, body, "text/html; charset=utf-8", {}, send_body=send_body)

    def _serve_file(self, target: Path, *, send_body: bool) -> None:
        folder = self.server.folder
        try:
            handle = target.open("rb")
        except OSError:
            self._plain(404, "not found\n")
            return
        with handle:
            validators = folder.validators(handle)
            size = os.fstat(handle.fileno()).st_size
            kind = content_type(target)
            compress = (
                kind != DEFAULT_TYPE
                and size <= GZIP_MAX_BYTES
                and accepts_gzip(self.headers.get("Accept-Encoding"))
            )
            headers = validator_headers(validators, compress=compress)
            if kind == DEFAULT_TYPE:
                del headers["Vary"]
            if self._fresh(validators):
                self._head(304, headers)
                return
            if compress:
                headers["Content-Encoding"] = "gzip"
                body = folder.gzipped(validators.digest, handle)
                self._respond(200, body, kind, headers, send_body=send_body)
                return
            headers["Content-Type"] = kind
            headers["Content-Length"] = str(size)
            self._head(200, headers)
            if send_body:
                shutil.copyfileobj(handle, self.wfile, CHUNK)

    def _serve_answer(self, answer: Answer, *, send_body: bool) -> None:
        """Send a feed rendered from the store, with validators of its own, or a refusal."""
        if answer.status != 200:
            self._plain(answer.status, answer.body.decode("utf-8"))
            return
        validators = Validators(answer.digest, answer.last_modified)
        compress = accepts_gzip(self.headers.get("Accept-Encoding"))
        headers = validator_headers(validators, compress=compress)
        if self._fresh(validators):
            self._head(304, headers)
            return
        body = answer.body
        if compress:
            headers["Content-Encoding"] = "gzip"
            body = gzip.compress(body, compresslevel=6, mtime=0)
        self._respond(200, body, answer.content_type, headers, send_body=send_body)

    def _fresh(self, validators: Validators) -> bool:
        """The client's copy is current: If-None-Match (which wins), else If-Modified-Since."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return etag_matches(if_none_match, (validators.etag, validators.gzip_etag))
        since = self.headers.get("If-Modified-Since")
        return since is not None and not_modified_since(since, validators.mtime)

    def _respond(
        self, status: int, body: bytes, kind: str, headers: dict[str, str], *, send_body: bool
    ) -> None:
        headers = {**headers, "Content-Type": kind, "Content-Length": str(len(body))}
        self._head(status, headers)
        if send_body:
            self.wfile.write(body)

    def _plain(self, status: int, text: str, **extra: str) -> None:
        body = text.encode("utf-8")
        headers = {"Content-Type": "text/plain; charset=utf-8", "Content-Length": str(len(body))}
        self._head(status, {**headers, **extra})
        if self.command != "HEAD":
            self.wfile.write(body)

    def _head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response_only(status)
        self.send_header("Date", self.date_time_string())
        self.send_header("Server", self.server_version)
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self._log_access(status, headers.get("Content-Length", "-"))

    def _log_access(self, status: int, length: str) -> None:
        # %r: a request line is client input; repr keeps control characters out of the log.
        access_log.info(
            "%s %s %r %d %s %r",
            self.client_address[0],
            self.command,
            self.path,
            status,
            length,
            self.headers.get("User-Agent", "") if self.headers else "",
        )

    def log_message(self, format: str, *args: Any) -> None:
        """Route the standard library's own messages (bad requests) to our logger."""
        logger.warning("%s %s", self.client_address[0], format % args)


class FeedServer(ThreadingHTTPServer):
    """A threaded HTTP server for one output folder (and feeds with parameters, if given)."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], folder: OutputFolder, queries: FeedQueries | None = None
    ) -> None:
        self.folder = folder
        self.queries = queries
        super().__init__(address, FeedRequestHandler)

    @property
    def url(self) -> str:
        """The server's base URL, e.g. http://127.0.0.1:8080/."""
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{name}]" if ":" in name else name
        return f"http://{shown}:{port!s}/"


def make_server(
    output_dir: Path, host: str, port: int, queries: FeedQueries | None = None
) -> FeedServer:
    """Bind a server for `output_dir` (port 0: any free port; see `FeedServer.url`)."""
    return FeedServer((host, port), OutputFolder(output_dir), queries)


def serve_in_thread(server: FeedServer) -> threading.Thread:
    """Serve from a daemon thread; stop with `server.shutdown()` then `server.server_close()`."""
    thread = threading.Thread(target=server.serve_forever, name="newsmon-serve", daemon=True)
    thread.start()
    return thread
