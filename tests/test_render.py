"""NEWSMON_RENDER: a browser for the pages that need one, and for no other page.

The replica's `--render client` mode serves listings without cards (a script fetches them from
`/_next/data/...json`) and some articles without their body; a real Chromium renders the
articles. The listings need no browser: the spider reads the app's data endpoint itself (one
small request instead of seconds of Chromium, issue 17). The default-mode crawl of the plain
replica must not start a browser at all: the browser is a probe script that records each
start before it runs Chromium.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request

from newsmon import settings as project_settings
from newsmon.crawl.middlewares.render import has_app_marks, missing_content
from tests.crawling import CrawlResult, run_crawl
from tests.replica.client import Replica, start_replica
from tests.replica.render import APP_SCRIPT, BUILD_ID
from tests.test_crawl import COMPARED_FIELDS, assert_matches_truth

CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK), reason="needs Debian's Chromium: apt-get install chromium"
)
# Every field but the times of the crawl itself.
SAME_FIELDS = (*COMPARED_FIELDS, "body", "body_html", "listings", "word_count")
INSTALL_LINE = "apt-get install chromium"
EMPTY_BODY = "<div class='c-content '></div>"
NEXT_DATA = re.compile(r'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>')
CARD = '<article class="js-card archiveCard"'


@dataclass
class Crawl:
    """One crawl and what the replica served for it."""

    result: CrawlResult
    requests: list[dict[str, Any]]
    browser_starts: Path


def browser_probe(folder: Path) -> tuple[str, Path]:
    """Launch options whose browser records each start in a file, then runs Chromium."""
    starts = folder / "browser-starts.log"
    script = folder / "chromium-probe"
    script.write_text(f'#!/bin/sh\necho started >> "{starts}"\nexec {CHROMIUM} "$@"\n')
    script.chmod(0o755)
    options = {**project_settings.PLAYWRIGHT_LAUNCH_OPTIONS, "executable_path": str(script)}
    return json.dumps(options), starts


def probed_crawl(replica: Replica, folder: Path, **settings: str) -> Crawl:
    """`scrapy crawl newsfeed` over two listing pages, with the probe as its browser."""
    options, starts = browser_probe(folder)
    replica.reset_requests()
    result = run_crawl(
        "newsfeed",
        replica.base_url,
        folder,
        settings={"NEWSMON_MAX_PAGES": "2", "PLAYWRIGHT_LAUNCH_OPTIONS": options, **settings},
    )
    return Crawl(result, replica.requests(), starts)


def fetch(replica: Replica, path: str) -> str:
    with urllib.request.urlopen(replica.base_url + path, timeout=30) as response:
        return response.read().decode("utf-8")


def page_counts(crawl: Crawl) -> Counter[str]:
    """How many times each page path was served (both plain and browser requests)."""
    return Counter(entry["path"] for entry in crawl.requests if entry["status"] == 200)


def by_path(items: list[dict[str, Any]], base_url: str) -> dict[str, dict[str, Any]]:
    return {item["url"].removeprefix(base_url): item for item in items}


@pytest.fixture(scope="module")
def client() -> Iterator[Replica]:
    with start_replica("--articles", "60", "--render", "client") as running:
        yield running


@pytest.fixture(scope="module")
def server() -> Iterator[Replica]:
    with start_replica("--articles", "60") as running:
        yield running


@pytest.fixture(scope="module")
def client_crawl(client: Replica, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return probed_crawl(client, tmp_path_factory.mktemp("client"))


@pytest.fixture(scope="module")
def server_crawl(server: Replica, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    return probed_crawl(server, tmp_path_factory.mktemp("server"))


# --- the replica's client-rendered mode ----------------------------------------------------


def test_client_replica_listings_leave_their_cards_to_the_app(client: Replica) -> None:
    html = fetch(client, "/tag/news-feed/page/2/")
    assert CARD not in html
    assert '<div id="__next">' in html and f'src="{APP_SCRIPT}"' in html
    assert has_app_marks(html)
    data = json.loads(fetch(client, f"/_next/data/{BUILD_ID}/tag/news-feed/page/2.json"))
    assert data["pageProps"]["cards"].count(CARD) == 20
    assert "fetch(" in fetch(client, APP_SCRIPT)
    with pytest.raises(urllib.error.HTTPError) as missing:
        fetch(client, "/_next/data/old-build/tag/news-feed.json")
    assert missing.value.code == 404


@pytest.mark.parametrize(
    ("html", "marked"),
    [
        ('<body><div id="__next"></div></body>', True),
        ('<script id="__NEXT_DATA__" type="application/json">{}</script>', True),
        ('<script src="/_next/static/chunks/main-1a2b.js" defer></script>', True),
        ("<div id='__nuxt'></div><script>window.__NUXT__={}</script>", True),
        ('<body><div id="root"></div></body>', True),
        ('<app-root ng-version="17.3.0"></app-root>', True),
        # The server-rendered site: Ghost markup and Next.js image URLs, no app.
        ('<img src="/_next/image?url=x&amp;w=1536&amp;q=75"><div id="root">text</div>', False),
        ("<article class=\"js-card archiveCard\"><div id='main'></div></article>", False),
    ],
)
def test_marks_of_a_client_rendered_app(html: str, marked: bool) -> None:
    assert has_app_marks(html) is marked


PARAGRAPH = "<p>Delegates arrived in Helsinki on Nov. 25 for the talks, officials said.</p>"


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        # The body in its own container: the browser has nothing to add.
        (f"<div class='c-content '>{PARAGRAPH}</div>", None),
        # ... even with a second, empty container further down (a placeholder, a teaser).
        (f"<div class='c-content '>{PARAGRAPH}</div><aside>{EMPTY_BODY}</aside>", None),
        # An empty container before the one read (a teaser, a standfirst): the app fills it.
        (
            f"{EMPTY_BODY}<aside><div class='c-content '>{PARAGRAPH}</div></aside>",
            "an empty body container",
        ),
        (f"{EMPTY_BODY}<div itemprop='articleBody'>{PARAGRAPH}</div>", "an empty body container"),
        # The container the app fills is empty: what the fallbacks found is not the body.
        (f"{EMPTY_BODY}<div class='post-content'>{PARAGRAPH}</div>", "an empty body container"),
        (
            f"<div itemprop='articleBody'> </div><div class='post-body'>{PARAGRAPH}</div>",
            "an empty body container",
        ),
        (EMPTY_BODY, "no body"),
    ],
)
def test_what_an_article_page_lacks_for_the_browser_to_add(body: str, missing: str | None) -> None:
    """The render check asks for the browser only when the body's container is left empty."""
    url = "https://kyivindependent.com/talks-in-helsinki/"
    html = f"<html><body><main><h1>Talks in Helsinki</h1>{body}</main></body></html>"
    response = HtmlResponse(url, body=html.encode(), encoding="utf-8")
    assert missing_content("article", response, Request(url)) == missing


