"""Health checks of a run: its figures against baselines learned from earlier healthy runs.

A run is described by `Metrics` (see `newsmon.health.metrics`); a baseline is the same ratios
summed over the last healthy runs of the same spider. Each check compares this run with the
baseline, or with an absolute threshold while nothing has been learned yet, and returns
`HealthFailure`s that name the check, the field and an example URL. Pure: no Scrapy, no store;
`newsmon.health.extension` wires it up.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise, takewhile
from typing import Any

from newsmon.extract.provenance import NO_SOURCE
from newsmon.health.baseline import Baseline, PastRun
from newsmon.health.config import HealthConfig
from newsmon.health.metrics import (
    COVERAGE_FIELDS,
    CROSS_CHECKED_FIELDS,
    PRIMARY_SOURCES,
    SOURCE_FIELDS,
    Metrics,
    lower_bound,
    pct,
    share_of,
    upper_bound,
)
from newsmon.run.wording import counted

logger = logging.getLogger(__name__)

# Check names, as they appear in log lines, the report and the health feed.
COVERAGE = "coverage"
SOURCE_DRIFT = "source_drift"
VALUE_DRIFT = "value_drift"
TINY_BODY = "tiny_body"
EMPTY_LISTING = "empty_listing"
MISSED_ARTICLES = "missed_articles"
STALE = "stale"
RECOVERED = "recovered"


@dataclass(frozen=True)
class HealthFailure:
    """One failed check: what, where, and a page that shows it."""

    check: str
    """Check name: coverage, source_drift, value_drift, tiny_body, empty_listing,
    missed_articles, stale."""

    field: str
    """The field (or "cards", "new articles") the check is about."""

    message: str
    """One sentence a person can act on, with this run's figure and the expected one."""

    example_url: str = ""
    """A page of this run that shows the problem ("" when no page does, as for stale)."""

    value: float | None = None
    """This run's figure (a share, or hours for stale)."""

    expected: float | None = None
    """The threshold the figure crossed."""

    baseline: float | None = None
    """The learned baseline figure, if the check used one."""

    def to_json(self) -> dict[str, Any]:
        """The failure as a JSON-ready dict (for the report and the store)."""
        return {
            "check": self.check,
            "field": self.field,
            "message": self.message,
            "example_url": self.example_url,
            "value": self.value,
            "expected": self.expected,
            "baseline": self.baseline,
        }


def check_coverage(
    metrics: Metrics, examples: Mapping[str, str], baseline: Baseline, config: HealthConfig
) -> list[HealthFailure]:
    """A field filled in far fewer items than its baseline, or than the required share.

    "card_date" is the share of listing cards that carry their publication time.
    """
    failures = []
    for name in (*COVERAGE_FIELDS, "card_date"):
        key = f"coverage/{name}"
        measured = share_of(metrics, key)
        if measured is None or measured[1] < config.min_sample:
            continue
        share, sample = measured
        learned = baseline.share(key, config.min_sample)
        required = config.required_coverage.get(name)
        expected: float | None = None
        if learned is not None and share < lower_bound(learned, sample, config.coverage_drop):
            expected = lower_bound(learned, sample, config.coverage_drop)
        if required is not None and share < required:
            expected = max(expected or 0.0, required)
        if expected is None:
            continue
        against = f"its baseline {pct(learned)}" if learned is not None else "the required"
        unit = "listing cards" if name == "card_date" else "articles"
        failures.append(
            HealthFailure(
                COVERAGE,
                name,
                f"{name} filled in {pct(share)} of {sample} {unit}, well below {against}"
                f" (at least {pct(expected)} expected)",
                examples.get(key, ""),
                share,
                expected,
                learned,
            )
        )
    return failures


