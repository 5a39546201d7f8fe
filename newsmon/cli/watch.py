"""`python -m newsmon watch --every 10m [--serve]`: run the configured crawls on a schedule.

Each crawl is a `scrapy crawl` subprocess, so a crash of one run cannot take the scheduler
down and every run gives its memory back when it ends. Cycles start `--every` apart (plus or
minus NEWSMON_WATCH_JITTER), one crawl after the other, never overlapping (and the crawl's
own lock keeps a cron-started run from overlapping too). A failed run is logged and the
schedule goes on; after NEWSMON_WATCH_BACKOFF_AFTER failed cycles in a row the wait doubles
each cycle up to NEWSMON_WATCH_BACKOFF_MAX. SIGTERM or SIGINT lets the current run finish
(it gets one SIGINT, so Scrapy closes gracefully and publishes), then the watch exits 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType

from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader

from newsmon.cli.base import console_logger
from newsmon.cli.serve import add_server_arguments, start_server, stop_server
from newsmon.config import (
    NewsmonConfigError,
    author_list,
    base_url_from_settings,
    tag_list,
)
from newsmon.distributed.watching import check_redis_for_watch, publish_command
from newsmon.publish.folder import check_output_folder
from newsmon.publish.run import PublishConfig
from newsmon.run.wording import counted
from newsmon.store import StateStore

logger = logging.getLogger(__name__)
# The watch's own lines (its start, one line per cycle, its stop), whatever LOG_LEVEL says:
# LOG_LEVEL=WARNING quietens the crawls, not the schedule.
CONSOLE = "newsmon.watch"

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_interval(text: str) -> float:
    """Seconds in an interval like 30s, 10m, 1h or 1.5h (a bare number is seconds)."""
    match = _INTERVAL.match(str(text))
    if match is None:
        raise NewsmonConfigError(
            f"an interval is a number with s, m or h (30s, 10m, 1h), not {text!r}"
        )
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds <= 0:
        raise NewsmonConfigError(f"the interval must be longer than zero, not {text!r}")
    return seconds


@dataclass(frozen=True)
class WatchPlan:
    """What the watch runs and how it spaces the runs, checked once at start."""

    crawls: tuple[str, ...]
    """Spider names, run in this order each cycle."""

    interval: float
    """Seconds from the start of one cycle to the start of the next."""

    jitter: float
    """Each wait is the interval times 1 ± up to this share."""

    backoff_after: int
    """Failed cycles in a row before the waits start doubling."""

    backoff_max: float
    """The longest wait while backing off, in seconds."""

    @classmethod
    def from_settings(cls, settings: Settings, every: str | None) -> WatchPlan:
        """Read and check the watch settings, and the settings every crawl will need."""
        interval = parse_interval(every or str(settings.get("NEWSMON_WATCH_EVERY") or "10m"))
        jitter = settings.getfloat("NEWSMON_WATCH_JITTER", 0.1)
        if not 0 <= jitter < 1:
            raise NewsmonConfigError(f"NEWSMON_WATCH_JITTER must be in [0, 1), not {jitter}")
        backoff_after = settings.getint("NEWSMON_WATCH_BACKOFF_AFTER", 3)
        if backoff_after < 1:
            raise NewsmonConfigError("NEWSMON_WATCH_BACKOFF_AFTER must be 1 or more")
        backoff_max = settings.getfloat("NEWSMON_WATCH_BACKOFF_MAX", 3600)
        # Fail now, not in every run: these are what each crawl checks when it starts.
        base_url_from_settings(settings)
        tags = tag_list(settings.getlist("NEWSMON_TAGS"))
        publishing = PublishConfig.from_settings(settings)
        check_output_folder(publishing.output_dir, site=publishing.base_url)
        # The state must belong to NEWSMON_BASE_URL's site: said once now, not by every crawl.
        with StateStore.from_settings(settings):
            pass
        known = set(get_spider_loader(settings).list())
        crawls = []
        for name in settings.getlist("NEWSMON_WATCH_CRAWLS"):
            if name not in known:
                raise NewsmonConfigError(
                    f"NEWSMON_WATCH_CRAWLS: no spider {name!r} (spiders: {sorted(known)})"
                )
            if name == "tags" and not tags:
                continue  # no monitored tags: nothing for the tags spider to walk
            if name == "authors" and not author_list(settings.getlist("NEWSMON_AUTHORS")):
                continue  # no followed authors: nothing for the authors spider to walk
            crawls.append(name)
        if not crawls:
            raise NewsmonConfigError("nothing to watch: NEWSMON_WATCH_CRAWLS is empty")
        return cls(tuple(crawls), interval, jitter, backoff_after, max(backoff_max, interval))


def next_wait(plan: WatchPlan, failures: int, rng: random.Random) -> float:
    """Seconds from the start of this cycle to the next one, after `failures` failed in a row."""
    wait = plan.interval
    if failures >= plan.backoff_after:
        doublings = failures - plan.backoff_after + 1
        wait = min(plan.interval * 2.0 ** min(doublings, 32), plan.backoff_max)
    return wait * (1.0 + rng.uniform(-plan.jitter, plan.jitter))


def crawl_command(spider: str, overrides: Sequence[str]) -> list[str]:
    """The `scrapy crawl` command line of one run, with the watch's -s overrides."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for pair in overrides:
        command += ["-s", pair]
    return command


