"""A hostile site (`--faults hostile`): every bad page is one log line and a counted drop.

Extra cards at the top of /tag/news-feed/ and /tag/russia/ lead to pages built to break a
crawler (tests/replica/faults.py). Both spiders walk them; the run must finish, refuse or
drop each bad page with one clear line and a counted reason, keep the pages that are only
badly dressed articles (with their text repaired and sanitised), publish valid feeds, and
request nothing outside the site: the replica's request log accounts for every download, and
the trap servers that the off-site redirects and links point at record no hit.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.crawling import CrawlResult, run_crawl
from tests.published import archive_lines, check_archive, check_feeds
from tests.replica.client import Replica, start_replica
from tests.replica.faults import HOSTILE_CARDS, PASSWD_MARKER, PLANTED_PASSWORD

# Each bad page, the stat that counts it, and words its log line must hold.
DROPPED: dict[str, tuple[str, str]] = {
    "/hostile-huge-page/": ("newsmon/refused/too_large", "over DOWNLOAD_MAXSIZE"),
    # No length announced: found over the limit while it arrives, said the same way.
    "/hostile-huge-chunked/": ("newsmon/refused/too_large", "over DOWNLOAD_MAXSIZE"),
    # Nested deeper than the parser allows: cut, so unreadable, never a short "article".
    "/hostile-malformed-html/": ("newsmon/articles/unreadable/truncated", "unreadable (truncated)"),
    "/hostile-redirect-loop/": ("newsmon/refused/redirect_loop", "redirect loop"),
    "/hostile-redirect-offsite/": ("newsmon/refused/offsite", "redirect to another site"),
    "/hostile-redirect-other-port/": ("newsmon/refused/offsite", "another port"),
    "/hostile-redirect-file/": ("newsmon/refused/scheme", "file: URL, not http(s)"),
    "/hostile-redirect-data/": ("newsmon/refused/scheme", "data: URL, not http(s)"),
    "/hostile-report.pdf": ("newsmon/refused/not_html", "of type application/pdf"),
    "/hostile-no-title/": ("newsmon/dropped/missing_title", "Dropped (missing title)"),
    "/hostile-date-1970/": ("newsmon/dropped/implausible_date", "Dropped (implausible date)"),
    "/hostile-date-2999/": ("newsmon/dropped/implausible_date", "Dropped (implausible date)"),
    "/hostile-xxe/": ("newsmon/refused/not_html", "of type application/xml"),
    "/hostile-meta-refresh/": ("newsmon/dropped/missing_body", "Dropped (missing body)"),
    "/tag/war/": ("newsmon/articles/not_article", "listing page, not an article"),
    "/hostile-missing-article/": ("newsmon/articles/http_404", "HTTP 404"),
    "/hostile-credentials/": ("newsmon/refused/credentials", "user name or password"),
}
# The drops that are the page's own doing: the tags run (on the same state, right after the
# News Feed run) does not ask for them again; they wait (see newsmon.store.failures). A 404
# of a page never stored may be a page not yet published: asked again every run.
ASKED_AGAIN = frozenset({"/hostile-missing-article/"})
WAITING = frozenset(DROPPED) - ASKED_AGAIN
# Badly dressed articles: kept, once, with what they should read.
KEPT = (
    "/hostile-wrong-charset/",
    "/hostile-broken-jsonld/",
    "/hostile-bad-tag-slug/",
    "/hostile-script-body/",
)
LOG_LINE = re.compile(r"^\S+ \S+ \[(?P<logger>[\w.]+)\] (WARNING|ERROR|CRITICAL): ")
# Run-level reports (health checks, run report) may cite a page as an example of a problem
# across the run; they are not the page's own line.
RUN_REPORTS = ("health", "report")


@dataclass
class HostileRuns:
    """The newsfeed and tags crawls of a hostile replica, and what the replica saw."""

    replica: Replica
    traps: list[str]
    newsfeed: CrawlResult
    newsfeed_requests: list[dict[str, Any]]
    tags: CrawlResult
    tags_requests: list[dict[str, Any]]
    trap_hits: list[dict[str, Any]]
    workdir: Path


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def redirect_target(replica: Replica, path: str) -> str:
    """Where the replica redirects `path` (read without following it)."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(replica.base_url + path, timeout=30)
    except urllib.error.HTTPError as answer:
        return str(answer.headers["Location"])
    raise AssertionError(f"{path} did not redirect")


