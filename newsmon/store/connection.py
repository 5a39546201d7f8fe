"""Opening the state file: refuse a foreign or newer file, migrate it, and run transactions.

`Connection` is the base of every table family of `StateStore`: it holds the one SQLite
connection and provides `_connection()` and `_transaction()`. The time helpers fix how times
are written, so text order is time order in every table.
A state file that cannot be used is said as it is (`newsmon.store.errors`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Self

from scrapy.settings import BaseSettings

# The module, not its names: MIGRATIONS and SCHEMA_VERSION are read when a file is opened, so
# a test that patches them on `schema` is obeyed.
from newsmon.store import schema
from newsmon.store.errors import (
    StateStoreError,
    check_state_file,
    describe_error,
    error_kind,
)
from newsmon.store.schema import APPLICATION_ID

# How long a writer waits for another one (the `newsfeed` and `tags` crawls may share a file).
BUSY_TIMEOUT_SECONDS = 30.0


def to_db_time(value: datetime) -> str:
    """Format an aware datetime as fixed-width ISO 8601 UTC, so text order is time order."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: newsmon stores timezone-aware times only")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def opt_db_time(value: datetime | None) -> str | None:
    """Format an optional aware datetime with `to_db_time`."""
    return None if value is None else to_db_time(value)


def from_db_time(value: str) -> datetime:
    """Parse a time written by `to_db_time`."""
    return datetime.fromisoformat(value)