def describe_exit(code: int) -> str:
    """An exit status in words, for the log."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return {0: "exit 0", 1: "exit 1: the run failed", 2: "exit 2: configuration error"}.get(
        code, f"exit {code}"
    )


class Watcher:
    """Runs the plan's crawls cycle after cycle until a signal asks it to stop."""

    def __init__(
        self,
        plan: WatchPlan,
        overrides: Sequence[str],
        rng: random.Random | None = None,
        *,
        after_crawls: tuple[list[str], str] | None = None,
    ) -> None:
        self.plan = plan
        self.overrides = list(overrides)
        # A command run at the end of every cycle, with its name for the log (the publisher
        # of a crawl shared through Redis).
        self.after_crawls = after_crawls
        self.rng = rng or random.Random()
        self.console = console_logger(CONSOLE)
        # (what, exit code) of each child of the current cycle, for its one line.
        self.outcomes: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._child: subprocess.Popen[bytes] | None = None
        self._forwarded = False

    def request_stop(self, signum: int, frame: FrameType | None = None) -> None:
        """Signal handler: stop after the current run, which gets one SIGINT to wind down."""
        name = signal.Signals(signum).name
        child = self._child
        if self._stop.is_set():
            self.console.info(
                "received %s again: still waiting for the current run to finish", name
            )
            return
        self._stop.set()
        if child is not None and child.poll() is None and not self._forwarded:
            # One SIGINT is Scrapy's graceful stop (it closes the spider and publishes); a
            # second one would force it, so it is sent once only.
            self._forwarded = True
            child.send_signal(signal.SIGINT)
            self.console.info(
                "received %s: the current run finishes and publishes, then stop", name
            )
        else:
            self.console.info("received %s: stopping", name)

    def run(self) -> int:
        """Run cycles until stopped; exit code 0."""
        failures = 0
        cycle = 0
        while not self._stop.is_set():
            cycle += 1
            started = time.monotonic()
            logger.info("cycle %d started: %s", cycle, ", ".join(self.plan.crawls))
            ok = self.run_cycle()
            if self._stop.is_set():
                break
            failures = 0 if ok else failures + 1
            wait = next_wait(self.plan, failures, self.rng)
            remaining = max(0.0, wait - (time.monotonic() - started))
            note = ""
            if failures:
                note = f"; {counted(failures, 'failed cycle')} in a row"
                note += ", backing off" if failures >= self.plan.backoff_after else ""
            self.console.info(
                "cycle %d done in %.1f s (%s); next cycle in %.1f s (%.1f s after this one"
                " started%s)",
                cycle,
                time.monotonic() - started,
                ", ".join(f"{what}: {describe_exit(code)}" for what, code in self.outcomes),
                remaining,
                wait,
                note,
            )
            self._stop.wait(remaining)
        self.console.info("stopped")
        return 0

    def run_cycle(self) -> bool:
        """Run each crawl once, in order, then the after-crawls command; tell if all succeeded.

        The after-crawls command runs even when stopping: the publisher stores what the
        workers pushed before the watch ends.
        """
        ok = True
        self.outcomes = []
        for spider in self.plan.crawls:
            if self._stop.is_set():
                break
            ok = self.run_crawl(spider) == 0 and ok
        if self.after_crawls is not None:
            command, what = self.after_crawls
            ok = self.run_child(command, what) == 0 and ok
        return ok

    def run_crawl(self, spider: str) -> int:
        """Run one `scrapy crawl` to its end and return its exit status."""
        return self.run_child(crawl_command(spider, self.overrides), f"crawl {spider}")

    def run_child(self, command: list[str], what: str) -> int:
        """Run one child command to its end (it gets the one SIGINT) and return its status."""
        started = time.monotonic()
        logger.info("%s started", what)
        # The child starts with SIGINT ignored until Scrapy installs its own handler: a SIGINT
        # that lands while Python is still importing would otherwise end it with a
        # KeyboardInterrupt traceback. One lost that early just lets that run finish.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            # Its own process group: a Ctrl-C in the terminal reaches the watch only, which
            # then forwards exactly one SIGINT.
            child = subprocess.Popen(command, process_group=0)
        except OSError as error:
            logger.error("%s could not start: %s", what, error)
            return 1
        finally:
            signal.signal(signal.SIGINT, previous)
        self._child, self._forwarded = child, False
        try:
            code = child.wait()
        finally:
            self._child = None
        took = time.monotonic() - started
        self.outcomes.append((what.removeprefix("crawl "), code))
        if code == 0:
            logger.info("%s finished (%s) in %.1f s", what, describe_exit(code), took)
        else:
            logger.error("%s failed (%s) after %.1f s", what, describe_exit(code), took)
        return code


