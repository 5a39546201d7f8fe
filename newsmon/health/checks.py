"""Health checks of a run: its figures against baselines learned from earlier healthy runs.

A run is described by `Metrics`: named ratios (count, out of) such as "coverage/body" (items
with a body, out of the article pages read) or "source/body/c-content" (bodies found in the
site's own container). A baseline is the same ratios summed over the last healthy runs of the
same spider. Each check compares this run with the baseline, or with an absolute threshold
while nothing has been learned yet, and returns `HealthFailure`s that name the check, the field
and an example URL. Pure: no Scrapy, no store; `newsmon.health.extension` wires it up.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from scrapy.settings import BaseSettings

from newsmon.config import NewsmonConfigError

logger = logging.getLogger(__name__)

# (count, out of): a share that keeps its sample size, so shares of runs can be summed.
Ratio = tuple[int, int]
Metrics = dict[str, Ratio]

# Fields whose coverage (share of items with the field filled) is measured and checked.
COVERAGE_FIELDS = (
    "title",
    "authors",
    "published",
    "modified",
    "tags",
    "primary_tag",
    "summary",
    "body",
    "body_html",
    "image_url",
    "image_caption",
    "related",
)
# Fields whose source (which link of the fallback chain gave the value) is tracked; "cards" is
# the listing pages' article cards.
SOURCE_FIELDS = ("title", "authors", "published", "body", "cards")
# Fields compared between the page's markup and its own JSON-LD/meta.
CROSS_CHECKED_FIELDS = ("title", "published", "authors")
# Sources that are the site's own markup or data for a field: with no baseline yet, most
# values must come from these.
PRIMARY_SOURCES: dict[str, frozenset[str]] = {
    "title": frozenset({"jsonld", "h1"}),
    "authors": frozenset({"jsonld", "byline"}),
    "published": frozenset({"jsonld", "meta", "next-data", "time", "date-line"}),
    "body": frozenset({"c-content", "reading-progress-end", "itemprop", "next-data"}),
    "cards": frozenset({"markup"}),
}
# Sources an item may come from before a baseline exists: the primary ones and the fallbacks
# the site is known to need. The others are last resorts (a guessed body container, a title
# from <title>, a date only from the listing card would be fine, but no date is not).
DEFAULT_USUAL_SOURCES: dict[str, frozenset[str]] = {
    "title": PRIMARY_SOURCES["title"] | {"og-title"},
    "authors": PRIMARY_SOURCES["authors"] | {"authors-line", "meta", "twitter"},
    "published": PRIMARY_SOURCES["published"] | {"card"},
    "body": PRIMARY_SOURCES["body"] | {"class-hint"},
}
# The source name of a field no link of the chain could fill.
NO_SOURCE = "none"

# Check names, as they appear in log lines, the report and the health feed.
COVERAGE = "coverage"
SOURCE_DRIFT = "source_drift"
VALUE_DRIFT = "value_drift"
TINY_BODY = "tiny_body"
EMPTY_LISTING = "empty_listing"
STALE = "stale"
RECOVERED = "recovered"


@dataclass(frozen=True)
class HealthConfig:
    """Thresholds of the health checks, from NEWSMON_HEALTH_* settings."""

    enabled: bool = True
    quarantine: bool = True
    baseline_runs: int = 10
    min_sample: int = 5
    min_baseline_items: int = 20
    coverage_drop: float = 0.25
    required_coverage: Mapping[str, float] = field(
        default_factory=lambda: {"title": 0.95, "body": 0.95, "published": 0.95}
    )
    source_drop: float = 0.25
    min_primary_share: float = 0.5
    max_disagreement: float = 0.1
    min_body_words: int = 5
    max_tiny_share: float = 0.05
    max_empty_listings: int = 0
    stale_hours: float = 24.0
    stale_factor: float = 2.0
    stale_min_hours: float = 1.0
    feed_size: int = 50
    remind_hours: float = 24.0

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> HealthConfig:
        """Read NEWSMON_HEALTH_*; raise NewsmonConfigError for a value no check can use."""
        required = settings.getdict(
            "NEWSMON_HEALTH_REQUIRED_COVERAGE", dict(cls().required_coverage)
        )
        config = cls(
            enabled=settings.getbool("NEWSMON_HEALTH_ENABLED", True),
            quarantine=settings.getbool("NEWSMON_HEALTH_QUARANTINE", True),
            baseline_runs=settings.getint("NEWSMON_HEALTH_BASELINE_RUNS", 10),
            min_sample=settings.getint("NEWSMON_HEALTH_MIN_SAMPLE", 5),
            min_baseline_items=settings.getint("NEWSMON_HEALTH_MIN_BASELINE_ITEMS", 20),
            coverage_drop=settings.getfloat("NEWSMON_HEALTH_COVERAGE_DROP", 0.25),
            required_coverage={str(k): float(v) for k, v in required.items()},
            source_drop=settings.getfloat("NEWSMON_HEALTH_SOURCE_DROP", 0.25),
            min_primary_share=settings.getfloat("NEWSMON_HEALTH_MIN_PRIMARY_SHARE", 0.5),
            max_disagreement=settings.getfloat("NEWSMON_HEALTH_MAX_DISAGREEMENT", 0.1),
            min_body_words=settings.getint("NEWSMON_HEALTH_MIN_BODY_WORDS", 5),
            max_tiny_share=settings.getfloat("NEWSMON_HEALTH_MAX_TINY_SHARE", 0.05),
            max_empty_listings=settings.getint("NEWSMON_HEALTH_MAX_EMPTY_LISTINGS", 0),
            stale_hours=settings.getfloat("NEWSMON_HEALTH_STALE_HOURS", 24.0),
            stale_factor=settings.getfloat("NEWSMON_HEALTH_STALE_FACTOR", 2.0),
            stale_min_hours=settings.getfloat("NEWSMON_HEALTH_STALE_MIN_HOURS", 1.0),
            feed_size=settings.getint("NEWSMON_HEALTH_FEED_SIZE", 50),
            remind_hours=settings.getfloat("NEWSMON_HEALTH_REMIND_HOURS", 24.0),
        )
        config.validate()
        return config

    def validate(self) -> None:
        """Raise NewsmonConfigError naming the first setting out of range."""
        shares = {
            "NEWSMON_HEALTH_COVERAGE_DROP": self.coverage_drop,
            "NEWSMON_HEALTH_SOURCE_DROP": self.source_drop,
            "NEWSMON_HEALTH_MIN_PRIMARY_SHARE": self.min_primary_share,
            "NEWSMON_HEALTH_MAX_DISAGREEMENT": self.max_disagreement,
            "NEWSMON_HEALTH_MAX_TINY_SHARE": self.max_tiny_share,
            **{
                f"NEWSMON_HEALTH_REQUIRED_COVERAGE[{k}]": v
                for k, v in self.required_coverage.items()
            },
        }
        for name, value in shares.items():
            if not 0.0 <= value <= 1.0:
                raise NewsmonConfigError(f"{name} must be a share between 0 and 1, not {value}")
        counts = {
            "NEWSMON_HEALTH_BASELINE_RUNS": self.baseline_runs,
            "NEWSMON_HEALTH_MIN_SAMPLE": self.min_sample,
            "NEWSMON_HEALTH_FEED_SIZE": self.feed_size,
        }
        for name, count in counts.items():
            if count < 1:
                raise NewsmonConfigError(f"{name} must be 1 or more, not {count}")
        others = {
            "NEWSMON_HEALTH_MIN_BASELINE_ITEMS": self.min_baseline_items,
            "NEWSMON_HEALTH_MIN_BODY_WORDS": self.min_body_words,
            "NEWSMON_HEALTH_MAX_EMPTY_LISTINGS": self.max_empty_listings,
            "NEWSMON_HEALTH_STALE_MIN_HOURS": self.stale_min_hours,
        }
        for name, number in others.items():
            if number < 0:
                raise NewsmonConfigError(f"{name} must not be negative, not {number}")
        if self.stale_hours <= 0 or self.stale_factor <= 0 or self.remind_hours <= 0:
            raise NewsmonConfigError(
                "NEWSMON_HEALTH_STALE_HOURS, NEWSMON_HEALTH_STALE_FACTOR and "
                "NEWSMON_HEALTH_REMIND_HOURS must be positive"
            )
        unknown = set(self.required_coverage) - set(COVERAGE_FIELDS)
        if unknown:
            raise NewsmonConfigError(
                f"NEWSMON_HEALTH_REQUIRED_COVERAGE names unknown fields {sorted(unknown)}; "
                f"known: {', '.join(COVERAGE_FIELDS)}"
            )


@dataclass(frozen=True)
class HealthFailure:
    """One failed check: what, where, and a page that shows it."""

    check: str
    """Check name: coverage, source_drift, value_drift, tiny_body, empty_listing, stale."""

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


@dataclass(frozen=True)
class PastRun:
    """What the store remembers of one earlier run of a spider."""

    finished_at: datetime
    healthy: bool
    new_items: int
    metrics: Metrics
    failed: frozenset[tuple[str, str]] = frozenset()
    """(check, field) of each check that failed in that run."""


@dataclass(frozen=True)
class Baseline:
    """Metrics summed over the last healthy runs of a spider."""

    metrics: Metrics = field(default_factory=dict)
    runs: int = 0

    @classmethod
    def learn(cls, history: Sequence[PastRun], runs: int) -> Baseline:
        """Sum the metrics of the newest `runs` healthy runs (history is newest first)."""
        healthy = [run for run in history if run.healthy][:runs]
        summed: dict[str, list[int]] = {}
        for run in healthy:
            for key, (count, total) in run.metrics.items():
                pair = summed.setdefault(key, [0, 0])
                pair[0] += count
                pair[1] += total
        return cls({key: (pair[0], pair[1]) for key, pair in summed.items()}, len(healthy))

    def share(self, key: str, min_total: int) -> float | None:
        """The baseline share of `key`, or None if fewer than `min_total` were seen."""
        count, total = self.metrics.get(key, (0, 0))
        return count / total if total >= min_total and total > 0 else None

    def sources(self, field_name: str) -> dict[str, int]:
        """How often each source gave `field_name` in the baseline runs."""
        prefix = f"source/{field_name}/"
        return {
            key[len(prefix) :]: count
            for key, (count, _) in self.metrics.items()
            if key.startswith(prefix)
        }

    def items(self, field_name: str) -> int:
        """How many items (or pages, for cards) the baseline saw for `field_name`'s sources."""
        return self.metrics.get(f"sourced/{field_name}", (0, 0))[1]

    def source_shares(self, field_name: str) -> dict[str, float]:
        """Per source, its share of the baseline's items that had `field_name` at all."""
        counts = self.sources(field_name)
        found = self.items(field_name) - counts.get(NO_SOURCE, 0)
        if found <= 0:
            return {}
        return {source: count / found for source, count in counts.items() if source != NO_SOURCE}


