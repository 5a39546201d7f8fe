"""End to end: `scrapy crawl newsfeed|tags` against the replica yields the replica's truth."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.crawling import CrawlResult, run_crawl

SEED_SLUG = "trump-putin-call-going-well-white-house-official-says"
CARD_LINK = re.compile(r'class="archiveCard__link"\s+href="([^"]+)"')
COMPARED_FIELDS = (
    "url",
    "title",
    "authors",
    "published",
    "modified",
    "tags",
    "tag_slugs",
    "primary_tag",
    "summary",
    "image_url",
    "image_caption",
    "related",
)


def slug_of(url: str) -> str:
    return url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]


def walked_listing_slugs(replica: Any, prefix: str) -> set[str]:
    """Article slugs on the listing pages the crawler fetched (read straight off the HTML)."""
    slugs: set[str] = set()
    paths = {
        entry["path"]
        for entry in replica.requests()
        if entry["path"].startswith(prefix) and entry["status"] == 200
    }
    assert paths, f"the crawler fetched no listing page under {prefix}"
    for path in paths:
        with urllib.request.urlopen(replica.base_url + path) as response:
            html = response.read().decode("utf-8")
        slugs.update(slug_of(href) for href in CARD_LINK.findall(html))
    return slugs


def assert_matches_truth(items: list[dict[str, Any]], truth: list[dict[str, Any]]) -> None:
    by_url = {article["url"]: article for article in truth}
    for item in items:
        expected = by_url.get(item["url"])
        assert expected is not None, f"{item['url']}: not an article of the replica"
        for field in COMPARED_FIELDS:
            assert item[field] == expected[field], f"{item['url']}: field {field!r}"
        assert item["body"].split("\n\n") == expected["body"], f"{item['url']}: body"
        assert item["word_count"] > 0


@pytest.fixture
def newsfeed_crawl(replica: Any, tmp_path: Path) -> CrawlResult:
    replica.reset_requests()
    return run_crawl("newsfeed", replica.base_url, tmp_path, settings={"NEWSMON_MAX_PAGES": "2"})


def test_newsfeed_yields_every_article_of_the_walked_pages(
    replica: Any, newsfeed_crawl: CrawlResult
) -> None:
    result = newsfeed_crawl
    assert result.returncode == 0, result.log[-3000:]
    expected = walked_listing_slugs(replica, "/tag/news-feed/")
    got = [slug_of(item["url"]) for item in result.items]
    assert len(got) == len(set(got)), "an article was yielded twice"
    assert set(got) == expected
    assert len(expected) >= 30, "two News Feed pages should hold dozens of cards"


def test_newsfeed_items_equal_the_truth(replica: Any, newsfeed_crawl: CrawlResult) -> None:
    assert newsfeed_crawl.items
    assert_matches_truth(newsfeed_crawl.items, replica.truth())
    for item in newsfeed_crawl.items:
        assert "news-feed" in item["listings"]
        assert item["published"].endswith("+00:00")


def test_newsfeed_follows_rel_next_only_up_to_max_pages(
    replica: Any, newsfeed_crawl: CrawlResult
) -> None:
    listing_paths = {
        entry["path"] for entry in replica.requests() if entry["path"].startswith("/tag/")
    }
    assert listing_paths == {"/tag/news-feed/", "/tag/news-feed/page/2/"}


def test_crawl_is_polite_by_default_settings(replica: Any, newsfeed_crawl: CrawlResult) -> None:
    requests = replica.requests()
    assert requests[0]["path"] == "/robots.txt"
    assert all(entry["user_agent"].startswith("newsmon/") for entry in requests)
    assert all("utm_" not in entry["path"] for entry in requests), "tracking params were kept"


def test_seed_article_comes_out_with_its_facts(replica: Any, tmp_path: Path) -> None:
    result = run_crawl(
        "tags",
        replica.base_url,
        tmp_path,
        "-a",
        "tags=trump-russia",
        settings={"NEWSMON_MAX_PAGES": "50"},
    )
    assert result.returncode == 0, result.log[-3000:]
    seed = next(item for item in result.items if slug_of(item["url"]) == SEED_SLUG)
    assert seed["title"] == "Trump, Putin call 'going well,' White House official says"
    assert seed["authors"] == ["Kateryna Hodunova", "The Kyiv Independent news desk"]
    assert seed["published"] == "2025-03-18T15:17:00+00:00"
    assert seed["tags"] == [
        "News Feed",
        "United States",
        "Russia",
        "Donald Trump",
        "Vladimir Putin",
        "Trump & Russia",
    ]
    assert seed["primary_tag"] == "News Feed"
    body = seed["body"].split("\n\n")
    assert len(body) == 9
    assert body[0].startswith("U.S. President Donald Trump has been speaking")
    assert body[-1].endswith("signaled openness to the U.S. plan.")
    assert "Who is to gain more from a ceasefire" not in seed["body"]
    assert len(seed["related"]) == 1
    assert seed["image_caption"].endswith("(Mikhail Klimentyev / Sputnik / AFP / Getty Images)")
    assert_matches_truth(result.items, replica.truth())


def test_tags_spider_walks_each_tag_and_reports_an_unknown_one(
    replica: Any, tmp_path: Path
) -> None:
    replica.reset_requests()
    result = run_crawl(
        "tags",
        replica.base_url,
        tmp_path,
        "-a",
        "tags=russia,no-such-tag,united-states",
        settings={"NEWSMON_MAX_PAGES": "1"},
    )
    assert "unknown listing 'no-such-tag'" in result.log
    assert result.stat("newsmon/listings/http_404") == 1
    expected = walked_listing_slugs(replica, "/tag/russia/") | walked_listing_slugs(
        replica, "/tag/united-states/"
    )
    assert {slug_of(item["url"]) for item in result.items} == expected
    assert_matches_truth(result.items, replica.truth())
    for item in result.items:
        assert set(item["listings"]) & {"russia", "united-states"}
