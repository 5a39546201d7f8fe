"""Listings that survive a redesign: real crawls of the replica's listing redesigns (issue 17).

Each `--listing` mode serves the same site with its listing pages rebuilt in another shape;
a `scrapy crawl newsfeed` of it must give the items a crawl of the normal site gives, field by
field, without a browser, and health must name the source of the cards, learn it, and flag a
later change. The site's RSS (`/news-archive/rss/`) is the second source: it brings back an
article a listing silently drops, and the run says so (`missed_articles`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest

from tests.crawling import CrawlResult, run_crawl
from tests.feedcheck import check_rss
from tests.replica.client import start_replica
from tests.test_crawl import CARD_LINK, COMPARED_FIELDS, assert_matches_truth, slug_of
from tests.test_render import browser_probe, needs_chromium

PAGES = {"NEWSMON_MAX_PAGES": "2"}
# Every field but the times of the crawl itself.
SAME_FIELDS = (*COMPARED_FIELDS, "body", "body_html", "listings", "word_count")
# Each redesign, and the source of the card chain that must read it.
REDESIGNS = {
    "list": "links",
    "grid": "headlines",
    "modules": "headlines",
    "next-data": "next-data",
    "next-data-endpoint": "next-data-endpoint",
}
SITE_RSS = "/news-archive/rss/"


def latest_report(result: CrawlResult) -> dict[str, Any]:
    found = sorted((result.state_path.parent / "reports").glob("*.json"))
    return json.loads(found[-1].read_text(encoding="utf-8"))


def by_path(items: list[dict[str, Any]], base_url: str) -> dict[str, dict[str, Any]]:
    return {item["url"].removeprefix(base_url): item for item in items}


def feed_links(result: CrawlResult) -> list[str]:
    path = result.output_dir / "newsfeed.xml"
    check_rss(path)
    return [entry.link for entry in feedparser.parse(path.read_bytes()).entries]


def health_titles(result: CrawlResult) -> list[str]:
    path = result.output_dir / "health.xml"
    return [entry.title for entry in feedparser.parse(path.read_bytes()).entries]


def warnings(result: CrawlResult, words: str) -> list[str]:
    return [line for line in result.log.splitlines() if "WARNING" in line and words in line]


def port_of(base_url: str) -> str:
    return str(urlsplit(base_url).port)


def no_browser(result: CrawlResult) -> bool:
    """Nothing was rendered, and neither the Playwright driver nor a browser was started."""
    rendering = [k for k in result.stats if k.startswith(("newsmon/render/", "playwright/"))]
    return not rendering and "scrapy-playwright" not in result.log


@pytest.fixture(scope="module")
def normal(tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, str]:
    """A crawl of the site as it is: what every redesign must give too."""
    with start_replica() as site:
        result = run_crawl(
            "newsfeed", site.base_url, tmp_path_factory.mktemp("normal"), settings=PAGES
        )
        assert result.returncode == 0, result.log[-3000:]
        return result, site.base_url


def test_the_normal_site_is_read_from_its_card_markup_and_checked_against_its_rss(
    normal: tuple[CrawlResult, str],
) -> None:
    result, _ = normal
    report = latest_report(result)
    assert report["sources"]["cards"] == {"markup": 2}
    assert report["coverage"]["card_date"] == 1.0
    # The cross-check ran (the RSS lists News Feed articles inside the walked window) and
    # found nothing missing.
    assert report["cross_check"]["site_rss_entries"] >= 5
    assert report["cross_check"]["missed"] == 0
    assert report["health"]["status"] == "healthy"
    assert no_browser(result)


@pytest.mark.parametrize("mode", list(REDESIGNS))
def test_a_listing_redesign_gives_the_items_of_the_normal_site(
    mode: str, normal: tuple[CrawlResult, str], tmp_path: Path
) -> None:
    reference, reference_base = normal
    with start_replica("--listing", mode) as site:
        site.reset_requests()
        result = run_crawl("newsfeed", site.base_url, tmp_path, settings=PAGES)
        truth, served = site.truth(), site.requests()
        listing = site.get("/tag/news-feed/").decode("utf-8")
    assert result.returncode == 0, result.log[-3000:]
    assert 'class="js-card archiveCard"' not in listing  # the 2025 markup really is gone
    assert_matches_truth(result.items, truth)
    got, expected = by_path(result.items, site.base_url), by_path(reference.items, reference_base)
    assert len(got) == len(result.items) >= 40
    assert got.keys() == expected.keys()
    for path, item in got.items():
        for field in SAME_FIELDS:
            ours = json.dumps(item[field]).replace(site.base_url, "ORIGIN")
            theirs = json.dumps(expected[path][field]).replace(reference_base, "ORIGIN")
            assert ours == theirs, f"{mode} {path}: field {field!r} differs from the normal site"
    # The cards are in the HTML (or the app's data): no browser.
    assert no_browser(result)
    listing_pages = [e for e in served if e["path"].startswith("/tag/news-feed/")]
    assert [e["status"] for e in listing_pages] == [200, 200]
    data = [e["path"] for e in served if e["path"].startswith("/_next/data/")]
    assert len(data) == (2 if mode == "next-data-endpoint" else 0)
    # Health names the source, with a date on every card.
    source = REDESIGNS[mode]
    report = latest_report(result)
    assert report["sources"]["cards"] == {source: 2}
    assert report["coverage"]["card_date"] == 1.0
    assert report["cross_check"]["missed"] == 0
    assert report["health"]["status"] == "healthy"
    assert (
        "health notice: cards came from the known markup (markup) for only 0% of 2; mostly "
        f"from {source!r} (100%)"
    ) in result.log


def test_health_learns_the_card_source_and_flags_a_change(tmp_path: Path) -> None:
    with start_replica("--listing", "grid") as site:
        port = port_of(site.base_url)
        first = run_crawl("newsfeed", site.base_url, tmp_path, settings=PAGES)
        site.publish(3)
        second = run_crawl("newsfeed", site.base_url, tmp_path, settings=PAGES)
        report = latest_report(second)  # read now: every run writes to the same folder
    with start_replica("--port", port) as site:
        # The same publication, deterministic per seed: the state's articles all exist.
        site.publish(3)
        third = run_crawl("newsfeed", site.base_url, tmp_path, settings=PAGES)
    # First run: an unknown source is said, and learned.
    assert first.returncode == 0, first.log[-3000:]
    assert "health notice: cards came from the known markup" in first.log
    # Second run: the learned source is the norm.
    assert second.returncode == 0, second.log[-3000:]
    assert "health notice: cards" not in second.log
    assert report["health"]["baseline_runs"] == 1
    assert set(report["sources"]["cards"]) == {"headlines"}
    assert len(second.items) == 3
    # Third run: the site's markup is back, which is a change of source like any other.
    assert third.returncode == 1, third.log[-3000:]
    assert re.search(
        r"ERROR: health check source_drift failed for field cards: cards came from "
        r"'headlines' for 0% of 1 listing page \(baseline 100%\); now mostly from 'markup' "
        rf"\(100%\): the page markup changed; e\.g\. http://127\.0\.0\.1:{port}/tag/news-feed/",
        third.log,
    )
    failures = {(f["check"], f["field"]) for f in latest_report(third)["health"]["failures"]}
    assert failures == {("source_drift", "cards")}
    assert "Health check failed: source_drift (cards) in the newsfeed crawl" in health_titles(third)


def test_the_rss_cross_check_catches_a_listing_that_drops_an_article(tmp_path: Path) -> None:
    with start_replica("--hide-card") as site:
        truth = site.truth()
        hidden = [article for article in truth if "news-feed" in article["tag_slugs"]][2]
        pages = [site.get(f"/tag/news-feed/{p}").decode("utf-8") for p in ("", "page/2/")]
        rss = site.get(SITE_RSS).decode("utf-8")
        result = run_crawl("newsfeed", site.base_url, tmp_path, settings=PAGES)
    # The listing dropped its card silently (the News Feed side box still shows it); the
    # site's RSS still lists it.
    cards = {slug_of(href) for page in pages for href in CARD_LINK.findall(page)}
    assert len(cards) == 39 and hidden["slug"] not in cards
    assert f"/{hidden['slug']}/" in rss
    # The run fails loudly, naming the article...
    assert result.returncode == 1, result.log[-3000:]
    assert re.search(
        r"ERROR: health check missed_articles failed for field cards: listing extraction "
        rf"missed 1 article, e\.g\. {re.escape(hidden['url'])} ",
        result.log,
    )
    report = latest_report(result)
    assert [(f["check"], f["example_url"]) for f in report["health"]["failures"]] == [
        ("missed_articles", hidden["url"])
    ]
    assert report["cross_check"]["missed"] == 1
    assert "Health check failed: missed_articles (cards) in the newsfeed crawl" in health_titles(
        result
    )
    # ...and loses nothing: the article was fetched through the RSS, whole, and published.
    [item] = [item for item in result.items if item["url"] == hidden["url"]]
    assert_matches_truth([item], truth)
    assert item["listings"] == ["news-feed"]
    assert hidden["url"] in feed_links(result)


def test_the_site_rss_is_the_news_feeds_last_card_source(tmp_path: Path) -> None:
    with start_replica("--listing", "bare") as site:
        truth = site.truth()
        rss = feedparser.parse(site.get(SITE_RSS))
        result = run_crawl("newsfeed", site.base_url, tmp_path, settings=PAGES)
    in_feed = {e.link for e in rss.entries if "News Feed" in [t.term for t in e.tags]}
    assert len(in_feed) >= 5
    assert result.returncode == 0, result.log[-3000:]
    assert {item["url"] for item in result.items} == in_feed
    assert_matches_truth(result.items, truth)
    assert latest_report(result)["sources"]["cards"] == {"site-rss": 1}
    [said] = warnings(result, "the site's RSS stands in")
    assert f"{len(in_feed)} entries" in said
    # A page nobody could read vouches for nothing: the next run walks it in full.
    assert "walk incomplete" in result.log
    assert no_browser(result)


def test_a_site_rss_that_cannot_be_fetched_is_one_warning(
    normal: tuple[CrawlResult, str], tmp_path: Path
) -> None:
    with start_replica("--site-rss", "missing") as site:
        result = run_crawl("newsfeed", site.base_url, tmp_path, settings=PAGES)
    assert result.returncode == 0, result.log[-3000:]
    said = [line for line in result.log.splitlines() if "site's RSS" in line]
    assert len(said) == 1 and "WARNING" in said[0] and "answered HTTP 404" in said[0], said
    assert "Traceback" not in result.log
    assert len(result.items) == len(normal[0].items)
    report = latest_report(result)
    assert report["health"]["status"] == "healthy"
    assert report["cross_check"] == {"site_rss_entries": 0, "missed": 0}


@needs_chromium
def test_a_lost_data_endpoint_costs_one_browser_render_then_the_rss_stands_in(
    tmp_path: Path,
) -> None:
    options, starts = browser_probe(tmp_path)
    settings = {**PAGES, "PLAYWRIGHT_LAUNCH_OPTIONS": options}
    with start_replica("--listing", "next-data-lost") as site:
        site.reset_requests()
        result = run_crawl("newsfeed", site.base_url, tmp_path, settings=settings)
        served = site.requests()
        rss = feedparser.parse(site.get(SITE_RSS))
    assert result.stat("finish_reason") == "finished", result.log[-3000:]
    # The page, its data (gone), then the page once more, in the browser; never a loop.
    walk = [
        (entry["path"], entry["status"])
        for entry in served
        if entry["path"].startswith(("/tag/", "/_next/data/"))
    ]
    assert walk == [
        ("/tag/news-feed/", 200),
        ("/_next/data/l1st1ng-bu1ld/tag/news-feed.json", 404),
        ("/tag/news-feed/", 200),
    ]
    assert starts.read_text().splitlines() == ["started"]
    for outcome in ("requested", "rendered", "incomplete"):
        assert result.stat(f"newsmon/render/{outcome}") == 1, outcome
    # Nothing could read the page: the site's RSS gave the News Feed's cards.
    in_feed = {e.link for e in rss.entries if "News Feed" in [t.term for t in e.tags]}
    assert {item["url"] for item in result.items} == in_feed
    assert latest_report(result)["sources"]["cards"] == {"site-rss": 1}
