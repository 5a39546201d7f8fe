"""A run's outcome: components mark a run failed; `scrapy crawl` turns that into its exit code.

A failure of the run itself (the site blocked it or could not be reached, no article it needed
could be fetched, the state or the feeds could not be written) is also a *problem* of the run,
named like a health check (`BLOCKED`, `UNREACHABLE`, ...): the health extension makes the run
unhealthy with it, so the run is never learned as a healthy one, and announces it.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from newsmon.run.percrawl import PerCrawl
from newsmon.run.wording import counted

logger = logging.getLogger(__name__)

EXIT_CODE_STAT = "newsmon/run/exit_code"
FAILURES_STAT = "newsmon/run/failures"
PROBLEMS_STAT = "newsmon/run/problems"
# Articles the walks asked for (new ones, and ones an earlier run left behind).
REQUESTED_STAT = "newsmon/articles/requested"

# Exit codes: 1 a run that failed (nothing fetched, state not written, health check failed),
# 2 a configuration newsmon cannot run with (bad setting, unusable state file).
RUN_FAILED = 1
CONFIG_ERROR = 2

# Problems of the run itself, as (check, field) the way health names its checks.
Problem = tuple[str, str]
BLOCKED: Problem = ("blocked", "site")
UNREACHABLE: Problem = ("unreachable", "site")
NO_LISTINGS: Problem = ("no_listings", "listings")
NO_ARTICLES: Problem = ("no_articles", "articles")
STORE: Problem = ("store", "state")
PUBLISH: Problem = ("publish", "feeds")
PROBLEMS = (BLOCKED, UNREACHABLE, NO_LISTINGS, NO_ARTICLES, STORE, PUBLISH)
PROBLEM_CHECKS = frozenset(check for check, _ in PROBLEMS)
NETWORK_ERROR = "network error"


def fail_run(
    crawler: Crawler,
    reason: str,
    code: int = RUN_FAILED,
    *,
    problem: Problem | None = None,
    url: str = "",
) -> None:
    """Log why a run failed and record it, so the crawl exits non-zero for cron and systemd.

    With `problem`, the run itself failed that way (see `BLOCKED` and the others), with `url`
    as a page that shows it: health makes the run unhealthy and announces it.
    """
    logger.error("run failed: %s", reason)
    stats = crawler.stats
    if stats is None:
        return
    stats.max_value(EXIT_CODE_STAT, code)
    failures = list(stats.get_value(FAILURES_STAT, []))
    failures.append(reason)
    stats.set_value(FAILURES_STAT, failures)
    if problem is not None:
        check, field = problem
        problems = list(stats.get_value(PROBLEMS_STAT, []))
        problems.append({"check": check, "field": field, "message": reason, "example_url": url})
        stats.set_value(PROBLEMS_STAT, problems)


def run_problems(crawler: Crawler) -> list[dict[str, Any]]:
    """The run's own problems so far (check, field, message, example_url), in order."""
    stats = crawler.stats
    return list(stats.get_value(PROBLEMS_STAT, [])) if stats is not None else []


def has_problem(crawler: Crawler, problem: Problem) -> bool:
    """Tell whether the run already failed this way."""
    return any(p["check"] == problem[0] for p in run_problems(crawler))


def run_exit_code(crawler: Crawler) -> int:
    """The exit code components recorded for a finished crawl (0 if none failed it)."""
    stats = crawler.stats
    return int(stats.get_value(EXIT_CODE_STAT, 0)) if stats is not None else 0


@dataclass
class FetchFailures:
    """How the run's listing and article requests failed, by "HTTP 503" or "network error".

    The spider counts them (each was said in its own line); the outcome sums them up when the
    run fetched none of them.
    """

    listings: Counter[str] = field(default_factory=Counter)
    articles: Counter[str] = field(default_factory=Counter)


# The crawl's FetchFailures, made on first use.
fetch_failures = PerCrawl(lambda crawler: FetchFailures())


def _tally(counter: Counter[str]) -> str:
    """'3 HTTP 503, 1 network error'."""
    return ", ".join(f"{count} {what}" for what, count in counter.most_common())


class RunOutcome:
    """Fail the run (non-zero exit) when it saw nothing of the site, or got none of its articles.

    A blocked run, or one stopped because the state store could not be written, has said so
    already: one cause, one problem.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunOutcome:
        """Connect to spider_closed."""
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """A run that fetched no listing page, or none of the articles it needed, failed."""
        stats = self.crawler.stats
        values = stats.get_stats() if stats is not None else {}
        if has_problem(self.crawler, BLOCKED) or has_problem(self.crawler, STORE):
            return  # the cause, said already; what it kept from being fetched is no news
        failures = fetch_failures(self.crawler)
        ended = f" (run ended: {reason})" if reason != "finished" else ""
        if not values.get("newsmon/listings/pages", 0):
            site = str(getattr(spider, "base_url", ""))
            if failures.listings and set(failures.listings) != {NETWORK_ERROR}:
                fail_run(
                    self.crawler,
                    "no listing page could be fetched: the site answered "
                    f"{_tally(failures.listings)}{ended}",
                    problem=NO_LISTINGS,
                    url=site,
                )
            else:
                fail_run(
                    self.crawler,
                    f"no listing page could be fetched: the site could not be reached{ended}",
                    problem=UNREACHABLE,
                    url=site,
                )
            return
        requested = int(values.get(REQUESTED_STAT, 0))
        answered = int(values.get("newsmon/articles/extracted", 0)) + int(
            values.get("newsmon/articles/not_article", 0)
        )
        if requested and not answered and reason == "finished":
            tally = _tally(failures.articles)
            fail_run(
                self.crawler,
                f"the listings were read, but none of the {counted(requested, 'article')} they "
                "led to could be fetched" + (f" ({tally})" if tally else ""),
                problem=NO_ARTICLES,
            )
