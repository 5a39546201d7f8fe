"""What the store knows of articles, for incremental crawling and the publishers: lookups.

Is a URL (or a Ghost post id) known, under which URLs, in which listings, with which
versions, what was published since a time. An article whose latest version records its
removal (`newsmon.store.removals`) is not known: a listing that shows it again leads to it,
and no revisit asks for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from newsmon.store.connection import Connection, from_db_time, to_db_time
from newsmon.store.exports import VERSION_COLUMNS, StoredVersion, stored_version

# The article's latest version is a removal: the site answered 404/410 for it, twice.
REMOVED = (
    "EXISTS (SELECT 1 FROM version lv JOIN version_removal r ON r.version_id = lv.id"
    " WHERE lv.article_id = a.id AND lv.version = a.latest_version)"
)


class LookupTables(Connection):
    """Reads of the article tables (and the further URLs an article is known under)."""

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
        """Return those of `canonicals` under which a live article is stored (one query)."""
        return self._live("article_url", "url", canonicals)

    def known_ghost_ids(self, ghost_ids: Iterable[str]) -> set[str]:
        """Return those of these Ghost post ids that a live stored article carries (one query)."""
        return self._live("article_ghost_id", "ghost_id", ghost_ids)

    def _live(self, table: str, column: str, values: Iterable[str]) -> set[str]:
        """Those of `values` in `table`.`column` whose article is not removed.

        `table` and `column` are this module's names, never input.
        """
        wanted = [value for value in dict.fromkeys(values) if value]
        if not wanted:
            return set()
        marks = ",".join("?" * len(wanted))
        rows = self._connection().execute(
            f"SELECT t.{column} FROM {table} t JOIN article a ON a.id = t.article_id"
            f" WHERE t.{column} IN ({marks}) AND NOT {REMOVED}",
            wanted,
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
            f"SELECT canonical_url FROM article a WHERE published >= ? AND NOT {REMOVED}"
            " AND id IN ("
            f"SELECT article_id FROM article_listing WHERE slug IN ({placeholders})"
            f" UNION SELECT article_id FROM article_tag WHERE slug IN ({placeholders}))"
            " ORDER BY published DESC, id DESC",
            (to_db_time(since), *wanted, *wanted),
        )
        return [row[0] for row in rows]
