"""The two things worker mode needs from Scrapy's engine that Scrapy has no public API for.

1. Which requests are still being processed. Scrapy drops a request from the engine's
   in-progress set only after its response went through the callback and every request and
   item the callback produced was scheduled or went through the item pipelines (or after
   its errback ran). That is exactly when a worker may release the request's lease: its
   outcome is in Redis. No signal marks that moment, so the set is read.
2. A nudge. An idle engine asks its scheduler for work only every 5 seconds (its slot's
   heartbeat); a worker waiting for other workers' requests nudges it more often.

Both read `ExecutionEngine._slot` (Scrapy 2.19, pinned in requirements.txt); if a Scrapy
upgrade removes it, the tests of tests/test_redis.py fail, and these helpers degrade safely:
no lease is released early (they are released when the spider closes) and the engine falls
back to its own heartbeat.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request


def requests_in_progress(crawler: Crawler) -> set[Request] | None:
    """The requests the engine is processing now; None if it cannot tell (not running)."""
    slot = getattr(getattr(crawler, "engine", None), "_slot", None)
    in_progress = getattr(slot, "inprogress", None)
    return in_progress if isinstance(in_progress, set) else None


def nudge(crawler: Crawler) -> None:
    """Have the engine ask the scheduler for requests soon (a no-op while it is closing)."""
    slot = getattr(getattr(crawler, "engine", None), "_slot", None)
    nextcall = getattr(slot, "nextcall", None)
    if nextcall is not None and getattr(slot, "closing", None) is None:
        nextcall.schedule()
