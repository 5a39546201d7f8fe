"""What `serve` may send from the output folder, and each file version's ETag and gzip copy.

Only newsmon's own files are reachable (`newsmon.publish.paths.published_file`, the list
publishing writes by): a file planted in the folder, a dot file (the publisher's temp files),
a symlink that leads out of the folder or to a file that is not newsmon's is not found.

A file's content hash (its ETag) is computed once per version of the file, and its gzip
encoding written once per version into a private temporary folder, in chunks: clients asking
at once for a large archive wait for the one compression, then each reads the compressed file
as it reads any file. Memory stays flat however many ask. One compressed copy per served file
is kept (the latest version asked for), so the temporary folder stays a fraction of the output
folder's size.

Used from the server's event loop: hashing and compressing run in its thread pool (`Jobs`),
and every cache is touched from the loop's thread only, so none needs a lock.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import os
import shutil
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import quote, unquote

from twisted.internet.base import DelayedCall
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IReactorFromThreads
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from newsmon.publish.conditional import Validators
from newsmon.publish.paths import published_file, published_folder

T = TypeVar("T")

CHUNK = 64 * 1024
# Bigger files are sent as they are: compressing one would keep its first reader waiting long.
GZIP_MAX_BYTES = 256 * 1024 * 1024
# Content hashes remembered, by file version (device, inode, size, mtime).
DIGESTS_KEPT = 1024
# Compressed copies kept: one per served file, the least recently asked for dropped first.
GZIP_COPIES_KEPT = 512


class Jobs:
    """Blocking work for the server's thread pool, its results delivered in the loop's thread."""

    def __init__(self, reactor: IReactorFromThreads, pool: ThreadPool) -> None:
        self.reactor = reactor
        self.pool = pool
        # key -> the callers waiting for the one job of that key.
        self._waiting: dict[Hashable, list[Deferred[Any]]] = {}

    def call(self, work: Callable[..., T], *args: Any) -> Deferred[T]:
        """Run `work(*args)` in the pool."""
        return deferToThreadPool(self.reactor, self.pool, work, *args)

    def once(self, key: Hashable, start: Callable[[], Deferred[T]]) -> Deferred[T]:
        """The result of the job for `key`: started by `start()` unless one is under way."""
        waiter: Deferred[T] = Deferred()
        waiting = self._waiting.get(key)
        if waiting is not None:
            waiting.append(waiter)
            return waiter
        self._waiting[key] = [waiter]
        try:
            work = start()
        except Exception:
            work = fail()  # e.g. out of file descriptors: this caller and any later one learn it
        work.addBoth(self._landed, key)
        return waiter

    def _landed(self, result: Any, key: Hashable) -> None:
        for waiter in self._waiting.pop(key):
            if isinstance(result, Failure):
                waiter.errback(result)
            else:
                waiter.callback(result)


@dataclass(frozen=True)
class Found:
    """What a URL path names: one of newsmon's files, or one of its folders."""

    path: Path
    relative: str
    """Relative to the output folder, with "/" ("tags/war.xml"; "" is the folder itself)."""
    is_folder: bool


