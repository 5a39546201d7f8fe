"""A site behind bot protection: challenges recognised and named, never retried, backed off from.

End to end against the replica with `--challenge` (tests/replica/challenge.py): the same site
on the same port, first as it is, then behind a Cloudflare-style challenge (403 with
`cf-mitigated: challenge`, 503, or a 200 that only its markup gives away), then as it is
again. What a user sees is asserted: exit codes, the one line that names the block, the run
summary, health.xml (one item per incident), the alerts a real SMTP server and a JSON webhook
receive, the feeds and archive while blocked, the back-off line, and every article archived
exactly once after recovery.
"""

from __future__ import annotations

import html
import json
import random
import re
import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest

from newsmon.crawl.backoff import backoff_wait
from newsmon.crawl.middlewares.challenge import PAGE_MARKS, SCAN_BYTES, UNKNOWN_CDN, recognise
from tests.crawling import CrawlResult, run_crawl
from tests.feedcheck import check_rss
from tests.receivers import json_receiver, mail_text, smtp_receiver
from tests.replica.challenge import VENDORS, challenge_page
from tests.replica.client import start_replica
from tests.test_watch import watching

SAMPLES = Path(__file__).parent / "samples"
ONE_PAGE = {"NEWSMON_MAX_PAGES": "1"}
IGNORE = {"NEWSMON_IGNORE_BACKOFF": "True"}
BLOCK_LINE = re.compile(
    r"ERROR: run failed: blocked by a bot challenge at (http://127\.0\.0\.1:\d+/\S*) "
    r"\(HTTP (\d+), ([^)]+)\)$",
    re.MULTILINE,
)


def port_of(base_url: str) -> str:
    return str(urlsplit(base_url).port)


def health_items(result: CrawlResult) -> list[Any]:
    path = result.output_dir / "health.xml"
    check_rss(path, self_url="http://localhost:8080/health.xml")
    return feedparser.parse(path.read_bytes()).entries


def archived(result: CrawlResult) -> list[str]:
    path = result.output_dir / "articles.jsonl"
    if not path.exists():
        return []
    return [json.loads(line)["url"] for line in path.read_text(encoding="utf-8").splitlines()]


def published_files(output: Path) -> dict[str, bytes]:
    """The news feeds and the archive (health.xml and the front page's run history aside)."""
    return {
        str(path.relative_to(output)): path.read_bytes()
        for path in sorted(output.rglob("*"))
        if path.is_file() and path.name not in ("health.xml", "index.html")
    }


def summary(result: CrawlResult) -> str:
    return next(line for line in result.log.splitlines() if "INFO:   health: " in line)


def report_of(result: CrawlResult) -> dict[str, Any]:
    """The run report the run's summary names."""
    path = re.search(r"INFO:   report: (\S+\.json)$", result.log, re.MULTILINE)
    assert path, result.log[-3000:]
    return json.loads(Path(path.group(1)).read_text(encoding="utf-8"))


def news_feed_urls(truth: list[dict[str, Any]], count: int = 20) -> set[str]:
    """The newest `count` articles of the News Feed (20: its first page)."""
    return set([a["url"] for a in truth if "news-feed" in a["tag_slugs"]][:count])


def expire_backoff(state: Path) -> None:
    """As if the back-off's time had passed."""
    with closing(sqlite3.connect(state)) as db:
        db.execute("UPDATE backoff SET until = '2000-01-01T00:00:00.000000+00:00'")
        db.commit()


@dataclass
class BlockedStory:
    """A healthy run, the site behind a challenge for three runs, then the site back."""

    healthy: CrawlResult
    blocked: CrawlResult
    skipped: CrawlResult
    again: CrawlResult
    recovered: CrawlResult
    port: str
    files_before: dict[str, bytes]
    files_blocked: dict[str, bytes]
    health_blocked: bytes
    index_blocked: str
    health_again: bytes
    requests_blocked: list[dict[str, Any]]
    requests_skipped: list[dict[str, Any]]
    published: list[dict[str, Any]]
    truth: list[dict[str, Any]]
    hooks: list[list[dict[str, Any]]]
    """What the JSON webhook had received after each run."""
    mails: list[list[EmailMessage]]
    """What the SMTP server had received after each run."""


