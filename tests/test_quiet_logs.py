"""Quiet by default, complete on demand: what `scrapy crawl` and `watch` print at INFO.

Real crawls of the replica on 127.0.0.1, their stderr read as a person would read it.
"""

from __future__ import annotations

import io
import logging
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from newsmon.run.lock import RunLock
from newsmon.run.loglevel import skip_unemitted
from tests.crawling import ROOT
from tests.replica.client import start_replica
from tests.test_watch import Lines

QUIET = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
}
SCRAPY_DUMPS = (
    "Versions:",
    "Enabled addons",
    "Enabled extensions",
    "Enabled downloader middlewares",
    "Enabled item pipelines",
    "Overridden settings",
    "Dumping Scrapy stats",
    "Spider opened",
    "Spider closed",
    "Crawled 0 pages",
)


def crawl(
    spider: str, base_url: str, workdir: Path, *args: str, **settings: str
) -> subprocess.CompletedProcess[str]:
    """`scrapy crawl` as a user types it (no -O, no verbosity): its exit code and stderr."""
    merged = {
        **QUIET,
        "NEWSMON_BASE_URL": base_url,
        "NEWSMON_OUTPUT_DIR": str(workdir / "output"),
        "NEWSMON_STATE_PATH": str(workdir / "state" / "newsmon.sqlite3"),
        **settings,
    }
    command = [sys.executable, "-m", "scrapy", "crawl", spider, *args]
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_a_crawl_says_its_start_and_its_summary_and_dumps_on_demand(
    replica_small: Any, tmp_path: Path
) -> None:
    quiet = crawl("newsfeed", replica_small.base_url, tmp_path / "quiet")
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    lines = quiet.stderr.splitlines()
    assert "INFO: crawl newsfeed started: 1 listing (news-feed)" in lines[0]
    assert "INFO:   report: " in lines[-1], "the run summary comes last"
    assert len(lines) <= 12, quiet.stderr
    for dump in (*SCRAPY_DUMPS, " article (version ", "Traceback"):
        assert dump not in quiet.stderr, dump

    verbose = crawl(
        "newsfeed", replica_small.base_url, tmp_path / "verbose", NEWSMON_VERBOSE="True"
    )
    assert verbose.returncode == 0
    for dump in ("Versions:", "Enabled extensions", "Overridden settings", "Dumping Scrapy stats"):
        assert dump in verbose.stderr, dump
    debug = crawl("newsfeed", replica_small.base_url, tmp_path / "debug", LOG_LEVEL="DEBUG")
    assert "Dumping Scrapy stats" in debug.stderr
    assert " article (version 1): " in debug.stderr
    # DEBUG records are still made when a handler emits them (newsmon.run.loglevel).
    assert "Crawled (200)" in debug.stderr and "Scraped from <200 " in debug.stderr


def test_no_record_is_built_below_every_handler_level() -> None:
    saved_level, saved_handlers = logging.root.level, list(logging.root.handlers)
    info = logging.StreamHandler(io.StringIO())
    info.setLevel(logging.INFO)
    child = logging.getLogger("newsmon.test.loglevel")
    try:
        logging.root.handlers = [info]
        logging.root.setLevel(logging.NOTSET)  # as Scrapy leaves it
        skip_unemitted()
        assert not child.isEnabledFor(logging.DEBUG) and child.isEnabledFor(logging.INFO)
        # A handler anywhere that listens lower keeps those records coming.
        debug = logging.StreamHandler(io.StringIO())
        debug.setLevel(logging.DEBUG)
        child.addHandler(debug)
        skip_unemitted()
        child.debug("kept")
        assert debug.stream.getvalue() == "kept\n"  # type: ignore[attr-defined]
        child.removeHandler(debug)
        # A logger with a level of its own (a command's console) feeds its handler itself.
        console = logging.getLogger("newsmon.test.console")
        console.setLevel(logging.INFO)
        console.addHandler(logging.StreamHandler(io.StringIO()))
        skip_unemitted()
        assert not child.isEnabledFor(logging.DEBUG)
        console.handlers.clear()
        # A logger set lower than every handler (Scrapy sets `scrapy` to DEBUG) is raised,
        # and gets its level back once a handler listens lower.
        chatty = logging.getLogger("newsmon.test.chatty")
        chatty.setLevel(logging.DEBUG)
        skip_unemitted()
        assert not chatty.isEnabledFor(logging.DEBUG) and chatty.isEnabledFor(logging.INFO)
        info.setLevel(logging.DEBUG)
        skip_unemitted()
        assert chatty.isEnabledFor(logging.DEBUG)
        chatty.setLevel(logging.NOTSET)
    finally:
        logging.root.handlers = saved_handlers
        logging.root.setLevel(saved_level)