def usual_sources(baseline: Baseline, config: HealthConfig) -> dict[str, frozenset[str]]:
    """Per field, the sources an item may come from without being held back as suspect.

    Once a baseline saw enough items, a source is usual if any healthy run used it. Before
    that, every source is: the real site's current markup is not fully confirmed (its 2025
    body container is not), so holding back fallback values on a first run could leave the
    feeds empty for good, since a run that holds everything back never becomes a baseline.
    What the first healthy runs use becomes the norm; drift is a change from it.
    """
    usual: dict[str, frozenset[str]] = {}
    for name in DEFAULT_USUAL_SOURCES:
        if baseline.items(name) >= max(config.min_baseline_items, 1):
            seen = {source for source, count in baseline.sources(name).items() if count > 0}
            usual[name] = frozenset(seen - {NO_SOURCE})
    return usual


def share_of(metrics: Metrics, key: str) -> tuple[float, int] | None:
    """(share, sample size) of `key`, or None when nothing was measured."""
    count, total = metrics.get(key, (0, 0))
    return (count / total, total) if total > 0 else None


def lower_bound(baseline: float, sample: int, drop: float) -> float:
    """The lowest share still consistent with `baseline`: a set drop, or 3 sigma if wider.

    Small runs vary by chance: a share of 0.4 over 20 items moves by 0.11 (one sigma) without
    anything being wrong, so the bound widens with the sampling error of this run.
    """
    sigma = math.sqrt(max(baseline * (1 - baseline), 0.0) / max(sample, 1))
    return baseline - max(drop, 3 * sigma)