def tell_blocked_story(workdir: Path) -> BlockedStory:
    hooks: list[list[dict[str, Any]]] = []
    mails: list[list[EmailMessage]] = []
    with json_receiver() as hook, smtp_receiver() as mail:
        alerts = {**ONE_PAGE, "NEWSMON_NOTIFY_URLS": f"{hook.url}, {mail.url}"}

        def received() -> None:
            hooks.append(list(hook.received))
            mails.append(list(mail.received))

        with start_replica("--articles", "60") as site:
            port = port_of(site.base_url)
            healthy = run_crawl("newsfeed", site.base_url, workdir, settings=alerts)
        received()
        files_before = published_files(healthy.output_dir)
        with start_replica("--articles", "60", "--challenge", "site", "--port", port) as site:
            published = site.publish(3)
            blocked = run_crawl("newsfeed", site.base_url, workdir, settings=alerts)
            received()
            requests_blocked = site.requests()
            files_blocked = published_files(blocked.output_dir)
            health_blocked = (blocked.output_dir / "health.xml").read_bytes()
            index_blocked = (blocked.output_dir / "index.html").read_text(encoding="utf-8")
            site.reset_requests()
            skipped = run_crawl("newsfeed", site.base_url, workdir, settings=alerts)
            received()
            requests_skipped = site.requests()
            again = run_crawl("newsfeed", site.base_url, workdir, settings={**alerts, **IGNORE})
            received()
            health_again = (again.output_dir / "health.xml").read_bytes()
        expire_backoff(again.state_path)
        with start_replica("--articles", "60", "--port", port) as site:
            # Deterministic per seed: the same three articles the blocked runs missed.
            assert [a["url"] for a in site.publish(3)] == [a["url"] for a in published]
            recovered = run_crawl("newsfeed", site.base_url, workdir, settings=alerts)
            received()
            truth = site.truth()
    return BlockedStory(
        healthy,
        blocked,
        skipped,
        again,
        recovered,
        port,
        files_before,
        files_blocked,
        health_blocked,
        index_blocked,
        health_again,
        requests_blocked,
        requests_skipped,
        published,
        truth,
        hooks,
        mails,
    )


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> BlockedStory:
    return tell_blocked_story(tmp_path_factory.mktemp("blocked"))


def test_a_challenged_run_names_the_block_once_and_exits_1(story: BlockedStory) -> None:
    assert story.healthy.returncode == 0, story.healthy.log[-3000:]
    log = story.blocked.log
    assert story.blocked.returncode == 1, log[-3000:]
    [(url, status, cdn)] = BLOCK_LINE.findall(log)
    assert url.startswith(f"http://127.0.0.1:{story.port}/")
    assert (status, cdn) == ("403", "Cloudflare")
    assert summary(story.blocked).endswith(
        f"health: FAILED: blocked(site): blocked by a bot challenge at {url} (HTTP 403, "
        "Cloudflare) (baseline from 1 earlier healthy run)"
    )
    # Said once: no line per page it kept away, and not as a listing's HTTP failure.
    assert "listing 'news-feed' failed" not in log
    assert "stale" not in log, "a blocked run must not blame the site for no news"
    assert report_of(story.blocked)["health"]["status"] == "failed"


def test_a_challenge_is_never_retried_or_solved(story: BlockedStory) -> None:
    site = [r for r in story.requests_blocked if r["path"] != "/robots.txt"]
    assert site and {r["status"] for r in site} == {403}
    paths = Counter(r["path"] for r in site)
    assert max(paths.values()) == 1, f"a challenged page was asked again: {paths}"
    assert not any("cdn-cgi" in r["path"] for r in story.requests_blocked)


def test_feeds_and_archive_stay_as_they_were_while_blocked(story: BlockedStory) -> None:
    assert story.files_blocked == story.files_before
    # The front page says so (it lists every run).
    assert "blocked(site)" in story.index_blocked and "Failing" in story.index_blocked
    archive = story.files_blocked["articles.jsonl"].decode().splitlines()
    assert not {a["url"] for a in story.published} & {json.loads(line)["url"] for line in archive}


