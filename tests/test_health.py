"""Health monitoring: a redesign that extraction silently absorbs must fail the run loudly, keep
broken items out of the news feeds, and reach subscribers through output/health.xml.

End to end against the replica (`--drift` serves the same site in redesigned markup, on the
same port, so the state's URLs stay valid), plus the checks' arithmetic on made-up histories.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from newsmon.extract.article import ArticlePage
from newsmon.health.baseline import Baseline, PastRun, usual_sources
from newsmon.health.checks import HealthFailure, check_sources, check_stale, to_announce
from newsmon.health.config import HealthConfig
from newsmon.health.metrics import lower_bound
from newsmon.items import ArticleItem
from newsmon.pipeline.quarantine import QuarantinePipeline
from newsmon.store import close_store
from tests.crawling import CrawlResult, run_crawl
from tests.feedcheck import check_rss
from tests.newsboat import Newsboat, needs_newsboat, serving
from tests.replica.client import start_replica

SAMPLES = Path(__file__).parent / "samples"
PAGES = {"NEWSMON_MAX_PAGES": "2"}
# The checks a redesign of body container, headline, dates and cards must trip.
DRIFT_FAILURES = {
    ("source_drift", "body"),
    ("source_drift", "cards"),
    ("source_drift", "published"),
    ("value_drift", "title"),
    ("coverage", "card_date"),
}


def port_of(base_url: str) -> str:
    return str(urlsplit(base_url).port)


def latest_report_path(result: CrawlResult) -> Path:
    return sorted((result.state_path.parent / "reports").glob("*.json"))[-1]


def latest_report(result: CrawlResult) -> dict[str, Any]:
    return json.loads(latest_report_path(result).read_text(encoding="utf-8"))


def feed_links(result: CrawlResult, name: str = "newsfeed.xml") -> list[str]:
    path = result.output_dir / name
    check_rss(path)
    return [entry.link for entry in feedparser.parse(path.read_bytes()).entries]


def archive_size(result: CrawlResult) -> int:
    path = result.output_dir / "articles.jsonl"
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


def quarantined(result: CrawlResult) -> set[str]:
    with sqlite3.connect(result.state_path) as db:
        return {row[0] for row in db.execute("SELECT url FROM quarantine")}


def health_entries(result: CrawlResult) -> list[Any]:
    path = result.output_dir / "health.xml"
    check_rss(path, self_url="http://localhost:8080/health.xml")
    return feedparser.parse(path.read_bytes()).entries


@dataclass
class DriftStory:
    """A healthy crawl of the site, then a crawl of the redesigned site with the same state."""

    healthy: CrawlResult
    drifted: CrawlResult
    published: list[dict[str, Any]]
    """Articles published on the redesigned site before its crawl."""
    feed_before: list[str]
    archive_before: int
    health_before: list[Any]
    port: str


def tell_drift_story(workdir: Path) -> DriftStory:
    with start_replica() as site:
        port = port_of(site.base_url)
        healthy = run_crawl("newsfeed", site.base_url, workdir, settings=PAGES)
        assert healthy.returncode == 0, healthy.log[-3000:]
    # Read now: both crawls write to the same output folder.
    feed_before, archive_before = feed_links(healthy), archive_size(healthy)
    health_before = health_entries(healthy)
    with start_replica("--drift", "--port", port) as site:
        published = site.post("/__replica__/publish?count=5")
        drifted = run_crawl("newsfeed", site.base_url, workdir, settings=PAGES)
    return DriftStory(healthy, drifted, published, feed_before, archive_before, health_before, port)


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> DriftStory:
    return tell_drift_story(tmp_path_factory.mktemp("drift"))


def test_drift_crawl_fails_loudly(story: DriftStory) -> None:
    log = story.drifted.log
    assert story.drifted.returncode == 1, log[-3000:]
    for check, field in DRIFT_FAILURES:
        line = re.search(
            rf"\[newsmon[.\w]*\] ERROR: health check {check} failed for field {field}: "
            rf".*; e\.g\. http://127\.0\.0\.1:{story.port}/\S+",
            log,
        )
        assert line, f"no ERROR line for {check}({field})"
    assert "run failed: health checks failed:" in log
    report = latest_report(story.drifted)
    assert report["exit_code"] == 1
    assert report["health"]["status"] == "failed"
    assert report["health"]["baseline_runs"] == 1
    failed = {(f["check"], f["field"]) for f in report["health"]["failures"]}
    assert failed >= DRIFT_FAILURES
    body = next(f for f in report["health"]["failures"] if f["field"] == "body")
    assert body["baseline"] == 1.0 and body["value"] == 0.0
    # The fallbacks absorbed the redesign: every field still came out, from other sources.
    assert report["coverage"]["fields"]["body"] == 1.0
    assert "c-content" not in report["sources"]["body"]
    assert report["sources"]["cards"] == {"links": 2}


def test_drift_publishes_no_broken_item(story: DriftStory) -> None:
    drifted = story.drifted
    assert drifted.items == [], "an item of the redesigned site passed the pipelines"
    report = latest_report(drifted)
    items = report["items"]
    assert items["new"] == items["updated"] == 0
    assert items["extracted"] > 0
    assert items["dropped"] == {"quarantined": items["extracted"]}
    assert items["unchanged"] == 0, "a drifted page of a known article was not held back"
    assert items["quarantine_reasons"]["unusual_source_body"] == items["extracted"]
    # The news feeds and the archive are as the healthy run left them.
    assert feed_links(drifted) == story.feed_before
    assert archive_size(drifted) == story.archive_before
    new_urls = {article["url"] for article in story.published}
    assert not new_urls & set(feed_links(drifted))
    # Held back, not lost: the store's quarantine keeps them for inspection.
    assert new_urls <= quarantined(drifted)


def test_health_feed_tells_the_subscriber(story: DriftStory) -> None:
    assert story.health_before == [], "a healthy run announced a problem"
    # One incident, one item, however many checks the redesign tripped: each is named in it.
    [entry] = health_entries(story.drifted)
    assert entry.title.startswith("Health checks failed: ")
    assert entry.title.endswith(" in the newsfeed crawl")
    assert {tag.term for tag in entry.tags} >= {check for check, _ in DRIFT_FAILURES}
    for check, field in DRIFT_FAILURES:
        assert f"{check} ({field})" in entry.title
        assert f"{check} ({field}): " in entry.description
    assert entry.link.startswith(f"http://127.0.0.1:{story.port}/")
    assert entry.link in entry.description
    assert "Run report: " + str(latest_report_path(story.drifted)) in entry.description
    # Never in a news feed.
    for name in ("newsfeed.xml", "newsfeed.atom"):
        assert "Health check" not in (story.drifted.output_dir / name).read_text(encoding="utf-8")


@needs_newsboat
def test_newsboat_shows_the_health_feed(story: DriftStory, tmp_path: Path) -> None:
    with serving(story.drifted.output_dir) as base:
        reader = Newsboat(tmp_path / "newsboat", base + "health.xml")
        unread = reader.reload()
        titles = [title for _, title in reader.items()]
    assert unread == len(health_entries(story.drifted)) == 1
    assert any("source_drift (body)" in title for title in titles)


def test_fixed_site_recovers_and_publishes_the_held_articles(tmp_path: Path) -> None:
    story = tell_drift_story(tmp_path)
    assert story.drifted.returncode == 1
    held = {article["url"]: article for article in story.published}
    with start_replica("--port", story.port) as site:
        # The same publication, deterministic per seed: the articles the redesign hid.
        assert {a["url"] for a in site.post("/__replica__/publish?count=5")} == set(held)
        fixed = run_crawl("newsfeed", site.base_url, tmp_path, settings=PAGES)
    assert fixed.returncode == 0, fixed.log[-3000:]
    assert "health check" not in fixed.log
    passed = {item["url"]: item for item in fixed.items}
    assert set(held) <= set(passed)
    for url, truth in held.items():
        for field in ("title", "published", "authors"):
            assert passed[url][field] == truth[field], f"{url}: {field}"
        assert passed[url]["body"].split("\n\n") == truth["body"]
    assert set(held) <= set(feed_links(fixed))
    assert not set(held) & quarantined(fixed)
    titles = [entry.title for entry in health_entries(fixed)]
    assert titles[0] == "Recovered: newsfeed crawl is healthy again"
    assert latest_report(fixed)["health"]["status"] == "healthy"


def test_a_held_revisit_is_read_again_by_the_next_run(tmp_path: Path) -> None:
    """A known article whose new page was held back keeps no validators of that page.

    Its next revisit reads the page again (held again while the site stays redesigned, stored
    once it is fixed) instead of taking a 304 for a page newsmon never stored.
    """
    story = tell_drift_story(tmp_path)
    held_revisits = story.drifted.stat("newsmon/revisits/fetched")
    assert held_revisits > 0 and story.drifted.stat("newsmon/items/unchanged") == 0
    with start_replica("--drift", "--port", story.port) as site:
        again = run_crawl("newsfeed", site.base_url, tmp_path, settings=PAGES)
    assert again.returncode == 1, again.log[-3000:]
    assert again.stat("newsmon/revisits/not_modified") == 0
    assert again.stat("newsmon/revisits/fetched") == held_revisits
    assert latest_report(again)["items"]["dropped"]["quarantined"] >= held_revisits


def test_drift_without_baseline_fails_loudly_and_publishes_nothing_broken(
    tmp_path: Path,
) -> None:
    # No baseline yet: fallback sources are learned rather than refused (the real site's
    # markup is not fully confirmed), but the page contradicting itself still fails the run.
    with start_replica("--drift", "--articles", "60") as site:
        result = run_crawl("newsfeed", site.base_url, tmp_path, settings={"NEWSMON_MAX_PAGES": "1"})
        truth = {article["url"]: article for article in site.truth()}
    assert result.returncode == 1, result.log[-3000:]
    assert "health check value_drift failed for field title" in result.log
    assert "health notice: body came from the known markup" in result.log
    assert "health notice: cards came from the known markup" in result.log
    assert latest_report(result)["health"]["baseline_runs"] == 0
    for item in result.items:
        expected = truth[item["url"]]
        for field in ("title", "authors", "published", "modified", "tags"):
            assert item[field] == expected[field], f"{item['url']}: {field}"
        assert item["body"].split("\n\n") == expected["body"], item["url"]
    assert set(feed_links(result)) == {item["url"] for item in result.items}


def test_listing_without_cards_fails_the_run(replica_small: Any, tmp_path: Path) -> None:
    # The small replica has no article tagged "culture": its tag page is a page of no cards.
    result = run_crawl(
        "tags",
        replica_small.base_url,
        tmp_path,
        "-a",
        "tags=russia,culture",
        settings={"NEWSMON_MAX_PAGES": "1"},
    )
    assert result.returncode == 1
    assert re.search(
        r"ERROR: health check empty_listing failed for field cards: 1 of 2 listing pages "
        r"returned no article cards; e\.g\. http://\S+/tag/culture/",
        result.log,
    )
    # The other listing's articles are fine and published.
    assert len(feed_links(result, "tags/russia.xml")) == 12
    assert ("empty_listing", "cards") in {
        (f["check"], f["field"]) for f in latest_report(result)["health"]["failures"]
    }


def test_no_new_articles_for_too_long_fails_the_run(replica_small: Any, tmp_path: Path) -> None:
    # A limit of about a second stands in for "a day without news" (no usual gap learned yet).
    quick = {"NEWSMON_MAX_PAGES": "1", "NEWSMON_HEALTH_STALE_HOURS": "0.0003"}
    first = run_crawl("newsfeed", replica_small.base_url, tmp_path, settings=quick)
    assert first.returncode == 0, "a first run, with new articles, is never stale"
    time.sleep(2)
    second = run_crawl("newsfeed", replica_small.base_url, tmp_path, settings=quick)
    assert second.returncode == 1
    assert re.search(r"ERROR: health check stale failed for field new articles: no new", second.log)
    assert any("stale (new articles)" in entry.title for entry in health_entries(second))


def test_a_bad_health_setting_stops_the_crawl(tmp_path: Path) -> None:
    result = run_crawl(
        "newsfeed",
        "http://127.0.0.1:9",
        tmp_path,
        settings={"NEWSMON_HEALTH_COVERAGE_DROP": "1.5"},
    )
    assert result.returncode == 2
    assert "NEWSMON_HEALTH_COVERAGE_DROP must be a share between 0 and 1" in result.log


# --- the pieces, on their own -------------------------------------------------------------


def fetch(url: str, etag: str = "") -> tuple[int, str, str]:
    """(status, ETag, page) of a GET, conditional when `etag` is given."""
    request = urllib.request.Request(url, headers={"If-None-Match": etag} if etag else {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.headers["ETag"], response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        if error.code != 304:
            raise
        return 304, error.headers["ETag"], ""


def test_drift_mode_redesigns_the_markup_not_the_content() -> None:
    with start_replica("--articles", "60") as site:
        port = port_of(site.base_url)
        truth = site.truth()
        article = next(a for a in truth if a["modified"] > a["published"])
        _, old_article_etag, before = fetch(article["url"])
        _, old_listing_etag, _ = fetch(site.base_url + "/tag/news-feed/")
    with start_replica("--articles", "60", "--drift", "--port", port) as site:
        assert site.truth() == truth
        # A copy from before the redesign is stale: the new page comes back, not a 304.
        status, etag, page = fetch(article["url"], old_article_etag)
        assert status == 200 and etag != old_article_etag
        assert fetch(article["url"], etag)[0] == 304
        assert fetch(site.base_url + "/tag/news-feed/", old_listing_etag)[0] == 200
        _, _, listing = fetch(site.base_url + "/tag/news-feed/")
    assert "c-content" in before and "c-content" not in page
    assert "reading-progress-end" not in page
    assert "datePublished" not in page and "article:published_time" not in page
    assert page.index("Updated <time") < page.index("Published <time")
    assert "ArticleHeader_kicker" in page
    assert "archiveCard" not in listing and listing.count("PostCard_root") == 20


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (
            "seed-article-2025",
            {"title": "jsonld", "authors": "jsonld", "published": "jsonld", "body": "c-content"},
        ),
        (
            "opinion-no-jsonld",
            {"title": "h1", "authors": "byline", "published": "meta", "body": "c-content"},
        ),
        (
            "liveblog-2023-theme",
            {"title": "h1", "authors": "byline", "published": "date-line", "body": "c-content"},
        ),
    ],
)
def test_page_objects_name_the_source_of_each_field(sample: str, expected: dict) -> None:
    spec = json.loads((SAMPLES / f"{sample}.json").read_text(encoding="utf-8"))
    page = ArticlePage.from_html((SAMPLES / f"{sample}.html").read_text(), spec["page_url"])
    assert page.field_sources() == expected
    declared, markup = page.declared_values(), page.markup_values()
    if "title" in declared:
        assert declared["title"] == markup["title"] == spec["expected"]["title"]


@pytest.fixture
def quarantine(tmp_path: Path) -> Iterator[QuarantinePipeline]:
    crawler = get_crawler(
        settings_dict={
            "NEWSMON_BASE_URL": "https://kyivindependent.com",
            "NEWSMON_STATE_PATH": str(tmp_path / "state.sqlite3"),
        }
    )
    pipeline = build_from_crawler(QuarantinePipeline, crawler)
    pipeline.open_spider()
    yield pipeline
    close_store(crawler)


def test_tiny_body_is_held_back_then_released(quarantine: QuarantinePipeline) -> None:
    url = "https://kyivindependent.com/short/"
    with pytest.raises(DropItem, match="quarantined: tiny_body"):
        quarantine.process_item(ArticleItem(url=url, title="Short", body="Watch the video."))
    stats = quarantine.crawler.stats
    assert stats is not None
    assert stats.get_value("newsmon/dropped/quarantined") == 1
    assert quarantine.held == {url}
    fine = ArticleItem(url=url, title="Short", body="A whole sentence of news arrived here today.")
    assert quarantine.process_item(fine) is fine
    assert stats.get_value("newsmon/quarantine/released") == 1
    assert quarantine.held == set()


T0 = datetime(2026, 11, 27, 12, tzinfo=UTC)


def runs_finding_news(*hours_ago: float, failed: frozenset = frozenset()) -> list[PastRun]:
    """Past runs (newest first) that each found new articles, `hours_ago` before T0."""
    return [PastRun(T0 - timedelta(hours=h), not failed, 3, {}, failed) for h in hours_ago]


def test_stale_uses_the_longest_recent_gap_once_learned() -> None:
    config = HealthConfig()
    history = runs_finding_news(1, 2, 3, 5)  # gaps 1 h, 1 h, 2 h: the usual gap is 2 h
    assert check_stale(history, 0, T0 + timedelta(hours=2), config) == []  # quiet 3 h < 4 h
    [failure] = check_stale(history, 0, T0 + timedelta(hours=4), config)  # quiet 5 h > 4 h
    assert failure.check == "stale" and failure.expected == 4.0
    assert check_stale(history, 2, T0 + timedelta(days=9), config) == []  # found news: fine
    assert check_stale(runs_finding_news(1, 2), 0, T0 + timedelta(hours=20), config) == []
    assert check_stale(runs_finding_news(1, 2), 0, T0 + timedelta(hours=24), config)
    assert check_stale([], 0, T0, config) == [], "a first run is never stale"


def test_small_runs_get_a_wider_tolerance() -> None:
    assert lower_bound(1.0, 5, 0.25) == 0.75
    # 40% over 20 items varies by 11 points by chance: the bound is 3 sigma, not 25 points.
    assert lower_bound(0.4, 20, 0.25) == pytest.approx(0.4 - 3 * (0.24 / 20) ** 0.5)
    baseline = Baseline(
        {
            "sourced/title": (100, 100),
            "source/title/jsonld": (60, 100),
            "source/title/h1": (40, 100),
        },
        runs=3,
    )
    config = HealthConfig()
    chance = {"sourced/title": (10, 10), "source/title/jsonld": (9, 10), "source/title/h1": (1, 10)}
    assert check_sources(chance, {}, baseline, config) == []
    drift = {"sourced/title": (10, 10), "source/title/og-title": (10, 10)}
    [failure] = check_sources(drift, {}, baseline, config)
    assert (failure.check, failure.field, failure.value) == ("source_drift", "title", 0.0)


def test_a_missing_value_is_not_also_a_source_drift() -> None:
    baseline = Baseline({"sourced/cards": (10, 10), "source/cards/markup": (10, 10)}, runs=5)
    one_empty_page = {
        "sourced/cards": (2, 2),
        "source/cards/markup": (1, 2),
        "source/cards/none": (1, 2),
    }
    assert check_sources(one_empty_page, {}, baseline, HealthConfig()) == []
    redesigned = {"sourced/cards": (2, 2), "source/cards/links": (2, 2)}
    assert [f.field for f in check_sources(redesigned, {}, baseline, HealthConfig())] == ["cards"]


def test_usual_sources_are_learned_from_healthy_runs() -> None:
    config = HealthConfig()
    # No baseline: no source is held back (the real site's markup may not be the known one).
    assert "body" not in usual_sources(Baseline(), config)
    learned = Baseline({"sourced/body": (50, 50), "source/body/c-content": (50, 50)}, runs=2)
    assert usual_sources(learned, config)["body"] == frozenset({"c-content"})


def test_without_a_baseline_a_fallback_source_is_a_notice_not_a_failure() -> None:
    guessed = {"sourced/body": (20, 20), "source/body/density": (20, 20)}
    assert check_sources(guessed, {}, Baseline(), HealthConfig()) == []


def test_the_health_feed_hears_of_a_failure_once_a_day_and_of_the_recovery() -> None:
    config = HealthConfig()
    failure = HealthFailure("source_drift", "body", "moved")
    key = frozenset({("source_drift", "body")})
    assert to_announce([failure], [], T0, config) == ([failure], False)
    # Failing since a run 2 h ago (when it was announced): not again yet.
    failing = runs_finding_news(2, failed=key)
    assert to_announce([failure], failing, T0, config) == ([], False)
    # A day after the streak began: a reminder.
    since_yesterday = runs_finding_news(0.8, 24.5, failed=key)
    assert to_announce([failure], since_yesterday, T0, config) == ([failure], False)
    assert to_announce([], failing, T0, config) == ([], True)
    assert to_announce([], runs_finding_news(1), T0, config) == ([], False)
