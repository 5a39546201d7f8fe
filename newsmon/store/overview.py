"""What the front page tells about the state: recent runs of every crawl, articles per day."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from newsmon.store.connection import Connection, from_db_time, to_db_time


@dataclass(frozen=True)
class RunSummary:
    """One finished run, as the front page lists it."""

    spider: str
    started_at: datetime
    finished_at: datetime
    healthy: bool
    new_items: int
    updated_items: int
    """Versions 2 and later the run stored (counted from the version table, by crawl time)."""

    failed_checks: list[str]
    """The failed health checks, as "check(field)"."""


class OverviewTables(Connection):
    """Reads across the tables for a summary: the run history and the articles by day."""

    def recent_runs(self, limit: int) -> list[RunSummary]:
        """The newest `limit` runs of every spider, newest first."""
        rows = self._connection().execute(
            "SELECT r.spider, r.started_at, r.finished_at, r.healthy, r.new_items,"
            # health_run keeps the new articles only; the updates are the versions after the
            # first that pages fetched during the run stored.
            " (SELECT count(*) FROM version v WHERE v.version > 1"
            " AND v.crawled_at BETWEEN r.started_at AND r.finished_at),"
            " r.failures_json FROM health_run r ORDER BY r.finished_at DESC, r.id DESC LIMIT ?",
            (limit,),
        )
        return [
            RunSummary(
                spider=row[0],
                started_at=from_db_time(row[1]),
                finished_at=from_db_time(row[2]),
                healthy=bool(row[3]),
                new_items=row[4],
                updated_items=row[5],
                failed_checks=_check_names(row[6]),
            )
            for row in rows
        ]

    def articles_per_day(self, since: datetime) -> dict[date, int]:
        """Stored articles by publication day (UTC), for the days from `since` on."""
        rows = self._connection().execute(
            "SELECT substr(published, 1, 10), count(*) FROM article"
            " WHERE published >= ? GROUP BY 1",
            (to_db_time(since),),
        )
        return {date.fromisoformat(day): count for day, count in rows}

    def article_count(self) -> int:
        """How many articles the state holds."""
        return int(self._connection().execute("SELECT count(*) FROM article").fetchone()[0])


def _check_names(failures_json: str) -> list[str]:
    """The failed checks of a run as check(field), tolerant of older shapes."""
    try:
        failures: Any = json.loads(failures_json)
    except ValueError:
        return []
    names = []
    for failure in failures if isinstance(failures, list) else []:
        if isinstance(failure, dict):
            check, field = failure.get("check", "?"), failure.get("field", "")
            names.append(f"{check}({field})" if field else str(check))
    return names