def test_the_next_run_backs_off_in_one_line_and_exits_0(story: BlockedStory) -> None:
    assert re.search(
        r"WARNING: backing off: the next run waits until \S+ \S+ UTC \(in 10 min\) \(1 blocked "
        r"run in a row\); -s NEWSMON_IGNORE_BACKOFF=True runs anyway",
        story.blocked.log,
    )
    skipped = story.skipped
    assert skipped.returncode == 0, skipped.log[-3000:]
    lines = [line for line in skipped.log.splitlines() if line.startswith("newsmon: ")]
    assert len(lines) == 1, skipped.log[-3000:]
    assert re.fullmatch(
        rf"newsmon: backing off from http://127\.0\.0\.1:{story.port} after 1 blocked run \(the "
        r"last: blocked by a bot challenge at \S+ \(HTTP 403, Cloudflare\)\): next attempt due "
        r"at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in \d+ min\); this run does nothing "
        r"\(-s NEWSMON_IGNORE_BACKOFF=True runs anyway\)",
        lines[0],
    )
    assert story.requests_skipped == [], "a run during the back-off asked the site"
    assert "crawl newsfeed started" not in skipped.log
    assert "Traceback" not in skipped.log


def test_ignoring_the_back_off_runs_and_doubles_it(story: BlockedStory) -> None:
    again = story.again
    assert again.returncode == 1
    assert "crawl newsfeed started" in again.log
    assert re.search(r"\(in 20 min\) \(2 blocked runs in a row\)", again.log)
    # The same incident: health.xml does not change, and nobody is alerted again.
    assert story.health_again == story.health_blocked
    assert len(story.hooks[3]) == len(story.hooks[1])
    assert len(story.mails[3]) == len(story.mails[1])


def test_health_xml_has_one_item_for_the_incident_and_one_for_the_recovery(
    story: BlockedStory,
) -> None:
    [blocked] = feedparser.parse(story.health_blocked).entries
    assert blocked.title == "Health check failed: blocked (site) in the newsfeed crawl"
    assert "blocked by a bot challenge at" in blocked.description
    assert "(HTTP 403, Cloudflare)" in blocked.description
    assert blocked.link.startswith(f"http://127.0.0.1:{story.port}/")
    recovered, first = health_items(story.recovered)
    assert recovered.title == "Recovered: newsfeed crawl is healthy again"
    assert first.id == blocked.id
    # Never mixed into a news feed.
    assert "blocked" not in (story.recovered.output_dir / "newsfeed.xml").read_text()


def test_alerts_reach_the_mail_server_and_the_webhook(story: BlockedStory) -> None:
    hooks, mails = story.hooks, story.mails
    assert hooks[0] == [] and mails[0] == [], "a healthy run alerted"
    [alert] = hooks[1]
    assert alert["type"] == "failure"
    assert alert["title"] == "Health check failed: blocked (site) in the newsfeed crawl"
    assert "blocked by a bot challenge at" in alert["message"]
    report = re.search(r"Run report: (\S+\.json)", alert["message"])
    assert report and Path(report.group(1)).is_file()
    [mail] = mails[1]
    assert mail["To"] == "ops@example.com"
    text = mail_text(mail)
    assert "Health check failed: blocked (site) in the newsfeed crawl" in text
    assert "blocked by a bot challenge at" in text and report.group(1) in text
    # The back-off skipped a run, the next was the same incident: nothing more until the end.
    assert len(hooks[3]) == len(mails[3]) == 1
    recovery = hooks[4][-1]
    assert len(hooks[4]) == len(mails[4]) == 2
    assert recovery["type"] == "success"
    assert recovery["title"] == "Recovered: newsfeed crawl is healthy again"
    assert "Recovered: newsfeed crawl is healthy again" in mail_text(mails[4][-1])


def test_after_recovery_every_article_arrives_exactly_once(story: BlockedStory) -> None:
    recovered = story.recovered
    assert recovered.returncode == 0, recovered.log[-3000:]
    assert "back-off ended" in recovered.log
    lines = archived(recovered)
    assert len(lines) == len(set(lines)), "an article was archived twice"
    # The first page before the three new articles, and after them.
    assert set(lines) == news_feed_urls(story.truth, 20 + len(story.published))
    assert {a["url"] for a in story.published} <= set(lines)


def test_a_watch_started_during_the_back_off_skips_its_crawl(tmp_path: Path) -> None:
    with start_replica("--articles", "60", "--challenge", "site") as site:
        settings = {
            "DOWNLOAD_DELAY": "0",
            "AUTOTHROTTLE_ENABLED": "False",
            "NEWSMON_BASE_URL": site.base_url,
            "NEWSMON_OUTPUT_DIR": str(tmp_path / "output"),
            "NEWSMON_STATE_PATH": str(tmp_path / "state" / "newsmon.sqlite3"),
            "NEWSMON_WATCH_CRAWLS": "newsfeed",
            **ONE_PAGE,
        }
        blocked = run_crawl("newsfeed", site.base_url, tmp_path, settings=ONE_PAGE)
        assert blocked.returncode == 1
        site.reset_requests()
        with watching("--every", "1h", settings=settings) as watch:
            watch.wait_for(r"cycle 1 done in [\d.]+ s \(newsfeed: exit 0\)")
            text = watch.text
        assert site.requests() == []
    assert len(re.findall(r"newsmon: backing off from ", text)) == 1, text[-3000:]


