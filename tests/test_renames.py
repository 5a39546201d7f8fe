"""An article keeps its identity when the site renames it, and leaves the feeds when removed.

Real `scrapy crawl newsfeed` runs against the replica, with the site changed between runs
through its control routes (`rename`, `remove`, `restore`); then what a subscriber gets: the
feed's entries and guids, and the archive's lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import feedparser
import pytest

from tests.crawling import CrawlResult, run_crawl
from tests.published import check_archive, check_feeds
from tests.replica.client import Replica, start_replica


def crawl(replica: Replica, workdir: Path) -> CrawlResult:
    """One News Feed run on the state kept in `workdir`."""
    result = run_crawl("newsfeed", replica.base_url, workdir, settings={"NEWSMON_MAX_PAGES": "1"})
    assert result.returncode == 0, result.log[-3000:]
    assert "Traceback" not in result.log, result.log[-3000:]
    return result


def newest_in_news_feed(replica: Replica) -> dict[str, Any]:
    """The truth of the newest News Feed article (first card, inside the revisit window)."""
    return next(a for a in replica.truth() if "news-feed" in a["tag_slugs"])


def feed_entries(result: CrawlResult) -> list[Any]:
    """The News Feed's RSS entries as a feed reader reads them."""
    check_feeds(result.output_dir)
    return list(feedparser.parse(result.output_dir / "newsfeed.xml").entries)


def lines_of(result: CrawlResult, url: str) -> list[tuple[str, int]]:
    """(change, version) of the archive lines of one article, in order."""
    return [
        (r["change"], r["version"]) for r in check_archive(result.output_dir) if r["url"] == url
    ]


@pytest.mark.parametrize("post_ids", [True, False], ids=["post-ids", "no-post-ids"])
def test_a_renamed_and_edited_article_is_one_guid_with_version_2(
    post_ids: bool, tmp_path: Path
) -> None:
    args = ("--articles", "60") if post_ids else ("--articles", "60", "--no-post-ids")
    with start_replica(*args) as replica:
        crawl(replica, tmp_path)
        before = newest_in_news_feed(replica)
        renamed = replica.rename(before["slug"], edit=True)
        assert renamed["url"] != before["url"] and renamed["body"] != before["body"]
        result = crawl(replica, tmp_path)

    # The archive: the article once as new, once as updated, under the URL first stored.
    assert lines_of(result, before["url"]) == [("new", 1), ("updated", 2)]
    assert lines_of(result, renamed["url"]) == []
    update = check_archive(result.output_dir)[-1]
    assert update["url"] == before["url"] and update["change"] == "updated"
    assert renamed["body"][-1] in update["body"]
    # The feed: one entry, its guid unchanged, with the edited text.
    entries = feed_entries(result)
    same = [e for e in entries if e.id in (before["url"], renamed["url"])]
    assert len(same) == 1, [e.id for e in same]
    assert same[0].id == before["url"]
    assert renamed["body"][-1] in same[0].content[0].value
    assert len({e.id for e in entries}) == len(entries)


def test_a_renamed_article_without_an_edit_is_no_change(tmp_path: Path) -> None:
    with start_replica("--articles", "60", "--no-post-ids") as replica:
        crawl(replica, tmp_path)
        before = newest_in_news_feed(replica)
        replica.rename(before["slug"], edit=False)
        result = crawl(replica, tmp_path)
    assert lines_of(result, before["url"]) == [("new", 1)]
    ids = [e.id for e in feed_entries(result)]
    assert ids.count(before["url"]) == 1 and len(set(ids)) == len(ids)


def test_a_removed_article_leaves_the_feeds_and_comes_back_as_an_update(
    tmp_path: Path,
) -> None:
    with start_replica("--articles", "60") as replica:
        crawl(replica, tmp_path)
        gone = newest_in_news_feed(replica)
        replica.remove(gone["slug"], status=410)
        # One 410 may be a deploy: the article stays where it was.
        once = crawl(replica, tmp_path)
        assert gone["url"] in {e.id for e in feed_entries(once)}
        assert lines_of(once, gone["url"]) == [("new", 1)]
        assert once.stat("newsmon/articles/removed") == 0
        # The second revisit in a row that answers 410 removes it.
        twice = crawl(replica, tmp_path)
        assert twice.stat("newsmon/articles/removed") == 1
        assert gone["url"] not in {e.id for e in feed_entries(twice)}
        assert not any(gone["url"] in p.read_text() for p in (twice.output_dir / "tags").glob("*"))
        assert lines_of(twice, gone["url"]) == [("new", 1), ("removed", 2)]
        # Removed is removed: later runs neither ask for it nor write it again.
        replica.reset_requests()
        later = crawl(replica, tmp_path)
        assert f"/{gone['slug']}/" not in {r["path"] for r in replica.requests()}
        assert lines_of(later, gone["url"]) == [("new", 1), ("removed", 2)]
        assert "WARNING" not in "\n".join(
            line for line in later.log.splitlines() if gone["slug"] in line
        )
        # Back on the site: back in the feed, as an update.
        replica.restore(gone["slug"])
        back = crawl(replica, tmp_path)
    assert lines_of(back, gone["url"]) == [("new", 1), ("removed", 2), ("updated", 3)]
    assert gone["url"] in {e.id for e in feed_entries(back)}


def test_a_site_answering_404_for_most_articles_removes_none(tmp_path: Path) -> None:
    with start_replica("--articles", "60") as replica:
        first = crawl(replica, tmp_path)
        ids = [e.id for e in feed_entries(first)]
        # A broken deploy: every article page answers 404 (and no listing shows them).
        for article in replica.truth():
            replica.remove(article["slug"], status=404)
        runs = [
            run_crawl("newsfeed", replica.base_url, tmp_path, settings={"NEWSMON_MAX_PAGES": "1"})
            for _ in range(2)
        ]
    for result in runs:
        # The run fails (its listing lost every card: health says so); nothing is removed.
        assert result.returncode == 1 and "Traceback" not in result.log
        assert result.stat("newsmon/articles/removed") == 0
        assert result.stat("newsmon/articles/removals_held") >= 3
        assert "taken for a fault of the site, not removals; none is removed" in result.log
    assert [e.id for e in feed_entries(runs[-1])] == ids
    assert not [r for r in check_archive(runs[-1].output_dir) if r["change"] == "removed"]
