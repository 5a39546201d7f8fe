"""The run report: what one crawl fetched, extracted, stored, dropped and found wrong.

Written as JSON under the state folder (`<dir of NEWSMON_STATE_PATH>/reports/
<start time>-<spider>.json`, or NEWSMON_REPORT_DIR) and summed up in a few lines at the end of
the log. Every figure comes from the crawl's stats and the health observations, so the report
says what the crawl did, not what it meant to do.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings

from newsmon.health.checks import HealthFailure
from newsmon.health.metrics import COVERAGE_FIELDS, SOURCE_FIELDS, Metrics
from newsmon.publish.atomic import atomic_write_bytes
from newsmon.run.outcome import PROBLEM_CHECKS
from newsmon.run.wording import counted

REPORTS_FOLDER = "reports"
_STATUS_PREFIX = "downloader/response_status_count/"
_DROPPED_PREFIX = "newsmon/dropped/"
_QUARANTINE_PREFIX = "newsmon/quarantine/"
_NOT_ARTICLE_PREFIX = "newsmon/articles/not_article/"
_BLOCKED_PREFIX = "newsmon/blocked/"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def report_dir(settings: BaseSettings) -> Path:
    """NEWSMON_REPORT_DIR, else `reports/` beside the state file."""
    configured = str(settings.get("NEWSMON_REPORT_DIR") or "").strip()
    if configured:
        return Path(configured).expanduser()
    state = Path(str(settings.get("NEWSMON_STATE_PATH") or "state/newsmon.sqlite3"))
    return state.expanduser().parent / REPORTS_FOLDER


def report_path(folder: Path, spider: str, started_at: datetime) -> Path:
    """`<folder>/<UTC start, compact ISO>-<spider>.json`: sorts by time, names the spider."""
    stamp = started_at.strftime("%Y%m%dT%H%M%S.%fZ")
    return folder / f"{stamp}-{_SAFE_NAME.sub('_', spider) or 'crawl'}.json"


def _int(stats: Mapping[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, int | float) else 0


def _by_suffix(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    """{suffix: count} of the integer stats under `prefix` (one level deep)."""
    found = {
        key[len(prefix) :]: int(value)
        for key, value in stats.items()
        if key.startswith(prefix) and "/" not in key[len(prefix) :] and isinstance(value, int)
    }
    return dict(sorted(found.items()))


def _share(metrics: Metrics, key: str) -> float | None:
    count, total = metrics.get(key, (0, 0))
    return round(count / total, 4) if total else None


def build_report(
    *,
    spider: str,
    stats: Mapping[str, Any],
    metrics: Metrics,
    started_at: datetime,
    finished_at: datetime,
    duration_seconds: float,
    finish_reason: str,
    health_status: str,
    failures: Sequence[HealthFailure],
    baseline_runs: int,
    quarantined: Sequence[Mapping[str, Any]],
    exit_code: int,
) -> dict[str, Any]:
    """The report of one run as a JSON-ready dict."""
    by_status = {
        code: count
        for code, count in sorted(_by_suffix(stats, _STATUS_PREFIX).items(), key=lambda p: p[0])
    }
    dropped = _by_suffix(stats, _DROPPED_PREFIX)
    quarantine_reasons = {
        reason: count
        for reason, count in _by_suffix(stats, _QUARANTINE_PREFIX).items()
        if reason not in ("released", "unaudited")
    }
    not_article = _by_suffix(stats, _NOT_ARTICLE_PREFIX)
    extracted = _int(stats, "newsmon/articles/extracted")
    coverage_total = metrics.get(f"coverage/{COVERAGE_FIELDS[0]}", (0, 0))[1]
    sources = {}
    for name in SOURCE_FIELDS:
        prefix = f"source/{name}/"
        per_source = {
            key[len(prefix) :]: count
            for key, (count, _) in metrics.items()
            if key.startswith(prefix)
        }
        if per_source:
            sources[name] = dict(sorted(per_source.items(), key=lambda p: (-p[1], p[0])))
    failures_json = [failure.to_json() for failure in failures]
    run_failures = [str(reason) for reason in stats.get("newsmon/run/failures", [])]
    return {
        "spider": spider,
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "duration_seconds": round(duration_seconds, 3),
        "finish_reason": finish_reason,
        "exit_code": exit_code,
        "pages": {
            "fetched": sum(by_status.values()),
            "by_status": by_status,
            "listing_pages": _int(stats, "newsmon/listings/pages"),
            "article_pages": extracted + sum(not_article.values()),
            # Known articles asked again whose page had not changed (a 304, nothing to read).
            "revisits_unchanged": _int(stats, "newsmon/revisits/not_modified"),
            "not_articles": not_article,
            "rendered": _int(stats, "newsmon/render/rendered"),
            "download_errors": _int(stats, "downloader/exception_count"),
        },
        "items": {
            "extracted": extracted,
            "new": _int(stats, "newsmon/items/new"),
            "updated": _int(stats, "newsmon/items/updated"),
            "unchanged": _int(stats, "newsmon/items/unchanged"),
            "dropped": dropped,
            "quarantine_reasons": quarantine_reasons,
            "quarantined": list(quarantined),
        },
        "coverage": {
            "articles": coverage_total,
            "fields": {
                name: _share(metrics, f"coverage/{name}")
                for name in COVERAGE_FIELDS
                if f"coverage/{name}" in metrics
            },
            "card_date": _share(metrics, "coverage/card_date"),
        },
        "sources": sources,
        "listings": {
            "pages": metrics.get("listing/empty", (0, 0))[1],
            "empty": metrics.get("listing/empty", (0, 0))[0],
            "cards": metrics.get("coverage/card_date", (0, 0))[1],
        },
        # The cross-check with the site's RSS: its entries inside the walked time window, and
        # how many of them the walk missed (both 0 when the RSS was not read).
        "cross_check": {
            "site_rss_entries": metrics.get("listing/missed", (0, 0))[1],
            "missed": metrics.get("listing/missed", (0, 0))[0],
        },
        "publish": {
            "feeds": _int(stats, "newsmon/publish/feeds"),
            "changed": _int(stats, "newsmon/publish/changed"),
            "exported": _int(stats, "newsmon/publish/exported"),
        },
        # How the site blocked the run (challenges, refusals in a row, requests not sent) and
        # the articles fetched again for an earlier run or left for the next one.
        "blocked": _by_suffix(stats, _BLOCKED_PREFIX),
        "left_behind": {
            "refetched": _int(stats, "newsmon/articles/refetched"),
            "left_for_next_run": _int(stats, "newsmon/articles/left_behind"),
        },
        "errors": {
            "error_log_lines": _int(stats, "log_count/ERROR"),
            "warning_log_lines": _int(stats, "log_count/WARNING"),
            "spider_exceptions": sum(_by_suffix(stats, "spider_exceptions/").values()),
            "download_errors": _by_suffix(stats, "downloader/exception_type_count/"),
            "run_failures": run_failures,
        },
        "health": {
            "status": health_status,
            "baseline_runs": baseline_runs,
            "failures": failures_json,
        },
    }


def write_report(path: Path, report: Mapping[str, Any]) -> Path:
    """Write the report as pretty JSON, atomically; return the path."""
    data = json.dumps(report, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    atomic_write_bytes(path, data.encode("utf-8"))
    return path


def prune_reports(folder: Path, spider: str, keep: int) -> int:
    """Delete all but the newest `keep` reports of a spider; return how many were deleted."""
    name = _SAFE_NAME.sub("_", spider) or "crawl"
    reports = sorted(folder.glob(f"*-{name}.json"))
    doomed = reports[: max(len(reports) - keep, 0)]
    for path in doomed:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return len(doomed)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def summary_lines(report: Mapping[str, Any], path: Path | None) -> list[str]:
    """The report in a few lines for the end of the log."""
    pages, items = report["pages"], report["items"]
    statuses = ", ".join(f"{code}: {count}" for code, count in pages["by_status"].items())
    dropped = ", ".join(f"{reason} {count}" for reason, count in items["dropped"].items())
    coverage = ", ".join(
        f"{name} {_pct(share)}" for name, share in report["coverage"]["fields"].items()
    )
    errors = report["errors"]
    health = report["health"]
    verdict = health["status"]
    if health["failures"]:
        # The run's own failure (blocked, unreachable, ...) with its reason: it is the cause.
        verdict = ("FAILED: " if verdict == "failed" else f"{verdict}, run FAILED: ") + "; ".join(
            f"{f['check']}({f['field']})"
            + (f": {f['message']}" if f["check"] in PROBLEM_CHECKS else "")
            for f in health["failures"]
        )
    lines = [
        f"run report of {report['spider']}: {report['duration_seconds']:.1f} s, "
        f"finished ({report['finish_reason']}), exit code {report['exit_code']}",
        f"  pages: {pages['fetched']} fetched ({statuses or 'none'}); "
        f"{counted(pages['listing_pages'], 'listing page')}, "
        f"{counted(pages['article_pages'], 'article page')}, "
        f"{counted(pages['revisits_unchanged'], 'revisit')} unchanged, "
        f"{pages['rendered']} rendered",
        f"  items: {items['extracted']} extracted, {items['new']} new, {items['updated']} "
        f"updated, {items['unchanged']} unchanged; dropped: {dropped or 'none'}",
        f"  coverage of {counted(report['coverage']['articles'], 'article')}: "
        f"{coverage or 'no articles'}",
        f"  errors: {counted(errors['error_log_lines'], 'error line')}, "
        f"{counted(errors['spider_exceptions'], 'spider exception')}, "
        f"{counted(sum(errors['download_errors'].values()), 'download error')}",
        f"  health: {verdict} (baseline from "
        f"{counted(health['baseline_runs'], 'earlier healthy run')})",
    ]
    blocked = report.get("blocked") or {}
    if blocked:
        lines.insert(
            -1,
            f"  blocked: {counted(blocked.get('challenges', 0), 'challenge')}, "
            f"{counted(blocked.get('refusals', 0), 'refusal')}, "
            f"{counted(blocked.get('skipped', 0), 'request')} not sent"
            + (" (host stopped)" if blocked.get("host_stopped") else ""),
        )
    if path is not None:
        lines.append(f"  report: {path}")
    return lines
