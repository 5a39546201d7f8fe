"""Articles and their versions: recording a crawled item, and what is known about articles.

`record` decides whether an item is a new article, a new version of a known one, or nothing
new; the lookups answer what incremental crawling needs (is a URL known, what was published
since).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from newsmon.extract.normalize.text import clean_block_text
from newsmon.items import ArticleItem, item_to_json
from newsmon.store.connection import Connection, from_db_time, opt_db_time, to_db_time
from newsmon.store.exports import VERSION_COLUMNS, StoredVersion, stored_version

# Below this many words a body is too generic ("Watch the video.") to prove that two URLs are
# one article, so such bodies are matched by URL only.
BODY_MATCH_MIN_WORDS = 30
# An update whose body keeps less than this share of the previous wording (difflib ratio over
# words) is a rewrite: the store moves `announced_version` to it, for the "reannounce" policy.
REWRITE_SIMILARITY = 0.5

Outcome = Literal["new", "updated", "unchanged"]


@dataclass(frozen=True)
class RecordResult:
    """What `StateStore.record` made of one item."""

    outcome: Outcome
    """"new", "updated" (a new version was stored) or "unchanged" (nothing new)."""

    version: int
    """The article's latest version number after recording (1 for a new article)."""

    first_seen: datetime
    """When the article was first stored, in UTC."""

    article_id: int
    """The article's row id."""

    version_id: int
    """Row id of the article's latest version: the export sequence number."""


def body_fingerprint(body: str) -> str:
    """Return the sha256 (hex) of the normalized body: the identity of an article's content."""
    # Normalizing again (idempotent after CleanPipeline) keeps the key stable for any caller:
    # only a change a reader could see changes the fingerprint. Exact, not fuzzy, on purpose:
    # daily round-ups that differ only in their numbers are different articles.
    return hashlib.sha256(clean_block_text(body).encode("utf-8")).hexdigest()


def _is_rewrite(old_body: str, new_body: str) -> bool:
    """Tell whether `new_body` keeps less than REWRITE_SIMILARITY of `old_body`'s wording."""
    matcher = difflib.SequenceMatcher(None, old_body.split(), new_body.split())
    return matcher.ratio() < REWRITE_SIMILARITY


