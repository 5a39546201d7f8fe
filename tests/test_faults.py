"""A flaky site (`--faults flaky`): retries with backoff, Retry-After honoured, nothing lost.

The replica fails the first answer(s) for some URLs: 500/502/503, 429 with Retry-After: 2
(answered again while the wait is not over, as a real rate limiter does), an answer slower
than the download timeout, truncated HTML, and a few pages that fail three times (more than
newsmon retries). Two runs of the `tags` spider over every tag must archive every article
exactly once, and every feed must be valid after each run.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from newsmon.crawl.middlewares.retry import retry_after_seconds
from tests.crawling import CrawlResult, run_crawl
from tests.published import all_tag_slugs, check_archive, check_feeds
from tests.replica.client import REPLICA_ARGS, Replica, start_replica
from tests.replica.content import Site
from tests.replica.faults import PERSISTENT_FAILURES, FlakyHook

ARTICLES = 60
# The replica's slow answers take 6 s; the crawler gives up on them after 3 and retries.
SETTINGS = {
    "NEWSMON_MAX_PAGES": "30",
    "DOWNLOAD_TIMEOUT": "3",
    "NEWSMON_RETRY_BACKOFF": "0.2",
}


@dataclass
class FlakyRuns:
    """Two crawls of a flaky replica, with what each left behind."""

    replica: Replica
    truth: list[dict[str, Any]]
    plans: dict[str, str]
    first: CrawlResult
    second: CrawlResult
    first_log: list[dict[str, Any]]
    first_output: Path


def crawl_all_tags(replica: Replica, workdir: Path, **settings: str) -> CrawlResult:
    tags = all_tag_slugs(replica.truth())
    return run_crawl(
        "tags", replica.base_url, workdir, "-a", f"tags={tags}", settings={**SETTINGS, **settings}
    )


def fault_plans(paths: list[str]) -> dict[str, str]:
    """The fault the replica plans for each article path (it is deterministic by seed)."""
    seed = int(REPLICA_ARGS[REPLICA_ARGS.index("--seed") + 1])
    now = datetime.fromisoformat(REPLICA_ARGS[REPLICA_ARGS.index("--now") + 1])
    hook = FlakyHook(Site(seed=seed, count=ARTICLES, now=now), seed)
    return {path: hook.plan(path).kind for path in paths}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlakyRuns]:
    workdir = tmp_path_factory.mktemp("flaky")
    with start_replica("--articles", str(ARTICLES), "--faults", "flaky") as replica:
        truth = replica.truth()
        first = crawl_all_tags(replica, workdir)
        first_log = replica.requests()
        # Feeds are checked as the first run left them, before the second replaces them.
        first_output = workdir / "after-first-run"
        shutil.copytree(first.output_dir, first_output)
        second = crawl_all_tags(replica, workdir)
        plans = fault_plans([f"/{article['slug']}/" for article in truth])
        yield FlakyRuns(replica, truth, plans, first, second, first_log, first_output)


def paths_with(log: list[dict[str, Any]], status: int) -> set[str]:
    return {entry["path"].split("?")[0] for entry in log if entry["status"] == status}


def answers(log: list[dict[str, Any]], path: str) -> list[int]:
    return [entry["status"] for entry in log if entry["path"].split("?")[0] == path]


def test_the_replica_really_was_flaky(runs: FlakyRuns) -> None:
    kinds = Counter(runs.plans.values())
    for kind in ("error", "rate_limit", "slow", "truncated", "persistent"):
        assert kinds[kind] >= 1, f"no article planned with fault {kind!r}: {kinds}"
    first = runs.first
    assert first.stat("retry/reason_count/scrapy.exceptions.DownloadTimeoutError") >= 1
    assert first.stat("newsmon/retry/truncated") >= 1
    assert first.stat("newsmon/retry/retry_after") >= kinds["rate_limit"]
    assert paths_with(runs.first_log, 503) and paths_with(runs.first_log, 429)


def test_both_runs_finish_and_leave_valid_feeds(runs: FlakyRuns) -> None:
    assert runs.first.returncode == 0, runs.first.log[-3000:]
    assert runs.second.returncode == 0, runs.second.log[-3000:]
    assert len(check_feeds(runs.first_output)) >= 4
    assert len(check_feeds(runs.second.output_dir)) >= 4
    assert "Traceback" not in runs.first.log + runs.second.log


def test_two_runs_archive_every_article_exactly_once(runs: FlakyRuns) -> None:
    first_urls = {line["url"] for line in check_archive(runs.first_output)}
    lines = check_archive(runs.second.output_dir)
    urls = [line["url"] for line in lines]
    assert len(urls) == len(set(urls)), "an article was archived twice"
    assert set(urls) == {article["url"] for article in runs.truth}
    assert {line["change"] for line in lines} == {"new"}
    # What the first run missed is what failed more often than newsmon retries.
    missed = {article["url"] for article in runs.truth} - first_urls
    persistent = {
        article["url"]
        for article in runs.truth
        if runs.plans[f"/{article['slug']}/"] == "persistent"
    }
    assert missed == persistent


def test_truncated_and_retried_pages_are_stored_whole(runs: FlakyRuns) -> None:
    by_url = {article["url"]: article for article in runs.truth}
    for line in check_archive(runs.second.output_dir):
        expected = by_url[line["url"]]
        assert line["title"] == expected["title"], line["url"]
        assert line["body"].split("\n\n") == expected["body"], f"{line['url']}: body"


def test_retry_after_is_honoured_without_holding_up_other_requests(runs: FlakyRuns) -> None:
    log = runs.first_log
    limited = [path for path, kind in runs.plans.items() if kind == "rate_limit"]
    assert limited
    for path in limited:
        # The replica answers 429 again to a retry that comes before Retry-After has passed.
        assert answers(log, path)[:2] == [429, 200], f"{path}: {answers(log, path)}"
        first = next(i for i, e in enumerate(log) if e["path"].split("?")[0] == path)
        retry = next(i for i, e in enumerate(log) if i > first and e["path"].split("?")[0] == path)
        others = {e["path"] for e in log[first + 1 : retry]}
        assert others, f"{path}: nothing else was fetched while its retry waited"


def test_server_errors_are_retried_and_then_succeed(runs: FlakyRuns) -> None:
    failed_once = [path for path, kind in runs.plans.items() if kind == "error"]
    assert failed_once
    for path in failed_once:
        statuses = answers(runs.first_log, path)
        assert statuses[0] in (500, 502, 503) and statuses[1] == 200, f"{path}: {statuses}"


def test_a_page_failing_past_the_retries_is_reported_and_fetched_next_run(
    runs: FlakyRuns,
) -> None:
    persistent = [path for path, kind in runs.plans.items() if kind == "persistent"]
    assert persistent
    for path in persistent:
        assert answers(runs.first_log, path) == [503] * PERSISTENT_FAILURES
        assert f"article not fetched: HTTP 503 at {runs.replica.base_url}{path}" in (runs.first.log)
    assert runs.first.stat("newsmon/articles/http_503") == len(persistent)
    assert runs.first.stat("retry/max_reached") == len(persistent)


def test_a_retry_after_over_the_cap_is_not_waited_for(tmp_path: Path) -> None:
    """NEWSMON_RETRY_AFTER_MAX below the server's Retry-After: no wait, no early retry."""
    with start_replica("--articles", "30", "--faults", "flaky") as replica:
        # One request at a time: the 429s, final here, then come in the replica's seeded
        # order, never three in a row (which would rightly be a block: exit 1, not this test).
        result = crawl_all_tags(
            replica, tmp_path, NEWSMON_RETRY_AFTER_MAX="1", CONCURRENT_REQUESTS="1"
        )
        log = replica.requests()
    assert result.returncode == 0, result.log[-3000:]
    limited = paths_with(log, 429)
    assert limited
    for path in limited:
        assert answers(log, path) == [429], f"{path} was retried before its Retry-After"
        assert f"{replica.base_url}{path} asks to wait 2 s (Retry-After)" in result.log
    assert result.stat("newsmon/retry/retry_after_over_max") == len(limited)
    check_feeds(result.output_dir)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("2", 2.0), (" 120 ", 120.0), ("soon", None), ("", None), ("-5", None), (None, None)],
)
def test_retry_after_header_in_seconds(header: str | None, expected: float | None) -> None:
    assert retry_after_seconds(header) == expected


def test_retry_after_header_as_http_date() -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    earlier = format_datetime(now - timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(later.encode(), now=now) == 90.0
    assert retry_after_seconds(earlier, now=now) == 0.0


def test_fault_plan_is_fixed_by_the_seed() -> None:
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    site = Site(seed=3, count=400, now=now)
    paths = [article.path for article in site.articles]
    one, again, other = FlakyHook(site, 3), FlakyHook(site, 3), FlakyHook(site, 4)
    assert [one.plan(p) for p in paths] == [again.plan(p) for p in paths]
    assert [one.plan(p) for p in paths] != [other.plan(p) for p in paths]
    kinds = Counter(one.plan(p).kind for p in paths)
    # About 10% server errors and 5% rate limits, as the issue asks.
    assert 0.06 * len(paths) <= kinds["error"] <= 0.14 * len(paths), kinds
    assert 0.02 * len(paths) <= kinds["rate_limit"] <= 0.08 * len(paths), kinds
    assert one.plan("/about/").kind == "none"
