"""A listing walk asks for its next page only while few of its article requests are unfinished.

Real crawls of every tag of the replica (240 articles, listings up to 12 pages). With a bound
of 2 the walks wait for their articles again and again (their next pages are held back), and
still every article is fetched and stored once and the run ends normally; without a bound
nothing is held back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.crawling import CrawlResult, run_crawl
from tests.published import all_tag_slugs


def crawl_every_tag(replica: Any, tmp_path: Path, bound: str) -> CrawlResult:
    """`scrapy crawl tags` over every tag, every page, with this bound on each walk."""
    return run_crawl(
        "tags",
        replica.base_url,
        tmp_path,
        "-a",
        f"tags={all_tag_slugs(replica.truth())}",
        settings={"NEWSMON_MAX_PAGES": "20", "NEWSMON_WALK_MAX_OUTSTANDING": bound},
    )


def test_walks_wait_for_their_articles_and_still_reach_every_one(
    replica: Any, tmp_path: Path
) -> None:
    truth = replica.truth()
    done = crawl_every_tag(replica, tmp_path, "2")
    assert done.returncode == 0, done.log[-3000:]
    assert done.stat("newsmon/listings/held_back") > 0
    assert sorted(item["url"] for item in done.items) == sorted(a["url"] for a in truth)
    assert done.stat("newsmon/items/new") == len(truth)

    served = [entry["path"] for entry in replica.requests() if entry["method"] == "GET"]
    articles = [article["url"].removeprefix(replica.base_url) for article in truth]
    assert sorted(path for path in served if path in set(articles)) == sorted(articles)


def test_without_a_bound_the_walks_hold_nothing_back(replica: Any, tmp_path: Path) -> None:
    truth = replica.truth()
    done = crawl_every_tag(replica, tmp_path, "0")
    assert done.returncode == 0, done.log[-3000:]
    assert done.stat("newsmon/listings/held_back") == 0
    assert done.stat("newsmon/items/new") == len(truth)
