"""The run report: a JSON file per run under the state folder and a summary at the end of the log,
whose figures match what the replica served (its request log and ground truth)."""

from __future__ import annotations

import json
import re
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from newsmon.health.metrics import COVERAGE_FIELDS
from newsmon.run.wording import counted
from tests.crawling import CrawlResult, run_crawl

CARD_LINK = re.compile(r'class="archiveCard__link"\s+href="([^"]+)"')
# Truth field -> report coverage field, where the names differ or the truth has no twin.
TRUTH_FIELD = {"body_html": "body", "modified": "published"}


def reports(result: CrawlResult) -> list[Path]:
    return sorted((result.state_path.parent / "reports").glob("*.json"))


def latest_report(result: CrawlResult) -> dict[str, Any]:
    found = reports(result)
    assert found, f"no report under {result.state_path.parent / 'reports'}"
    return json.loads(found[-1].read_text(encoding="utf-8"))


def slug_of(url: str) -> str:
    return url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]


def served_cards(replica: Any, requests: list[dict[str, Any]]) -> set[str]:
    """Slugs of the cards on the listing pages the crawler got (read off the replica's HTML)."""
    slugs: set[str] = set()
    for entry in requests:
        if entry["path"].startswith("/tag/") and entry["status"] == 200:
            with urllib.request.urlopen(replica.base_url + entry["path"]) as response:
                page = response.read().decode("utf-8")
            slugs.update(slug_of(href) for href in CARD_LINK.findall(page))
    return slugs


@pytest.fixture
def first_crawl(replica: Any, tmp_path: Path) -> tuple[CrawlResult, list[dict[str, Any]]]:
    replica.reset_requests()
    result = run_crawl("newsfeed", replica.base_url, tmp_path, settings={"NEWSMON_MAX_PAGES": "2"})
    assert result.returncode == 0, result.log[-3000:]
    return result, replica.requests()


def test_report_counts_match_the_replica(
    replica: Any, first_crawl: tuple[CrawlResult, list[dict[str, Any]]]
) -> None:
    result, served = first_crawl
    report = latest_report(result)
    assert report["spider"] == "newsfeed"
    assert report["exit_code"] == 0
    assert report["health"] == {"status": "healthy", "baseline_runs": 0, "failures": []}
    # Pages by status: exactly what the replica logged, robots.txt included.
    statuses = Counter(str(entry["status"]) for entry in served)
    assert report["pages"]["by_status"] == dict(statuses)
    assert report["pages"]["fetched"] == len(served)
    listing_requests = [e for e in served if e["path"].startswith("/tag/")]
    article_requests = [
        e
        for e in served
        # The site's RSS, read in every News Feed run, is no article page.
        if not e["path"].startswith(("/tag/", "/robots.txt", "/news-archive/rss/"))
        and e["status"] == 200
    ]
    assert report["pages"]["listing_pages"] == len(listing_requests) == 2
    assert report["pages"]["article_pages"] == len(article_requests)
    assert report["pages"]["rendered"] == 0
    # Items: one per card served, all new on a fresh state, none dropped.
    cards = served_cards(replica, served)
    items = report["items"]
    assert items["extracted"] == items["new"] == len(cards) == len(result.items)
    assert {slug_of(item["url"]) for item in result.items} == cards
    assert items["updated"] == items["unchanged"] == 0
    assert items["dropped"] == {} and items["quarantined"] == []
    assert items["extracted"] == items["new"] + items["updated"] + items["unchanged"]
    assert report["listings"] == {"pages": 2, "empty": 0, "cards": len(cards)}
    assert report["duration_seconds"] > 0


def test_report_coverage_is_the_share_of_truth_with_each_field(
    replica: Any, first_crawl: tuple[CrawlResult, list[dict[str, Any]]]
) -> None:
    result, _ = first_crawl
    report = latest_report(result)
    crawled = {item["url"] for item in result.items}
    truth = [article for article in replica.truth() if article["url"] in crawled]
    coverage = report["coverage"]
    assert coverage["articles"] == len(truth)
    assert set(coverage["fields"]) == set(COVERAGE_FIELDS)
    for name in COVERAGE_FIELDS:
        key = TRUTH_FIELD.get(name, name)
        expected = sum(1 for article in truth if article[key]) / len(truth)
        assert coverage["fields"][name] == pytest.approx(expected, abs=1e-4), name
    assert coverage["card_date"] == 1.0
    # Which link of each fallback chain gave the values: the site's own markup, every time.
    assert report["sources"]["body"] == {"c-content": len(truth)}
    assert report["sources"]["cards"] == {"markup": 2}
    assert set(report["sources"]["published"]) <= {"jsonld", "meta", "date-line"}


