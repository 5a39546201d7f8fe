"""HealthConfig: the thresholds of the health checks, read and checked from NEWSMON_HEALTH_*."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from scrapy.settings import BaseSettings

from newsmon.config import NewsmonConfigError
from newsmon.health.metrics import COVERAGE_FIELDS


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
