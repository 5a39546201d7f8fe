"""Incremental crawls measured on the replica's request log: what a run costs the site.

Budgets from issue 6: a run with nothing new makes at most one request per monitored listing,
plus robots.txt, plus one conditional request per known article inside the revisit window;
K new articles add at most K article requests and the listing pages they pushed onto. Since
issue 17 a News Feed run also reads the site's RSS: one more request, conditional like a
listing page's.
"""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.crawling import CrawlResult, run_crawl

REVISIT_HOURS = 24
SITE_RSS = "/news-archive/rss/"
PAGE_SIZE = 20  # cards per listing page on the replica
MAX_PAGES = 3


def crawl(spider: str, replica: Any, workdir: Path, **settings: str) -> CrawlResult:
    args = ("-a", "tags=russia,united-states") if spider == "tags" else ()
    result = run_crawl(
        spider,
        replica.base_url,
        workdir,
        *args,
        settings={"NEWSMON_MAX_PAGES": str(MAX_PAGES), **settings},
    )
    assert result.returncode == 0, result.log[-3000:]
    return result


def split_requests(log: list[dict[str, Any]]) -> tuple[list, list, list]:
    """(robots.txt, listing pages, article pages) from the replica's request log."""
    robots = [entry for entry in log if entry["path"] == "/robots.txt"]
    listings = [entry for entry in log if entry["path"].startswith("/tag/")]
    articles = [
        entry
        for entry in log
        if entry not in robots and entry not in listings and entry["path"] != SITE_RSS
    ]
    return robots, listings, articles


def site_rss_requests(log: list[dict[str, Any]]) -> list[tuple[int, bool]]:
    """(status, conditional) of each request for the site's RSS."""
    return [(entry["status"], entry["if_none_match"]) for entry in log if entry["path"] == SITE_RSS]


def path_of(url: str) -> str:
    return urlsplit(url).path


def listings_of(spider: str) -> set[str]:
    return {"news-feed"} if spider == "newsfeed" else {"russia", "united-states"}


def revisit_window(stored: list[dict[str, Any]], spider: str) -> set[str]:
    """Paths of stored articles of the spider's listings inside the revisit window.

    The window is counted back from the newest stored article (or from now if earlier).
    """
    newest = max(datetime.fromisoformat(item["published"]) for item in stored)
    since = min(newest, datetime.now(UTC)) - timedelta(hours=REVISIT_HOURS)
    wanted = listings_of(spider)
    return {
        path_of(item["url"])
        for item in stored
        if datetime.fromisoformat(item["published"]) >= since
        and wanted & (set(item["listings"]) | set(item["tag_slugs"]))
    }


@pytest.mark.parametrize("spider", ["newsfeed", "tags"])
def test_nothing_new_costs_a_304_per_listing_plus_the_revisits(
    replica_small: Any, tmp_path: Path, spider: str
) -> None:
    first = crawl(spider, replica_small, tmp_path)
    assert first.items, "the first run stored nothing"
    replica_small.reset_requests()

    second = crawl(spider, replica_small, tmp_path)

    robots, listings, articles = split_requests(replica_small.requests())
    assert second.items == []
    assert len(robots) == 1
    # One conditional request per monitored listing, answered 304.
    assert sorted(entry["path"] for entry in listings) == sorted(
        f"/tag/{slug}/" for slug in listings_of(spider)
    )
    assert all(entry["status"] == 304 and entry["if_none_match"] for entry in listings)
    # Known articles: only those inside the revisit window, each once, conditionally.
    expected = revisit_window(first.items, spider)
    assert expected, "the replica should have recent articles"
    assert sorted(entry["path"] for entry in articles) == sorted(expected)
    assert all(entry["status"] == 304 and entry["if_none_match"] for entry in articles)
    assert second.stat("newsmon/revisits/not_modified") == len(expected)
    # The site's RSS: read in every News Feed run, conditionally once a walk completed.
    rss = site_rss_requests(replica_small.requests())
    assert rss == ([(304, True)] if spider == "newsfeed" else [])


