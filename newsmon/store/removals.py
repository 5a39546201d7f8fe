"""Articles the site took down: two revisits in a row answered 404 or 410.

A removal is a version of its own (the article's last content, marked in version_removal):
exported once to the archive as `change: "removed"`, and, while it is the article's latest
version, it keeps the article out of every feed and of the revisits. If the article comes
back, its next stored version is an update (`newsmon.store.articles`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from newsmon.store.connection import Connection, to_db_time

# One 404 may be a cache or a deploy; two revisits in a row mean the page is gone.
MISSES_TO_REMOVE = 2


class RemovalTables(Connection):
    """The article_missing and version_removal tables."""

    def note_missing(self, url: str, now: datetime) -> bool:
        """A revisit of `url` answered 404/410; tell whether this removed the article now."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT a.id, a.latest_version FROM article_url u"
                " JOIN article a ON a.id = u.article_id WHERE u.url = ?",
                (url,),
            ).fetchone()
            if row is None:
                return False
            article_id, latest = int(row[0]), int(row[1])
            if self._is_removed(conn, article_id, latest):
                return False
            conn.execute(
                "INSERT INTO article_missing (article_id, misses, first_missing) VALUES (?, 1, ?)"
                " ON CONFLICT (article_id) DO UPDATE SET misses = misses + 1",
                (article_id, to_db_time(now)),
            )
            (misses,) = conn.execute(
                "SELECT misses FROM article_missing WHERE article_id = ?", (article_id,)
            ).fetchone()
            if misses < MISSES_TO_REMOVE:
                return False
            cursor = conn.execute(
                "INSERT INTO version (article_id, version, fingerprint, modified, crawled_at,"
                " item_json) SELECT article_id, version + 1, fingerprint, modified, ?, item_json"
                " FROM version WHERE article_id = ? AND version = ?",
                (to_db_time(now), article_id, latest),
            )
            conn.execute("INSERT INTO version_removal (version_id) VALUES (?)", (cursor.lastrowid,))
            conn.execute(
                "UPDATE article SET latest_version = ? WHERE id = ?", (latest + 1, article_id)
            )
            conn.execute("DELETE FROM article_missing WHERE article_id = ?", (article_id,))
            return True

    def note_present(self, urls: Iterable[str]) -> None:
        """Revisits of these URLs answered (200 or 304): those articles are not missing."""
        keys = [(url,) for url in dict.fromkeys(urls)]
        if not keys:
            return
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM article_missing LIMIT 1").fetchone() is None:
                return  # nothing is missing: the usual case costs one read
            conn.executemany(
                "DELETE FROM article_missing WHERE article_id ="
                " (SELECT article_id FROM article_url WHERE url = ?)",
                keys,
            )

    @staticmethod
    def _is_removed(conn: sqlite3.Connection, article_id: int, latest: int) -> bool:
        """Tell whether the article's latest version is a removal."""
        row = conn.execute(
            "SELECT 1 FROM version v JOIN version_removal r ON r.version_id = v.id"
            " WHERE v.article_id = ? AND v.version = ?",
            (article_id, latest),
        ).fetchone()
        return row is not None