def trap_hits(origin: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(origin + "/__trap__/hits.json", timeout=30) as response:
        hits: list[dict[str, Any]] = json.load(response)
    return hits


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileRuns]:
    workdir = tmp_path_factory.mktemp("hostile")
    settings = {"NEWSMON_MAX_PAGES": "1"}
    with start_replica("--articles", "60", "--faults", "hostile") as replica:
        traps = []
        for path in ("/hostile-redirect-offsite/", "/hostile-redirect-other-port/"):
            parts = urlsplit(redirect_target(replica, path))
            traps.append(f"{parts.scheme}://{parts.netloc}")
        replica.reset_requests()
        newsfeed = run_crawl("newsfeed", replica.base_url, workdir, settings=settings)
        newsfeed_requests = replica.requests()
        replica.reset_requests()
        tags = run_crawl("tags", replica.base_url, workdir, "-a", "tags=russia", settings=settings)
        tags_requests = replica.requests()
        hits = trap_hits(traps[0])
        yield HostileRuns(
            replica, traps, newsfeed, newsfeed_requests, tags, tags_requests, hits, workdir
        )


def problem_lines(log: str, url: str) -> list[str]:
    """WARNING and ERROR lines reporting the page at `url`: they end with its URL.

    Run-level lines (health checks, the summary of an incomplete listing walk) may cite a
    page as an example of a problem across the run; they are not the page's own line.
    """
    lines = []
    for line in log.splitlines():
        match = LOG_LINE.match(line)
        if not match or any(word in match["logger"] for word in RUN_REPORTS):
            continue
        if line.rstrip().endswith(url):
            lines.append(line)
    return lines


def page_url(base_url: str, path: str) -> str:
    """The URL newsmon reports for a hostile page (after its redirects, credentials hidden)."""
    if path == "/hostile-credentials/":
        return base_url.replace("://", "://***@", 1) + path
    if path == "/hostile-redirect-loop/":
        return base_url + "/hostile-redirect-loop-b/"  # the hop whose redirect closed the loop
    return base_url + path


def test_every_hostile_card_is_covered() -> None:
    paths = {
        card.href.removeprefix("{credentials}")
        for card in HOSTILE_CARDS
        if not card.href.startswith("{trap}")
    }
    assert paths == set(DROPPED) | set(KEPT)


def test_both_runs_finish_without_a_traceback(runs: HostileRuns) -> None:
    for result in (runs.newsfeed, runs.tags):
        # Exit 1 is allowed: with half of the cards hostile, the health checks (issue 8) may
        # rightly call the extraction unhealthy. The crawl itself must end normally.
        assert result.returncode in (0, 1), result.log[-3000:]
        assert result.stat("finish_reason") == "finished"
        assert "Traceback" not in result.log
        assert result.stat("newsmon/listings/pages") >= 1
        assert result.stat("newsmon/publish/feeds") >= 4
        assert result.stat("newsmon/items/new") >= 1


@pytest.mark.parametrize("path", sorted(DROPPED))
@pytest.mark.parametrize("spider", ["newsfeed", "tags"])
def test_a_bad_page_gets_one_clear_line(runs: HostileRuns, spider: str, path: str) -> None:
    result = runs.newsfeed if spider == "newsfeed" else runs.tags
    url = page_url(runs.replica.base_url, path)
    lines = problem_lines(result.log, url)
    if spider == "tags" and path in WAITING:
        # Failed in the News Feed run: it waits, neither fetched nor said again.
        assert lines == []
        assert path not in {entry["path"] for entry in runs.tags_requests}
        return
    assert len(lines) == 1, f"{url}: {len(lines)} lines: {lines}"
    assert DROPPED[path][1] in lines[0], lines[0]
    assert all(item["url"] != url for item in result.items)