def upper_bound(baseline: float, sample: int, rise: float) -> float:
    """The highest share still consistent with `baseline` (see `lower_bound`)."""
    sigma = math.sqrt(max(baseline * (1 - baseline), 0.0) / max(sample, 1))
    return baseline + max(rise, 3 * sigma)


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


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
        against = f"its baseline {_pct(learned)}" if learned is not None else "the required"
        unit = "listing cards" if name == "card_date" else "articles"
        failures.append(
            HealthFailure(
                COVERAGE,
                name,
                f"{name} filled in {_pct(share)} of {sample} {unit}, well below {against}"
                f" (at least {_pct(expected)} expected)",
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
                    f"{name} came from {source!r} for {_pct(share)} of {sample} "
                    f"{'listing pages' if name == 'cards' else 'articles'} (baseline "
                    f"{_pct(base_share)}); now mostly from {now_from!r} "
                    f"({_pct(current[now_from][0])}): the page markup changed",
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
                _pct(primary),
                sample,
                now_from,
                _pct(current[now_from][0]),
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
        *check_stale(history, new_items, now, config),
    ]


def to_announce(
    failures: Sequence[HealthFailure],
    history: Sequence[PastRun],
    now: datetime,
    config: HealthConfig,
) -> tuple[list[HealthFailure], bool]:
    """Which failures go to the health feed this run, and whether to announce a recovery.

    A reader wants to hear when a check starts failing, a reminder every
    NEWSMON_HEALTH_REMIND_HOURS while it keeps failing, and when the crawl is healthy again;
    not the same news every ten minutes. (The log and the exit code say it on every run.)
    """
    if not failures:
        return [], bool(history) and not history[0].healthy
    remind = timedelta(hours=config.remind_hours)
    announced = []
    for failure in failures:
        key = (failure.check, failure.field)
        streak = []
        for run in history:
            if key not in run.failed:
                break
            streak.append(run)
        if not streak:
            announced.append(failure)
            continue
        started = streak[-1].finished_at
        if (now - started) // remind > (history[0].finished_at - started) // remind:
            announced.append(failure)
    return announced, False


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
        usual = f" (baseline {_pct(learned)})" if learned is not None else ""
        failures.append(
            HealthFailure(
                check,
                name,
                template.format(field=name, share=_pct(share), sample=sample)
                + f"{usual}, at most {_pct(bound)} expected",
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