@pytest.fixture(scope="module")
def challenged_articles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, ...]:
    """Every article behind a 503 challenge; then the site as it is."""
    workdir = tmp_path_factory.mktemp("articles")
    # Polite, as by default (two requests at a time, a pause between them; the tests' zero
    # delay lets the replica answer a dozen requests before the first answer is read): the run
    # stops after three challenges in a row.
    polite = {**ONE_PAGE, "CONCURRENT_REQUESTS_PER_DOMAIN": "2", "DOWNLOAD_DELAY": "0.2"}
    with start_replica(
        "--articles", "60", "--challenge", "articles", "--challenge-status", "503"
    ) as site:
        port = port_of(site.base_url)
        blocked = run_crawl("newsfeed", site.base_url, workdir, settings=polite)
        requests = site.requests()
    with start_replica("--articles", "60", "--port", port) as site:
        recovered = run_crawl("newsfeed", site.base_url, workdir, settings={**polite, **IGNORE})
        truth = site.truth()
    return blocked, recovered, requests, truth


def test_challenged_articles_fail_the_run_instead_of_a_quiet_empty_one(
    challenged_articles: tuple[Any, ...],
) -> None:
    blocked, _, requests, _ = challenged_articles
    assert blocked.returncode == 1, blocked.log[-3000:]
    [(_, status, cdn)] = BLOCK_LINE.findall(blocked.log)
    assert (status, cdn) == ("503", "Cloudflare")
    assert "health: FAILED: blocked(site)" in summary(blocked)
    assert "article not fetched" not in blocked.log, "one line per challenged page"
    articles = [r for r in requests if r["status"] == 503]
    assert len(articles) == len({r["path"] for r in articles}), "a 503 challenge was retried"
    # Three in a row and the host is left alone: the rest of the cards are not requested.
    stopped = re.findall(r"WARNING: stopped requesting 127\.0\.0\.1:\d+ for the rest", blocked.log)
    assert len(stopped) == 1
    report = report_of(blocked)
    assert report["blocked"]["host_stopped"] == 1
    assert report["blocked"]["skipped"] > 0
    assert len(articles) + report["blocked"]["skipped"] >= 19
    assert len(articles) <= 4, f"{len(articles)} challenged requests for one run"


def test_challenged_articles_all_arrive_once_the_site_lets_newsmon_in(
    challenged_articles: tuple[Any, ...],
) -> None:
    _, recovered, _, truth = challenged_articles
    assert recovered.returncode == 0, recovered.log[-3000:]
    lines = archived(recovered)
    assert len(lines) == len(set(lines))
    assert set(lines) == news_feed_urls(truth)


def test_a_200_challenge_on_some_articles_is_one_incident_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    with start_replica(
        "--articles", "60", "--challenge", "some-articles", "--challenge-status", "200"
    ) as site:
        port = port_of(site.base_url)
        first = run_crawl("newsfeed", site.base_url, tmp_path, settings=ONE_PAGE)
        page_one = news_feed_urls(site.truth())
    assert first.returncode == 1, first.log[-3000:]
    [(_, status, cdn)] = BLOCK_LINE.findall(first.log)
    assert (status, cdn) == ("200", "Cloudflare")
    missed = page_one - set(archived(first))
    assert len(missed) >= 2, "the mode should challenge several articles of the first page"
    assert len(health_items(first)) == 1, "one incident, however many pages it touched"
    with start_replica("--articles", "60", "--port", port) as site:
        # 25 new articles push the missed ones off the first page, the only one walked.
        site.publish(25)
        second = run_crawl("newsfeed", site.base_url, tmp_path, settings={**ONE_PAGE, **IGNORE})
        page_one_now = news_feed_urls(site.truth())
    assert second.returncode == 0, second.log[-3000:]
    assert not missed & page_one_now
    assert re.search(
        rf"fetching again {len(missed)} articles an earlier run could not store", second.log
    )
    lines = archived(second)
    assert len(lines) == len(set(lines)), "an article was archived twice"
    assert set(lines) == page_one | page_one_now
    titles = [item.title for item in health_items(second)]
    assert titles == [
        "Recovered: newsfeed crawl is healthy again",
        "Health check failed: blocked (site) in the newsfeed crawl",
    ]


