"""What can be wrong with the state file, said as it is.

A full disk, a read-only file or filesystem, an I/O error and a lock held by another program
are each their own message, and none of them advises moving the file aside: following that
advice re-announces every article. Only a file that fails SQLite's `PRAGMA integrity_check`,
or that is not newsmon's (`check_state_file`, `Connection._check_owner`), gets it. A special
file (/dev/null, a named pipe, a folder) is refused before anything is created beside it.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from pathlib import Path

from newsmon.store.schema import SQLITE_HEADER

# What went wrong, by SQLite's primary result code (the low byte of an extended one).
FULL, READONLY, IO_ERROR, BUSY, DAMAGED, OTHER = (
    "full",
    "read-only",
    "I/O error",
    "busy",
    "damaged",
    "other",
)
_KINDS = {
    5: BUSY,  # SQLITE_BUSY
    6: BUSY,  # SQLITE_LOCKED
    8: READONLY,  # SQLITE_READONLY
    10: IO_ERROR,  # SQLITE_IOERR
    11: DAMAGED,  # SQLITE_CORRUPT
    13: FULL,  # SQLITE_FULL
    26: DAMAGED,  # SQLITE_NOTADB
}
_ERRNO_KINDS = {errno.ENOSPC: FULL, errno.EDQUOT: FULL, errno.EROFS: READONLY, errno.EIO: IO_ERROR}
# Kinds that pass: the next run may well succeed without anyone touching the file.
TRANSIENT_KINDS = frozenset({FULL, IO_ERROR, BUSY})
RESTORE_ADVICE = (
    "Restore it from a backup, or move it aside to start a new state (every article is then "
    "new once more)."
)


class StateStoreError(RuntimeError):
    """The state file cannot be used; the message says why and how to recover."""

    def __init__(self, message: str, kind: str = OTHER) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def transient(self) -> bool:
        """A full disk, an I/O error or a lock held elsewhere: the run failed, not the setup."""
        return self.kind in TRANSIENT_KINDS


def error_kind(error: BaseException) -> str:
    """FULL, READONLY, IO_ERROR, BUSY, DAMAGED or OTHER for an SQLite or OS error."""
    if isinstance(error, StateStoreError):
        return error.kind
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _KINDS.get(code & 0xFF, OTHER)
    if isinstance(error, OSError) and error.errno is not None:
        return _ERRNO_KINDS.get(error.errno, OTHER)
    return OTHER


def describe_error(error: BaseException, path: Path, doing: str) -> StateStoreError:
    """A StateStoreError saying what happened to the state file at `path` while `doing`.

    A damaged file gets the restore-or-move-aside advice only if SQLite's integrity check
    confirms it; a file that passes it was failed by something else (say, an I/O error).
    """
    if isinstance(error, StateStoreError):
        return error
    kind = error_kind(error)
    if kind == DAMAGED and not integrity_fails(path):
        kind = IO_ERROR
    if kind == IO_ERROR and _nearly_full(path):
        # SQLite says "disk I/O error" when it cannot grow its shared-memory file on a full
        # disk: the disk is full, not failing.
        kind = FULL
    detail = str(error) or type(error).__name__
    messages = {
        FULL: f"the disk holding the state file {path} is full ({detail}) while {doing}: free "
        "some space there, or set NEWSMON_STATE_PATH on another disk. The state file is not "
        "damaged: keep it.",
        READONLY: f"the state file {path} cannot be written ({detail}) while {doing}: the "
        "file, its folder or its filesystem is read-only. Make it writable for the user "
        "running newsmon, or set NEWSMON_STATE_PATH elsewhere. The state file is not damaged.",
        IO_ERROR: f"the disk holding the state file {path} reported an I/O error ({detail}) "
        f"while {doing}: check the disk (dmesg, smartctl). The file passes SQLite's "
        "integrity check (or could not be read at all): do not delete it.",
        BUSY: f"the state file {path} is locked by another program ({detail}) while {doing}: "
        "wait for it to finish, or stop it.",
        DAMAGED: f"the state file {path} is damaged ({detail}; SQLite's integrity check "
        f"fails). {RESTORE_ADVICE}",
        OTHER: f"cannot use the state file {path} ({detail}) while {doing}.",
    }
    return StateStoreError(messages[kind], kind)


# Less free space than this where the state file lives is a full disk for SQLite's purposes.
NEARLY_FULL_BYTES = 1024 * 1024


def _nearly_full(path: Path) -> bool:
    """Tell whether the filesystem holding `path` has (almost) no space left."""
    try:
        found = os.statvfs(path.parent if not path.exists() else path)
    except OSError:
        return False
    return found.f_bavail * found.f_frsize < NEARLY_FULL_BYTES


def integrity_fails(path: Path) -> bool:
    """Tell whether SQLite's `PRAGMA integrity_check` finds the file damaged (read-only)."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    except (sqlite3.Error, OSError):
        return False  # cannot even be opened: not a verdict on its content
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as error:
        # A lock or an I/O error is no verdict either; anything else is damage.
        return error_kind(error) not in (BUSY, IO_ERROR, READONLY)
    finally:
        conn.close()
    return rows != [("ok",)]


def check_state_file(path: Path) -> None:
    """Refuse a special file, or a non-empty file that is not SQLite, before anything touches it.

    Called before SQLite opens the file and before its lock is made, so nothing is created
    beside a file that is not newsmon's (no lock, journal or WAL file next to /dev/null).
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    if stat.S_ISDIR(mode):
        raise StateStoreError(
            f"NEWSMON_STATE_PATH {path} is a folder; point it at a file inside it"
        )
    if not stat.S_ISREG(mode):
        raise StateStoreError(
            f"NEWSMON_STATE_PATH {path} is {_special_kind(mode)}, not a file: the state must be "
            "a regular file newsmon can keep (such as state/newsmon.sqlite3). Nothing was "
            "created beside it."
        )
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    if header and header != SQLITE_HEADER:
        raise StateStoreError(
            f"{path} is not a SQLite database, so it is not newsmon's state file. "
            "It was left untouched: move it away or set NEWSMON_STATE_PATH to another path."
        )


def _special_kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _unreadable(path: Path, error: OSError) -> StateStoreError:
    return StateStoreError(
        f"cannot read the state file {path}: {error}. Check its permissions, or "
        "set NEWSMON_STATE_PATH elsewhere.",
        error_kind(error),
    )