@pytest.mark.parametrize("published", [25, 70])
def test_k_new_articles_cost_k_requests_and_the_pages_they_push(
    replica_small: Any, tmp_path: Path, published: int
) -> None:
    first = crawl("newsfeed", replica_small, tmp_path)
    new = replica_small.post(f"/__replica__/publish?count={published}")
    replica_small.reset_requests()

    second = crawl("newsfeed", replica_small, tmp_path)

    robots, listings, articles = split_requests(replica_small.requests())
    # Never past NEWSMON_MAX_PAGES: 70 new articles fill more pages than the walk may visit.
    newest_first = sorted(new, key=lambda article: article["published"], reverse=True)
    reachable = newest_first[: MAX_PAGES * PAGE_SIZE]
    assert {item["url"] for item in second.items} == {article["url"] for article in reachable}
    assert {item["change"] for item in second.items} == {"new"}
    assert len(robots) == 1
    pushed = math.ceil(published / PAGE_SIZE)
    assert len(listings) <= min(MAX_PAGES, 1 + pushed)
    assert all(
        "/page/" not in entry["path"] or int(entry["path"].split("/")[-2]) <= MAX_PAGES
        for entry in listings
    )
    fresh = [entry for entry in articles if not entry["if_none_match"]]
    revisits = [entry for entry in articles if entry["if_none_match"]]
    assert sorted(entry["path"] for entry in fresh) == sorted(
        path_of(article["url"]) for article in reachable
    )
    assert {entry["path"] for entry in revisits} == revisit_window(first.items, "newsfeed")
    assert len(articles) <= len(revisits) + published
    # The RSS changed with the news: read in full, with the validators of the last run.
    assert site_rss_requests(replica_small.requests()) == [(200, True)]


def test_updates_are_caught_by_conditional_revisits(replica_small: Any, tmp_path: Path) -> None:
    first = crawl("newsfeed", replica_small, tmp_path)
    in_feed = {item["url"] for item in first.items}
    # Updates first: they pick among articles published in the site's last 24 hours.
    updated = [a for a in replica_small.post("/__replica__/update?count=3") if a["url"] in in_feed]
    assert updated, "the replica updated none of the stored articles"
    published = replica_small.post("/__replica__/publish?count=5")
    replica_small.reset_requests()

    second = crawl("newsfeed", replica_small, tmp_path)

    assert {item["url"]: item["change"] for item in second.items} == {
        **{article["url"]: "updated" for article in updated},
        **{article["url"]: "new" for article in published},
    }
    for item in second.items:
        if item["change"] == "updated":
            truth = next(article for article in updated if article["url"] == item["url"])
            assert item["title"] == truth["title"]
            assert item["modified"] == truth["modified"]
            assert item["version"] == 2
    _, listings, articles = split_requests(replica_small.requests())
    assert len(listings) <= 2  # page 1 with the new cards, page 2 that they pushed onto
    fresh = {entry["path"] for entry in articles if not entry["if_none_match"]}
    assert fresh == {path_of(article["url"]) for article in published}
    revisited = [entry for entry in articles if entry["if_none_match"]]
    assert {entry["path"] for entry in revisited} == revisit_window(first.items, "newsfeed")
    changed = {path_of(article["url"]) for article in updated}
    assert {entry["path"] for entry in revisited if entry["status"] == 200} == changed
    # The new versions' validators were remembered: their next revisit is a 304 again.
    replica_small.reset_requests()
    third = crawl("newsfeed", replica_small, tmp_path)
    assert third.items == []
    _, _, articles = split_requests(replica_small.requests())
    assert articles and all(entry["status"] == 304 for entry in articles)
    assert changed <= {entry["path"] for entry in articles}


def test_a_revisited_update_names_the_listings_that_showed_it(
    replica_small: Any, tmp_path: Path
) -> None:
    """An updated version's archive line names the listings the run saw the article in."""
    first = crawl("newsfeed", replica_small, tmp_path)
    in_feed = {item["url"] for item in first.items}
    updated = [a for a in replica_small.post("/__replica__/update?count=8") if a["url"] in in_feed]
    assert updated, "the replica updated none of the stored articles"
    replica_small.post("/__replica__/publish?count=5")
    # One request at a time: page 1 of the News Feed (its cards) is read before the revisits.
    crawl("newsfeed", replica_small, tmp_path, CONCURRENT_REQUESTS="1")

    archive = tmp_path / "output" / "articles.jsonl"
    lines = [json.loads(line) for line in archive.read_text(encoding="utf-8").splitlines()]
    updates = {line["url"]: line["listings"] for line in lines if line["change"] == "updated"}
    assert set(updates) == {article["url"] for article in updated}
    # Each is on the News Feed's first page or the next: page 1 was read before its revisit.
    assert all(listings in ([], ["news-feed"]) for listings in updates.values()), updates
    assert ["news-feed"] in updates.values(), updates