class ServedFolder:
    """The output folder as `serve` sees it: newsmon's files, their hashes and gzip copies."""

    def __init__(self, root: Path, jobs: Jobs, cache_dir: Path) -> None:
        self.root = Path(root).absolute()
        self.jobs = jobs
        self.cache_dir = cache_dir
        self._digests: OrderedDict[tuple[int, ...], str] = OrderedDict()
        # relative path -> (content digest, its gzip copy in cache_dir)
        self._copies: OrderedDict[str, tuple[str, Path]] = OrderedDict()
        self._names = count()

    def resolve(self, url_path: str) -> Found | None:
        """The file or folder of newsmon's that a URL path (percent-encoded) names, or None."""
        try:
            path = unquote(url_path, errors="strict")
        except UnicodeDecodeError:
            return None
        if "\x00" in path or "\\" in path:
            return None
        parts = [part for part in path.split("/") if part]
        # Dot segments and dot files: "..", and the publisher's ".name.tmp" files.
        if any(part.startswith(".") for part in parts):
            return None
        relative = "/".join(parts)
        if published_folder(relative):
            return self._checked(relative, is_folder=True)
        if path.endswith("/") or not published_file(relative):
            return None
        return self._checked(relative, is_folder=False)

    def _checked(self, relative: str, *, is_folder: bool) -> Found | None:
        """`relative` if it is what it claims once symlinks are followed, inside the folder."""
        real_root = os.path.realpath(self.root)
        real = os.path.realpath(os.path.join(real_root, relative))
        if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
            return None  # a symlink that leads out of the folder
        real_relative = os.path.relpath(real, real_root).replace(os.sep, "/")
        if is_folder:
            ok = published_folder("" if real_relative == "." else real_relative)
            ok = ok and os.path.isdir(real)
        else:
            # A symlink named like a feed must lead to one of newsmon's files, not a planted one.
            ok = published_file(real_relative) and os.path.isfile(real)
        return Found(Path(real), relative, is_folder) if ok else None

    def validators(self, handle: IO[bytes]) -> Deferred[Validators]:
        """Validators of an open file, hashing it (in the pool) if this version is new."""
        info = os.fstat(handle.fileno())
        key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        digest = self._digests.get(key)
        if digest is not None:
            self._digests.move_to_end(key)
            return succeed(Validators(digest, info.st_mtime))

        def start() -> Deferred[str]:
            # A descriptor of the job's own: the request may close its handle meanwhile.
            return self.jobs.call(hash_file, os.dup(handle.fileno()))

        hashed = self.jobs.once(("hash", key), start)
        return hashed.addCallback(self._remember, key, info.st_mtime)

    def _remember(self, digest: str, key: tuple[int, ...], mtime: float) -> Validators:
        self._digests[key] = digest
        while len(self._digests) > DIGESTS_KEPT:
            self._digests.popitem(last=False)
        return Validators(digest, mtime)

    def gzipped(self, found: Found, digest: str, handle: IO[bytes]) -> Deferred[Path]:
        """The gzip copy of this version of a file, compressed (in the pool) once."""
        copy = self._copies.get(found.relative)
        if copy is not None and copy[0] == digest and copy[1].is_file():
            self._copies.move_to_end(found.relative)
            return succeed(copy[1])

        def start() -> Deferred[Path]:
            target = self.cache_dir / f"{next(self._names)}.gz"
            return self.jobs.call(compress_file, os.dup(handle.fileno()), target)

        compressed = self.jobs.once(("gzip", found.relative, digest), start)
        return compressed.addCallback(self._keep, found.relative, digest)

    def _keep(self, path: Path, relative: str, digest: str) -> Path:
        old = self._copies.pop(relative, None)
        if old is not None and old[1] != path:
            # Readers of the old copy keep reading it: an open file outlives its name.
            old[1].unlink(missing_ok=True)
        self._copies[relative] = (digest, path)
        while len(self._copies) > GZIP_COPIES_KEPT:
            _, (_, dropped) = self._copies.popitem(last=False)
            dropped.unlink(missing_ok=True)
        return path

    def listing(self, folder: Found) -> bytes:
        """An HTML index of one of newsmon's folders: the files and folders of newsmon's in it."""
        names = []
        for entry in sorted(os.scandir(folder.path), key=lambda e: e.name):
            found = self.resolve(f"/{folder.relative}/{quote(entry.name)}")
            if found is not None:
                names.append(entry.name + ("/" if found.is_folder else ""))
        title = html.escape("/" + (folder.relative + "/" if folder.relative else ""))
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

    def close(self) -> None:
        """Remove the compressed copies."""
        shutil.rmtree(self.cache_dir, ignore_errors=True)


def hash_file(fd: int) -> str:
    """sha256 (hex) of what a file descriptor reads from offset 0; closes the descriptor."""
    hasher = hashlib.sha256()
    try:
        offset = 0
        while chunk := os.pread(fd, CHUNK, offset):
            hasher.update(chunk)
            offset += len(chunk)
    finally:
        os.close(fd)
    return hasher.hexdigest()


def compress_file(fd: int, target: Path) -> Path:
    """Gzip what a file descriptor reads into `target`, a chunk at a time; closes the descriptor.

    No name and mtime 0 in the gzip header: the same content always compresses to the same
    bytes, so the gzip ETag stays true across restarts.
    """
    partial = target.with_name(target.name + ".part")
    try:
        with partial.open("wb") as raw, gzip.GzipFile("", "wb", 6, raw, mtime=0) as out:
            offset = 0
            while chunk := os.pread(fd, CHUNK, offset):
                out.write(chunk)
                offset += len(chunk)
        partial.rename(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    return target


class FileStream:
    """Sends an open file to a request a chunk per turn of the loop, while the client reads.

    A push producer: Twisted pauses it when the connection's send buffer is full and resumes
    it when the client has read. (twisted.web.static's producers are pull producers, which
    Twisted drives through the global reactor's cooperator; this server runs a reactor of its
    own.) Closes the file when done or when the client hangs up.
    """

    def __init__(self, request: Any, handle: IO[bytes], reactor: Any) -> None:
        # Any: zope interfaces are not understood by mypy.
        self.request = request
        self.handle = handle
        self.reactor = reactor
        self._paused = False
        self._next: DelayedCall | None = None

    def start(self) -> None:
        """Register with the request and send the first chunk."""
        self.request.registerProducer(self, True)
        self._schedule()

    def pauseProducing(self) -> None:
        """The client's buffer is full: wait."""
        self._paused = True
        self._cancel()

    def resumeProducing(self) -> None:
        """The client reads again: go on."""
        self._paused = False
        self._schedule()

    def stopProducing(self) -> None:
        """The client hung up."""
        self._cancel()
        self.handle.close()

    def _schedule(self) -> None:
        if not self._paused and self._next is None and not self.handle.closed:
            self._next = self.reactor.callLater(0, self._send)

    def _cancel(self) -> None:
        if self._next is not None and self._next.active():
            self._next.cancel()
        self._next = None

    def _send(self) -> None:
        self._next = None
        chunk = self.handle.read(CHUNK)
        if chunk:
            self.request.write(chunk)  # may pause us
            self._schedule()
            return
        self.handle.close()
        self.request.unregisterProducer()
        self.request.finish()