def check_sources(
    metrics: Metrics, examples: Mapping[str, str], baseline: Baseline, config: HealthConfig
) -> list[HealthFailure]:
    """A field's usual source stopped giving it (a fallback may be quietly standing in)."""
    failures = []
    for name in SOURCE_FIELDS:
        current = _source_shares(metrics, name)
        if not current:
            continue
        sample = next(iter(current.values()))[1]
        # Cards are counted per listing page: a run walks few, so any one page counts.
        if sample < (1 if name == "cards" else config.min_sample):
            continue
        now_from = max(current, key=lambda source: current[source][0])
        example = examples.get(f"source/{name}/{now_from}", "")
        if baseline.items(name) >= (1 if name == "cards" else config.min_sample):
            learned = baseline.source_shares(name)
            worst: tuple[float, str, float, float] | None = None
            for source, base_share in learned.items():
                if base_share < 0.2:
                    continue  # a rare source is not a site's norm; its absence proves nothing
                share = current.get(source, (0.0, sample))[0]
                bound = lower_bound(base_share, sample, config.source_drop)
                if share < bound and (worst is None or base_share - share > worst[2] - worst[0]):
                    worst = (share, source, base_share, bound)
            if worst is None:
                continue
            share, source, base_share, bound = worst
            failures.append(
                HealthFailure(
                    SOURCE_DRIFT,
                    name,
                    f"{name} came from {source!r} for {pct(share)} of "
                    f"{counted(sample, 'listing page' if name == 'cards' else 'article')} "
                    f"(baseline {pct(base_share)}); now mostly from {now_from!r} "
                    f"({pct(current[now_from][0])}): the page markup changed",
                    example,
                    share,
                    bound,
                    base_share,
                )
            )
            continue
        primary = sum(
            share for source, (share, _) in current.items() if source in PRIMARY_SOURCES[name]
        )
        if primary < config.min_primary_share:
            # No baseline yet: say so, but do not fail. Failing here would keep this run (and
            # every later one) from becoming the baseline on a site whose markup differs
            # from what FACTS.md confirms; coverage and body checks still apply.
            logger.warning(
                "health notice: %s came from the known markup (%s) for only %s of %d; mostly "
                "from %r (%s) — learned as the norm if this run is otherwise healthy, e.g. %s",
                name,
                ", ".join(sorted(PRIMARY_SOURCES[name])),
                pct(primary),
                sample,
                now_from,
                pct(current[now_from][0]),
                example,
            )
    return failures


def check_value_drift(
    metrics: Metrics, examples: Mapping[str, str], baseline: Baseline, config: HealthConfig
) -> list[HealthFailure]:
    """The page's markup says something else than its own JSON-LD/meta, more than usual."""
    return _share_above(
        VALUE_DRIFT,
        [(name, f"disagree/{name}") for name in CROSS_CHECKED_FIELDS],
        "the page's markup disagrees with its own JSON-LD/meta on {field} for {share} of "
        "{sample} articles where both exist",
        metrics,
        examples,
        baseline,
        config,
        config.max_disagreement,
    )


def check_tiny_bodies(
    metrics: Metrics, examples: Mapping[str, str], baseline: Baseline, config: HealthConfig
) -> list[HealthFailure]:
    """More empty or tiny bodies (under NEWSMON_HEALTH_MIN_BODY_WORDS words) than usual."""
    return _share_above(
        TINY_BODY,
        [("body", "tiny_body")],
        f"{{share}} of {{sample}} articles have an empty or tiny body (under "
        f"{config.min_body_words} words)",
        metrics,
        examples,
        baseline,
        config,
        config.max_tiny_share,
    )


def check_listings(
    metrics: Metrics, examples: Mapping[str, str], config: HealthConfig
) -> list[HealthFailure]:
    """Listing pages that were fetched fine but held no article cards."""
    empty, pages = metrics.get("listing/empty", (0, 0))
    if empty <= config.max_empty_listings:
        return []
    return [
        HealthFailure(
            EMPTY_LISTING,
            "cards",
            f"{empty} of {pages} listing pages returned no article cards",
            examples.get("listing/empty", ""),
            float(empty),
            float(config.max_empty_listings),
        )
    ]


def check_missed(metrics: Metrics, examples: Mapping[str, str]) -> list[HealthFailure]:
    """Articles the site's RSS lists inside the walked time window that the walk did not find.

    One failure per run, however many listings missed how many articles.
    """
    missed, checked = metrics.get("listing/missed", (0, 0))
    if missed <= 0:
        return []
    example = examples.get("listing/missed", "")
    return [
        HealthFailure(
            MISSED_ARTICLES,
            "cards",
            f"listing extraction missed {counted(missed, 'article')}, e.g. {example} (of "
            f"{checked} the site's RSS lists inside the time window the walk covered)",
            example,
            float(missed),
            0.0,
        )
    ]