# --- auto mode -----------------------------------------------------------------------------


@needs_chromium
def test_client_mode_yields_the_items_of_the_default_mode(
    client: Replica, client_crawl: Crawl, server: Replica, server_crawl: Crawl
) -> None:
    rendered, plain = client_crawl.result, server_crawl.result
    assert rendered.returncode == 0, rendered.log[-3000:]
    assert plain.returncode == 0, plain.log[-3000:]
    assert_matches_truth(rendered.items, client.truth())
    got = by_path(rendered.items, client.base_url)
    expected = by_path(plain.items, server.base_url)
    assert len(got) == len(rendered.items) >= 30
    assert got.keys() == expected.keys()
    for path, item in got.items():
        for field in SAME_FIELDS:
            ours = json.dumps(item[field]).replace(client.base_url, "ORIGIN")
            theirs = json.dumps(expected[path][field]).replace(server.base_url, "ORIGIN")
            assert ours == theirs, f"{path}: field {field!r} differs from the default mode"


@needs_chromium
def test_only_pages_that_need_it_are_rendered(client: Replica, client_crawl: Crawl) -> None:
    result, served = client_crawl.result, page_counts(client_crawl)
    listings = {"/tag/news-feed/", "/tag/news-feed/page/2/"}
    assert {path for path in served if path.startswith("/tag/")} == listings
    # Each article's plain HTML says whether its body is server-rendered, carried in the
    # __NEXT_DATA__ payload, or only fetched by the app.
    kinds: dict[str, str] = {}
    for item in result.items:
        path = item["url"].removeprefix(client.base_url)
        html = fetch(client, path)
        payload = json.loads(NEXT_DATA.search(html).group(1))["props"]["pageProps"]["post"]
        if EMPTY_BODY not in html:
            kinds[path] = "server"
        else:
            kinds[path] = "embedded" if payload.get("html") else "fetched"
    fetched = {path for path, kind in kinds.items() if kind == "fetched"}
    embedded = {path for path, kind in kinds.items() if kind == "embedded"}
    assert fetched and embedded and len(fetched | embedded) < len(kinds)

    # A listing is served once: its cards come from the app's data endpoint, which the
    # spider reads instead of starting a browser.
    assert all(served[path] == 1 for path in listings)
    assert result.stat("newsmon/listings/app_data_requested") == len(listings)
    # A rendered page is served twice: plain, then to the browser.
    twice = {path for path in kinds if served[path] == 2}
    assert all(served[path] in (1, 2) for path in kinds)
    # A body only the app fetches needs the browser; a server-rendered one never does. A
    # body in the payload needs it only where the page object cannot tell it from the rest.
    assert fetched <= twice <= fetched | embedded
    data_paths = {path for path in served if path.startswith("/_next/data/")}
    assert data_paths == {
        f"/_next/data/{BUILD_ID}{path.rstrip('/')}.json" for path in listings | fetched
    }

    renders = len(twice)
    assert result.stat("newsmon/render/needed") == renders
    assert result.stat("newsmon/render/requested") == renders
    assert result.stat("newsmon/render/rendered") == renders
    for outcome in ("unavailable", "failed", "incomplete"):
        assert result.stat(f"newsmon/render/{outcome}") == 0, outcome


