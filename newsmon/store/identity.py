"""Which stored article an item is: by URL, by an alias, by its Ghost post id, by its body.

An alias is a URL the page was reached through (a redirect) or names as its own (canonical
link, og:url, JSON-LD url). A renamed article (a new slug, a 301 from the old one) is the same
article whatever its new slug. Two articles a run stored apart before learning they are one
(the new slug's card fetched before the old slug's revisit) are folded into the first while
neither is in the archive yet; an article already announced to readers is never taken back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from newsmon.items import ArticleItem
from newsmon.store.connection import Connection

# Below this many words a body is too generic ("Watch the video.") to prove that two URLs are
# one article, so such bodies are matched by URL only.
BODY_MATCH_MIN_WORDS = 30


class IdentityTables(Connection):
    """Finding the article an item belongs to (and folding one found twice)."""

    def _find_article(
        self,
        conn: sqlite3.Connection,
        canonical: str,
        fingerprint: str,
        item: ArticleItem,
        aliases: Iterable[str] = (),
    ) -> int | None:
        """The id of the article this item is: by URL or alias, Ghost id, else body."""
        urls = list(dict.fromkeys([canonical, *aliases]))
        marks = ",".join("?" * len(urls))
        found = {
            int(row[0])
            for row in conn.execute(
                f"SELECT article_id FROM article_url WHERE url IN ({marks})", urls
            )
        }
        if item.ghost_id:
            row = conn.execute(
                "SELECT article_id FROM article_ghost_id WHERE ghost_id = ?", (item.ghost_id,)
            ).fetchone()
            if row is not None:
                found.add(int(row[0]))
        if len(found) > 1:
            return _fold(conn, sorted(found))
        if found:
            return found.pop()
        if len(item.body.split()) >= BODY_MATCH_MIN_WORDS:
            row = conn.execute(
                "SELECT article_id FROM version WHERE fingerprint = ? ORDER BY id LIMIT 1",
                (fingerprint,),
            ).fetchone()
            if row is not None:
                return int(row[0])
        return None


def _fold(conn: sqlite3.Connection, ids: list[int]) -> int:
    """Fold the later articles into the first (the oldest), if none of them is archived yet."""
    first, later = ids[0], ids[1:]
    if _archived(conn, later):
        return first
    for other in later:
        conn.execute("UPDATE article_url SET article_id = ? WHERE article_id = ?", (first, other))
        conn.execute(
            "INSERT OR IGNORE INTO article_listing (article_id, slug, first_seen, last_seen)"
            " SELECT ?, slug, first_seen, last_seen FROM article_listing WHERE article_id = ?",
            (first, other),
        )
        conn.execute(
            "UPDATE OR IGNORE article_ghost_id SET article_id = ? WHERE article_id = ?",
            (first, other),
        )
        # Its versions, listings and tags go with it (ON DELETE CASCADE).
        conn.execute("DELETE FROM article WHERE id = ?", (other,))
    return first


def _archived(conn: sqlite3.Connection, ids: Iterable[int]) -> bool:
    """Tell whether any of these articles has a version in the archive already."""
    wanted = list(ids)
    marks = ",".join("?" * len(wanted))
    row = conn.execute(
        f"SELECT 1 FROM version WHERE article_id IN ({marks}) AND exported_at IS NOT NULL LIMIT 1",
        wanted,
    ).fetchone()
    return row is not None
