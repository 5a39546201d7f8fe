"""Run lifecycle, health side: check each run, remember it, write the health feed and report.

At the end of every run its figures are checked against the baselines of earlier runs, and the
run's own outcome is part of its health: a run the site blocked or that could not reach it,
that got none of the articles it needed, or whose state or feeds could not be written, is
unhealthy with that reason (`newsmon.run.outcome`), and never learned as a healthy run.

An unhealthy run is said five ways: an ERROR line (per failed check, or the run's failure);
a non-zero exit code (`newsmon.run.outcome.fail_run`); a `health` entry in the run report
and the summary's `health:` line; one item per incident in `output/health.xml`
(`newsmon.health.incidents`); and, with NEWSMON_NOTIFY_URLS, an alert
(`newsmon.health.alerts`).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from newsmon.config import (
    NewsmonConfigError,
    base_url_from_settings,
    check_writable_dir,
    feed_base_url_from_settings,
)
from newsmon.crawl.keeper import WalkKeeper
from newsmon.health.alerts import Alerts
from newsmon.health.baseline import Baseline, PastRun
from newsmon.health.checks import HealthFailure, evaluate
from newsmon.health.crosscheck import cross_check
from newsmon.health.feed import HEALTH_FEED_NAME, write_health_feed
from newsmon.health.incidents import incident_events, is_problem, run_failures
from newsmon.health.report import (
    build_report,
    prune_reports,
    report_dir,
    report_path,
    summary_lines,
    write_report,
)
from newsmon.health.run import RunHealth, run_health
from newsmon.publish.feeds import feed_url
from newsmon.run.outcome import STORE, fail_run, has_problem, run_exit_code, run_problems
from newsmon.store import (
    HealthEventRecord,
    HealthRunRecord,
    StateStoreError,
    describe_error,
    get_store,
)

logger = logging.getLogger(__name__)


class HealthAtClose:
    """Health checks, run history, health feed and run report, when a spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.health: RunHealth = run_health(crawler)
        settings = crawler.settings
        self.reports = report_dir(settings)
        self.keep_reports = settings.getint("NEWSMON_REPORT_KEEP", 500)
        if self.keep_reports < 1:
            raise NewsmonConfigError("NEWSMON_REPORT_KEEP must be 1 or more")
        # Checked at start-up, like the output folder: a run must not fail only at its end.
        check_writable_dir(self.reports, "NEWSMON_REPORT_DIR")
        self.output_dir = Path(settings.get("NEWSMON_OUTPUT_DIR") or "output")
        self.feed_base_url = feed_base_url_from_settings(settings)
        self.site = base_url_from_settings(settings)
        # Checked at start-up: a receiver newsmon cannot send to is a bad setting (exit 2).
        self.alerts = Alerts.from_settings(settings)
        self.started_at = datetime.now(UTC)
        self.started_clock = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HealthAtClose:
        """Connect to spider_opened and spider_closed."""
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        """Start the run's clock."""
        self.started_at = datetime.now(UTC)
        self.started_clock = time.monotonic()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Check, remember, announce, write the report, sum it up in the log."""
        stats = self.crawler.stats
        values = stats.get_stats() if stats is not None else {}
        now = datetime.now(UTC)
        # Pages that gave no article: not one by their look, or cut/broken past reading.
        unreadable = int(values.get("newsmon/articles/not_article", 0)) + int(
            values.get("newsmon/articles/unreadable", 0)
        )
        self._cross_check()
        metrics = self.health.observations.metrics(unreadable)
        new_items = int(values.get("newsmon/items/new", 0))
        history = self._history()
        baseline = Baseline.learn(history, self.health.config.baseline_runs)
        checks: list[HealthFailure] = []
        status = "disabled"
        if self.health.config.enabled:
            checks = evaluate(
                metrics,
                self.health.observations.examples,
                baseline,
                self.health.config,
                history=history,
                new_items=new_items,
                now=now,
            )
            failures = run_failures(run_problems(self.crawler), checks)
            self._announce([f for f in failures if not is_problem(f)])
            status = "failed" if failures else "healthy"
            path = report_path(self.reports, self.health.spider_name, self.started_at)
            self._remember(metrics, failures, history, new_items, now, path)
        else:
            failures = run_failures(run_problems(self.crawler), [])
            path = report_path(self.reports, self.health.spider_name, self.started_at)
        if stats is not None:
            # Again: the failures above added error lines and run failures to the stats.
            values = stats.get_stats()
        report = build_report(
            spider=self.health.spider_name,
            stats=values,
            metrics=metrics,
            started_at=self.started_at,
            finished_at=now,
            duration_seconds=time.monotonic() - self.started_clock,
            finish_reason=reason,
            health_status=status,
            failures=failures,
            baseline_runs=baseline.runs,
            quarantined=self.health.observations.quarantined,
            exit_code=run_exit_code(self.crawler),
        )
        written: Path | None = path
        try:
            write_report(path, report)
            prune_reports(self.reports, self.health.spider_name, self.keep_reports)
        except OSError as error:
            fail_run(self.crawler, f"could not write the run report {path}: {error}")
            written = None
        for line in summary_lines(report, written):
            logger.info("%s", line)

    def _history(self) -> list[PastRun]:
        """Earlier runs of this spider, newest first ([] if the store cannot say)."""
        try:
            return self.health.history
        except (StateStoreError, sqlite3.Error) as error:
            if not has_problem(self.crawler, STORE):
                store = get_store(self.crawler)
                error = describe_error(error, store.path, "reading the run history")
                fail_run(
                    self.crawler,
                    f"run history unreadable, health not checked against it: {error}",
                    problem=STORE,
                )
            return []

    def _cross_check(self) -> None:
        """Compare the site's RSS with what the listing walks found (if the RSS was read)."""
        keeper = self.crawler.get_extension(WalkKeeper)
        if keeper is None or not self.health.config.enabled:
            return
        try:
            result = cross_check(keeper, get_store(self.crawler).published_of)
        except (StateStoreError, sqlite3.Error) as error:
            logger.warning(
                "the cross-check with the site's RSS could not read the store: %s", error
            )
            return
        if result is not None:
            self.health.observations.add_cross_check(*result)

    def _announce(self, failures: list[HealthFailure]) -> None:
        """One ERROR line per failed check, then fail the run."""
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("newsmon/health/failed_checks", len(failures))
        for failure in failures:
            logger.error(
                "health check %s failed for field %s: %s; e.g. %s",
                failure.check,
                failure.field,
                failure.message,
                failure.example_url or "(no example page)",
            )
        if failures:
            names = ", ".join(f"{failure.check}({failure.field})" for failure in failures)
            fail_run(self.crawler, f"health checks failed: {names}")

    def _remember(
        self,
        metrics: dict[str, tuple[int, int]],
        failures: list[HealthFailure],
        history: list[PastRun],
        new_items: int,
        now: datetime,
        report: Path,
    ) -> None:
        """Store the run and its event, rewrite the health feed from the store, send alerts.

        When the store cannot take them (a full disk), the event still reaches the feed and
        the alerts: the feed shows it next to the stored ones.
        """
        spider = self.health.spider_name
        events = incident_events(spider, failures, history, now, self.health.config, str(report))
        run = HealthRunRecord(
            spider=spider,
            started_at=self.started_at,
            finished_at=now,
            healthy=not failures,
            new_items=new_items,
            metrics=metrics,
            failures=[failure.to_json() for failure in failures],
        )
        store = get_store(self.crawler)
        size = self.health.config.feed_size
        unsaved: list[HealthEventRecord] = []
        try:
            store.record_health_run(run, events)
        except (StateStoreError, sqlite3.Error) as error:
            unsaved = events
            self._store_failed(describe_error(error, store.path, "recording the run's health"))
        try:
            stored = store.latest_health_events(size)
        except (StateStoreError, sqlite3.Error):
            stored = []
        path = self.output_dir / HEALTH_FEED_NAME
        try:
            write_health_feed(
                path,
                [*unsaved, *stored][:size],
                self_url=feed_url(self.feed_base_url, self.output_dir, path),
                site_link=f"{self.site}/",
            )
        except (OSError, ValueError) as error:
            fail_run(self.crawler, f"could not write {path}: {error}")
        if events and self.alerts:
            self.alerts.send(events)

    def _store_failed(self, error: StateStoreError) -> None:
        """The run's health could not be stored: a failure of the run, said once."""
        if has_problem(self.crawler, STORE):
            logger.info("the run's health could not be stored either: %s", error)
            return
        fail_run(self.crawler, f"could not record the run's health: {error}", problem=STORE)