@needs_chromium
def test_the_browser_is_bounded_and_cleaned_up(client_crawl: Crawl) -> None:
    result = client_crawl.result
    assert client_crawl.browser_starts.read_text().splitlines() == ["started"]
    assert result.stat("playwright/context_count") == 1
    assert result.stat("playwright/page_count") == result.stat("newsmon/render/rendered")
    assert result.stat("playwright/page_count/closed") == result.stat("playwright/page_count")
    assert 1 <= result.stat("playwright/page_count/max_concurrent") <= 2
    # Images are aborted in the browser: none reaches the site.
    assert result.stat("playwright/request_count/aborted") > 0
    assert not [e for e in client_crawl.requests if e["path"].startswith("/_next/image")]
    strangers = [e for e in client_crawl.requests if not e["user_agent"].startswith("newsmon/")]
    assert not strangers, "requests that do not name newsmon"
    assert "Closing browser" in result.log


def test_default_mode_renders_nothing_and_starts_no_browser(server_crawl: Crawl) -> None:
    result = server_crawl.result
    assert result.returncode == 0, result.log[-3000:]
    assert len(result.items) >= 30
    assert result.stat("newsmon/render/rendered") == 0
    assert result.stat("newsmon/render/requested") == 0
    assert not [key for key in result.stats if key.startswith("playwright/")]
    # Neither the Playwright driver nor a browser was started.
    assert "scrapy-playwright" not in result.log
    assert not server_crawl.browser_starts.exists()
    served = page_counts(server_crawl)
    assert max(served.values()) == 1
    assert not [path for path in served if path.startswith("/_next/")]


# --- without a browser, and the other modes ------------------------------------------------