@pytest.mark.parametrize(
    ("vendor", "status", "named"),
    [
        ("akamai", 403, "Akamai"),
        ("imperva", 200, "Imperva"),
        ("sucuri", 403, "Sucuri"),
        ("datadome", 403, "DataDome"),
        ("perimeterx", 403, "PerimeterX"),
    ],
)
def test_other_cdns_block_pages_are_named(
    vendor: str, status: int, named: str, tmp_path: Path
) -> None:
    with start_replica(
        "--articles",
        "60",
        "--challenge",
        "site",
        "--challenge-vendor",
        vendor,
        "--challenge-status",
        str(status),
    ) as site:
        result = run_crawl("newsfeed", site.base_url, tmp_path, settings=ONE_PAGE)
    assert result.returncode == 1, result.log[-3000:]
    [(_, said_status, cdn)] = BLOCK_LINE.findall(result.log)
    assert (said_status, cdn) == (str(status), named)


def test_a_run_of_bare_403s_is_a_block_too(tmp_path: Path) -> None:
    with start_replica(
        "--articles", "60", "--challenge", "articles", "--challenge-vendor", "plain"
    ) as site:
        result = run_crawl("newsfeed", site.base_url, tmp_path, settings=ONE_PAGE)
    assert result.returncode == 1
    assert re.search(
        r"ERROR: run failed: blocked at http://\S+ \(HTTP 403, CDN unknown\): 3 requests in a "
        r"row refused",
        result.log,
    )
    assert "health: FAILED: blocked(site)" in summary(result)


def test_the_site_s_retry_after_sets_the_back_off(tmp_path: Path) -> None:
    with start_replica(
        "--articles", "60", "--challenge", "site", "--challenge-retry-after", "1800"
    ) as site:
        result = run_crawl("newsfeed", site.base_url, tmp_path, settings=ONE_PAGE)
    assert result.returncode == 1
    assert re.search(r"\(in 30 min\) \(1 blocked run in a row, Retry-After 1800 s\)", result.log)


# --- the pieces, on their own -------------------------------------------------------------


def test_the_back_off_doubles_from_ten_minutes_up_to_six_hours() -> None:
    minutes = [backoff_wait(runs, None) / timedelta(minutes=1) for runs in range(1, 8)]
    assert minutes == [10, 20, 40, 80, 160, 320, 360]
    assert backoff_wait(1, 1800) == timedelta(minutes=30)
    assert backoff_wait(4, 1800) == timedelta(minutes=80)
    assert backoff_wait(1, 3 * 86400) == timedelta(hours=6)


def headers_of(raw: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in raw.items()}


@pytest.mark.parametrize("vendor", [v for v in VENDORS if v != "plain"])
@pytest.mark.parametrize("status", [403, 503, 200])
def test_each_vendor_s_page_is_recognised_whatever_its_status(vendor: str, status: int) -> None:
    body, headers = challenge_page(vendor, "kyivindependent.com", "/some-article/", status)
    named = recognise(status, headers_of(headers), body)
    assert named is not None and named.lower() == vendor


def test_the_cf_mitigated_header_alone_is_a_challenge() -> None:
    assert recognise(403, {"cf-mitigated": "challenge"}, b"") == "Cloudflare"


def real_page_behind_cloudflare() -> bytes:
    """A real article page as Cloudflare serves it to a browser that passed: with its
    JavaScript-detection snippet, which loads from /cdn-cgi/challenge-platform/ too."""
    page = (SAMPLES / "seed-article-2025.html").read_text(encoding="utf-8")
    snippet = (
        "<script>(function(){function c(){var b=a.contentDocument||a.contentWindow.document;"
        "if(b){var d=b.createElement('script');d.innerHTML=\"window.__CF$cv$params={r:'8f1e2',"
        "t:'MTcwMDAwMDAwMC4wMDAwMDA='};var a=document.createElement('script');a.nonce='';"
        "a.src='/cdn-cgi/challenge-platform/h/g/scripts/jsd/4d8b4b9f3b5e/main.js';"
        "document.getElementsByTagName('head')[0].appendChild(a);\";"
        "b.getElementsByTagName('head')[0].appendChild(d)}}}})();</script>"
    )
    return page.replace("</body>", snippet + "</body>").encode()