def test_log_ends_with_a_summary(first_crawl: tuple[CrawlResult, list[dict[str, Any]]]) -> None:
    result, served = first_crawl
    report = latest_report(result)
    tail = result.log[result.log.index("run report of newsfeed") :]
    assert f"pages: {len(served)} fetched (200: {len(served)})" in tail
    assert f"items: {report['items']['extracted']} extracted, {report['items']['new']} new" in tail
    assert "coverage of" in tail and "body 100%" in tail
    assert "health: healthy" in tail
    assert f"report: {reports(result)[-1]}" in tail


def test_second_run_reports_unchanged_items_and_keeps_reports(
    replica: Any, first_crawl: tuple[CrawlResult, list[dict[str, Any]]], tmp_path: Path
) -> None:
    # first_crawl stored every article; this run finds them all again.
    replica.reset_requests()
    second = run_crawl(
        "newsfeed",
        replica.base_url,
        tmp_path,
        settings={"NEWSMON_MAX_PAGES": "2", "NEWSMON_REPORT_KEEP": "1"},
    )
    assert second.returncode == 0, second.log[-3000:]
    served = replica.requests()
    assert len(reports(second)) == 1, "NEWSMON_REPORT_KEEP=1 keeps only the newest report"
    report = latest_report(second)
    assert report["pages"]["by_status"] == dict(Counter(str(e["status"]) for e in served))
    items = report["items"]
    assert items["new"] == items["updated"] == 0
    assert (
        items["unchanged"]
        == items["extracted"]
        == len(
            [
                e
                for e in served
                if e["status"] == 200 and not e["path"].startswith(("/tag/", "/robots"))
            ]
        )
    )
    assert report["health"]["status"] == "healthy"
    assert report["health"]["baseline_runs"] == 1


def test_report_dir_setting_and_an_unusable_one(replica_small: Any, tmp_path: Path) -> None:
    elsewhere = tmp_path / "my-reports"
    result = run_crawl(
        "newsfeed",
        replica_small.base_url,
        tmp_path,
        settings={"NEWSMON_MAX_PAGES": "1", "NEWSMON_REPORT_DIR": str(elsewhere)},
    )
    assert result.returncode == 0, result.log[-3000:]
    assert [path.name.endswith("-newsfeed.json") for path in elsewhere.iterdir()] == [True]
    # One listing page walked, and said so in the singular: at the start and in the summary.
    assert "crawl newsfeed started: 1 listing (news-feed) of " in result.log
    assert ", up to 1 page each; " in result.log
    assert "; 1 listing page, " in result.log
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    refused = run_crawl(
        "newsfeed",
        replica_small.base_url,
        tmp_path,
        settings={"NEWSMON_REPORT_DIR": str(blocker)},
    )
    assert refused.returncode == 2
    assert "NEWSMON_REPORT_DIR" in refused.log


def test_a_run_with_nothing_new_accounts_for_every_page(
    replica: Any, first_crawl: tuple[CrawlResult, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """The next run asks its known articles again: each 304 is a revisit, said as one."""
    replica.reset_requests()
    again = run_crawl("newsfeed", replica.base_url, tmp_path, settings={"NEWSMON_MAX_PAGES": "2"})
    assert again.returncode == 0, again.log[-3000:]
    served = replica.requests()
    report = latest_report(again)
    pages = report["pages"]
    revisits = [
        e
        for e in served
        if not e["path"].startswith(("/tag/", "/robots.txt", "/news-archive/rss/"))
        and e["status"] == 304
    ]
    assert revisits, "the replica answered no revisit with 304"
    assert pages["revisits_unchanged"] == len(revisits)
    assert pages["article_pages"] == report["items"]["extracted"] == 0
    assert pages["listing_pages"] == len([e for e in served if e["path"].startswith("/tag/")])
    assert f"{len(revisits)} revisits unchanged" in again.log
    assert ", 0 article pages, " in again.log
    # Nothing new: every feed file is left as it was, and the log says so.
    first = json.loads(reports(first_crawl[0])[0].read_text(encoding="utf-8"))
    assert first["publish"]["changed"] == first["publish"]["feeds"] > 0
    assert report["publish"] == {"feeds": first["publish"]["feeds"], "changed": 0, "exported": 0}
    assert re.search(r"published \d+ feed files \(none changed\) and 0 archive lines", again.log)


@pytest.mark.parametrize(
    ("count", "words"),
    [(0, "0 listing pages"), (1, "1 listing page"), (2, "2 listing pages")],
)
def test_a_count_of_one_is_said_in_the_singular(count: int, words: str) -> None:
    """The run's lines say "1 listing page" and "1 revisit unchanged", not "1 listing pages"."""
    assert counted(count, "listing page") == words
    assert counted(count, "entry", "entries").endswith("entry" if count == 1 else "entries")