@pytest.mark.parametrize("browser", ["missing", "broken"])
def test_without_a_browser_the_crawl_says_so_once(
    client: Replica, tmp_path: Path, browser: str
) -> None:
    executable = tmp_path / "chromium"
    if browser == "broken":
        executable.write_text("#!/bin/sh\necho 'cannot start' >&2\nexit 1\n")
        executable.chmod(0o755)
    options = {**project_settings.PLAYWRIGHT_LAUNCH_OPTIONS, "executable_path": str(executable)}
    result = run_crawl(
        "tags",
        client.base_url,
        tmp_path,
        "-a",
        "tags=news-feed,russia",
        settings={"NEWSMON_MAX_PAGES": "1", "PLAYWRIGHT_LAUNCH_OPTIONS": json.dumps(options)},
    )
    # The run ends normally (health checks may still call an empty run a failure: exit 1).
    assert result.stat("finish_reason") == "finished", result.log[-3000:]
    assert result.returncode != 2
    said = [line for line in result.log.splitlines() if INSTALL_LINE in line]
    assert len(said) == 1, said
    assert "ERROR" in said[0] and "no browser could be started" in said[0]
    reason = str(executable) if browser == "missing" else "BrowserType.launch"
    assert reason in said[0]
    assert "Traceback" not in result.log
    # The articles whose body only the app fetches needed the browser; none was rendered, and
    # the run went on to publish. The listings needed none: their cards are in the app's data.
    needed = result.stat("newsmon/render/needed")
    assert needed >= 1
    assert result.stat("newsmon/render/unavailable") == needed
    assert result.stat("newsmon/render/rendered") == 0
    assert result.stat("newsmon/listings/empty") == 0
    assert result.stat("newsmon/listings/app_data_requested") == 2
    assert (result.output_dir / "tags" / "russia.xml").is_file()


def test_never_mode_renders_nothing_even_when_pages_need_it(
    client: Replica, tmp_path: Path
) -> None:
    result = run_crawl(
        "newsfeed",
        client.base_url,
        tmp_path,
        settings={"NEWSMON_MAX_PAGES": "1", "NEWSMON_RENDER": "never"},
    )
    assert result.stat("finish_reason") == "finished", result.log[-3000:]
    # The listing's cards come from the app's data without a browser.
    assert result.stat("newsmon/listings/empty") == 0
    assert result.stat("newsmon/listings/app_data_requested") == 1
    truth = {article["url"]: article for article in client.truth()}
    assert result.items
    for item in result.items:
        for field in ("title", "published", "authors"):
            assert item[field] == truth[item["url"]][field], f"{item['url']}: {field}"
    assert not [key for key in result.stats if key.startswith(("newsmon/render/", "playwright/"))]
    assert "scrapy-playwright" not in result.log


@needs_chromium
def test_always_mode_sends_every_page_straight_to_the_browser(
    server: Replica, tmp_path: Path
) -> None:
    server.reset_requests()
    result = run_crawl(
        "tags",
        server.base_url,
        tmp_path,
        "-a",
        "tags=crimea",
        settings={"NEWSMON_MAX_PAGES": "1", "NEWSMON_RENDER": "always"},
    )
    assert result.returncode == 0, result.log[-3000:]
    assert len(result.items) == 4
    assert_matches_truth(result.items, server.truth())
    served = Counter(entry["path"] for entry in server.requests())
    pages = {"/tag/crimea/"} | {item["url"].removeprefix(server.base_url) for item in result.items}
    # robots.txt stays plain HTTP; every page is fetched once, by the browser.
    assert served == Counter({"/robots.txt": 1, **dict.fromkeys(pages, 1)})
    assert result.stat("newsmon/render/rendered") == len(pages) == 5
    assert result.stat("newsmon/render/needed") == 0


def test_an_unknown_render_mode_is_a_configuration_error(tmp_path: Path) -> None:
    result = run_crawl(
        "newsfeed", "http://127.0.0.1:9", tmp_path, settings={"NEWSMON_RENDER": "sometimes"}
    )
    assert result.returncode == 2
    assert "newsmon: NEWSMON_RENDER must be one of auto, always, never, not 'sometimes'" in (
        result.log
    )
