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
from newsmon.items import ArticleItem, Validators, item_to_json
from newsmon.store.connection import from_db_time, opt_db_time, to_db_time
from newsmon.store.identity import IdentityTables
from newsmon.store.validators import upsert_validators

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


def _keep_validators(
    conn: sqlite3.Connection, url: str, validators: Validators, now_db: str
) -> None:
    """Save a stored article's validators, if its page sent any."""
    etag, last_modified = validators
    if etag or last_modified:
        upsert_validators(conn, url, etag, last_modified, now_db)


def _is_rewrite(old_body: str, new_body: str) -> bool:
    """Tell whether `new_body` keeps less than REWRITE_SIMILARITY of `old_body`'s wording."""
    matcher = difflib.SequenceMatcher(None, old_body.split(), new_body.split())
    return matcher.ratio() < REWRITE_SIMILARITY


class ArticleTables(IdentityTables):
    """Articles, the URLs they were found at, their listings, tags and versions."""

    def record(
        self,
        item: ArticleItem,
        *,
        canonical: str,
        fingerprint: str,
        now: datetime,
        aliases: Iterable[str] = (),
        validators: Validators = (None, None),
    ) -> RecordResult:
        """Store one crawled article: new, a new version of a known one, or unchanged.

        The article is looked up by `canonical`, by `aliases` (URLs the page was reached
        through or names as its own: a renamed article's old slug), by the item's Ghost post
        id, else by `fingerprint` (the same body at a second URL is the same article). A new
        version is stored when the fingerprint or the modified time differs from the latest
        version, or when the article had been removed and is back. Last seen, listings
        (`item.listings`), the URL and the Ghost post id are recorded in every case. For "new"
        and "updated" the item is stamped in place (change, version, first_seen, and
        crawled_at if unset) and stored as stamped; an update keeps the URL the article was
        first stored under, which feeds use as its guid, whatever its slug is now.

        `validators` (the page's ETag and Last-Modified) are kept in the same transaction,
        under the URL the item leaves with, for conditional revisits.
        """
        now_db = to_db_time(now)
        modified_db = opt_db_time(item.modified)
        published_db = opt_db_time(item.published)
        with self._transaction() as conn:
            article_id = self._find_article(conn, canonical, fingerprint, item, aliases)
            if article_id is None:
                _keep_validators(conn, canonical, validators, now_db)
                return self._insert_article(conn, item, canonical, fingerprint, now, now_db)
            self._add_ghost_id(conn, article_id, item.ghost_id)
            first_seen_db, primary_url, latest = conn.execute(
                "SELECT first_seen, canonical_url, latest_version FROM article WHERE id = ?",
                (article_id,),
            ).fetchone()
            version_id, latest_fp, latest_modified, removed = conn.execute(
                "SELECT v.id, v.fingerprint, v.modified, r.version_id IS NOT NULL FROM version v"
                " LEFT JOIN version_removal r ON r.version_id = v.id"
                " WHERE v.article_id = ? AND v.version = ?",
                (article_id, latest),
            ).fetchone()
            conn.execute("UPDATE article SET last_seen = ? WHERE id = ?", (now_db, article_id))
            # It answered: whatever 404 a revisit met before was not a removal.
            conn.execute("DELETE FROM article_missing WHERE article_id = ?", (article_id,))
            conn.execute(
                "INSERT OR IGNORE INTO article_url (url, article_id) VALUES (?, ?)",
                (canonical, article_id),
            )
            self._merge_listings(conn, article_id, item.listings, now_db)
            first_seen = from_db_time(first_seen_db)
            if not removed and (
                (latest_fp, latest_modified) == (fingerprint, modified_db)
                or (
                    canonical != primary_url
                    and self._has_fingerprint(conn, article_id, fingerprint)
                )
            ):
                # A second URL serving a body we already hold (even with another modified
                # time) is a copy, not a change: without this two live copies would flip the
                # article between them on every run.
                _keep_validators(conn, canonical, validators, now_db)
                return RecordResult("unchanged", latest, first_seen, article_id, version_id)
            (latest_json,) = conn.execute(
                "SELECT item_json FROM version WHERE id = ?", (version_id,)
            ).fetchone()
            rewrite = _is_rewrite(json.loads(latest_json).get("body", ""), item.body)
            version = latest + 1
            item.url = primary_url
            _keep_validators(conn, primary_url, validators, now_db)
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
        self._add_to_listings({canonical: list(slugs)}, now)

    def add_to_listing(
        self, canonicals: Iterable[str], slug: str, *, now: datetime | None = None
    ) -> None:
        """Record that known articles appeared in one listing; unknown URLs are ignored.

        One transaction for a listing page's known cards, not one per card.
        """
        self._add_to_listings({canonical: [slug] for canonical in canonicals}, now)

    def _add_to_listings(self, slugs_by_url: dict[str, list[str]], now: datetime | None) -> None:
        """Merge listing slugs into known articles, all in one transaction."""
        now_db = to_db_time(now or datetime.now(UTC))
        with self._transaction() as conn:
            for canonical, slugs in slugs_by_url.items():
                row = conn.execute(
                    "SELECT article_id FROM article_url WHERE url = ?", (canonical,)
                ).fetchone()
                if row is not None:
                    self._merge_listings(conn, row[0], slugs, now_db)
