"""Pages whose own content keeps them out of the store, asked again after a growing pause.

A page that is no article, that extraction cannot read (cut by the parser, an error in its
own markup) or whose item validation refuses (no title, no date) fails the same way every
run until the site changes it. Fetched every run, it would cost a download each time and
keep every walk that shows it from ending early. So its URL waits here: the next 1, 2, 4, ...
runs of this state (after its 1st, 2nd, 3rd, ... failure in a row) do not ask for it, and it
is asked again at least once a day once the pause has grown that long. A transient failure
(a challenge, a network or server error) is not recorded here: the next run asks again
(`newsmon.store.pending`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from newsmon.store.connection import Connection, to_db_time

# The longest pause: a page whose fault is fixed is published within a day.
MAX_PAUSE = timedelta(days=1)


@dataclass(frozen=True)
class DuePage:
    """A failed page whose pause is over: to be asked again, whatever its listing says now."""

    url: str
    listings: tuple[str, ...]
    reason: str
    failures: int


class FailureTables(Connection):
    """The failed_page and run_counter tables."""

    def start_run(self) -> int:
        """Count one more run of this state and return its number (1, 2, ...)."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO run_counter (id, runs) VALUES (1, 1)"
                " ON CONFLICT (id) DO UPDATE SET runs = runs + 1"
            )
            (runs,) = conn.execute("SELECT runs FROM run_counter WHERE id = 1").fetchone()
        return int(runs)

    def record_failed_page(
        self, url: str, reason: str, *, listings: Iterable[str] = (), run: int, now: datetime
    ) -> int:
        """Note one more failure of a page shown in `listings`; return how many in a row."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT failures, listings FROM failed_page WHERE url = ?", (url,)
            ).fetchone()
            failures = (int(row[0]) if row else 0) + 1
            shown_in = json.dumps(sorted({*json.loads(row[1] if row else "[]"), *listings}))
            # Skip the next 1, 2, 4, ... runs; and wait never longer than a day.
            due_run = run + 1 + 2 ** min(failures - 1, 30)
            conn.execute(
                "INSERT INTO failed_page (url, reason, listings, failures, first_failed,"
                " last_failed, due_run, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET reason = excluded.reason,"
                " listings = excluded.listings, failures = excluded.failures,"
                " last_failed = excluded.last_failed, due_run = excluded.due_run,"
                " due_at = excluded.due_at",
                (
                    url,
                    reason,
                    shown_in,
                    failures,
                    to_db_time(now),
                    to_db_time(now),
                    due_run,
                    to_db_time(now + MAX_PAUSE),
                ),
            )
        return failures

    def waiting_pages(self, urls: Iterable[str], *, run: int, now: datetime) -> set[str]:
        """Those of `urls` that failed and are not due again yet (one query)."""
        wanted = [url for url in dict.fromkeys(urls) if url]
        if not wanted:
            return set()
        marks = ",".join("?" * len(wanted))
        rows = self._connection().execute(
            f"SELECT url FROM failed_page WHERE url IN ({marks}) AND due_run > ? AND due_at > ?",
            (*wanted, run, to_db_time(now)),
        )
        return {row[0] for row in rows}

    def due_pages(self, slugs: Iterable[str], *, run: int, now: datetime) -> list[DuePage]:
        """Failed pages shown in one of these listings whose pause is over, oldest first.

        Asked again before the walk, as the pending articles are: their listing may answer
        304 by then, or have pushed them past NEWSMON_MAX_PAGES.
        """
        wanted = set(slugs)
        rows = self._connection().execute(
            "SELECT url, listings, reason, failures FROM failed_page"
            " WHERE due_run <= ? OR due_at <= ? ORDER BY first_failed, url",
            (run, to_db_time(now)),
        )
        found = []
        for url, listings, reason, failures in rows:
            shown_in = tuple(json.loads(listings))
            if wanted & set(shown_in):
                found.append(DuePage(url, shown_in, reason, int(failures)))
        return found

    def failed_reason(self, url: str) -> tuple[str, int] | None:
        """(reason, failures in a row) of a page that failed, or None."""
        row = (
            self._connection()
            .execute("SELECT reason, failures FROM failed_page WHERE url = ?", (url,))
            .fetchone()
        )
        return (str(row[0]), int(row[1])) if row else None

    def failed_urls(self) -> set[str]:
        """Every page with a failed-page record (a few, usually none)."""
        rows = self._connection().execute("SELECT url FROM failed_page").fetchall()
        return {str(row[0]) for row in rows}

    def forget_failed(self, urls: Iterable[str]) -> None:
        """These pages were stored (or read fine): they are no longer failing."""
        keys = [(url,) for url in dict.fromkeys(urls) if url]
        if keys:
            with self._transaction() as conn:
                if conn.execute("SELECT 1 FROM failed_page LIMIT 1").fetchone() is None:
                    return  # nothing failed: the usual case costs one read
                conn.executemany("DELETE FROM failed_page WHERE url = ?", keys)
