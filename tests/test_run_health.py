"""The run's outcome is part of its health: a run that could not reach the site, got none of the
articles it needed, or could not publish is unhealthy, said with its reason, never learned as
a healthy run, and announced once per incident in health.xml, which changes only when health
does.

Real `scrapy crawl` runs against the replica (or a closed port) on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import feedparser

from tests.crawling import CrawlResult, run_crawl
from tests.feedcheck import check_rss
from tests.receivers import json_receiver
from tests.replica.client import start_replica

ONE_PAGE = {"NEWSMON_MAX_PAGES": "1", "NEWSMON_RETRY_BACKOFF": "0"}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def summary(result: CrawlResult) -> str:
    return next(line for line in result.log.splitlines() if "INFO:   health: " in line)


def health_items(result: CrawlResult) -> list[Any]:
    path = result.output_dir / "health.xml"
    check_rss(path, self_url="http://localhost:8080/health.xml")
    return feedparser.parse(path.read_bytes()).entries


def stored_runs(result: CrawlResult) -> list[tuple[int, str]]:
    """(healthy, failed checks) of every stored run, oldest first."""
    with closing(sqlite3.connect(result.state_path)) as db:
        rows = db.execute("SELECT healthy, failures_json FROM health_run ORDER BY id").fetchall()
    return [(row[0], ",".join(f["check"] for f in json.loads(row[1]))) for row in rows]


def test_an_unreachable_site_is_one_incident_until_it_answers_again(tmp_path: Path) -> None:
    port = closed_port()
    dead = f"http://127.0.0.1:{port}"
    with json_receiver() as hook:
        settings = {**ONE_PAGE, "NEWSMON_NOTIFY_URLS": hook.url}
        failed = [run_crawl("newsfeed", dead, tmp_path, settings=settings) for _ in range(3)]
        health = [(tmp_path / "output" / "health.xml").read_bytes()]
        for result in failed:
            assert result.returncode == 1, result.log[-3000:]
            assert (
                "run failed: no listing page could be fetched: the site could not be reached"
                in (result.log)
            )
            assert summary(result).endswith(
                "health: FAILED: unreachable(site): no listing page could be fetched: the site "
                "could not be reached (baseline from 0 earlier healthy runs)"
            )
        [item] = health_items(failed[-1])
        assert item.title == "Health check failed: unreachable (site) in the newsfeed crawl"
        assert [alert["title"] for alert in hook.received] == [item.title]
        with start_replica("--articles", "60", "--port", str(port)) as site:
            answered = run_crawl("newsfeed", site.base_url, tmp_path, settings=settings)
    assert answered.returncode == 0, answered.log[-3000:]
    titles = [entry.title for entry in health_items(answered)]
    assert titles == ["Recovered: newsfeed crawl is healthy again", item.title]
    assert "after 3 failed runs" in health_items(answered)[0].description
    assert [alert["title"] for alert in hook.received] == [item.title, titles[0]]
    # Never learned as healthy: the failed runs are stored as failed, with their reason.
    assert stored_runs(answered) == [(0, "unreachable")] * 3 + [(1, "")]
    assert health[0] != (tmp_path / "output" / "health.xml").read_bytes()


def test_listings_without_a_single_article_fetched_are_unhealthy(tmp_path: Path) -> None:
    with start_replica("--articles", "60", "--faults", "articles-down") as site:
        result = run_crawl(
            "newsfeed", site.base_url, tmp_path, settings={**ONE_PAGE, "RETRY_TIMES": "0"}
        )
    assert result.returncode == 1, result.log[-3000:]
    reason = re.search(
        r"run failed: (the listings were read, but none of the (\d+) articles they led to "
        r"could be fetched \((\d+) HTTP 503\))$",
        result.log,
        re.MULTILINE,
    )
    assert reason, result.log[-3000:]
    assert reason.group(2) == reason.group(3)
    assert f"health: FAILED: no_articles(articles): {reason[1]} (baseline" in summary(result)
    [item] = health_items(result)
    assert item.title == "Health check failed: no_articles (articles) in the newsfeed crawl"
    assert stored_runs(result) == [(0, "no_articles")]


def test_health_xml_changes_only_when_health_does(tmp_path: Path) -> None:
    with start_replica("--articles", "60") as site:
        first = run_crawl("newsfeed", site.base_url, tmp_path, settings=ONE_PAGE)
        path = first.output_dir / "health.xml"
        before = path.read_bytes(), path.stat().st_mtime_ns
        time.sleep(1.1)  # a rewrite would carry a new lastBuildDate and modification time
        second = run_crawl("newsfeed", site.base_url, tmp_path, settings=ONE_PAGE)
        assert second.returncode == 0
        assert (path.read_bytes(), path.stat().st_mtime_ns) == before
        feed = feedparser.parse(before[0]).feed
        assert feed.updated_parsed[:3] == (1970, 1, 1), "an empty feed has never changed"
        # A failing run changes it once; the next failing one (same incident) does not.
        broken = first.output_dir / "newsfeed.xml"
        broken.unlink()
        broken.mkdir()  # the feed's place is taken: publishing fails
        third = run_crawl("newsfeed", site.base_url, tmp_path, settings=ONE_PAGE)
        failed = path.read_bytes(), path.stat().st_mtime_ns
        time.sleep(1.1)
        fourth = run_crawl("newsfeed", site.base_url, tmp_path, settings=ONE_PAGE)
        assert (path.read_bytes(), path.stat().st_mtime_ns) == failed
    for result in (third, fourth):
        assert result.returncode == 1
        assert "health: FAILED: publish(feeds): could not publish to " in summary(result)
    [item] = health_items(fourth)
    assert item.title == "Health check failed: publish (feeds) in the newsfeed crawl"
    updated = feedparser.parse(failed[0]).feed.updated_parsed
    assert updated == item.published_parsed, "lastBuildDate is the newest event's time"


def test_a_dead_alert_receiver_is_one_warning_and_never_fails_the_run(tmp_path: Path) -> None:
    dead = f"json://127.0.0.1:{closed_port()}/hook"
    with json_receiver() as hook:
        settings = {**ONE_PAGE, "NEWSMON_NOTIFY_URLS": f"{dead} {hook.url}"}
        with start_replica("--articles", "60", "--challenge", "site") as site:
            port = str(site.base_url.rsplit(":", 1)[1])
            blocked = run_crawl("newsfeed", site.base_url, tmp_path, settings=settings)
        with start_replica("--articles", "60", "--port", port) as site:
            recovered = run_crawl(
                "newsfeed",
                site.base_url,
                tmp_path,
                settings={**settings, "NEWSMON_IGNORE_BACKOFF": "True"},
            )
    assert blocked.returncode == 1
    assert recovered.returncode == 0, "a dead receiver failed a healthy run"
    for result in (blocked, recovered):
        warnings = [line for line in result.log.splitlines() if "alert not delivered" in line]
        assert len(warnings) == 1, result.log[-3000:]
        assert re.search(
            r"WARNING: alert not delivered to the JSON receiver at 127\.0\.0\.1:\d+: ", warnings[0]
        )
        assert "Traceback" not in result.log
    # The live receiver got both, whatever the dead one did.
    assert [alert["type"] for alert in hook.received] == ["failure", "success"]


def test_an_unknown_alert_url_stops_the_run_before_it_starts(tmp_path: Path) -> None:
    result = run_crawl(
        "newsfeed",
        "http://127.0.0.1:9",
        tmp_path,
        settings={"NEWSMON_NOTIFY_URLS": "json://127.0.0.1:9/ pigeon://coop/"},
    )
    assert result.returncode == 2
    assert "newsmon: NEWSMON_NOTIFY_URLS: 'pigeon://coop/' is not an apprise URL" in result.log
    assert "Spider opened" not in result.log
    assert not os.path.exists(tmp_path / "output" / "health.xml")


def test_a_lasting_incident_is_reminded_of_on_schedule(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    # Eighteen seconds stand in for a day (a run against a closed port takes a few).
    remind = {**ONE_PAGE, "NEWSMON_HEALTH_REMIND_HOURS": "0.005", "RETRY_ENABLED": "False"}
    with json_receiver() as hook:
        settings = {**remind, "NEWSMON_NOTIFY_URLS": hook.url}
        first = run_crawl("newsfeed", dead, tmp_path, settings=settings)
        time.sleep(19)
        second = run_crawl("newsfeed", dead, tmp_path, settings=settings)
        third = run_crawl("newsfeed", dead, tmp_path, settings=settings)
    assert [r.returncode for r in (first, second, third)] == [1, 1, 1]
    titles = [item.title for item in health_items(third)]
    assert titles == [
        "Still failing: unreachable (site) in the newsfeed crawl",
        "Health check failed: unreachable (site) in the newsfeed crawl",
    ]
    assert [alert["title"] for alert in hook.received] == titles[::-1]
    assert all(alert["type"] == "failure" for alert in hook.received)