@pytest.mark.parametrize("spider", ["newsfeed", "tags"])
def test_every_drop_is_counted_under_its_reason(runs: HostileRuns, spider: str) -> None:
    result = runs.newsfeed if spider == "newsfeed" else runs.tags
    fetched = DROPPED if spider == "newsfeed" else {p: DROPPED[p] for p in ASKED_AGAIN}
    expected = Counter(stat for stat, _ in fetched.values())
    counted = {stat: result.stat(stat) for stat in expected}
    assert counted == dict(expected)
    waited = len(WAITING) if spider == "tags" else 0
    assert result.stat("newsmon/articles/failed_waiting") == waited


def test_badly_dressed_articles_are_kept_once_and_repaired(runs: HostileRuns) -> None:
    lines = {line["url"]: line for line in archive_lines(runs.tags.output_dir)}
    base = runs.replica.base_url
    for path in KEPT:
        assert base + path in lines, f"{path} was not archived"
    charset = lines[base + "/hostile-wrong-charset/"]
    kyiv = "\u041a\u0438\u0457\u0432"
    assert charset["title"] == (
        f"Kyiv caf\u00e9 reopens \u2014 \u201cwe stayed\u201d says owner of {kyiv} bakery"
    )
    assert "\u00ab\u041a\u0438\u0457\u0432\u0441\u044c\u043a\u0430" in charset["body"]
    assert runs.newsfeed.stat("newsmon/repaired/charset") == 1
    assert lines[base + "/hostile-broken-jsonld/"]["title"].startswith("Rada passes budget")
    assert lines[base + "/hostile-bad-tag-slug/"]["tag_slugs"] == ["x", "news-feed"]
    script = lines[base + "/hostile-script-body/"]
    assert "Residents were asked to leave" in script["body"]
    for needle in ("<script", "onerror", "onclick", "onload", "onmouseover", "javascript:"):
        assert needle not in script["body_html"].lower(), needle


def test_nothing_outside_the_site_is_requested(runs: HostileRuns) -> None:
    assert runs.trap_hits == [], "another host was contacted"
    assert len(runs.traps) == 2 and runs.traps[0] != runs.traps[1]
    for result, requests in (
        (runs.newsfeed, runs.newsfeed_requests),
        (runs.tags, runs.tags_requests),
    ):
        # Every download Scrapy made reached the replica: none went to a file://, data: or
        # other-host URL (each would count here and be missing from the replica's log).
        assert result.stat("downloader/request_count") == len(requests)
        assert not any(
            key.startswith("downloader/exception_type_count/scrapy.exceptions.NotSupported")
            for key in result.stats
        )
        assert result.stat("newsmon/articles/offsite_link") == 1


def test_feeds_and_archive_stay_valid_and_leak_nothing(runs: HostileRuns) -> None:
    for result in (runs.newsfeed, runs.tags):
        check_feeds(result.output_dir)
        check_archive(result.output_dir)
    outputs = [p for p in runs.workdir.rglob("*") if p.is_file()]
    for path in outputs:
        content = path.read_bytes().decode("utf-8", "replace")
        assert PASSWD_MARKER not in content, path
        assert PLANTED_PASSWORD not in content, path
    for result in (runs.newsfeed, runs.tags):
        assert PLANTED_PASSWORD not in result.log
    # The "../../x" tag slug made no file, inside the output folder or above it.
    assert not list(runs.workdir.rglob("x.*"))
    assert not [p for p in runs.workdir.parent.glob("x.*")]
    assert sorted(p.name for p in (runs.tags.output_dir / "tags").iterdir()) == [
        "russia.atom",
        "russia.json",
        "russia.xml",
        "united-states.atom",
        "united-states.json",
        "united-states.xml",
    ]
