"""The add-on that turns a crawl into a worker of a shared crawl when NEWSMON_REDIS_URL is set.

Listed in ADDONS (newsmon/settings.py); without NEWSMON_REDIS_URL it changes nothing. Scrapy
runs add-ons before it builds any component and before the settings freeze, so every switch
below applies to the whole crawl:

- scheduler and duplicate filter: scrapy-redis's, shared through Redis (`scheduler`);
- items go to Redis (`pipeline`) instead of the store; the quarantine, which needs the
  store's run history, is off (the publisher still cleans and validates every item);
- no state file: the spider's incremental bookkeeping works on an empty in-memory store, so
  every listing is walked in full (up to NEWSMON_MAX_PAGES), nothing is revisited, and no
  request is conditional; the shared duplicate filter and the store's dedupe at the
  publisher keep every article published once;
- nothing is published, no run report or health feed is written, no run lock is taken (the
  workers of one crawl run side by side): the publisher does the publishing;
- a worker exits 0 when the shared crawl finished, 1 if no worker could fetch a listing page.
"""

from __future__ import annotations

import logging

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from newsmon.distributed.keys import (
    positive_seconds,
    prefix_from_settings,
    redis_url_from_settings,
)
from newsmon.distributed.listings import ListingMembershipMiddleware
from newsmon.distributed.pipeline import RedisItemsPipeline
from newsmon.distributed.seeding import SeedOnceMiddleware
from newsmon.distributed.worker import RedisWorker
from newsmon.extensions import PublishAtClose, RunOutcome
from newsmon.extensions_health import HealthAtClose
from newsmon.lock import CrawlLock
from newsmon.middlewares.conditional import ConditionalRequestsMiddleware
from newsmon.pipelines import StorePipeline
from newsmon.quarantine import QuarantinePipeline
from newsmon.redact import redact_url

logger = logging.getLogger(__name__)

# An in-memory SQLite database: the spider's store lookups find nothing and keep nothing.
NO_STATE_FILE = ":memory:"
# Worker mode needs these whatever else was set (a -s SCHEDULER=... cannot share a crawl).
FORCED = SETTINGS_PRIORITIES["cmdline"]

# (setting, component, order or None to switch it off)
COMPONENTS: tuple[tuple[str, type, int | None], ...] = (
    ("ITEM_PIPELINES", StorePipeline, None),
    ("ITEM_PIPELINES", QuarantinePipeline, None),
    ("ITEM_PIPELINES", RedisItemsPipeline, 300),
    ("EXTENSIONS", CrawlLock, None),
    ("EXTENSIONS", PublishAtClose, None),
    ("EXTENSIONS", RunOutcome, None),
    ("EXTENSIONS", HealthAtClose, None),
    # After SettingsCheck (-20): it reads settings only once they were checked.
    ("EXTENSIONS", RedisWorker, 100),
    ("DOWNLOADER_MIDDLEWARES", ConditionalRequestsMiddleware, None),
    # Nearest the engine (after StartSpiderMiddleware, 25): it sees the final start output.
    ("SPIDER_MIDDLEWARES", SeedOnceMiddleware, 5),
    ("SPIDER_MIDDLEWARES", ListingMembershipMiddleware, 10),
)


class RedisMode:
    """Scrapy add-on: with NEWSMON_REDIS_URL set, switch the crawl to a shared-crawl worker."""

    def update_settings(self, settings: BaseSettings) -> None:
        """Switch the components over; leave the settings alone without NEWSMON_REDIS_URL."""
        url = redis_url_from_settings(settings)
        if not url:
            return
        # Checked here so a bad value stops the crawl before anything connects.
        prefix = prefix_from_settings(settings)
        positive_seconds(settings, "NEWSMON_REDIS_LEASE_SECONDS", 60.0)
        positive_seconds(settings, "NEWSMON_REDIS_POLL_SECONDS", 1.0)
        settings.set("SCHEDULER", "newsmon.distributed.scheduler.LeasingScheduler", FORCED)
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", FORCED)
        settings.set("SCHEDULER_PERSIST", True, FORCED)
        settings.set("NEWSMON_STATE_PATH", NO_STATE_FILE, FORCED)
        for name, component, order in COMPONENTS:
            settings.set_in_component_priority_dict(name, component, order)
        logger.info(
            "Redis worker mode: sharing the crawl through %s (keys %s:*); items go to Redis,"
            " no state file, every listing walked in full",
            redact_url(url),
            prefix,
        )
