"""Validators (ETag, Last-Modified) of listing and article URLs, for conditional requests."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from newsmon.store.connection import Connection, to_db_time


# Article validators live in the listing_validator table too: it is keyed by URL, and an
# article URL (/<slug>/) never equals a listing URL (/tag/...), so no schema step is needed.
# `ArticleTables.record` saves an article's in the transaction that stores the article; the
# conditional middleware reads both kinds with `ValidatorTables.listing_validators`.
def upsert_validators(
    conn: sqlite3.Connection, url: str, etag: str | None, last_modified: str | None, now_db: str
) -> None:
    """Save the validators `url` answered with, replacing any saved before (in a transaction)."""
    conn.execute(
        "INSERT INTO listing_validator (url, etag, last_modified, updated_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,"
        " last_modified = excluded.last_modified, updated_at = excluded.updated_at",
        (url, etag, last_modified, now_db),
    )


class ValidatorTables(Connection):
    """The listing_validator table: the validators each URL last answered with."""

    def listing_validators(self, url: str) -> tuple[str | None, str | None]:
        """Return the (ETag, Last-Modified) last saved for a listing URL, or (None, None)."""
        row = (
            self._connection()
            .execute("SELECT etag, last_modified FROM listing_validator WHERE url = ?", (url,))
            .fetchone()
        )
        return (row[0], row[1]) if row is not None else (None, None)

    def save_listing_validators(
        self, url: str, etag: str | None, last_modified: str | None
    ) -> None:
        """Save the ETag and Last-Modified a listing URL answered with."""
        with self._transaction() as conn:
            upsert_validators(conn, url, etag, last_modified, to_db_time(datetime.now(UTC)))

    def take_listing_validators(self, url: str) -> tuple[str | None, str | None] | None:
        """Remove and return the validators saved for a listing URL; None if there were none.

        A walk takes page 1's validators when it starts and saves them back only when it
        completes, so their absence tells the next run that the last walk did not complete.
        """
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT etag, last_modified FROM listing_validator WHERE url = ?", (url,)
            ).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM listing_validator WHERE url = ?", (url,))
            return (row[0], row[1])

    # --- this run's walks: the validators of their pages, until a walk completes -------------

    # A temporary table (the connection's own, gone when it closes): a first run of a long
    # listing reads tens of thousands of pages, whose URLs and validators would otherwise be
    # held in memory to the end. Lost with the connection, a walk saves nothing: the next run
    # walks that listing in full, the safe side.
    _WALK_PAGE_TABLE = (
        "CREATE TEMP TABLE IF NOT EXISTS walk_page (slug TEXT NOT NULL, url TEXT NOT NULL,"
        " etag TEXT, last_modified TEXT, PRIMARY KEY (slug, url)) WITHOUT ROWID"
    )

    def note_walk_page(
        self, slug: str, url: str, etag: str | None, last_modified: str | None
    ) -> None:
        """Keep the validators a page of `slug`'s walk came with, until the walk completes."""
        with self._transaction() as conn:
            conn.execute(self._WALK_PAGE_TABLE)
            conn.execute(
                "INSERT INTO temp.walk_page (slug, url, etag, last_modified) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (slug, url) DO UPDATE SET etag = excluded.etag,"
                " last_modified = excluded.last_modified",
                (slug, url, etag, last_modified),
            )

    def save_walk_validators(self, slug: str) -> None:
        """The walk of `slug` completed: save the validators of every page it read."""
        with self._transaction() as conn:
            conn.execute(self._WALK_PAGE_TABLE)
            conn.execute(
                "INSERT INTO listing_validator (url, etag, last_modified, updated_at)"
                " SELECT url, etag, last_modified, ? FROM temp.walk_page WHERE slug = ?"
                " ORDER BY url"
                " ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,"
                " last_modified = excluded.last_modified, updated_at = excluded.updated_at",
                (to_db_time(datetime.now(UTC)), slug),
            )
