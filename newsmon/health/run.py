"""The health state of one crawl, shared by the audit middleware, quarantine and extension.

It holds the settings, the baseline learned from earlier runs and the running observations.
(The audit of each item travels on the item itself, in its provenance.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsmon.health.audit import RunObservations
from newsmon.health.baseline import Baseline, PastRun, usual_sources
from newsmon.health.config import HealthConfig
from newsmon.run.percrawl import PerCrawl
from newsmon.store import get_store

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class RunHealth:
    """Health bookkeeping of one crawl (see `run_health`)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.config = HealthConfig.from_settings(crawler.settings)
        self.spider_name = str(getattr(crawler.spidercls, "name", "") or "crawl")
        self.observations = RunObservations(self.config.min_body_words)
        self._history: list[PastRun] | None = None
        self._usual: dict[str, frozenset[str]] | None = None

    @property
    def history(self) -> list[PastRun]:
        """Earlier runs of this spider, newest first (read from the store once per crawl)."""
        if self._history is None:
            # Enough runs to learn the baseline from and to see the usual gap between new
            # articles, even with some unhealthy runs among them.
            limit = max(self.config.baseline_runs * 3, 60)
            self._history = [
                PastRun(
                    run.finished_at,
                    run.healthy,
                    run.new_items,
                    run.metrics,
                    frozenset((str(f.get("check")), str(f.get("field"))) for f in run.failures),
                )
                for run in get_store(self.crawler).health_runs(self.spider_name, limit)
            ]
        return self._history

    @property
    def baseline(self) -> Baseline:
        """The baseline learned from this spider's recent healthy runs."""
        return Baseline.learn(self.history, self.config.baseline_runs)

    @property
    def usual(self) -> dict[str, frozenset[str]]:
        """Per field, the sources an item may come from (computed once per crawl)."""
        if self._usual is None:
            self._usual = usual_sources(self.baseline, self.config)
        return self._usual


# The crawl's RunHealth, made on first use.
run_health = PerCrawl(RunHealth)
