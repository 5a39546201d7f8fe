"""One run at a time per state file: an flock next to NEWSMON_STATE_PATH, taken by the crawl.

The lock is taken inside every crawl (the `CrawlLock` extension), so it protects a run however
it was started: `python -m newsmon watch`, cron or a systemd timer calling `scrapy crawl`, or
Scrapyd. A second run that finds the lock held reports who holds it and exits cleanly (exit
0: an overlapping start is expected on a schedule, not a failure). flock locks die with their
process, so a crashed or killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from newsmon.config import NewsmonConfigError
from newsmon.store import check_state_file

logger = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"


class RunLocked(RuntimeError):
    """Another newsmon run holds the lock of this state file."""


def lock_path(settings: BaseSettings) -> Path:
    """The lock file of a state file: NEWSMON_STATE_PATH plus ".lock"."""
    state = str(settings.get("NEWSMON_STATE_PATH") or "").strip()
    if not state:
        raise NewsmonConfigError("NEWSMON_STATE_PATH is empty: set it to a file path")
    path = Path(state).expanduser()
    # Never create "<file>.lock" beside a file that is not newsmon's (say /etc/passwd).
    check_state_file(path)
    return path.with_name(path.name + LOCK_SUFFIX)


class RunLock:
    """An exclusive, non-blocking flock on one file; the holder writes its pid into it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def acquire(self, what: str = "a run") -> None:
        """Take the lock now or raise RunLocked naming the holder; never waits."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # "a+": create if missing, never truncate before the lock is ours.
            handle = self.path.open("a+", encoding="utf-8")
        except OSError as error:
            raise NewsmonConfigError(f"cannot open the lock file {self.path}: {error}") from error
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read(200).strip() or "holder unknown"
            handle.close()
            raise RunLocked(
                f"another newsmon run holds {self.path} ({holder}); {what} skipped"
            ) from None
        except OSError as error:
            handle.close()
            raise NewsmonConfigError(f"cannot lock {self.path}: {error}") from error
        handle.seek(0)
        handle.truncate()
        started = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(f"pid {os.getpid()}, {what} started {started}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Let the lock go (closing the file releases the flock); safe to call twice."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._handle is not None


class CrawlLock:
    """Extension: hold the state file's lock from before the store opens until the engine stops.

    Raising RunLocked from `from_crawler` stops the crawl before any request, store access or
    publishing; `newsmon.cli.scrapy_commands.crawl` reports it in one line and exits 0.
    """

    def __init__(self, crawler: Crawler, lock: RunLock) -> None:
        self.crawler = crawler
        self.lock = lock

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlLock:
        """Take the lock now; raise RunLocked if another run holds it."""
        spider = getattr(crawler, "spider", None)
        what = f"crawl {spider.name}" if spider is not None else "crawl"
        lock = RunLock(lock_path(crawler.settings))
        lock.acquire(what)
        extension = cls(crawler, lock)
        # engine_stopped comes after spider_closed, so publishing happens under the lock.
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        """Release the lock once the run, publishing included, is over."""
        self.lock.release()
