"""No card, page or field can take a feed down: absurd dates, deep JSON and DOM, huge fields.

A real `scrapy crawl newsfeed` against the replica's `--faults extreme` profile (cards and
pages past every limit at the top of the News Feed), then what a subscriber gets.
"""

from __future__ import annotations

import feedparser
import pytest

from newsmon.extract.normalize.dates import parse_card_date, parse_iso, parse_visible_date
from newsmon.extract.normalize.jsondata import JsonRefused, load_json, nesting_depth
from newsmon.pipeline.limits import TITLE_MAX, cut_text, strip_format_controls
from tests.crawling import CrawlResult, run_crawl
from tests.published import check_archive, check_feeds
from tests.replica.client import Replica, start_replica
from tests.replica.extreme import EXTREME_CARDS, RLO


@pytest.fixture(scope="module")
def extreme(tmp_path_factory: pytest.TempPathFactory) -> tuple[Replica, CrawlResult]:
    """One crawl of the News Feed's first page with the extreme cards at its top."""
    workdir = tmp_path_factory.mktemp("extreme")
    with start_replica("--articles", "60", "--faults", "extreme") as replica:
        result = run_crawl(
            "newsfeed", replica.base_url, workdir, settings={"NEWSMON_MAX_PAGES": "1"}
        )
        yield replica, result


def test_a_card_with_an_absurd_date_is_read_and_the_listing_goes_on(
    extreme: tuple[Replica, CrawlResult],
) -> None:
    replica, result = extreme
    assert "Traceback" not in result.log, result.log[-3000:]
    assert "OverflowError" not in result.log and "RecursionError" not in result.log
    assert result.stats.get("newsmon/listings/pages") == 1
    entries = feedparser.parse(result.output_dir / "newsfeed.xml").entries
    published = {entry.link for entry in entries}
    # Every card of the page made it to the feed: the site's own, and the absurdly dated ones.
    in_feed = [a for a in replica.truth() if "news-feed" in a["tag_slugs"]]
    in_feed.sort(key=lambda article: article["published"], reverse=True)
    assert {article["url"] for article in in_feed[:20]} <= published
    for card in EXTREME_CARDS:
        url = replica.base_url + card.path
        if card.outcome == "published":
            assert url in published, card.path
        else:
            assert url not in published, card.path
            assert result.stats.get(card.outcome) == 1, (card.outcome, result.stats)


def test_fields_are_cut_to_their_limits_and_feeds_stay_small(
    extreme: tuple[Replica, CrawlResult],
) -> None:
    _, result = extreme
    feeds = check_feeds(result.output_dir)
    for feed in feeds:
        assert feed.stat().st_size < 1_000_000, (feed, feed.stat().st_size)
    entries = feedparser.parse(result.output_dir / "newsfeed.xml").entries
    huge = next(e for e in entries if e.link.endswith("/extreme-huge-fields/"))
    assert huge.title.startswith("A megabyte headline very")
    assert len(huge.title) <= TITLE_MAX and huge.title.endswith("\u2026")
    assert result.stats.get("newsmon/cut/title") == 1
    # The 5 MB JSON-LD block was refused before parsing, counted as a cut of the page.
    assert result.stats.get("newsmon/pages/cut/jsonld_too_large") == 1
    assert result.stats.get("newsmon/pages/cut/jsonld_too_deep") == 1
    # The app data is read only for a page whose JSON-LD and meta tags give no date, and
    # counted when refused: the page's <time> gave its date.
    assert result.stats.get("newsmon/pages/cut/next_data_too_deep") == 1
    app = next(e for e in entries if e.link.endswith("/extreme-deep-app-data/"))
    assert app.title == "App data nested a thousand deep"
    # The deep JSON-LD did not cost the article: its other sources gave every field.
    deep = next(e for e in entries if e.link.endswith("/extreme-deep-jsonld/"))
    assert deep.title == "JSON-LD nested a hundred thousand deep"
    assert "according to the ministry" in deep.content[0].value