def test_an_interrupted_walk_is_walked_in_full_next_time(replica: Any, tmp_path: Path) -> None:
    """A run that stops early must not let its listing pages vouch for articles it missed."""
    first = run_crawl(
        "newsfeed",
        replica.base_url,
        tmp_path,
        settings={"NEWSMON_MAX_PAGES": str(MAX_PAGES), "CLOSESPIDER_ITEMCOUNT": "5"},
    )
    assert first.stat("newsmon/items/new") >= 5
    assert "walk incomplete" in first.log
    replica.reset_requests()

    second = crawl("newsfeed", replica, tmp_path)

    _, listings, _ = split_requests(replica.requests())
    assert len(listings) == MAX_PAGES, "the walk after an interrupted one must be a full walk"
    assert not any(entry["if_none_match"] for entry in listings)
    assert second.stat("newsmon/listings/full_walks") == 1
    # Between them the two runs stored every article of the walked pages, each once.
    with sqlite3.connect(second.state_path) as db:
        stored = {row[0] for row in db.execute("SELECT canonical_url FROM article")}
    newest = sorted(
        (a for a in replica.truth() if "news-feed" in a["tag_slugs"]),
        key=lambda a: a["published"],
        reverse=True,
    )
    assert {a["url"] for a in newest[: MAX_PAGES * PAGE_SIZE]} <= stored
    urls = [item["url"] for item in first.items + second.items]
    assert len(urls) == len(set(urls)), "an article was passed on twice"
    # And the complete walk vouches again: a third run is back to one 304.
    replica.reset_requests()
    crawl("newsfeed", replica, tmp_path)
    _, listings, _ = split_requests(replica.requests())
    assert [(entry["path"], entry["status"]) for entry in listings] == [("/tag/news-feed/", 304)]


def test_a_full_walk_can_be_forced(replica_small: Any, tmp_path: Path) -> None:
    crawl("newsfeed", replica_small, tmp_path)
    replica_small.reset_requests()
    forced = crawl("newsfeed", replica_small, tmp_path, NEWSMON_FULL_WALK="True")
    _, listings, articles = split_requests(replica_small.requests())
    in_feed = sum("news-feed" in article["tag_slugs"] for article in replica_small.truth())
    assert len(listings) == min(MAX_PAGES, math.ceil(in_feed / PAGE_SIZE)) > 1
    assert not any(entry["if_none_match"] for entry in listings)
    assert forced.items == []  # known articles are still not fetched: only revisits
    assert all(entry["if_none_match"] for entry in articles)


def test_a_run_that_cannot_write_its_store_exits_1_and_loses_nothing(
    replica_small: Any, tmp_path: Path
) -> None:
    first = crawl("newsfeed", replica_small, tmp_path)
    # The store refuses new versions, as a full disk would (root ignores file permissions).
    with sqlite3.connect(first.state_path) as db:
        db.execute(
            "CREATE TRIGGER refuse_versions BEFORE INSERT ON version"
            " BEGIN SELECT RAISE(ABORT, 'simulated: database or disk is full'); END"
        )
    published = replica_small.post("/__replica__/publish?count=2")

    failed = run_crawl(
        "newsfeed", replica_small.base_url, tmp_path, settings={"NEWSMON_MAX_PAGES": "3"}
    )

    assert failed.returncode == 1, "cron must hear of a run that could not store its articles"
    assert "run failed: the state store could not be written" in failed.log
    assert "walk incomplete" in failed.log
    with sqlite3.connect(first.state_path) as db:
        db.execute("DROP TRIGGER refuse_versions")
    recovered = crawl("newsfeed", replica_small, tmp_path)
    assert {item["url"] for item in recovered.items} == {article["url"] for article in published}