class WatchCommand:
    """Run the configured crawls on a schedule (and serve the feeds with --serve)."""

    name = "watch"
    help = "run the News Feed and tag crawls on a schedule until stopped"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """--every, --serve, --host, --port, --from-redis."""
        parser.add_argument(
            "--every",
            default=None,
            metavar="INTERVAL",
            help="time between cycle starts: 30s, 10m, 1h (default NEWSMON_WATCH_EVERY, 10m)",
        )
        parser.add_argument(
            "--serve", action="store_true", help="also serve the output folder over HTTP"
        )
        add_server_arguments(parser)
        parser.add_argument(
            "--from-redis",
            metavar="URL",
            default=None,
            help="crawl as workers of a crawl shared through this Redis, and publish what all"
            " its workers pushed after each cycle (see `publish --from-redis`)",
        )

    def run(self, args: argparse.Namespace, settings: Settings) -> int:
        """Check the configuration, then watch until SIGTERM/SIGINT; exit 0."""
        # Redis first: a watch that cannot reach it leaves the output folder and state alone.
        url = check_redis_for_watch(args.from_redis) if args.from_redis else None
        plan = WatchPlan.from_settings(settings, args.every)
        if url:
            # Each cycle's crawls are workers of a crawl shared through Redis; the publisher
            # then stores and publishes what every worker pushed.
            watcher = Watcher(
                plan,
                [*args.settings, f"NEWSMON_REDIS_URL={url}"],
                after_crawls=(publish_command(url, args.settings), "publish"),
            )
        else:
            watcher = Watcher(plan, args.settings)
        signal.signal(signal.SIGTERM, watcher.request_stop)
        signal.signal(signal.SIGINT, watcher.request_stop)
        server = start_server(args, settings) if args.serve else None
        console_logger(CONSOLE).info(
            "watching every %.0f s (jitter %.0f%%): %s; pid %d",
            plan.interval,
            plan.jitter * 100,
            ", ".join(plan.crawls),
            os.getpid(),
        )
        try:
            return watcher.run()
        finally:
            if server is not None:
                stop_server(server)


command = WatchCommand()