@pytest.mark.parametrize("status", [200, 403, 503])
def test_a_real_page_is_not_a_challenge(status: int) -> None:
    headers = {"server": "cloudflare", "cf-ray": "8f1e2-KBP", "cf-cache-status": "DYNAMIC"}
    assert recognise(status, headers, real_page_behind_cloudflare()) is None
    quoting = b"<html><head><title>Moments</title></head><body><p>Just a moment... and an "
    quoting += b"Access Denied sign</p></body></html>"
    assert recognise(status, headers, quoting) is None


def test_a_cdn_is_named_by_its_headers_or_not_at_all() -> None:
    from newsmon.crawl.middlewares.challenge import cdn_of

    assert cdn_of({"server": "cloudflare"}) == "Cloudflare"
    assert cdn_of({"server": "AkamaiGHost"}) == "Akamai"
    assert cdn_of({"x-iinfo": "9-1-0 0NNN"}) == "Imperva"
    assert cdn_of({"server": "nginx"}) == UNKNOWN_CDN


def recognised_by_definition(body: bytes) -> str | None:
    """What `recognise` means for a page (no header marks): every mark of a tuple is in the
    first SCAN_BYTES of the page, entities decoded, in lower case."""
    text = html.unescape(body[:SCAN_BYTES].decode("utf-8", "replace")).lower()
    for vendor, marks in PAGE_MARKS:
        if all(mark in text for mark in marks):
            return vendor
    return None


def random_page(rng: random.Random) -> bytes:
    """Pieces of marks, whole marks in any case, entities (some spelling a mark's letters),
    the characters whose lower case is ASCII, broken UTF-8, and plain text, at random."""
    marks = [mark for _, group in PAGE_MARKS for mark in group]
    pieces: list[bytes] = []
    for _ in range(rng.randint(0, 12)):
        draw = rng.random()
        mark = rng.choice(marks)
        if draw < 0.25:
            cased = "".join(c.upper() if rng.random() < 0.5 else c for c in mark)
            pieces.append(cased.encode())
        elif draw < 0.4:
            cut = rng.randint(1, len(mark) - 1)
            pieces.append(mark[:cut].encode())
            pieces.append(rng.choice([b"&amp;", b"&#x27;", b"&#39;", b"&quot;", b"&#1;", b""]))
            pieces.append(mark[cut:].encode())
        elif draw < 0.55:
            at = rng.randrange(len(mark))
            letter = mark[at]
            spelled = rng.choice([f"&#{ord(letter)};", f"&#x{ord(letter):x};", "&lt;", "&gt;"])
            pieces.append((mark[:at] + spelled + mark[at + 1 :]).encode())
        elif draw < 0.65:
            kelvin = mark.replace("k", "\u212a").replace("i", "\u0130", 1)
            pieces.append(kelvin.encode())
        elif draw < 0.75:
            pieces.append(rng.choice([b"\xe2\x80", b"\xff", b"\xc4", b"\xe2\x84"]))
        else:
            plain = rng.choice(
                [
                    "caf\u00e9 ",
                    "\u041a\u0438\u0457\u0432 ",
                    " & ",
                    "; ",
                    "&\t",
                    "&\n",
                    "&\f",
                    "&<",
                    "&&",
                    "&;",
                    "&\r",
                    "&ampx",
                    "&#",
                    "&#x",
                    "&notit",
                    "&",
                    "&lt",
                ]
            )
            pieces.append(plain.encode())
    return b"".join(pieces)


def test_the_fast_scan_finds_exactly_what_the_definition_finds() -> None:
    rng = random.Random(20261207)
    pages = [random_page(rng) for _ in range(20_000)]
    # A mark across the scan's end is cut, whichever way the page is read.
    long_page = b"x" * (SCAN_BYTES - 10) + b"<title>Just a moment...</title>"
    pages += [long_page, b"&lt;title&gt;just a moment...&lt;/title&gt;", b"\xe2\x80\xa6"]
    found = Counter()
    for page in pages:
        expected = recognised_by_definition(page)
        assert recognise(200, {}, page) == expected, page
        found[expected] += 1
    # The random pages reach every vendor and many real pages: the comparison means something.
    assert set(found) == {None, *(vendor for vendor, _ in PAGE_MARKS)}
    assert found[None] > 2_000
