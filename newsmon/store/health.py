"""Run health: each run's figures, the health feed's events, and items held back as broken."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsmon.items import ArticleItem, item_to_json
from newsmon.store.connection import Connection, from_db_time, to_db_time

# Run history kept per spider and health events kept in all: enough for baselines and a feed,
# bounded so a monitor that runs every few minutes for years keeps a small file.
HEALTH_RUNS_KEPT = 1000
HEALTH_EVENTS_KEPT = 1000


@dataclass(frozen=True)
class HealthRunRecord:
    """One finished run as the health checks remember it."""

    spider: str
    started_at: datetime
    finished_at: datetime
    healthy: bool
    """No health check failed."""

    new_items: int
    """Articles stored as new by this run."""

    metrics: dict[str, tuple[int, int]]
    """The run's figures: name -> (count, out of) (see `newsmon.health.checks`)."""

    failures: list[dict[str, Any]]
    """The failed checks, as `HealthFailure.to_json` dicts."""


@dataclass(frozen=True)
class HealthEventRecord:
    """One entry of the health feed: an incident, a reminder of it, or its end."""

    at: datetime
    spider: str
    check: str
    """The (first) failed check's name; "recovered" for a recovery."""
    field: str
    message: str
    """What happened, in a sentence a person can act on."""
    example_url: str
    event_id: int = 0
    """Row id (0 for an event not stored yet)."""
    kind: str = ""
    """"failed" (an incident began), "reminder", "recovered"; "" for an event stored before
    incidents were summed up (one failed check)."""
    failures: tuple[dict[str, Any], ...] = ()
    """Every failure of the incident's run: check, field, message, example_url."""
    report: str = ""
    """The path of the run report of the run that raised it."""


class HealthTables(Connection):
    """The health_run, health_event and quarantine tables."""

    def record_health_run(
        self, run: HealthRunRecord, events: Sequence[HealthEventRecord] = ()
    ) -> None:
        """Store a finished run and its health events (one transaction); prune old rows."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO health_run (spider, started_at, finished_at, healthy, new_items,"
                " metrics_json, failures_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run.spider,
                    to_db_time(run.started_at),
                    to_db_time(run.finished_at),
                    int(run.healthy),
                    run.new_items,
                    json.dumps({key: list(pair) for key, pair in run.metrics.items()}),
                    json.dumps(run.failures, ensure_ascii=False),
                ),
            )
            for e in events:
                event_id = conn.execute(
                    "INSERT INTO health_event (at, spider, check_name, field, message,"
                    " example_url) VALUES (?, ?, ?, ?, ?, ?)",
                    (to_db_time(e.at), e.spider, e.check, e.field, e.message, e.example_url),
                ).lastrowid
                conn.execute(
                    "INSERT INTO health_event_detail (event_id, kind, failures_json, report)"
                    " VALUES (?, ?, ?, ?)",
                    (event_id, e.kind, json.dumps(list(e.failures), ensure_ascii=False), e.report),
                )
            conn.execute(
                "DELETE FROM health_run WHERE spider = ? AND id <= (SELECT id FROM health_run"
                " WHERE spider = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (run.spider, run.spider, HEALTH_RUNS_KEPT),
            )
            conn.execute(
                "DELETE FROM health_event WHERE id <= (SELECT id FROM health_event"
                " ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (HEALTH_EVENTS_KEPT,),
            )

    def health_runs(self, spider: str, limit: int) -> list[HealthRunRecord]:
        """Return the newest `limit` runs of a spider, newest first."""
        rows = self._connection().execute(
            "SELECT spider, started_at, finished_at, healthy, new_items, metrics_json,"
            " failures_json FROM health_run WHERE spider = ? ORDER BY id DESC LIMIT ?",
            (spider, limit),
        )
        return [
            HealthRunRecord(
                spider=row[0],
                started_at=from_db_time(row[1]),
                finished_at=from_db_time(row[2]),
                healthy=bool(row[3]),
                new_items=row[4],
                metrics={
                    key: (int(pair[0]), int(pair[1])) for key, pair in json.loads(row[5]).items()
                },
                failures=json.loads(row[6]),
            )
            for row in rows
        ]

    def latest_health_events(self, limit: int) -> list[HealthEventRecord]:
        """Return the newest `limit` health events, newest run first."""
        rows = self._connection().execute(
            "SELECT id, at, spider, check_name, field, message, example_url,"
            " coalesce(kind, ''), coalesce(failures_json, '[]'), coalesce(report, '')"
            " FROM health_event LEFT JOIN health_event_detail ON event_id = id"
            # Newest run first; within a run, its events in the order they were raised.
            " ORDER BY at DESC, id LIMIT ?",
            (limit,),
        )
        return [
            HealthEventRecord(
                event_id=row[0],
                at=from_db_time(row[1]),
                spider=row[2],
                check=row[3],
                field=row[4],
                message=row[5],
                example_url=row[6],
                kind=row[7],
                failures=tuple(json.loads(row[8])),
                report=row[9],
            )
            for row in rows
        ]

    def quarantine_item(
        self, item: ArticleItem, *, url: str, spider: str, reasons: Sequence[str], now: datetime
    ) -> None:
        """Keep an item held back as broken (the latest copy per URL), for inspection."""
        payload = json.dumps(item_to_json(item), ensure_ascii=False, separators=(",", ":"))
        now_db = to_db_time(now)
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO quarantine (url, spider, reasons, first_seen, last_seen, times,"
                " item_json) VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT (url) DO UPDATE SET"
                " spider = excluded.spider, reasons = excluded.reasons,"
                " last_seen = excluded.last_seen, times = times + 1,"
                " item_json = excluded.item_json",
                (url, spider, json.dumps(list(reasons)), now_db, now_db, payload),
            )

    def release_quarantined(self, url: str) -> bool:
        """Forget a held-back item that now came out fine; tell whether it was held."""
        with self._transaction() as conn:
            return conn.execute("DELETE FROM quarantine WHERE url = ?", (url,)).rowcount > 0

    def quarantined_urls(self) -> list[str]:
        """URLs of the items currently held back, oldest first."""
        rows = self._connection().execute("SELECT url FROM quarantine ORDER BY first_seen, url")
        return [row[0] for row in rows]
