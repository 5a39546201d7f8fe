"""The back-off after a run the site blocked: until when the next run must wait, and why.

One row per site origin. Each blocked run counts up the site's blocked runs and sets a new
"until"; the first run that gets through clears the row. How long to wait is the crawl's
policy (`newsmon.crawl.backoff`): the store keeps the count and the time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from newsmon.store.connection import Connection, from_db_time, to_db_time


@dataclass(frozen=True)
class Backoff:
    """A site's back-off: how many runs in a row it blocked, and when to try again."""

    origin: str
    blocked_runs: int
    until: datetime
    reason: str
    """How the last blocked run was blocked (its one line)."""


class BackoffTables(Connection):
    """The backoff table."""

    def backoff(self, origin: str) -> Backoff | None:
        """The site's back-off, if the last run was blocked."""
        row = (
            self._connection()
            .execute("SELECT blocked_runs, until, reason FROM backoff WHERE origin = ?", (origin,))
            .fetchone()
        )
        if row is None:
            return None
        return Backoff(origin, int(row[0]), from_db_time(row[1]), str(row[2]))

    def record_blocked_run(
        self, origin: str, reason: str, *, now: datetime, wait: Callable[[int], timedelta]
    ) -> Backoff:
        """Count one more blocked run; the next may start `wait(blocked runs)` from `now`."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT blocked_runs FROM backoff WHERE origin = ?", (origin,)
            ).fetchone()
            runs = (int(row[0]) if row is not None else 0) + 1
            until = now + wait(runs)
            conn.execute(
                "INSERT INTO backoff (origin, blocked_runs, until, reason, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET"
                " blocked_runs = excluded.blocked_runs, until = excluded.until,"
                " reason = excluded.reason, updated_at = excluded.updated_at",
                (origin, runs, to_db_time(until), reason, to_db_time(now)),
            )
        return Backoff(origin, runs, until, reason)

    def clear_backoff(self, origin: str) -> bool:
        """A run got through: forget the back-off; tell whether there was one."""
        if self.backoff(origin) is None:
            return False  # no write (and no write lock) for the usual case
        with self._transaction() as conn:
            return conn.execute("DELETE FROM backoff WHERE origin = ?", (origin,)).rowcount > 0
