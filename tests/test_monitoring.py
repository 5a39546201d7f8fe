"""A monitor's life over several runs: dedupe, updates, feeds and archive, a real feed reader.

Every test crawls the replica over real HTTP with real `scrapy crawl` processes sharing one
state file, then looks at what users see: items passed on, feed files, JSON lines, newsboat.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest

from newsmon.schema import load_article_schema
from tests.crawling import FAST, ROOT, CrawlResult, run_crawl
from tests.feedcheck import check_atom, check_rss
from tests.newsboat import Newsboat, needs_newsboat, serving

FEED_SIZE = 50


def all_tag_slugs(truth: list[dict[str, Any]]) -> str:
    return ",".join(sorted({slug for article in truth for slug in article["tag_slugs"]}))


def crawl_everything(replica: Any, workdir: Path, **settings: str) -> CrawlResult:
    """Walk every tag listing to its end: every article of the replica is reached."""
    result = run_crawl(
        "tags",
        replica.base_url,
        workdir,
        "-a",
        f"tags={all_tag_slugs(replica.truth())}",
        settings={"NEWSMON_MAX_PAGES": "30", "NEWSMON_FEED_SIZE": str(FEED_SIZE), **settings},
    )
    assert result.returncode == 0, result.log[-3000:]
    return result


def archive_lines(result: CrawlResult) -> list[dict[str, Any]]:
    path = result.output_dir / "articles.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def newest_in(truth: list[dict[str, Any]], slug: str, count: int) -> list[str]:
    members = [article for article in truth if slug in article["tag_slugs"]]
    members.sort(key=lambda article: article["published"], reverse=True)
    return [article["url"] for article in members[:count]]


@pytest.fixture
def first_run(replica: Any, tmp_path: Path) -> CrawlResult:
    return crawl_everything(replica, tmp_path)


def test_first_run_passes_every_article_once(replica: Any, first_run: CrawlResult) -> None:
    truth = replica.truth()
    urls = [item["url"] for item in first_run.items]
    assert len(urls) == len(set(urls))
    assert set(urls) == {article["url"] for article in truth}
    assert {item["change"] for item in first_run.items} == {"new"}
    assert first_run.stat("newsmon/items/new") == len(truth)


def test_second_run_passes_nothing_on(replica: Any, first_run: CrawlResult, tmp_path: Path) -> None:
    second = crawl_everything(replica, tmp_path)
    assert second.items == []
    # Incremental (issue 6): known articles are not fetched again; the recent ones are
    # revisited conditionally, answer 304, and nothing is stored as new or updated.
    assert second.stat("newsmon/items/new") == second.stat("newsmon/items/updated") == 0
    revisits = second.stat("newsmon/revisits/requested")
    assert revisits > 0 and second.stat("newsmon/revisits/not_modified") == revisits


def test_published_and_updated_articles_pass_once_each(
    replica: Any, first_run: CrawlResult, tmp_path: Path
) -> None:
    published = replica.post("/__replica__/publish?count=5")
    updated = replica.post("/__replica__/update?count=2")
    third = crawl_everything(replica, tmp_path)
    changes = {item["url"]: item["change"] for item in third.items}
    assert changes == {
        **{article["url"]: "new" for article in published},
        **{article["url"]: "updated" for article in updated},
    }
    for item in third.items:
        if item["change"] == "updated":
            truth = next(article for article in updated if article["url"] == item["url"])
            assert item["body"].split("\n\n") == truth["body"]
            assert item["modified"] == truth["modified"]
            assert item["version"] == 2
    assert third.stat("newsmon/items/new") == 5
    assert third.stat("newsmon/items/updated") == 2


def test_one_store_for_both_spiders_and_every_url_shape(replica: Any, tmp_path: Path) -> None:
    newsfeed = run_crawl(
        "newsfeed", replica.base_url, tmp_path, settings={"NEWSMON_MAX_PAGES": "2"}
    )
    assert newsfeed.returncode == 0 and newsfeed.items
    seen = {item["url"] for item in newsfeed.items}
    tags = run_crawl(
        "tags",
        replica.base_url,
        tmp_path,
        "-a",
        "tags=russia,united-states,ukraine",
        settings={"NEWSMON_MAX_PAGES": "2"},
    )
    assert tags.returncode == 0
    assert not seen & {item["url"] for item in tags.items}, "tags re-announced newsfeed's articles"
    with sqlite3.connect(tags.state_path) as db:
        urls = [row[0] for row in db.execute("SELECT canonical_url FROM article")]
        multi_listed = db.execute(
            "SELECT COUNT(*) FROM (SELECT article_id FROM article_listing"
            " GROUP BY article_id HAVING COUNT(*) >= 2)"
        ).fetchone()[0]
    assert len(urls) == len(set(urls))
    assert all("utm_" not in url and "?" not in url for url in urls)
    assert multi_listed > 0, "no article was recorded in two listings"


def test_feeds_are_valid_and_hold_the_newest_articles(replica: Any, first_run: CrawlResult) -> None:
    truth = replica.truth()
    output = first_run.output_dir
    rss = output / "newsfeed.xml"
    check_rss(rss, self_url="http://localhost:8080/newsfeed.xml")
    check_atom(output / "newsfeed.atom", self_url="http://localhost:8080/newsfeed.atom")
    parsed = feedparser.parse(rss.read_bytes())
    assert [entry.link for entry in parsed.entries] == newest_in(truth, "news-feed", FEED_SIZE)
    for slug in ("russia", "united-states"):
        tag_feed = output / "tags" / f"{slug}.xml"
        check_rss(tag_feed)
        entries = feedparser.parse(tag_feed.read_bytes()).entries
        assert [entry.link for entry in entries] == newest_in(truth, slug, FEED_SIZE)


def test_archive_has_one_valid_line_per_new_article_and_update(
    replica: Any, first_run: CrawlResult, tmp_path: Path
) -> None:
    validator = jsonschema.Draft202012Validator(load_article_schema())
    first_lines = archive_lines(first_run)
    assert len(first_lines) == len(replica.truth())
    replica.post("/__replica__/publish?count=3")
    updated = replica.post("/__replica__/update?count=1")
    crawl_everything(replica, tmp_path)  # nothing new
    third = crawl_everything(replica, tmp_path)
    lines = archive_lines(third)
    for line in lines:
        validator.validate(line)
    keys = [(line["url"], line["version"]) for line in lines]
    assert len(keys) == len(set(keys)), "a version was written twice"
    tail = lines[len(first_lines) :]
    assert sorted(line["change"] for line in tail) == ["new", "new", "new", "updated"]
    assert [line["url"] for line in tail if line["change"] == "updated"] == [updated[0]["url"]]


@needs_newsboat
def test_newsboat_sees_each_article_once_across_runs(
    replica: Any, first_run: CrawlResult, tmp_path: Path
) -> None:
    with serving(first_run.output_dir) as base:
        reader = Newsboat(tmp_path / "newsboat", base + "newsfeed.xml")
        first_unread = reader.reload()
        assert first_unread == FEED_SIZE
        published = replica.post("/__replica__/publish?count=4")
        updated = replica.post("/__replica__/update?count=2")
        crawl_everything(replica, tmp_path)
        unread = reader.reload()
        cached = reader.items()
    guids = [guid for guid, _ in cached]
    assert len(guids) == len(set(guids))
    new_in_feed = [a for a in published if "news-feed" in a["tag_slugs"]]
    assert unread == first_unread + len(new_in_feed)
    titles = dict(cached)
    for article in updated:
        if article["url"] in titles:
            assert titles[article["url"]] == article["title"]


def test_killed_crawls_never_leave_a_broken_feed(replica: Any, tmp_path: Path) -> None:
    """SIGKILL a crawl at several moments; feeds always parse and the next run completes."""
    rng = random.Random(11)
    settings = {
        **FAST,
        "NEWSMON_BASE_URL": replica.base_url,
        "NEWSMON_OUTPUT_DIR": str(tmp_path / "output"),
        "NEWSMON_STATE_PATH": str(tmp_path / "state" / "newsmon.sqlite3"),
        "NEWSMON_MAX_PAGES": "30",
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "tags", "-a"]
    command.append(f"tags={all_tag_slugs(replica.truth())}")
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    for _ in range(4):
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(1.0, 4.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        for feed in (tmp_path / "output").rglob("*.xml"):
            check_rss(feed)
    final = crawl_everything(replica, tmp_path)
    lines = archive_lines(final)
    urls = [line["url"] for line in lines]
    assert len(urls) == len(set(urls)), "a killed run left a duplicate archive line"
    assert set(urls) == {article["url"] for article in replica.truth()}