def test_a_long_crawl_says_how_far_it_got(replica_small: Any, tmp_path: Path) -> None:
    done = crawl(
        "newsfeed",
        replica_small.base_url,
        tmp_path,
        NEWSMON_PROGRESS_INTERVAL="0.5",
        DOWNLOAD_DELAY="0.05",
        CONCURRENT_REQUESTS_PER_DOMAIN="1",
    )
    progress = re.findall(
        r"INFO: crawl newsfeed, \d+ s in: (\d+) listing pages? walked; articles (\d+) new,"
        r" (\d+) updated, (\d+) failed; \d+ articles/min",
        done.stderr,
    )
    assert len(progress) >= 2, done.stderr[-3000:]
    news = [int(new) for _, new, _, _ in progress]
    assert news == sorted(news) and news[-1] > 0
    summary = done.stderr.index("run report of newsfeed")
    assert done.stderr.rindex(" walked; articles ") < summary, "no progress after the summary"


def test_a_network_error_is_one_line_with_its_url_and_reason(tmp_path: Path) -> None:
    dead = closed_port()
    done = crawl("newsfeed", dead, tmp_path, NEWSMON_RETRY_BACKOFF="0.1")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    # One line per request that failed: robots.txt, the listing, the site's RSS.
    refused = [line for line in done.stderr.splitlines() if "refused" in line]
    assert len(refused) == 3, done.stderr
    assert sum(f"robots.txt of {dead} could not be fetched (" in line for line in refused) == 1
    assert (
        sum(f"listing 'news-feed' failed at {dead}/tag/news-feed/: " in line for line in refused)
        == 1
    )
    assert sum(f"the site's RSS {dead}/news-archive/rss/ failed: " in line for line in refused) == 1
    assert "Gave up retrying" not in done.stderr

    # Timeouts and error answers of article pages: one line each, naming the page.
    with start_replica("--articles", "60", "--faults", "flaky") as flaky:
        done = crawl(
            "newsfeed",
            flaky.base_url,
            tmp_path / "flaky",
            RETRY_ENABLED="False",
            DOWNLOAD_TIMEOUT="2",
        )
    assert "Traceback" not in done.stderr
    failed = re.findall(r"WARNING: article not fetched: .* at (http://\S+)$", done.stderr, re.M)
    assert any("took longer than" in line for line in done.stderr.splitlines())
    assert failed
    for url in failed:
        # Three 429s in a row from the flaky replica are a block (newsmon.crawl.blocks): the
        # run's block report then names the last refused page too. That is the run's summary,
        # not a second line about the page.
        naming = [
            line
            for line in done.stderr.splitlines()
            if url in line and f"blocked at {url} (HTTP 429" not in line
        ]
        assert len(naming) == 1, naming


def test_lock_and_bad_setting_messages_are_said_once(replica_small: Any, tmp_path: Path) -> None:
    state = tmp_path / "state" / "newsmon.sqlite3"
    lock = RunLock(state.with_name(state.name + ".lock"))
    lock.acquire("a test")
    try:
        held = crawl("newsfeed", replica_small.base_url, tmp_path)
    finally:
        lock.release()
    assert held.returncode == 0
    assert held.stderr.count("another newsmon run holds") == 1, held.stderr

    bad = crawl("newsfeed", replica_small.base_url, tmp_path, NEWSMON_MAX_PAGES="abc")
    assert bad.returncode == 2
    assert bad.stderr.count("NEWSMON_MAX_PAGES") == 1, bad.stderr


def test_watch_keeps_a_line_per_cycle_at_any_log_level(replica_small: Any, tmp_path: Path) -> None:
    settings = {
        **QUIET,
        "LOG_LEVEL": "WARNING",
        "NEWSMON_BASE_URL": replica_small.base_url,
        "NEWSMON_OUTPUT_DIR": str(tmp_path / "output"),
        "NEWSMON_STATE_PATH": str(tmp_path / "state" / "newsmon.sqlite3"),
        "NEWSMON_WATCH_CRAWLS": "newsfeed",
    }
    command = [sys.executable, "-m", "newsmon", "watch", "--every", "2s"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    watch = Lines(process)
    try:
        watch.wait_for(r"cycle 2 done")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0
    log = watch.wait_end()
    assert log.count("watching every 2 s") == 1
    assert re.search(r"cycle 1 done in [\d.]+ s \(newsfeed: exit 0\); next cycle in", log)
    assert "stopped" in log
    # LOG_LEVEL=WARNING is for the crawls: neither their INFO lines nor the watch's details.
    for quiet_line in ("run report of", "crawl newsfeed started", "cycle 1 started"):
        assert quiet_line not in log, quiet_line
