"""Baselines: what earlier healthy runs of a spider measured, and what they make usual."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from newsmon.extract.provenance import NO_SOURCE
from newsmon.health.config import HealthConfig
from newsmon.health.metrics import DEFAULT_USUAL_SOURCES, Metrics


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
