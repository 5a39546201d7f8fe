"""The front door for subscribers, end to end against the replica: what a reader gets.

One site for the module: the replica's 60 articles walked by `scrapy crawl newsfeed`, then
`scrapy crawl authors -a authors=martin,nobody`, `scrapy crawl archive`, and a News Feed run
after two articles were updated; feeds published for a fixed port on which `newsmon serve`
then serves them. Checked as readers see it: the index page in real Chromium, the OPML in
newsboat, every format of every feed (feedparser for RSS and Atom, the JSON Feed 1.1 rules
for JSON), filtered URLs against the replica's truth.
"""

from __future__ import annotations

import json
import re
import socket
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest

from newsmon.publish.paths import feed_paths, published_feeds
from newsmon.settings import PLAYWRIGHT_LAUNCH_OPTIONS
from tests.crawling import CrawlResult, run_crawl
from tests.feedcheck import check_atom, check_json_feed, check_rss
from tests.newsboat import Newsboat, needs_newsboat
from tests.replica.catalog import AUTHORS
from tests.replica.client import Replica, start_replica
from tests.test_serve import Server, serving

# The example, and one whose filterout has something to leave out on the replica.
NAMED = {
    "kharkiv": "filter=kharkiv&filterout=opinion",
    "drones": "filter=drone|drones&filterout=kyiv",
}
FEED_SIZE = 50