def check_stale(
    history: Sequence[PastRun], new_items: int, now: datetime, config: HealthConfig
) -> list[HealthFailure]:
    """No new article for far longer than the usual gap between runs that found some.

    The usual gap is the longest of the recent gaps between runs that found new articles
    (nights and weekends included); with fewer than three such gaps, NEWSMON_HEALTH_STALE_HOURS.
    A first run has nothing to compare with and never fails this check.
    """
    if new_items > 0:
        return []
    found = [run.finished_at for run in history if run.new_items > 0][:51]
    if not found:
        return []
    quiet = now - found[0]
    gaps = [newer - older for newer, older in pairwise(found)]
    if len(gaps) >= 3:
        usual = max(gaps)
        allowed = max(usual * config.stale_factor, timedelta(hours=config.stale_min_hours))
        why = f"{config.stale_factor:g} times the longest recent gap ({_hours(usual)})"
    else:
        allowed = timedelta(hours=config.stale_hours)
        why = "NEWSMON_HEALTH_STALE_HOURS (no usual gap learned yet)"
    if quiet <= allowed:
        return []
    return [
        HealthFailure(
            STALE,
            "new articles",
            f"no new article for {_hours(quiet)}, longer than {why}: {_hours(allowed)}",
            "",
            quiet / timedelta(hours=1),
            allowed / timedelta(hours=1),
        )
    ]


def evaluate(
    metrics: Metrics,
    examples: Mapping[str, str],
    baseline: Baseline,
    config: HealthConfig,
    *,
    history: Sequence[PastRun],
    new_items: int,
    now: datetime,
) -> list[HealthFailure]:
    """Run every check; return the failures (an empty list is a healthy run)."""
    return [
        *check_coverage(metrics, examples, baseline, config),
        *check_sources(metrics, examples, baseline, config),
        *check_value_drift(metrics, examples, baseline, config),
        *check_tiny_bodies(metrics, examples, baseline, config),
        *check_listings(metrics, examples, config),
        *check_missed(metrics, examples),
        *check_stale(history, new_items, now, config),
    ]


def to_announce(
    failures: Sequence[HealthFailure],
    history: Sequence[PastRun],
    now: datetime,
    config: HealthConfig,
) -> tuple[list[HealthFailure], bool]:
    """What to announce this run: the failures of an incident (or none), and a recovery.

    An incident is a run of unhealthy runs, whatever checks or pages it touches. A reader
    wants to hear when it starts (one announcement naming every failure), a reminder every
    NEWSMON_HEALTH_REMIND_HOURS while it lasts, and when the first healthy run ends it; not
    the same news every ten minutes. (The log and the exit code say it on every run.)
    """
    if not failures:
        return [], bool(history) and not history[0].healthy
    streak = list(takewhile(lambda run: not run.healthy, history))
    if not streak:
        return list(failures), False
    started = streak[-1].finished_at
    remind = timedelta(hours=config.remind_hours)
    if (now - started) // remind > (history[0].finished_at - started) // remind:
        return list(failures), False
    return [], False


def _share_above(
    check: str,
    keys: Sequence[tuple[str, str]],
    template: str,
    metrics: Metrics,
    examples: Mapping[str, str],
    baseline: Baseline,
    config: HealthConfig,
    allowed_rise: float,
) -> list[HealthFailure]:
    """Failures for (field, metric key) shares that rose above their baseline or the limit."""
    failures = []
    for name, key in keys:
        measured = share_of(metrics, key)
        if measured is None or measured[1] < config.min_sample:
            continue
        share, sample = measured
        learned = baseline.share(key, config.min_sample)
        bound = upper_bound(learned or 0.0, sample, allowed_rise)
        if share <= bound:
            continue
        usual = f" (baseline {pct(learned)})" if learned is not None else ""
        failures.append(
            HealthFailure(
                check,
                name,
                template.format(field=name, share=pct(share), sample=sample)
                + f"{usual}, at most {pct(bound)} expected",
                examples.get(key, ""),
                share,
                bound,
                learned,
            )
        )
    return failures


def _source_shares(metrics: Metrics, name: str) -> dict[str, tuple[float, int]]:
    """Per source, (share, sample) among the items that had the field at all.

    A missing value is the coverage check's business (an empty listing, the listing check's):
    counting it here too would report one problem twice.
    """
    prefix = f"source/{name}/"
    counts = {
        key[len(prefix) :]: count for key, (count, _) in metrics.items() if key.startswith(prefix)
    }
    found = sum(count for source, count in counts.items() if source != NO_SOURCE)
    if found <= 0:
        return {}
    return {
        source: (count / found, found) for source, count in counts.items() if source != NO_SOURCE
    }


def _hours(span: timedelta) -> str:
    hours = span / timedelta(hours=1)
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"
