"""Scheduling: `python -m newsmon watch`, the run lock, and exit codes cron can alert on.

Everything runs as users run it: `python -m newsmon watch` and `scrapy crawl` processes
against the replica on 127.0.0.1. Where a test must catch a run in the middle, a small gate
proxy in front of the replica holds requests until the test lets them through.
"""

from __future__ import annotations

import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser
import pytest

from newsmon.cli.watch import WatchPlan, next_wait, parse_interval
from tests.crawling import FAST, ROOT, run_crawl
from tests.feedcheck import check_rss

WAIT = 120.0  # generous: the machine may be loaded by other test runs


class Lines:
    """A process's stderr, collected line by line by a thread, with waiting helpers."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self.lines.append("")  # end of output
            self._changed.notify_all()

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def count(self, pattern: str) -> int:
        return len(re.findall(pattern, self.text))

    def wait_for(self, pattern: str, times: int = 1, timeout: float = WAIT) -> re.Match[str]:
        """Wait until `pattern` has matched `times` times; return the last match."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                matches = list(re.finditer(pattern, "".join(self.lines)))
                if len(matches) >= times:
                    return matches[times - 1]
                ended = bool(self.lines) and self.lines[-1] == ""
                left = deadline - time.monotonic()
                if ended or left <= 0:
                    raise AssertionError(
                        f"{pattern!r} x{times} not seen; output:\n{self.text[-4000:]}"
                    )
                self._changed.wait(min(left, 1.0))

    def wait_end(self, timeout: float = WAIT) -> str:
        """Wait for the end of the output; return all of it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (self.lines and self.lines[-1] == ""):
                left = deadline - time.monotonic()
                assert left > 0, "the output did not end"
                self._changed.wait(min(left, 1.0))
        return self.text


def settings_args(settings: dict[str, str]) -> list[str]:
    args: list[str] = []
    for name, value in settings.items():
        args += ["-s", f"{name}={value}"]
    return args


def base_settings(base_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    return {
        **FAST,
        "NEWSMON_BASE_URL": base_url,
        "NEWSMON_OUTPUT_DIR": str(workdir / "output"),
        "NEWSMON_STATE_PATH": str(workdir / "state" / "newsmon.sqlite3"),
        "NEWSMON_MAX_PAGES": "2",
        **extra,
    }


@contextmanager
def watching(*args: str, settings: dict[str, str]) -> Iterator[Lines]:
    """Run `python -m newsmon watch ARGS -s ...`; stop it (SIGTERM) at the end if still up."""
    command = [sys.executable, "-m", "newsmon", "watch", *args, *settings_args(settings)]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    lines = Lines(process)
    try:
        yield lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Gate:
    """An HTTP proxy to the replica that holds requests until the test opens it.

    `passes(path)` decides which requests go through while the gate is closed.
    """

    def __init__(self, upstream: str, passes: Callable[[str], bool] = lambda path: False) -> None:
        self.upstream = upstream
        self.passes = passes
        self.opened = threading.Event()
        self.held = threading.Event()  # set when a request is being held
        self.seen: list[str] = []
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                gate.seen.append(self.path)
                if not gate.passes(self.path):
                    gate.held.set()
                    gate.opened.wait(WAIT)
                headers = {
                    name: value
                    for name, value in self.headers.items()
                    if name.lower() in ("user-agent", "if-none-match", "if-modified-since")
                }
                request = urllib.request.Request(gate.upstream + self.path, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        status, body, reply = response.status, response.read(), response.headers
                except urllib.error.HTTPError as error:
                    status, body, reply = error.code, error.read(), error.headers
                self.send_response(status)
                for name in ("Content-Type", "ETag", "Last-Modified"):
                    if reply.get(name):
                        self.send_header(name, reply[name])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def open(self) -> None:
        self.opened.set()

    def close(self) -> None:
        self.opened.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gate_factory() -> Iterator[Callable[..., Gate]]:
    gates: list[Gate] = []

    def make(upstream: str, passes: Callable[[str], bool] = lambda path: False) -> Gate:
        gates.append(Gate(upstream, passes))
        return gates[-1]

    yield make
    for gate in gates:
        gate.close()


def served_links(url: str) -> set[str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return {entry.link for entry in feedparser.parse(response.read()).entries}


def test_watch_serves_articles_published_between_runs_within_one_interval(
    replica_small: Any, tmp_path: Path
) -> None:
    settings = base_settings(replica_small.base_url, tmp_path, NEWSMON_TAGS="russia")
    with watching("--every", "3s", "--serve", "--port", "0", settings=settings) as watch:
        served = watch.wait_for(r"serving \S+ on (http://127\.0\.0\.1:\d+/)").group(1)
        watch.wait_for(r"cycle 1 done")
        assert "crawl newsfeed finished (exit 0)" in watch.text
        assert "crawl tags finished (exit 0)" in watch.text
        before = served_links(served + "newsfeed.xml")
        assert before, "the first cycle published an empty feed"

        published = replica_small.post("/__replica__/publish?count=3")
        started = watch.count(r"cycle \d+ started")
        # The next cycle to start after the publish must carry them into the served feed.
        watch.wait_for(r"cycle \d+ done", times=started + 1)
        after = served_links(served + "newsfeed.xml")
        assert {article["url"] for article in published} <= after
        assert served_links(served + "tags/russia.xml")
        watch.process.send_signal(signal.SIGTERM)
        assert watch.process.wait(timeout=WAIT) == 0
    assert "stopped" in watch.text
    assert "Traceback" not in watch.text


def test_failed_runs_are_logged_and_the_schedule_goes_on_with_backoff(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on: every fetch fails
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    settings = base_settings(
        dead,
        tmp_path,
        NEWSMON_WATCH_CRAWLS="newsfeed",
        NEWSMON_WATCH_JITTER="0",
        NEWSMON_WATCH_BACKOFF_AFTER="1",
        NEWSMON_WATCH_BACKOFF_MAX="30",
        RETRY_ENABLED="False",
    )
    with watching("--every", "1s", settings=settings) as watch:
        watch.wait_for(r"cycle 3 done")
        waits = [
            float(value)
            for value in re.findall(r"next cycle in [\d.]+ s \(([\d.]+) s after", watch.text)
        ]
        assert waits[:3] == [2.0, 4.0, 8.0], "the wait doubles after each failed cycle"
        assert watch.count(r"crawl newsfeed failed \(exit 1: the run failed\)") >= 3
        assert "3 failed cycles in a row, backing off" in watch.text
        assert watch.process.poll() is None, "the watch died with its runs"
        watch.process.send_signal(signal.SIGINT)  # during the wait: stops at once
        assert watch.process.wait(timeout=WAIT) == 0
    assert "stopped" in watch.text


def test_sigterm_lets_the_current_run_publish_then_stops(
    replica_small: Any, tmp_path: Path, gate_factory: Callable[..., Gate]
) -> None:
    # robots.txt and listing pages pass; article pages wait at the gate: a run in the middle.
    gate = gate_factory(
        replica_small.base_url, lambda path: path == "/robots.txt" or path.startswith("/tag/")
    )
    settings = base_settings(gate.url, tmp_path, NEWSMON_TAGS="russia")
    with watching("--every", "1h", settings=settings) as watch:
        assert gate.held.wait(WAIT), "the crawl never reached an article"
        watch.process.send_signal(signal.SIGTERM)
        watch.wait_for(r"received SIGTERM: the current run finishes and publishes")
        gate.open()
        assert watch.process.wait(timeout=WAIT) == 0
    log = watch.text
    assert "Received SIGINT, shutting down gracefully" in log  # the child got one SIGINT
    assert "forcing unclean shutdown" not in log.lower()
    assert re.search(r"published \d+ feed files .*\(run ended: shutdown\)", log)
    assert "crawl newsfeed finished (exit 0)" in log
    assert "crawl tags started" not in log, "a new run started after the stop request"
    assert "stopped" in log
    check_rss(tmp_path / "output" / "newsfeed.xml")


def test_two_runs_started_at_once_one_runs_the_other_reports_the_lock(
    replica_small: Any, tmp_path: Path, gate_factory: Callable[..., Gate]
) -> None:
    gate = gate_factory(replica_small.base_url)  # holds the first request of whoever runs
    command = [sys.executable, "-m", "scrapy", "crawl", "newsfeed"]
    command += settings_args(base_settings(gate.url, tmp_path))
    processes = [
        subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = [Lines(process) for process in processes]
    # The one without the lock ends on its own while the other is held at the gate.
    deadline = time.monotonic() + WAIT
    while all(process.poll() is None for process in processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    skipped = next(i for i, process in enumerate(processes) if process.poll() is not None)
    ran = 1 - skipped
    assert processes[ran].poll() is None, "both runs ended: they did not overlap"
    gate.open()
    assert processes[ran].wait(timeout=WAIT) == 0, outputs[ran].text[-3000:]
    assert processes[skipped].wait() == 0, "a skipped run is not a failure"
    outputs[skipped].wait_end()
    lock = tmp_path / "state" / "newsmon.sqlite3.lock"
    assert re.search(
        rf"newsmon: another newsmon run holds {re.escape(str(lock))} \(pid \d+, crawl newsfeed"
        r" started [^)]+\); crawl newsfeed skipped",
        outputs[skipped].text,
    ), outputs[skipped].text[-3000:]
    assert "Spider opened" not in outputs[skipped].text
    assert "Traceback" not in outputs[skipped].text
    outputs[ran].wait_end()
    assert re.search(r"published \d+ feed files", outputs[ran].text)
    assert "another newsmon run holds" not in outputs[ran].text


def test_scrapy_crawl_exits_non_zero_when_nothing_could_be_fetched(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = run_crawl("newsfeed", dead, tmp_path, settings={"RETRY_ENABLED": "False"})
    assert result.returncode == 1
    assert "run failed: no listing page could be fetched" in result.log


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("10m", 600), ("1h", 3600), ("1.5h", 5400), ("45", 45)]
)
def test_intervals(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("every", ["0s", "-1m", "10 minutes", "m"])
def test_a_bad_interval_is_one_line_and_exit_2(every: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            *("-m", "newsmon", "watch", "--every", every),
            *settings_args(base_settings("http://127.0.0.1:9", tmp_path)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith(("newsmon: ", "usage:")), done.stderr
    assert "Traceback" not in done.stderr


def test_waits_have_jitter_and_back_off_up_to_the_maximum() -> None:
    plan = WatchPlan(
        crawls=("newsfeed",), interval=600, jitter=0.1, backoff_after=3, backoff_max=3600
    )
    rng = random.Random(5)
    healthy = [next_wait(plan, 0, rng) for _ in range(200)]
    assert all(540 <= wait <= 660 for wait in healthy)
    assert len({round(wait) for wait in healthy}) > 50, "no jitter"
    flat = WatchPlan(("newsfeed",), 600, 0.0, 3, 3600)
    assert [next_wait(flat, failures, rng) for failures in range(7)] == [
        600,
        600,
        600,
        1200,
        2400,
        3600,
        3600,
    ]