def test_invisible_controls_leave_short_fields(extreme: tuple[Replica, CrawlResult]) -> None:
    _, result = extreme
    text = (result.output_dir / "newsfeed.xml").read_text(encoding="utf-8")
    assert RLO not in text
    records = check_archive(result.output_dir)
    bidi = next(r for r in records if r["url"].endswith("/extreme-bidi-title/"))
    assert bidi["title"] == "A headline with a right-to-left override"
    assert all(RLO not in record["title"] for record in records)


def test_a_truncated_page_is_an_unreadable_article_not_a_short_one(
    extreme: tuple[Replica, CrawlResult],
) -> None:
    replica, result = extreme
    records = check_archive(result.output_dir)
    assert not [r for r in records if r["url"].endswith("/extreme-deep-dom/")]
    assert f"article unreadable (truncated): {replica.base_url}/extreme-deep-dom/" in result.log


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:59:59-12:00",
        "0001-01-01T00:00:00+14:00",
        "Fri Dec 31 9999 23:59:59 GMT-1200 (GMT-12:00)",
        "Mon Jan 01 0001 00:00:00 GMT+1400",
    ],
)
def test_dates_outside_utc_are_no_date(text: str) -> None:
    assert parse_card_date(text) is None
    assert parse_iso(text) is None


def test_visible_dates_outside_utc_are_no_date() -> None:
    assert parse_visible_date("January 1, 0001 12:05 AM") is None
    assert parse_visible_date("March 18, 2025 5:17 PM") is not None


def test_json_is_measured_before_it_is_parsed() -> None:
    assert nesting_depth('{"a": [1, {"b": "[[[[not brackets]]]]"}]}') == 3
    with pytest.raises(JsonRefused) as deep:
        load_json("[" * 100_000 + "]" * 100_000, max_chars=10**6)
    assert deep.value.reason == "too_deep"
    with pytest.raises(JsonRefused) as large:
        load_json('"' + "x" * 100 + '"', max_chars=50)
    assert large.value.reason == "too_large"
    with pytest.raises(JsonRefused) as malformed:
        load_json('{"headline": ', max_chars=50)
    assert malformed.value.reason == "malformed"
    # Ghost's JSON-LD may hold raw control characters inside its strings: still read.
    assert load_json('{"headline": "Kyiv\tnews\x07"}', max_chars=50) == {
        "headline": "Kyiv\tnews\x07"
    }


def test_cuts_end_at_a_word_and_controls_go() -> None:
    cut = cut_text("word " * 1000, 100)
    assert len(cut) <= 100 and cut.endswith("word\u2026")
    assert strip_format_controls(f"Kyiv {RLO}news\u2066 desk\u2069") == "Kyiv news desk"
    assert (
        strip_format_controls("family \U0001f468\u200d\U0001f469")
        == "family \U0001f468\u200d\U0001f469"
    )


def test_pages_that_fail_on_their_own_content_wait_before_they_are_asked_again(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # An unreadable page and one whose every date overflows (no date: refused by validation).
    failing = {"/extreme-deep-dom/", "/extreme-date-overflow/"}
    workdir = tmp_path_factory.mktemp("waiting")
    asked: list[set[str]] = []
    results: list[CrawlResult] = []
    with start_replica("--articles", "60", "--faults", "extreme") as replica:
        for _ in range(4):
            replica.reset_requests()
            result = run_crawl(
                "newsfeed", replica.base_url, workdir, settings={"NEWSMON_MAX_PAGES": "1"}
            )
            # Exit 1 allowed: with a third of the first page extreme, health may call the
            # extraction unhealthy. The crawl itself ends normally.
            assert result.returncode in (0, 1), result.log[-3000:]
            assert result.stat("finish_reason") == "finished"
            assert "Traceback" not in result.log
            results.append(result)
            asked.append({entry["path"] for entry in replica.requests()} & failing)
    # Asked on the first run; the next run skips them (counted), the one after asks again;
    # failing once more, they now wait two runs.
    assert asked == [failing, set(), failing, set()]
    assert "extreme-deep-dom" not in results[1].log.split("Dumping Scrapy stats")[0]
    assert results[2].stat("newsmon/articles/unreadable/truncated") == 1
    assert results[2].stat("newsmon/dropped/missing_published") == 1
    # Asked again before the walk, though the listing answered 304 by then.
    assert results[2].stat("newsmon/articles/failed_retried") == 2
