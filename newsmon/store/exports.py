"""Reading stored versions: a feed's newest articles (filtered or not), and the unexported."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Generator, Iterator, Sequence
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

    removal: bool = False
    """This version records the article's removal from the site (its last content kept)."""

    @property
    def change(self) -> str:
        """What this version is to the archive: "new", "updated" or "removed"."""
        if self.removal:
            return "removed"
        return "new" if self.version == 1 else "updated"

    def article_item(self) -> ArticleItem:
        """Return the stored item as an ArticleItem."""
        return item_from_json(self.item)


# The columns `stored_version` reads, in its order (also used by `ArticleTables.versions_of`).
VERSION_COLUMNS = """
    v.id, v.article_id, a.canonical_url, v.version, v.item_json, a.first_seen, a.published,
    v.crawled_at, a.announced_version, a.announced_at, v.exported_at IS NOT NULL,
    EXISTS (SELECT 1 FROM version_removal r WHERE r.version_id = v.id)
"""
# A feed shows the articles whose latest version (joined as `v`) is not a removal.
LIVE = "NOT EXISTS (SELECT 1 FROM version_removal r WHERE r.version_id = v.id)"


# Newest first: the order of every feed, walked along the article_feed_order index.
FEED_ORDER = " ORDER BY a.published DESC, a.first_seen DESC, a.id DESC"


@dataclass(frozen=True)
class FeedCandidate:
    """An article's latest version as a filter sees it: its text, people and listings."""

    version_id: int
    title: str
    summary: str
    body: str
    authors: list[str]
    tag_slugs: list[str]
    tag_names: list[str]
    listings: list[str]
    """The listing keys the article was ever seen in."""


def _membership(slug: str | None, tagged: bool) -> tuple[str, tuple[str, ...]]:
    """The WHERE clause (and its parameters) of "the live article belongs to listing `slug`"."""
    if slug is None:
        return f" WHERE {LIVE}", ()
    # EXISTS, not `a.id IN (... UNION ...)`: the IN set holds every article of the listing,
    # built and sorted on each call, so a feed cost grew with the archive (0.5 s for the News
    # Feed of 100,000 articles). This walks article_feed_order newest first and stops after
    # `limit` matches (python -m benchmarks, section 4).
    listed = "EXISTS (SELECT 1 FROM article_listing l WHERE l.article_id = a.id AND l.slug = ?)"
    if not tagged:
        return f" WHERE {LIVE} AND {listed}", (slug,)
    tag = "EXISTS (SELECT 1 FROM article_tag t WHERE t.article_id = a.id AND t.slug = ?)"
    return f" WHERE {LIVE} AND ({listed} OR {tag})", (slug, slug)


def _candidate(row: sqlite3.Row | tuple[Any, ...]) -> FeedCandidate:
    """A FeedCandidate from a row of `feed_candidates`' query."""
    return FeedCandidate(
        version_id=row[0],
        title=row[1] or "",
        summary=row[2] or "",
        body=row[3] or "",
        authors=_string_list(row[4]),
        tag_slugs=_string_list(row[5]),
        tag_names=_string_list(row[6]),
        listings=row[7].split("\x1f") if row[7] else [],
    )


def _string_list(text: str | None) -> list[str]:
    """A JSON list of strings as SQLite's json_extract gives it (text), decoded."""
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [str(one) for one in value] if isinstance(value, list) else []


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
        removal=bool(row[11]),
    )


class ExportTables(Connection):
    """Feeds and exports: reads of the version table, and its `exported_at` mark."""

    def latest_for_feed(
        self, slug: str | None, limit: int, *, tagged: bool = True
    ) -> list[StoredVersion]:
        """Return the newest `limit` articles of a listing (None: all), latest versions.

        Newest means published descending, then first seen descending. An article belongs to
        listing `slug` (a listing key) when it was found in that listing, or, with `tagged`
        (tag listings), when it carries that tag.
        """
        if limit <= 0:
            return []
        where, params = _membership(slug, tagged)
        rows = self._connection().execute(
            f"SELECT {VERSION_COLUMNS} FROM article a"
            " JOIN version v ON v.article_id = a.id AND v.version = a.latest_version"
            f"{where}{FEED_ORDER} LIMIT ?",
            (*params, limit),
        )
        return [stored_version(row) for row in rows]

    def feed_candidates(
        self, slug: str | None, *, tagged: bool = True, scan: int
    ) -> Generator[FeedCandidate, None, None]:
        """Yield the newest `scan` articles of a listing (None: all), newest first, light.

        What a filter looks at, without decoding whole items: SQLite extracts the fields, and
        the rows are read as the caller asks for them, so a filter that is satisfied early
        stops the walk early. Fetch the full versions of the chosen ones with `versions_by_id`.
        """
        if scan <= 0:
            return
        where, params = _membership(slug, tagged)
        rows = self._connection().execute(
            "SELECT v.id, json_extract(v.item_json, '$.title'),"
            " json_extract(v.item_json, '$.summary'), json_extract(v.item_json, '$.body'),"
            " json_extract(v.item_json, '$.authors'), json_extract(v.item_json, '$.tag_slugs'),"
            " json_extract(v.item_json, '$.tags'),"
            " (SELECT group_concat(l.slug, char(31)) FROM article_listing l"
            " WHERE l.article_id = a.id)"
            " FROM article a"
            " JOIN version v ON v.article_id = a.id AND v.version = a.latest_version"
            f"{where}{FEED_ORDER} LIMIT ?",
            (*params, scan),
        )
        try:
            yield from (_candidate(row) for row in rows)
        finally:
            # A caller that stopped early must not leave the read open (it would pin the
            # WAL snapshot of a long-lived reader such as the feed server).
            rows.close()

    def versions_by_id(self, version_ids: Sequence[int]) -> list[StoredVersion]:
        """The stored versions with these row ids, in the order given."""
        found: dict[int, StoredVersion] = {}
        ids = list(version_ids)
        for start in range(0, len(ids), EXPORT_BATCH):
            chunk = ids[start : start + EXPORT_BATCH]
            marks = ", ".join("?" * len(chunk))
            rows = self._connection().execute(
                f"SELECT {VERSION_COLUMNS} FROM version v JOIN article a ON a.id = v.article_id"
                f" WHERE v.id IN ({marks})",
                chunk,
            )
            for row in rows:
                found[row[0]] = stored_version(row)
        return [found[version_id] for version_id in ids if version_id in found]

    def data_version(self) -> int:
        """SQLite's data version: it changes when another connection commits to the file.

        A reader that holds its connection open (the feed server) knows by it, for almost
        nothing, whether what it answered from the store may have changed.
        """
        return int(self._connection().execute("PRAGMA data_version").fetchone()[0])

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