class Connection:
    """The state file's one connection: opened, checked and migrated on construction.

    One instance holds one connection and is meant for one thread (Scrapy's reactor thread).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Open (creating if needed) and migrate the state file at `path`."""
        self.path = Path(path).expanduser()
        self._check_header()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise describe_error(exc, self.path, "creating its folder") from exc
        try:
            # isolation_level=None: no implicit transactions; every write opens its own
            # BEGIN IMMEDIATE, so the transactions are exactly as short as the code says.
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise StateStoreError(
                f"cannot open the state file {self.path}: {exc}. "
                "Check that its folder is writable, or set NEWSMON_STATE_PATH elsewhere.",
                error_kind(exc),
            ) from exc
        try:
            # Only reads until the file is known to be newsmon's (or empty).
            self._check_owner()
            self._conn.execute("PRAGMA journal_mode = WAL")
            # FULL, not NORMAL: in WAL mode NORMAL can lose the last commits on power loss
            # (never corrupt), and a lost "exported" mark or version means subscribers are told
            # twice. A run writes a few hundred small transactions, so an fsync each is cheap.
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.Error as exc:
            self.close()
            raise describe_error(exc, self.path, "opening it") from exc
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        """Open the store at NEWSMON_STATE_PATH (relative paths are relative to the cwd)."""
        path = str(settings.get("NEWSMON_STATE_PATH") or "").strip()
        if not path:
            raise StateStoreError("NEWSMON_STATE_PATH is empty: set it to a file path")
        return cls(path)

    def close(self) -> None:
        """Close the connection (committing an open batch first); safe to call twice."""
        if self._conn is not None:
            with contextlib.suppress(StateStoreError):
                self.commit_batch()
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- opening -------------------------------------------------------------------------

    def _check_header(self) -> None:
        """Refuse a non-empty file that is not SQLite, before SQLite touches it."""
        check_state_file(self.path)

    def _check_owner(self) -> None:
        """Refuse a SQLite file that another program wrote, or a newer newsmon did."""
        conn = self._connection()
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        user_version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id == APPLICATION_ID:
            if user_version > schema.SCHEMA_VERSION:
                raise StateStoreError(
                    f"{self.path} has state schema {user_version}, written by a newer newsmon; "
                    f"this one knows schema {schema.SCHEMA_VERSION}. Upgrade newsmon, or set "
                    "NEWSMON_STATE_PATH to another file (the file was left untouched)."
                )
            return
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' LIMIT 5"
            )
        ]
        if app_id == 0 and user_version == 0 and not tables:
            return  # a new, empty database
        raise StateStoreError(
            f"{self.path} is a SQLite database but not newsmon's state (application_id "
            f"{app_id:#x}, user_version {user_version}, tables {tables}). It was left "
            "untouched: move it away or set NEWSMON_STATE_PATH to another path."
        )

    def _migrate(self) -> None:
        """Apply the missing schema steps in order, each in its own transaction."""
        while True:
            with self._transaction() as conn:
                # Read inside the write lock: another process may have migrated meanwhile.
                current = conn.execute("PRAGMA user_version").fetchone()[0]
                if current >= schema.SCHEMA_VERSION:
                    return
                for statement in schema.MIGRATIONS[current]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {current + 1}")

    def _connection(self) -> sqlite3.Connection:
        """Return the open connection, or raise if the store was closed."""
        if self._conn is None:
            raise StateStoreError(f"the state store {self.path} is closed")
        return self._conn

    # --- batched commits ---------------------------------------------------------------

    def start_batching(self, max_writes: int, max_seconds: float) -> None:
        """From now on, commit every `max_writes` write blocks or `max_seconds`, not each one.

        A crawl writes a few small blocks per article (its version, its listings, its
        validators); a COMMIT each, with `synchronous = FULL`, is an fsync each. In a batch
        every block is a SAVEPOINT of one open transaction, which `commit_batch` (or the next
        block after the limits) commits. A run killed meanwhile loses only the uncommitted
        blocks: their articles are not in the store, so the next run fetches them again, and
        nothing was archived from them (the archive is written from committed versions only,
        after `stop_batching`).
        """
        self._batch_limits = (max(1, max_writes), max(0.0, max_seconds))

    def stop_batching(self) -> None:
        """Commit what the batch holds; every write block commits on its own again."""
        self.commit_batch()
        self._batch_limits = None

    def commit_batch(self) -> None:
        """Commit the open batch now, if one is open."""
        conn = self._conn
        if conn is None or not self._batch_open:
            return
        self._batch_open = False
        self._batch_writes = 0
        with self._errors_said(conn):
            if conn.in_transaction:
                conn.execute("COMMIT")

    def commit_batch_if_due(self) -> None:
        """Commit the open batch if it is older than its time limit."""
        if self.batch_due():
            self.commit_batch()

    def batch_due(self) -> bool:
        """Tell whether the open batch is older than its time limit (for a periodic check)."""
        if not self._batch_open or self._batch_limits is None:
            return False
        return time.monotonic() - self._batch_started >= self._batch_limits[1]

    _batch_limits: tuple[int, float] | None = None
    _batch_open = False
    _batch_writes = 0
    _batch_started = 0.0

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block as one write transaction, taking the write lock up front.

        While batching (`start_batching`), the block is a savepoint of the batch's transaction.
        """
        if self._batch_limits is not None:
            with self._batched_block() as conn:
                yield conn
            return
        conn = self._connection()
        with self._errors_said(conn):
            # IMMEDIATE: a read-then-write (look up, then insert) cannot interleave with
            # another writer, which would otherwise store one article twice.
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                # SQLite may have rolled back already (disk full, I/O error); a second
                # ROLLBACK would raise and hide the real error.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _batched_block(self) -> Iterator[sqlite3.Connection]:
        """One write block inside the batch's transaction (opened with the write lock)."""
        conn = self._connection()
        limits = self._batch_limits
        assert limits is not None
        try:
            with self._errors_said(conn):
                if not self._batch_open or not conn.in_transaction:
                    conn.execute("BEGIN IMMEDIATE")
                    self._batch_open = True
                    self._batch_writes = 0
                    self._batch_started = time.monotonic()
                conn.execute("SAVEPOINT block")
                try:
                    yield conn
                except BaseException:
                    # Undo this block only; the batch's earlier blocks stay (SQLite may have
                    # rolled back the whole transaction already: disk full, I/O error).
                    if conn.in_transaction:
                        conn.execute("ROLLBACK TO block")
                        conn.execute("RELEASE block")
                    raise
                conn.execute("RELEASE block")
                self._batch_writes += 1
                if (
                    self._batch_writes >= limits[0]
                    or time.monotonic() - self._batch_started >= limits[1]
                ):
                    self.commit_batch()
        except StateStoreError:
            self._batch_open = False
            raise

    @contextmanager
    def _errors_said(self, conn: sqlite3.Connection) -> Iterator[None]:
        """An SQLite error rolls back what is open and is said as it is, once.

        Disk full, read-only, I/O error: `describe_error` words it for whoever catches it.
        """
        try:
            yield
        except sqlite3.Error as exc:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise describe_error(exc, self.path, "writing to it") from exc
