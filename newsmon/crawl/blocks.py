"""A run the site blocks: what it answered, said once, and the host left alone once it is clear.

The challenge middlewares (`newsmon.crawl.middlewares.challenge`) tell the `BlockWatch` of the
crawl what the site answered: a bot challenge or a block page (whatever its status), a bare
401, 403 or 429 that newsmon gave up on, or a normal answer. The watch

- says the block once per run, as the run's failure: "blocked by a bot challenge at URL
  (HTTP 403, Cloudflare)" (`newsmon.run.outcome.BLOCKED`: exit 1, health, alerts);
- counts blocked answers in a row per host; after `STOP_AFTER` of them it stops requesting
  that host for the rest of the run (`newsmon/blocked/host_stopped`; each request not sent is
  `newsmon/blocked/skipped`): a site that challenges every page is not asked 26 more times;
- keeps the longest Retry-After the site asked for, for the back-off of the next run
  (`newsmon.crawl.backoff`).

newsmon never tries to get past a challenge: no retry, no browser, no solver. It reports and
backs off. A bare 401/403/429 is a block only as part of a run of them: one 403 can be one
page the site keeps to members.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request

from newsmon.run.outcome import BLOCKED, fail_run
from newsmon.run.percrawl import PerCrawl
from newsmon.run.redact import redact_url

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Blocked answers in a row from one host after which the run stops asking it.
STOP_AFTER = 3
# Bare statuses that block when they come in a run (after any retries newsmon makes).
REFUSAL_STATUSES = frozenset({401, 403, 429})


class BlockedRequest(IgnoreRequest):
    """A request the site answered with a challenge or block, or one not sent because of one."""

    def __init__(self, message: str, *, sent: bool = True) -> None:
        super().__init__(message)
        self.sent = sent
        """False for a request the run did not send: its host blocks this run."""


@dataclass(frozen=True)
class Block:
    """How the site blocked the run, as first seen."""

    url: str
    status: int
    cdn: str
    challenge: bool
    """A challenge or block page (True), or a run of bare refusals (False)."""

    def words(self) -> str:
        """The run's one line about it."""
        if self.challenge:
            return f"blocked by a bot challenge at {self.url} (HTTP {self.status}, {self.cdn})"
        return (
            f"blocked at {self.url} (HTTP {self.status}, {self.cdn}): {STOP_AFTER} requests in a"
            " row refused"
        )


class BlockWatch:
    """The crawl's view of how the site treats it (see the module's docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.block: Block | None = None
        self.retry_after: float | None = None
        self._streaks: dict[str, int] = {}
        self._stopped: set[str] = set()

    @property
    def blocked(self) -> bool:
        """Whether the site blocked this run."""
        return self.block is not None

    def challenged(self, url: str, status: int, cdn: str, retry_after: float | None) -> None:
        """The site answered a request with a bot challenge or a block page."""
        self._count("challenges")
        self._ask_later(retry_after)
        self._announce(Block(redact_url(url), status, cdn, challenge=True))
        self._streak(url, status, cdn)

    def refused(self, url: str, status: int, cdn: str, retry_after: float | None) -> None:
        """The site's last answer to a request was a bare 401, 403 or 429."""
        self._count("refusals")
        self._ask_later(retry_after)
        if self._streak(url, status, cdn):
            self._announce(Block(redact_url(url), status, cdn, challenge=False))

    def answered(self, url: str) -> None:
        """A normal answer: the host is not blocking every request."""
        self._streaks.pop(_host(url), None)

    def stopped(self, url: str) -> bool:
        """Whether this run no longer requests the URL's host."""
        return _host(url) in self._stopped

    def skipped(self, url: str) -> BlockedRequest:
        """Count a request not sent to a stopped host; the exception that ends it."""
        self._count("skipped")
        return BlockedRequest(
            f"not requested: {_host(url)} blocks this run ({redact_url(url)})", sent=False
        )

    def _streak(self, url: str, status: int, cdn: str) -> bool:
        """Count a blocked answer in a row; stop the host at STOP_AFTER; tell if it stopped."""
        host = _host(url)
        streak = self._streaks.get(host, 0) + 1
        self._streaks[host] = streak
        if streak < STOP_AFTER or host in self._stopped:
            return False
        self._stopped.add(host)
        self._count("host_stopped")
        self._stop_pacing(url)
        logger.warning(
            "stopped requesting %s for the rest of the run: %d blocked answers in a row (the "
            "last HTTP %d, %s); newsmon does not try to get past a block",
            host,
            streak,
            status,
            cdn,
        )
        return True

    def _stop_pacing(self, url: str) -> None:
        """Let the requests queued for a stopped host drain at once.

        They are refused before they reach the network (`newsmon.crawl.browser`); paced by
        DOWNLOAD_DELAY (and AutoThrottle, which sets the same slot delay) they would keep the
        run waiting a second each for nothing.
        """
        engine = self.crawler.engine
        if engine is None:
            return
        slot = engine.downloader.slots.get(engine.downloader.get_slot_key(Request(url)))
        if slot is not None:
            slot.delay = 0.0

    def _announce(self, block: Block) -> None:
        """Say the block once per run, as the run's failure."""
        if self.block is not None:
            return
        self.block = block
        fail_run(self.crawler, block.words(), problem=BLOCKED, url=block.url)

    def _ask_later(self, seconds: float | None) -> None:
        if seconds is not None and (self.retry_after is None or seconds > self.retry_after):
            self.retry_after = seconds

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsmon/blocked/{key}")


def _host(url: str) -> str:
    """`host:port` of a URL, lower case (the unit a site blocks)."""
    return urlsplit(url).netloc.lower().rsplit("@", 1)[-1]


# The crawl's BlockWatch, made on first use.
block_watch = PerCrawl(BlockWatch)
