"""Reading stored versions: the newest articles of a feed, and the versions not yet exported."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from newsmon.items import ArticleItem, item_from_json
from newsmon.store.connection import Connection, from_db_time, to_db_time

# Rows fetched per query while iterating pending exports: bounded memory, no cursor held open.
EXPORT_BATCH = 200


@dataclass(frozen=True)
class StoredVersion:
    """One stored version of an article, with what the store knows about the article."""

    version_id: int
    """Row id of the version; increases with every stored version (export order)."""

    article_id: int
    """The article's row id."""

    canonical: str
    """The canonical URL the article was first stored under."""

    version: int
    """Version number: 1, 2, ..."""

    item: dict[str, Any]
    """The item as stored (`item_to_json` form, change/version/first_seen set)."""

    first_seen: datetime
    """When the article was first stored, in UTC."""

    published: datetime | None
    """The article's publication time (of its latest version), in UTC."""

    crawled_at: datetime
    """When this version's page was fetched, in UTC."""

    announced_version: int
    """The version readers were last told about as new: 1, or a later substantial rewrite."""

    announced_at: datetime
    """When `announced_version` was stored, in UTC."""

    exported: bool
    """Whether this version was already written to the JSON-lines archive."""

    def article_item(self) -> ArticleItem:
        """Return the stored item as an ArticleItem."""
        return item_from_json(self.item)


# The columns `stored_version` reads, in its order (also used by `ArticleTables.versions_of`).
VERSION_COLUMNS = """
    v.id, v.article_id, a.canonical_url, v.version, v.item_json, a.first_seen, a.published,
    v.crawled_at, a.announced_version, a.announced_at, v.exported_at IS NOT NULL
"""


def stored_version(row: sqlite3.Row | tuple[Any, ...]) -> StoredVersion:
    """Build a StoredVersion from a row selected with VERSION_COLUMNS."""
    return StoredVersion(
        version_id=row[0],
        article_id=row[1],
        canonical=row[2],
        version=row[3],
        item=json.loads(row[4]),
        first_seen=from_db_time(row[5]),
        published=from_db_time(row[6]) if row[6] else None,
        crawled_at=from_db_time(row[7]),
        announced_version=row[8],
        announced_at=from_db_time(row[9]),
        exported=bool(row[10]),
    )


class ExportTables(Connection):
    """Feeds and exports: reads of the version table, and its `exported_at` mark."""

    def latest_for_feed(self, slug: str | None, limit: int) -> list[StoredVersion]:
        """Return the newest `limit` articles of a listing or tag (None: all), latest versions.

        Newest means published descending, then first seen descending; an article belongs to
        `slug` when it was found in that listing or carries that tag.
        """
        if limit <= 0:
            return []
        select = (
            f"SELECT {VERSION_COLUMNS} FROM article a"
            " JOIN version v ON v.article_id = a.id AND v.version = a.latest_version"
        )
        order = " ORDER BY a.published DESC, a.first_seen DESC, a.id DESC LIMIT ?"
        conn = self._connection()
        if slug is None:
            rows = conn.execute(select + order, (limit,))
        else:
            # EXISTS, not `a.id IN (... UNION ...)`: the IN set holds every article of the
            # listing, built and sorted on each call, so a feed cost grew with the archive
            # (0.5 s for the News Feed of 100,000 articles). This walks article_feed_order
            # newest first and stops after `limit` matches (python -m benchmarks, section 4).
            rows = conn.execute(
                select + " WHERE (EXISTS (SELECT 1 FROM article_listing l"
                " WHERE l.article_id = a.id AND l.slug = ?)"
                " OR EXISTS (SELECT 1 FROM article_tag t WHERE t.article_id = a.id AND t.slug = ?))"
                + order,
                (slug, slug, limit),
            )
        return [stored_version(row) for row in rows]

    def pending_exports(self) -> Iterator[StoredVersion]:
        """Yield the versions not yet exported, in the order they were stored."""
        last_id = 0
        while True:
            # Keyset pages: memory stays at one batch, and no cursor is left open while the
            # caller writes files or marks rows exported.
            rows = (
                self._connection()
                .execute(
                    f"SELECT {VERSION_COLUMNS} FROM version v"
                    " JOIN article a ON a.id = v.article_id"
                    " WHERE v.exported_at IS NULL AND v.id > ? ORDER BY v.id LIMIT ?",
                    (last_id, EXPORT_BATCH),
                )
                .fetchall()
            )
            for row in rows:
                yield stored_version(row)
            if len(rows) < EXPORT_BATCH:
                return
            last_id = rows[-1][0]

    def mark_exported(self, version_ids: Sequence[int], *, now: datetime | None = None) -> None:
        """Mark versions as exported (one transaction), so they are not exported again."""
        now_db = to_db_time(now or datetime.now(UTC))
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE version SET exported_at = ? WHERE id = ? AND exported_at IS NULL",
                [(now_db, version_id) for version_id in version_ids],
            )