def free_port() -> int:
    """A port nobody listens on now (the feeds' self links are published for it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Site:
    """What the module's crawls left, the replica's truth, and the server over it all."""

    replica: Replica
    truth: list[dict[str, Any]]
    runs: dict[str, CrawlResult]
    output: Path
    state: Path
    server: Server

    @property
    def base(self) -> str:
        """The public address the feeds were published for (the server's)."""
        return self.server.url

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
        return self.server.request("GET", path, headers)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("front-door")
    port = free_port()
    settings = {
        "NEWSMON_FEED_BASE_URL": f"http://127.0.0.1:{port}/",
        "NEWSMON_FILTER_FEEDS": json.dumps(NAMED),
    }
    runs: dict[str, CrawlResult] = {}
    with start_replica("--articles", "60") as replica:
        runs["newsfeed"] = run_crawl("newsfeed", replica.base_url, workdir, settings=settings)
        runs["authors"] = run_crawl(
            "authors", replica.base_url, workdir, "-a", "authors=martin,nobody", settings=settings
        )
        runs["archive"] = run_crawl("archive", replica.base_url, workdir, settings=settings)
        replica.post("/__replica__/update?count=2")
        runs["update"] = run_crawl("newsfeed", replica.base_url, workdir, settings=settings)
        for name, run in runs.items():
            assert run.returncode == 0, f"{name}: {run.log[-3000:]}"
        output, state = runs["newsfeed"].output_dir, runs["newsfeed"].state_path
        args = ("--port", str(port), "-s", f"NEWSMON_STATE_PATH={state}")
        args += ("-s", f"NEWSMON_FILTER_FEEDS={json.dumps(NAMED)}")
        args += ("-s", f"NEWSMON_FEED_BASE_URL=http://127.0.0.1:{port}/")
        with serving(output, *args) as server:
            yield Site(replica, replica.truth(), runs, output, state, server)


def urls(feed: dict[str, Any]) -> list[str]:
    """The item ids of a JSON Feed document (the article URLs under the "update" policy)."""
    return [item["id"] for item in feed["items"]]


def text_of(article: dict[str, Any]) -> str:
    return "\n".join((article["title"], article["summary"], *article["body"]))


def has_words(article: dict[str, Any], words: str) -> bool:
    """Whole words, any case: the test's own reading of the rule, on the truth."""
    pattern = r"\b" + r"\s+".join(map(re.escape, words.split())) + r"\b"
    return re.search(pattern, text_of(article), re.IGNORECASE) is not None


def truth_by(site: Site, keep: Any, limit: int = FEED_SIZE) -> list[str]:
    """URLs of the truth's articles that `keep` accepts, newest first, at most `limit`."""
    return [article["url"] for article in site.truth if keep(article)][:limit]


def in_news_feed(article: dict[str, Any]) -> bool:
    return "news-feed" in article["tag_slugs"]


# --- author and archive walks ----------------------------------------------------------------


def test_the_authors_crawl_publishes_the_truths_articles_of_that_author(site: Site) -> None:
    name = AUTHORS["martin"].name  # /author/martin/: the slug is not the name
    expected = truth_by(site, lambda a: name in a["authors"])
    assert 3 <= len(expected) < len(site.truth)
    rss, atom, json_path = feed_paths(site.output, "martin", "author")
    feed = check_json_feed(json_path, self_url=f"{site.base}authors/martin.json")
    assert urls(feed) == expected
    assert feed["title"] == f"The Kyiv Independent \u2014 {name}"
    assert feed["home_page_url"] == f"{site.replica.base_url}/author/martin/"
    assert [e.id for e in check_rss(rss).entries] == expected
    assert [e.id for e in check_atom(atom).entries] == expected
    # An unknown author publishes nothing, and says so; the known one is published anyway.
    assert not list(site.output.glob("authors/nobody.*"))
    assert "unknown listing 'author/nobody'" in site.runs["authors"].log


def test_one_state_an_article_of_several_listings_is_stored_and_fetched_once(site: Site) -> None:
    name = AUTHORS["martin"].name
    by_martin = set(truth_by(site, lambda a: name in a["authors"]))
    seen_first = {item["url"] for item in site.runs["newsfeed"].items}
    assert by_martin & seen_first and by_martin - seen_first
    # The authors crawl fetched only the articles the News Feed crawl had not stored.
    assert {item["url"] for item in site.runs["authors"].items} == by_martin - seen_first
    with sqlite3.connect(f"file:{site.state}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT a.canonical_url, l.slug FROM article a JOIN article_listing l"
            " ON l.article_id = a.id"
        ).fetchall()
        stored = db.execute(
            "SELECT count(*), count(DISTINCT canonical_url) FROM article"
        ).fetchone()
    listings: dict[str, set[str]] = {}
    for url, slug in rows:
        listings.setdefault(url, set()).add(slug)
    assert stored == (len(site.truth), len(site.truth))
    for url in by_martin & seen_first:
        assert {"news-feed", "author/martin", "news-archive"} <= listings[url]
    first_versions = Counter(
        line["url"]
        for line in map(json.loads, (site.output / "articles.jsonl").read_text().splitlines())
        if line["version"] == 1
    )
    assert set(first_versions.values()) == {1}


def test_the_archive_crawl_publishes_the_newest_of_every_article(site: Site) -> None:
    feed = check_json_feed(site.output / "news-archive.json")
    assert urls(feed) == truth_by(site, lambda a: True)
    assert feed["home_page_url"] == f"{site.replica.base_url}/news-archive/"


# --- every format ---------------------------------------------------------------------------


def test_every_feed_in_every_format_has_the_same_entries(site: Site) -> None:
    feeds = published_feeds(site.output)
    assert {kind for kind, _ in feeds} == {"tag", "author", "archive", "filter"}
    for kind, slug in feeds:
        rss, atom, json_path = feed_paths(site.output, slug, kind)
        relative = rss.relative_to(site.output).as_posix()
        parsed_rss = check_rss(rss, self_url=site.base + relative)
        parsed_atom = check_atom(atom, self_url=site.base + relative.replace(".xml", ".atom"))
        document = check_json_feed(
            json_path, self_url=site.base + relative.replace(".xml", ".json")
        )
        ids = [entry.id for entry in parsed_rss.entries]
        assert ids, f"{relative} is empty"
        assert [entry.id for entry in parsed_atom.entries] == ids
        assert urls(document) == ids
        titles = [entry.title for entry in parsed_rss.entries]
        assert [entry.title for entry in parsed_atom.entries] == titles
        assert [item["title"] for item in document["items"]] == titles
        assert parsed_rss.feed.title == parsed_atom.feed.title == document["title"]


def test_co_authors_in_every_format(site: Site) -> None:
    feed = json.loads((site.output / "news-archive.json").read_bytes())
    several = [a for a in site.truth if len(a["authors"]) >= 3][:1]
    several += [a for a in site.truth if len(a["authors"]) == 2][:1]
    assert len(several) == 2
    rss = feedparser.parse(str(site.output / "news-archive.xml"))
    atom = feedparser.parse(str(site.output / "news-archive.atom"))
    for article in several:
        names = article["authors"]
        byline = ", ".join(names[:-1]) + " and " + names[-1]
        (item,) = [i for i in feed["items"] if i["id"] == article["url"]]
        assert item["authors"] == [{"name": name} for name in names]
        (entry,) = [e for e in rss.entries if e.id == article["url"]]
        assert entry.author == byline
        (entry,) = [e for e in atom.entries if e.id == article["url"]]
        assert [author.name for author in entry.authors] == names


# --- filtered feeds, served -----------------------------------------------------------------


def served_feed(site: Site, path: str) -> dict[str, Any]:
    status, headers, body = site.get(path)
    assert status == 200, (path, body[:300])
    assert headers["content-type"] == "application/feed+json; charset=utf-8"
    return json.loads(body)


@pytest.mark.parametrize(
    ("query", "base", "keep", "limit"),
    [
        ("filter=kharkiv", in_news_feed, lambda a: has_words(a, "kharkiv"), FEED_SIZE),
        ("filter=Air+Defense", in_news_feed, lambda a: has_words(a, "air defense"), FEED_SIZE),
        (
            "filter=kharkiv|odesa&filterout=drone|drones",
            in_news_feed,
            lambda a: (
                (has_words(a, "kharkiv") or has_words(a, "odesa"))
                and not (has_words(a, "drone") or has_words(a, "drones"))
            ),
            FEED_SIZE,
        ),
        ("filterout=russia&limit=7", in_news_feed, lambda a: not has_words(a, "russia"), 7),
        ("author=Andrew+Hale", in_news_feed, lambda a: "Andrew Hale" in a["authors"], FEED_SIZE),
        ("author=martin", in_news_feed, lambda a: "Martin Dvorak" in a["authors"], FEED_SIZE),
        ("tag=war&limit=4", in_news_feed, lambda a: "war" in a["tag_slugs"], 4),
        ("limit=3", in_news_feed, lambda a: True, 3),
    ],
)
def test_filtered_news_feed_is_exactly_the_matching_truth(
    site: Site, query: str, base: Any, keep: Any, limit: int
) -> None:
    expected = truth_by(site, lambda a: base(a) and keep(a), limit)
    everything = truth_by(site, base)
    assert expected and (len(expected) < len(everything) or limit < FEED_SIZE), query
    assert urls(served_feed(site, f"/newsfeed.json?{query}")) == expected


def test_filters_work_on_every_feed_and_every_format(site: Site, tmp_path: Path) -> None:
    martin = AUTHORS["martin"].name
    cases = [
        ("/news-archive", "filter=kyiv&limit=5", lambda a: has_words(a, "kyiv"), 5),
        (
            "/authors/martin",
            "filter=drones&filter=russia",
            lambda a: martin in a["authors"] and (has_words(a, "drones") or has_words(a, "russia")),
            FEED_SIZE,
        ),
        (
            "/tags/russia",
            "filterout=drones",
            lambda a: "russia" in a["tag_slugs"] and not has_words(a, "drones"),
            FEED_SIZE,
        ),
        ("/filters/drones", "author=andrew-hale", lambda a: drones(a) and hale(a), FEED_SIZE),
    ]
    for stem, query, keep, limit in cases:
        expected = truth_by(site, keep, limit)
        assert expected, stem
        for suffix, check in ((".xml", check_rss), (".atom", check_atom), (".json", None)):
            status, _, body = site.get(f"{stem}{suffix}?{query}")
            assert status == 200, (stem, body[:200])
            saved = tmp_path / f"{stem.strip('/').replace('/', '-')}{suffix}"
            saved.write_bytes(body)
            self_url = f"{site.base}{stem.lstrip('/')}{suffix}?{query}"
            if check is None:
                assert urls(check_json_feed(saved, self_url=self_url)) == expected
            else:
                ids = [entry.id for entry in check(saved, self_url=self_url).entries]
                assert ids == expected, stem + suffix
        static = json.loads((site.output / f"{stem.lstrip('/')}.json").read_bytes())
        assert len(expected) < len(static["items"]), f"{stem}?{query} filters nothing out"


def drones(article: dict[str, Any]) -> bool:
    """The named filter "drones" on the truth."""
    return (has_words(article, "drone") or has_words(article, "drones")) and not has_words(
        article, "kyiv"
    )


def hale(article: dict[str, Any]) -> bool:
    return "Andrew Hale" in article["authors"]


def test_the_named_filter_feeds_are_published_statically(site: Site) -> None:
    feed = check_json_feed(site.output / "filters" / "kharkiv.json")
    expected = truth_by(site, lambda a: has_words(a, "kharkiv") and not has_words(a, "opinion"))
    assert expected and urls(feed) == expected
    assert "kharkiv" in feed["title"] and "opinion" in feed["title"]
    feed = check_json_feed(site.output / "filters" / "drones.json")
    expected = truth_by(site, drones)
    assert 3 <= len(expected) < len(truth_by(site, lambda a: has_words(a, "drones")))
    assert urls(feed) == expected


def test_a_filtered_feed_has_validators_and_304s(site: Site) -> None:
    path = "/newsfeed.xml?filter=kharkiv&limit=5"
    status, headers, body = site.get(path)
    assert status == 200 and headers["content-type"] == "application/rss+xml; charset=utf-8"
    etag, modified = headers["etag"], headers["last-modified"]
    assert site.get(path)[1]["etag"] == etag  # same content, same tag
    assert site.get(path, {"If-None-Match": etag})[:2][0] == 304
    assert site.get(path, {"If-Modified-Since": modified})[0] == 304
    status, _, again = site.get(path, {"If-None-Match": '"older"'})
    assert status == 200 and again == body
    # Another filter is another document, with its own tag; gzip has its own too.
    assert site.get("/newsfeed.xml?filter=kharkiv&limit=4")[1]["etag"] != etag
    status, zipped, _ = site.get(path, {"Accept-Encoding": "gzip"})
    assert zipped["content-encoding"] == "gzip" and zipped["etag"] != etag
    assert site.get(path, {"Accept-Encoding": "gzip", "If-None-Match": zipped["etag"]})[0] == 304
    # The self link names the filtered feed, in a canonical order.
    links = feedparser.parse(body).feed.links
    self_link = next(link.href for link in links if link.rel == "self")
    assert self_link == f"{site.base}newsfeed.xml?filter=kharkiv&limit=5"


@pytest.mark.parametrize(
    ("path", "status", "line"),
    [
        ("/newsfeed.xml?q=kharkiv", 400, "bad query: unknown parameter 'q'"),
        ("/tags/russia.json?limit=0", 400, "limit must be a whole number from 1 to 50, not '0'"),
        ("/newsfeed.atom?limit=10&limit=2", 400, "limit is given more than once"),
        ("/newsfeed.xml?filter=%ff", 400, "the query string cannot be read"),
        ("/authors/nobody.xml?limit=1", 404, "no feed authors/nobody.xml is published here"),
        ("/tags/belarus.json?filter=x", 404, "no feed tags/belarus.json is published here"),
    ],
)
def test_a_bad_request_is_one_line_of_explanation(
    site: Site, path: str, status: int, line: str
) -> None:
    got, headers, body = site.get(path)
    assert got == status
    assert headers["content-type"] == "text/plain; charset=utf-8"
    text = body.decode()
    assert line in text and text.count("\n") == 1


def test_a_query_on_a_file_that_is_no_feed_is_ignored(site: Site) -> None:
    status, _, body = site.get("/articles.jsonl?filter=kharkiv")
    assert status == 200 and body == (site.output / "articles.jsonl").read_bytes()


# --- the OPML and newsboat ------------------------------------------------------------------


def opml_urls(site: Site) -> list[str]:
    from lxml import etree

    root = etree.parse(str(site.output / "feeds.opml")).getroot()
    assert root.tag == "opml" and root.get("version") == "2.0"
    return [outline.get("xmlUrl") for outline in root.iter("outline")]


def test_the_opml_lists_every_feed(site: Site) -> None:
    expected = [
        site.base + feed_paths(site.output, slug, kind)[0].relative_to(site.output).as_posix()
        for kind, slug in published_feeds(site.output)
    ]
    assert sorted(opml_urls(site)) == sorted([*expected, site.base + "health.xml"])


@needs_newsboat
def test_newsboat_imports_the_opml_and_reads_every_feed_with_both_co_authors(
    site: Site, tmp_path: Path
) -> None:
    reader = Newsboat(tmp_path / "newsboat", site.base + "newsfeed.xml")
    reader.urls.write_text("")
    reader.import_opml(site.output / "feeds.opml")
    imported = [line.split()[0] for line in reader.urls.read_text().splitlines() if line]
    assert sorted(imported) == sorted(opml_urls(site))
    reader.reload()
    with sqlite3.connect(reader.cache) as db:
        titles = dict(db.execute("SELECT rssurl, title FROM rss_feed").fetchall())
        guids = {row[0] for row in db.execute("SELECT guid FROM rss_item WHERE deleted = 0")}
        authors = dict(db.execute("SELECT url, author FROM rss_item").fetchall())
    # Every feed was fetched and read (newsboat keeps an article once, under one of its feeds).
    every_id = set()
    for kind, slug in published_feeds(site.output):
        rss, _, json_path = feed_paths(site.output, slug, kind)
        document = json.loads(json_path.read_bytes())
        assert titles[site.base + rss.relative_to(site.output).as_posix()] == document["title"]
        every_id |= set(urls(document))
    assert guids >= every_id
    pair = next(a for a in site.truth if len(a["authors"]) == 2)
    assert authors[pair["url"]] == " and ".join(pair["authors"])
    trio = next(a for a in site.truth if len(a["authors"]) == 3)
    names = trio["authors"]
    assert authors[trio["url"]] == f"{names[0]}, {names[1]} and {names[2]}"


# --- the index page in a real browser --------------------------------------------------------


def feed_rows_expected(site: Site) -> list[tuple[str, str, list[str]]]:
    """(title, items, format hrefs) of every published feed."""
    rows = []
    for kind, slug in published_feeds(site.output):
        paths = feed_paths(site.output, slug, kind)
        document = json.loads(paths[2].read_bytes())
        hrefs = [path.relative_to(site.output).as_posix() for path in paths]
        rows.append((document["title"], str(len(document["items"])), hrefs))
    return sorted(rows)


def read_page(page: Any) -> dict[str, Any]:
    """What a reader (and a feed finder) sees on the front page."""
    return page.evaluate(
        """() => ({
        alternates: [...document.querySelectorAll('head link[rel=alternate]')]
            .map(l => [l.type, l.getAttribute('href'), l.title]),
        feeds: [...document.querySelectorAll('tr.feed')].map(r => [
            r.querySelector('th').innerText.trim(),
            r.querySelector('td.items').innerText.trim(),
            [...r.querySelectorAll('ul.formats a')].map(a => a.getAttribute('href'))]),
        runs: [...document.querySelectorAll('tr.run')].map(r =>
            [...r.querySelectorAll('td')].map(td => td.innerText.trim())),
        bars: [...document.querySelectorAll('svg rect')]
            .map(b => [b.dataset.day, Number(b.dataset.count), b.getBBox().height]),
        status: document.querySelector('.status').innerText,
        latest: [...document.querySelectorAll('ol.latest a')].map(a => a.href),
        overflow: document.documentElement.scrollWidth > window.innerWidth,
        scripts: document.scripts.length,
        external: [...document.querySelectorAll('[src], link[rel=stylesheet]')].length,
    })"""
    )


def test_the_index_page_in_chromium_from_the_folder_and_from_serve(
    site: Site, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    expected_feeds = feed_rows_expected(site)
    expected_alternates = sorted(
        [
            [media, href, f"{title} ({label})"]
            for title, _, hrefs in expected_feeds
            for (media, label), href in zip(
                (
                    ("application/rss+xml", "RSS"),
                    ("application/atom+xml", "Atom"),
                    ("application/feed+json", "JSON Feed"),
                ),
                hrefs,
                strict=True,
            )
        ]
        + [["application/rss+xml", "health.xml", "newsmon health (RSS)"]]
    )
    published = Counter(
        datetime.fromisoformat(a["published"]).astimezone(UTC).date() for a in site.truth
    )
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**PLAYWRIGHT_LAUNCH_OPTIONS)
        try:
            for name, url, viewport in (
                ("folder", (site.output / "index.html").as_uri(), {"width": 1200, "height": 900}),
                ("served", site.base, {"width": 1200, "height": 900}),
                ("phone", site.base, {"width": 390, "height": 844}),
            ):
                page = browser.new_page(viewport=viewport)
                page.on(
                    "console",
                    lambda m, n=name: (
                        problems.append(f"{n}: {m.text}") if m.type == "error" else None
                    ),
                )
                page.on("pageerror", lambda e, n=name: problems.append(f"{n}: {e}"))
                response = page.goto(url)
                assert response is not None and response.ok
                page.screenshot(path=str(tmp_path / f"index-{name}.png"), full_page=True)
                seen = read_page(page)
                assert sorted(seen["feeds"]) == [[t, n, h] for t, n, h in expected_feeds], name
                assert sorted(seen["alternates"]) == expected_alternates, name
                assert not seen["overflow"], f"{name}: the page is wider than the screen"
                assert seen["scripts"] == 0 and seen["external"] == 0
                page.close()
        finally:
            browser.close()
    assert problems == []
    assert (tmp_path / "index-served.png").stat().st_size > 10_000
    # Health and the runs: the four crawls, newest first, the last one with its updates.
    assert seen["status"].startswith("Healthy")
    runs = seen["runs"]
    assert [row[1] for row in runs] == ["newsfeed", "archive", "authors", "newsfeed"]
    update = site.runs["update"]
    assert runs[0][2:4] == [
        str(update.stat("newsmon/items/new")),
        str(update.stat("newsmon/items/updated")),
    ]
    assert int(runs[0][3]) >= 1
    assert [row[3] for row in runs[1:]] == ["0", "0", "0"]
    assert runs[3][2] == str(len(site.runs["newsfeed"].items))
    assert all(row[5] == "ok" for row in runs)
    # The chart: 30 days, each bar the stored articles published that day (UTC).
    bars = seen["bars"]
    assert len(bars) == 30
    assert [count for _, count, _ in bars] == [
        published[date.fromisoformat(day)] for day, _, _ in bars
    ]
    assert sum(count for _, count, _ in bars) >= 50
    peak = max(count for _, count, _ in bars)
    assert all((height > 0) == (count > 0) for _, count, height in bars)
    assert max(height for _, count, height in bars if count == peak) > 0
    assert seen["latest"][0] == site.truth[0]["url"]


# --- what changes, and what does not -------------------------------------------------------


def test_served_filters_follow_the_store_and_unchanged_files_stay_put(
    replica_small: Replica, tmp_path: Path
) -> None:
    from newsmon.publish.frontdoor import write_front_door
    from newsmon.store import StateStore

    first = run_crawl("newsfeed", replica_small.base_url, tmp_path)
    assert first.returncode == 0, first.log[-3000:]
    output, state = first.output_dir, first.state_path
    opml = output / "feeds.opml"
    opml_before = (opml.read_bytes(), opml.stat().st_mtime_ns)
    path = "/newsfeed.json?limit=3"
    with serving(output, "-s", f"NEWSMON_STATE_PATH={state}") as server:
        status, headers, body = server.request("GET", path)
        assert status == 200
        etag = headers["etag"]

        # A run with nothing new: the store changed (its run history), the feed did not.
        again = run_crawl("newsfeed", replica_small.base_url, tmp_path)
        assert again.returncode == 0 and again.items == []
        assert server.request("GET", path, {"If-None-Match": etag})[0] == 304
        assert (opml.read_bytes(), opml.stat().st_mtime_ns) == opml_before
        index = output / "index.html"
        written = index.stat().st_mtime_ns
        with StateStore(state) as store:
            assert write_front_door(store, output, feed_base_url="http://localhost:8080/") == []
        assert index.stat().st_mtime_ns == written, "an unchanged front door was rewritten"

        # A new article: the filtered feed is a new document at once.
        (added,) = replica_small.publish(1)
        third = run_crawl("newsfeed", replica_small.base_url, tmp_path)
        assert third.returncode == 0 and len(third.items) == 1
        status, headers, body = server.request("GET", path, {"If-None-Match": etag})
        assert status == 200 and headers["etag"] != etag
        assert urls(json.loads(body))[0] == added["url"]
        assert len(json.loads(body)["items"]) == 3


def test_without_a_state_file_parameters_get_503_and_no_file_is_made(tmp_path: Path) -> None:
    output = tmp_path / "output"
    output.mkdir()
    (output / "newsfeed.xml").write_text("<rss/>")
    missing = tmp_path / "state" / "newsmon.sqlite3"
    with serving(output, "-s", f"NEWSMON_STATE_PATH={missing}") as server:
        status, _, body = server.request("GET", "/newsfeed.xml?limit=1")
        assert status == 503
        assert body.decode().startswith(f"the store cannot be read: no state file at {missing}")
        assert server.request("GET", "/newsfeed.xml")[2] == b"<rss/>"
        # No index.html yet: `/` is the folder's listing, as before any publish.
        status, _, body = server.request("GET", "/")
        assert status == 200 and b'href="newsfeed.xml"' in body
    assert not missing.exists() and not missing.parent.exists()


def test_the_index_page_escapes_what_the_site_wrote_and_runs_no_script(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from newsmon.items import ArticleItem
    from newsmon.publish.frontdoor import write_front_door
    from newsmon.publish.run import PublishConfig, publish
    from newsmon.store import StateStore, body_fingerprint
    from tests.test_feed_filters import settings_with

    hostile = '<script>document.title="owned"</script><img src=x onerror=alert(1)> & "quotes"'
    moment = datetime(2026, 11, 27, 10, tzinfo=UTC)
    item = ArticleItem(
        url="https://kyivindependent.com/hostile/",
        title=hostile,
        authors=["A <b>bold</b> author", "B & C"],
        published=moment,
        modified=moment,
        tags=["News Feed"],
        tag_slugs=["news-feed"],
        body="Body text.",
        listings=["news-feed"],
        crawled_at=moment,
    )
    output = tmp_path / "output"
    with StateStore(tmp_path / "state.sqlite3") as store:
        store.record(item, canonical=item.url, fingerprint=body_fingerprint(item.body), now=moment)
        config = PublishConfig.from_settings(settings_with(NEWSMON_OUTPUT_DIR=str(output)))
        publish(store, config)
        assert write_front_door(store, output, feed_base_url=config.feed_base_url) == []
    page_source = (output / "index.html").read_text()
    assert "<script" not in page_source and "<img" not in page_source and "<b>" not in page_source
    assert "&lt;script&gt;" in page_source and "&lt;img src=x onerror=alert(1)&gt;" in page_source
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**PLAYWRIGHT_LAUNCH_OPTIONS)
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto((output / "index.html").as_uri())
            assert page.title() != "owned" and dialogs == []
            shown = page.locator("ol.latest li").first.inner_text()
            assert hostile in shown and "A <b>bold</b> author and B & C" in shown
        finally:
            browser.close()