class ArticleTables(Connection):
    """Articles, the URLs they were found at, their listings, tags and versions."""

    def record(
        self, item: ArticleItem, *, canonical: str, fingerprint: str, now: datetime
    ) -> RecordResult:
        """Store one crawled article: new, a new version of a known one, or unchanged.

        The article is looked up by `canonical`, else by the item's Ghost post id, else by
        `fingerprint` (the same body at a second URL is the same article). A new version is
        stored when the fingerprint or the modified time differs from the latest version. Last
        seen, listings (`item.listings`), the URL and the Ghost post id are recorded in every
        case. For "new" and "updated" the item is stamped in place (change, version,
        first_seen, and crawled_at if unset) and stored as stamped.
        """
        now_db = to_db_time(now)
        modified_db = opt_db_time(item.modified)
        published_db = opt_db_time(item.published)
        with self._transaction() as conn:
            article_id = self._find_article(conn, canonical, fingerprint, item)
            if article_id is None:
                return self._insert_article(conn, item, canonical, fingerprint, now, now_db)
            self._add_ghost_id(conn, article_id, item.ghost_id)
            first_seen_db, primary_url, latest = conn.execute(
                "SELECT first_seen, canonical_url, latest_version FROM article WHERE id = ?",
                (article_id,),
            ).fetchone()
            version_id, latest_fp, latest_modified = conn.execute(
                "SELECT id, fingerprint, modified FROM version"
                " WHERE article_id = ? AND version = ?",
                (article_id, latest),
            ).fetchone()
            conn.execute("UPDATE article SET last_seen = ? WHERE id = ?", (now_db, article_id))
            conn.execute(
                "INSERT OR IGNORE INTO article_url (url, article_id) VALUES (?, ?)",
                (canonical, article_id),
            )
            self._merge_listings(conn, article_id, item.listings, now_db)
            first_seen = from_db_time(first_seen_db)
            if (latest_fp, latest_modified) == (fingerprint, modified_db) or (
                canonical != primary_url and self._has_fingerprint(conn, article_id, fingerprint)
            ):
                # A second URL serving a body we already hold (even with another modified
                # time) is a copy, not a change: without this two live copies would flip the
                # article between them on every run.
                return RecordResult("unchanged", latest, first_seen, article_id, version_id)
            (latest_json,) = conn.execute(
                "SELECT item_json FROM version WHERE id = ?", (version_id,)
            ).fetchone()
            rewrite = _is_rewrite(json.loads(latest_json).get("body", ""), item.body)
            version = latest + 1
            stamped = self._stamp(item, "updated", version, first_seen, now)
            version_id = self._insert_version(conn, article_id, version, fingerprint, stamped)
            conn.execute(
                "UPDATE article SET latest_version = ?, published = ?,"
                " announced_version = CASE WHEN ? THEN ? ELSE announced_version END,"
                " announced_at = CASE WHEN ? THEN ? ELSE announced_at END"
                " WHERE id = ?",
                (version, published_db, rewrite, version, rewrite, now_db, article_id),
            )
            self._replace_tags(conn, article_id, item.tag_slugs)
            return RecordResult("updated", version, first_seen, article_id, version_id)

    def _find_article(
        self, conn: sqlite3.Connection, canonical: str, fingerprint: str, item: ArticleItem
    ) -> int | None:
        """Return the id of the article stored under this URL or Ghost id, else this body's."""
        row = conn.execute(
            "SELECT article_id FROM article_url WHERE url = ?", (canonical,)
        ).fetchone()
        if row is None and item.ghost_id:
            row = conn.execute(
                "SELECT article_id FROM article_ghost_id WHERE ghost_id = ?", (item.ghost_id,)
            ).fetchone()
        if row is None and len(item.body.split()) >= BODY_MATCH_MIN_WORDS:
            row = conn.execute(
                "SELECT article_id FROM version WHERE fingerprint = ? ORDER BY id LIMIT 1",
                (fingerprint,),
            ).fetchone()
        return None if row is None else int(row[0])

    @staticmethod
    def _has_fingerprint(conn: sqlite3.Connection, article_id: int, fingerprint: str) -> bool:
        """Tell whether any version of the article has this fingerprint."""
        row = conn.execute(
            "SELECT 1 FROM version WHERE fingerprint = ? AND article_id = ? LIMIT 1",
            (fingerprint, article_id),
        ).fetchone()
        return row is not None

    @staticmethod
    def _stamp(
        item: ArticleItem, change: Outcome, version: int, first_seen: datetime, now: datetime
    ) -> ArticleItem:
        """Set the store's fields on `item` in place and return it."""
        item.change = change
        item.version = version
        item.first_seen = first_seen
        if item.crawled_at is None:
            item.crawled_at = now
        return item

    def _insert_article(
        self,
        conn: sqlite3.Connection,
        item: ArticleItem,
        canonical: str,
        fingerprint: str,
        now: datetime,
        now_db: str,
    ) -> RecordResult:
        """Insert a never-seen article with its first version."""
        first_seen = from_db_time(now_db)
        cursor = conn.execute(
            "INSERT INTO article (canonical_url, first_seen, last_seen, published,"
            " latest_version, announced_version, announced_at) VALUES (?, ?, ?, ?, 1, 1, ?)",
            (canonical, now_db, now_db, opt_db_time(item.published), now_db),
        )
        article_id = cursor.lastrowid
        assert article_id is not None  # an INSERT always sets it
        conn.execute(
            "INSERT INTO article_url (url, article_id) VALUES (?, ?)", (canonical, article_id)
        )
        self._add_ghost_id(conn, article_id, item.ghost_id)
        stamped = self._stamp(item, "new", 1, first_seen, now)
        version_id = self._insert_version(conn, article_id, 1, fingerprint, stamped)
        self._merge_listings(conn, article_id, item.listings, now_db)
        self._replace_tags(conn, article_id, item.tag_slugs)
        return RecordResult("new", 1, first_seen, article_id, version_id)

    @staticmethod
    def _insert_version(
        conn: sqlite3.Connection,
        article_id: int,
        version: int,
        fingerprint: str,
        item: ArticleItem,
    ) -> int:
        """Insert one version row and return its id."""
        assert item.crawled_at is not None  # _stamp sets it
        payload = json.dumps(item_to_json(item), ensure_ascii=False, separators=(",", ":"))
        cursor = conn.execute(
            "INSERT INTO version (article_id, version, fingerprint, modified, crawled_at,"
            " item_json) VALUES (?, ?, ?, ?, ?, ?)",
            (
                article_id,
                version,
                fingerprint,
                opt_db_time(item.modified),
                to_db_time(item.crawled_at),
                payload,
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    @staticmethod
    def _merge_listings(
        conn: sqlite3.Connection, article_id: int, slugs: Iterable[str], now_db: str
    ) -> None:
        """Add listing slugs to an article (union with what is stored), refreshing last_seen."""
        conn.executemany(
            "INSERT INTO article_listing (article_id, slug, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?)"
            " ON CONFLICT (article_id, slug) DO UPDATE SET last_seen = excluded.last_seen",
            [(article_id, slug, now_db, now_db) for slug in dict.fromkeys(slugs) if slug],
        )

    @staticmethod
    def _add_ghost_id(conn: sqlite3.Connection, article_id: int, ghost_id: str) -> None:
        """Remember the article's Ghost post id (the first article to claim one keeps it)."""
        if ghost_id:
            conn.execute(
                "INSERT OR IGNORE INTO article_ghost_id (ghost_id, article_id) VALUES (?, ?)",
                (ghost_id, article_id),
            )

    @staticmethod
    def _replace_tags(conn: sqlite3.Connection, article_id: int, slugs: Iterable[str]) -> None:
        """Make the article's tag slugs those of its latest version."""
        conn.execute("DELETE FROM article_tag WHERE article_id = ?", (article_id,))
        conn.executemany(
            "INSERT INTO article_tag (article_id, slug) VALUES (?, ?)",
            [(article_id, slug) for slug in dict.fromkeys(slugs) if slug],
        )

    def add_listings(
        self, canonical: str, slugs: Iterable[str], *, now: datetime | None = None
    ) -> None:
        """Record that a known article appeared in these listings; unknown URLs are ignored."""
        now_db = to_db_time(now or datetime.now(UTC))
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT article_id FROM article_url WHERE url = ?", (canonical,)
            ).fetchone()
            if row is not None:
                self._merge_listings(conn, row[0], slugs, now_db)

    def is_known(self, canonical: str) -> bool:
        """Tell whether an article was stored under this canonical URL."""
        row = (
            self._connection()
            .execute("SELECT 1 FROM article_url WHERE url = ?", (canonical,))
            .fetchone()
        )
        return row is not None

    def listings_of(self, canonical: str) -> list[str]:
        """Return the listing slugs an article was found in, sorted; [] if unknown."""
        rows = self._connection().execute(
            "SELECT l.slug FROM article_url u JOIN article_listing l"
            " ON l.article_id = u.article_id WHERE u.url = ? ORDER BY l.slug",
            (canonical,),
        )
        return [row[0] for row in rows]

    def versions_of(self, canonical: str) -> list[StoredVersion]:
        """Return every stored version of one article, oldest first; [] if unknown."""
        rows = self._connection().execute(
            f"SELECT {VERSION_COLUMNS} FROM article_url u"
            " JOIN article a ON a.id = u.article_id JOIN version v ON v.article_id = a.id"
            " WHERE u.url = ? ORDER BY v.version",
            (canonical,),
        )
        return [stored_version(row) for row in rows]

    # --- incremental crawling: what is known, what to revisit ------------------------------

    def known_urls(self, canonicals: Iterable[str]) -> set[str]:
        """Return those of `canonicals` under which an article is stored (one query)."""
        return self._present("article_url", "url", canonicals)

    def known_ghost_ids(self, ghost_ids: Iterable[str]) -> set[str]:
        """Return those of these Ghost post ids that a stored article carries (one query)."""
        return self._present("article_ghost_id", "ghost_id", ghost_ids)

    def _present(self, table: str, column: str, values: Iterable[str]) -> set[str]:
        """Those of `values` found in `table`.`column` (names are this module's, never input)."""
        wanted = [value for value in dict.fromkeys(values) if value]
        if not wanted:
            return set()
        placeholders = ",".join("?" * len(wanted))
        rows = self._connection().execute(
            f"SELECT {column} FROM {table} WHERE {column} IN ({placeholders})", wanted
        )
        return {row[0] for row in rows}

    def add_url(self, url: str, canonical: str) -> None:
        """Record `url` as a further URL of the article stored under `canonical`.

        A card's URL that led to a page whose own canonical link (or redirect) says otherwise
        is known from then on, so the next run does not fetch the article again.
        """
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO article_url (url, article_id)"
                " SELECT ?, article_id FROM article_url WHERE url = ?",
                (url, canonical),
            )

    def published_of(self, canonicals: Iterable[str]) -> dict[str, datetime]:
        """Publication times of the stored articles under these URLs (those that have one)."""
        wanted = list(dict.fromkeys(canonicals))
        if not wanted:
            return {}
        placeholders = ",".join("?" * len(wanted))
        rows = self._connection().execute(
            "SELECT u.url, a.published FROM article_url u JOIN article a ON a.id = u.article_id"
            f" WHERE u.url IN ({placeholders}) AND a.published IS NOT NULL",
            wanted,
        )
        return {url: from_db_time(published) for url, published in rows}

    def newest_published(self) -> datetime | None:
        """Return the latest publication time among stored articles (UTC), None if none."""
        row = self._connection().execute("SELECT MAX(published) FROM article").fetchone()
        return from_db_time(row[0]) if row and row[0] else None

    def published_since(self, since: datetime, slugs: Iterable[str]) -> list[str]:
        """Canonical URLs of articles of these listings published at or after `since`.

        An article belongs to a listing when it was found in it or carries its tag (as in
        `latest_for_feed`). Newest first.
        """
        wanted = list(dict.fromkeys(slugs))
        if not wanted:
            return []
        placeholders = ",".join("?" * len(wanted))
        rows = self._connection().execute(
            "SELECT canonical_url FROM article WHERE published >= ? AND id IN ("
            f"SELECT article_id FROM article_listing WHERE slug IN ({placeholders})"
            f" UNION SELECT article_id FROM article_tag WHERE slug IN ({placeholders}))"
            " ORDER BY published DESC, id DESC",
            (to_db_time(since), *wanted, *wanted),
        )
        return [row[0] for row in rows]
