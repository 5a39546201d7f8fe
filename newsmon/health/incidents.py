"""One incident, one announcement: the health events a run adds to the feed and the alerts.

A run is unhealthy when the run itself failed (`newsmon.run.outcome`: blocked, unreachable,
no article fetched, state or feeds not written) or a health check failed. An incident is an
unbroken run of unhealthy runs of a spider. It is announced once when it starts, naming every
failure of that run (the run's own failure first: it is the cause), again every
NEWSMON_HEALTH_REMIND_HOURS while it lasts, and once more when the first healthy run ends it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import takewhile
from typing import Any

from newsmon.health.baseline import PastRun
from newsmon.health.checks import RECOVERED, STALE, HealthFailure, to_announce
from newsmon.health.config import HealthConfig
from newsmon.run.outcome import PROBLEM_CHECKS
from newsmon.run.wording import counted
from newsmon.store import HealthEventRecord

FAILED = "failed"
REMINDER = "reminder"


def run_failures(
    problems: Sequence[Mapping[str, Any]], checks: Sequence[HealthFailure]
) -> list[HealthFailure]:
    """The run's failures: its own problems first, then the failed checks.

    A check the run's own failure explains is left out: a run the site blocked found no new
    article, and saying "stale" would blame the site.
    """
    own = [
        HealthFailure(
            str(p["check"]), str(p["field"]), str(p["message"]), str(p.get("example_url", ""))
        )
        for p in problems
    ]
    if own:
        checks = [failure for failure in checks if failure.check != STALE]
    return [*own, *checks]


def is_problem(failure: HealthFailure) -> bool:
    """Tell whether a failure is the run's own (blocked, unreachable, ...), not a check's."""
    return failure.check in PROBLEM_CHECKS


def lead(failures: Sequence[HealthFailure]) -> str:
    """What happened, in one sentence: the first failure, and how many more there are."""
    first = failures[0].message
    more = len(failures) - 1
    return first if not more else f"{first} (and {counted(more, 'more failure')})"


def incident_events(
    spider: str,
    failures: Sequence[HealthFailure],
    history: Sequence[PastRun],
    now: datetime,
    config: HealthConfig,
    report: str,
) -> list[HealthEventRecord]:
    """The health event this run raises (an incident, a reminder, a recovery), if any."""
    announced, recovered = to_announce(failures, history, now, config)
    if announced:
        first = announced[0]
        ongoing = bool(history) and not history[0].healthy
        return [
            HealthEventRecord(
                now,
                spider,
                first.check,
                first.field,
                lead(announced),
                first.example_url,
                kind=REMINDER if ongoing else FAILED,
                failures=tuple(_failure_json(f) for f in announced),
                report=report,
            )
        ]
    if not recovered:
        return []
    failed_runs = len(list(takewhile(lambda run: not run.healthy, history)))
    return [
        HealthEventRecord(
            now,
            spider,
            RECOVERED,
            "",
            f"the {spider} crawl is healthy again (every health check passes), after "
            f"{counted(failed_runs, 'failed run')}",
            "",
            kind=RECOVERED,
            report=report,
        )
    ]


def _failure_json(failure: HealthFailure) -> dict[str, Any]:
    return {
        "check": failure.check,
        "field": failure.field,
        "message": failure.message,
        "example_url": failure.example_url,
    }
