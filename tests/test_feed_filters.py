"""Feed filters, feed file names, bylines and the JSON Feed twin, without a crawl.

What the parameters of a served feed (and NEWSMON_FILTER_FEEDS) mean is pinned here word by
word; tests/test_front_door.py checks them end to end against the replica.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree

from newsmon.config import NewsmonConfigError, tag_list
from newsmon.extract.normalize.authors import join_byline, split_byline
from newsmon.publish.filters import FeedFilter, FilterError
from newsmon.publish.paths import FeedFile, feed_file, feed_paths, published_feeds
from newsmon.publish.run import PublishConfig
from newsmon.site import listing_path
from tests.feedcheck import check_json_feed
from tests.test_publish_feeds import NEWS_FEED, make_entry, updated_entry, write


@dataclass
class Article:
    """What a filter reads of an article."""

    title: str = ""
    summary: str = ""
    body: str = ""
    authors: list[str] = field(default_factory=list)
    tag_slugs: list[str] = field(default_factory=list)
    tag_names: list[str] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)


def keeps(query: str, article: Article) -> bool:
    return FeedFilter.parse(query, max_limit=50).accepts(article)


@pytest.mark.parametrize(
    ("query", "text", "kept"),
    [
        ("filter=kharkiv", "Strikes on Kharkiv overnight", True),
        ("filter=KHARKIV", "strikes on kharkiv", True),
        ("filter=kharkiv", "Kharkiv-based volunteers", True),  # a hyphen ends a word
        ("filter=kharkiv", "Kharkiv's mayor", True),
        ("filter=kharkiv", "Kharkivska street", False),  # not a whole word
        ("filter=war", "Warsaw talks", False),
        ("filter=war", "the war goes on", True),
        ("filter=air defense", "new air\n defense systems", True),  # a phrase, any spacing
        ("filter=air defense", "air and defense", False),
        ("filter=russia's", "Russia\u2019s army", True),  # curly and straight apostrophes
        ("filter=a.b", "axb", False),  # words, not patterns
        ("filter=a.b", "see a.b here", True),
        ("filter=(drone", "a (drone strike", True),  # no regex error either
        ("filter=odesa|kharkiv", "Odesa port", True),
        ("filter=odesa&filter=kharkiv", "Kharkiv", True),
        ("filterout=opinion", "An opinion piece", False),
        ("filterout=opinion", "News", True),
        ("filter=kharkiv&filterout=opinion", "Kharkiv opinion", False),
        ("filter=", "anything", True),  # an empty field, as a form sends it, is ignored
    ],
)
def test_words_match_as_whole_words_in_any_case(query: str, text: str, kept: bool) -> None:
    assert keeps(query, Article(body=text)) is kept


def test_words_are_looked_for_in_title_summary_and_body() -> None:
    for place in ("title", "summary", "body"):
        assert keeps("filter=kyiv", Article(**{place: "In Kyiv today"}))
    assert not keeps("filter=kyiv", Article(authors=["Kyiv Desk"], tag_names=["Kyiv"]))


def test_author_by_name_slug_form_or_author_page() -> None:
    martin = Article(authors=["Martin Dvorak", "Andrew Hale"], listings=["author/martin"])
    assert keeps("author=Martin Dvorak", martin)
    assert keeps("author=martin dvorak", martin)
    assert keeps("author=andrew-hale", martin)
    assert keeps("author=martin", martin)  # the author page's slug, from the listing
    assert not keeps("author=martin", Article(authors=["Martin Dvorak"]))
    assert not keeps("author=Martin", Article(authors=["Martin Dvorak"]))
    assert keeps("author=nobody|andrew hale", martin)


def test_tag_by_slug_name_or_listing() -> None:
    article = Article(tag_slugs=["united-states"], tag_names=["United States"])
    assert keeps("tag=united-states", article)
    assert keeps("tag=United States", article)
    assert not keeps("tag=russia", article)
    assert keeps("tag=news-feed", Article(listings=["news-feed"]))
    assert not keeps("tag=news-feed&tag=war", Article())
    assert not keeps("tag=united-states&author=x", article)  # different parameters: all hold


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "q=kharkiv",
            "unknown parameter 'q': a feed takes filter, filterout, author, tag and limit",
        ),
        ("filter_author=x", "unknown parameter 'filter_author'"),
        ("limit=0", "limit must be a whole number from 1 to 50, not '0'"),
        ("limit=51", "limit must be a whole number from 1 to 50, not '51'"),
        ("limit=five", "limit must be a whole number from 1 to 50, not 'five'"),
        ("limit=-1", "limit must be a whole number from 1 to 50"),
        ("limit=\u0663", "limit must be a whole number"),  # an Arabic-Indic 3 is no limit
        ("limit=1&limit=2", "limit is given more than once"),
        ("filter=%ff", "the query string cannot be read"),
        ("kharkiv", "the query string cannot be read"),
        ("filter=" + "x" * 201, "filter is longer than 200 characters"),
        ("filter=" + "|".join("abcdefghijklmnopqrstuvwxyz"), "filter takes at most 20"),
    ],
)
def test_a_bad_query_is_one_line_of_explanation(query: str, message: str) -> None:
    with pytest.raises(FilterError) as raised:
        FeedFilter.parse(query, max_limit=50)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_query_is_canonical_and_merges() -> None:
    one = FeedFilter.parse("limit=5&tag=war&filter=a+b&filterout=c", max_limit=50)
    assert one.query() == "filter=a+b&filterout=c&tag=war&limit=5"
    assert FeedFilter.parse(one.query(), max_limit=50) == one
    merged = one.merged(FeedFilter.parse("filter=d&limit=2", max_limit=50))
    assert (merged.include, merged.exclude, merged.tags, merged.limit) == (
        ("a b", "d"),
        ("c",),
        ("war",),
        2,
    )
    assert FeedFilter.parse("limit=3", max_limit=50).selects_all


@pytest.mark.parametrize(
    ("relative", "named"),
    [
        ("newsfeed.xml", FeedFile("tag", "news-feed", "rss")),
        ("newsfeed.json", FeedFile("tag", "news-feed", "json")),
        ("tags/war.atom", FeedFile("tag", "war", "atom")),
        ("authors/martin.json", FeedFile("author", "martin", "json")),
        ("news-archive.xml", FeedFile("archive", "news-archive", "rss")),
        ("filters/kharkiv.xml", FeedFile("filter", "kharkiv", "rss")),
        ("tags/news-feed.xml", None),
        ("tags/../newsfeed.xml", None),
        ("tags/War.xml", None),
        ("articles.jsonl", None),
        ("health.xml", None),
        ("index.html", None),
        ("authors/martin.xml/x", None),
    ],
)
def test_which_feed_a_path_names(relative: str, named: FeedFile | None) -> None:
    assert feed_file(relative) == named
    if named is not None:
        paths = feed_paths(Path("/o"), named.slug, named.kind)
        assert Path("/o", relative) in paths


def test_published_feeds_are_found_by_their_rss_file(tmp_path: Path) -> None:
    for name in ("newsfeed.xml", "tags/war.xml", "tags/.war.xml.1.tmp", "authors/martin.xml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "tags" / "russia.atom").write_text("x")  # no RSS file: not a published feed
    assert published_feeds(tmp_path) == [("tag", "news-feed"), ("tag", "war"), ("author", "martin")]


@pytest.mark.parametrize(
    "names",
    [
        ["A One"],
        ["A One", "B Two"],
        ["A One", "B Two", "The Kyiv Independent news desk"],
        ["A One", "B Two", "C Three", "D Four"],
    ],
)
def test_a_joined_byline_splits_back_into_its_names(names: list[str]) -> None:
    assert split_byline(join_byline(names)) == names


def test_bylines_as_the_site_writes_them() -> None:
    assert join_byline([]) == ""
    assert join_byline(["A"]) == "A"
    assert join_byline(["A", "B"]) == "A and B"
    assert join_byline(["A", "B", "C"]) == "A, B and C"


def test_listing_paths() -> None:
    assert listing_path("russia") == "/tag/russia/"
    assert listing_path("author/martin") == "/author/martin/"
    assert listing_path("news-archive") == "/news-archive/"
    with pytest.raises(ValueError):
        listing_path("author/../x")
    with pytest.raises(NewsmonConfigError, match="the all-news archive, not a tag"):
        tag_list("war,news-archive")


def test_json_feed_is_the_rss_twin(tmp_path: Path) -> None:
    authors = ["Kateryna Hodunova", "Martin Fornusek"]
    entries = [make_entry(0, authors=authors), make_entry(1, authors=[]), updated_entry(2, 2, 2)]
    rss, _ = write(tmp_path, entries, NEWS_FEED, update_policy="reannounce")
    document = check_json_feed(
        rss.with_suffix(".json"),
        self_url="http://localhost:8080/newsfeed.json",
        site_link=NEWS_FEED.site_link,
    )
    guids = [item.findtext("guid") for item in etree.parse(str(rss)).getroot().iter("item")]
    assert [item["id"] for item in document["items"]] == guids
    assert guids[2].endswith("#v2")  # a re-announced rewrite keeps its RSS guid here too
    first, second = document["items"][0], document["items"][1]
    assert first["authors"] == [{"name": name} for name in authors]
    assert "authors" not in second
    assert first["tags"] == ["Russia", "War"]
    assert first["date_published"] == "2025-03-18T15:17:00Z"
    assert first["image"].endswith("photo-0.jpg")
    assert document["title"] == NEWS_FEED.title
    # Stable: the same entries give the same bytes (one ETag).
    again = tmp_path / "again"
    rss_again, _ = write(again, entries, NEWS_FEED, update_policy="reannounce")
    assert rss_again.with_suffix(".json").read_bytes() == rss.with_suffix(".json").read_bytes()


def settings_with(**values: object):  # type: ignore[no-untyped-def]
    from scrapy.settings import Settings

    from newsmon import settings as defaults

    settings = Settings()
    settings.setmodule(defaults)
    settings.setdict(values, priority="cmdline")
    return settings


def test_named_filters_are_read_from_json_text() -> None:
    config = PublishConfig.from_settings(
        settings_with(NEWSMON_FILTER_FEEDS=json.dumps({"kharkiv": "?filter=kharkiv&limit=5"}))
    )
    assert config.filters["kharkiv"] == FeedFilter(include=("kharkiv",), limit=5)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"Kharkiv!": "filter=x"}', "'Kharkiv!' cannot name a feed file"),
        ('{"k": "q=x"}', "NEWSMON_FILTER_FEEDS['k']: unknown parameter 'q'"),
        ('{"k": 5}', "NEWSMON_FILTER_FEEDS['k'] must be a query string"),
        ('{"k": "limit=500"}', "limit must be a whole number from 1 to 50"),
        ("filter=x", "NEWSMON_FILTER_FEEDS must be a JSON object"),
    ],
)
def test_a_bad_named_filter_is_refused(value: str, message: str) -> None:
    with pytest.raises(NewsmonConfigError) as raised:
        PublishConfig.from_settings(settings_with(NEWSMON_FILTER_FEEDS=value))
    assert message in str(raised.value)
