"""Replace files atomically, so a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

# Feeds are served by a web server that runs as another user; mkstemp creates 0600 files.
_NEW_FILE_MODE = 0o644


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically: temp file in the same folder, fsync, rename."""
    path = Path(path)
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    # Keep the permissions of the file we replace; a new file gets the usual 0644.
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = _NEW_FILE_MODE
    # Same folder, hence same filesystem: os.replace is then an atomic rename. The leading dot
    # keeps the temp file out of directory listings and of globs like *.xml.
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    replaced = False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
        replaced = True
        fsync_directory(directory)
    finally:
        if not replaced:
            # Whatever failed (disk full, rename refused, interrupt), leave no temp file behind.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)


def fsync_directory(directory: Path) -> None:
    """Flush a directory entry to disk, so a rename or a new file survives a power cut."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        # Some filesystems (and some network mounts) cannot fsync a directory; the rename
        # itself has still happened, so this is not worth failing a publish over.
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Replace `path` atomically unless it already holds `data`; tell whether it wrote.

    An unchanged file (a feed, the index) keeps its modification time: servers keep
    answering 304 to readers' If-Modified-Since, and nothing is rewritten for nothing.
    """
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass  # missing or unreadable: write it
    atomic_write_bytes(path, data)
    return True
