"""Articles a run listed but could not store, for the next run to fetch again.

A card (or an entry of the site's RSS) led to an article that a transient failure kept out
of the store: a bot challenge, a network or server error, a state file that could not be
written. Its listing may answer 304 next time, or push it past NEWSMON_MAX_PAGES, and the
walk would never see its card again; so the article waits here, with the listings that
showed it, until a run stores it (or it stays unfetchable for PENDING_DAYS).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from newsmon.store.connection import Connection, to_db_time

# An article that could not be fetched for this long is given up: a listing that still shows
# it leads a walk to it anyway, and one that dropped it has moved on.
PENDING_DAYS = 7


@dataclass(frozen=True)
class PendingArticle:
    """An article to fetch again."""

    url: str
    listings: tuple[str, ...]
    reason: str
    """Why the last attempt failed."""
    attempts: int


class PendingTables(Connection):
    """The pending_article table."""

    def add_pending(self, url: str, listings: Iterable[str], reason: str, now: datetime) -> None:
        """Remember an article a transient failure kept out of the store (once more)."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT listings FROM pending_article WHERE url = ?", (url,)
            ).fetchone()
            merged = sorted({*json.loads(row[0] if row else "[]"), *listings})
            conn.execute(
                "INSERT INTO pending_article (url, listings, reason, first_failed, last_failed,"
                " attempts) VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (url) DO UPDATE SET"
                " listings = excluded.listings, reason = excluded.reason,"
                " last_failed = excluded.last_failed, attempts = attempts + 1",
                (url, json.dumps(merged), reason, to_db_time(now), to_db_time(now)),
            )

    def pending_articles(self, slugs: Iterable[str], now: datetime) -> list[PendingArticle]:
        """The articles to fetch again that one of these listings showed, oldest first.

        Articles stored meanwhile (by another crawl, under any of their URLs) and those given
        up after PENDING_DAYS are forgotten first.
        """
        wanted = set(slugs)
        with self._transaction() as conn:
            conn.execute(
                "DELETE FROM pending_article WHERE url IN (SELECT url FROM article_url)"
                " OR first_failed < ?",
                (to_db_time(now - timedelta(days=PENDING_DAYS)),),
            )
            rows = conn.execute(
                "SELECT url, listings, reason, attempts FROM pending_article"
                " ORDER BY first_failed, url"
            ).fetchall()
        found = []
        for url, listings, reason, attempts in rows:
            shown_in = tuple(json.loads(listings))
            if wanted & set(shown_in):
                found.append(PendingArticle(url, shown_in, reason, int(attempts)))
        return found

    def forget_pending(self, urls: Iterable[str]) -> None:
        """These articles were stored, or turned out to be no article: nothing to fetch again."""
        keys = [(url,) for url in urls]
        if not keys:
            return
        with self._transaction() as conn:
            conn.executemany("DELETE FROM pending_article WHERE url = ?", keys)
