"""The add-on that turns a crawl into a worker of a shared crawl when NEWSMON_REDIS_URL is set.

Listed in ADDONS (newsmon/settings.py); without NEWSMON_REDIS_URL it changes nothing. Scrapy
runs add-ons before it builds any component and before the settings freeze, so every switch
below applies to the whole crawl:

- scheduler and duplicate filter: scrapy-redis's, shared through Redis (`scheduler`);
- items go to Redis (`pipeline`) instead of the store; the quarantine and the audits it
  reads, which need the store's run history, are off (the publisher still cleans and
  validates every item);
- no state file: the walks' keeper is `WorkerWalkKeeper`, which remembers nothing, so every
  listing is walked in full (up to NEWSMON_MAX_PAGES), nothing is revisited, and no request
  is conditional; the shared duplicate filter and the store's dedupe at the publisher keep
  every article published once;
- nothing is published, no run report or health feed is written, no run lock is taken (the
  workers of one crawl run side by side): the publisher does the publishing;
- a worker exits 0 when the shared crawl finished, 1 if no worker could fetch a listing page.
"""

from __future__ import annotations

import logging

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.misc import load_object

from newsmon.distributed.keys import (
    positive_seconds,
    prefix_from_settings,
    redis_url_from_settings,
)
from newsmon.run.redact import redact_url

logger = logging.getLogger(__name__)

# No component of a worker opens the store; should one ever do, it gets an in-memory database
# and never touches a state file another process uses.
NO_STATE_FILE = ":memory:"
# Worker mode needs these whatever else was set (a -s SCHEDULER=... cannot share a crawl).
FORCED = SETTINGS_PRIORITIES["cmdline"]

# (setting, component, order or None to switch it off). Import paths, loaded only in worker
# mode: a single-machine crawl never imports the Redis client.
COMPONENTS: tuple[tuple[str, str, int | None], ...] = (
    ("ITEM_PIPELINES", "newsmon.pipeline.store.StorePipeline", None),
    ("ITEM_PIPELINES", "newsmon.pipeline.quarantine.QuarantinePipeline", None),
    ("ITEM_PIPELINES", "newsmon.distributed.pipeline.RedisItemsPipeline", 300),
    ("EXTENSIONS", "newsmon.run.lock.CrawlLock", None),
    ("EXTENSIONS", "newsmon.crawl.keeper.WalkKeeper", None),
    ("EXTENSIONS", "newsmon.distributed.walks.WorkerWalkKeeper", 10),
    ("EXTENSIONS", "newsmon.publish.extension.PublishAtClose", None),
    ("EXTENSIONS", "newsmon.publish.extension.FrontDoorAtClose", None),
    ("EXTENSIONS", "newsmon.run.outcome.RunOutcome", None),
    ("EXTENSIONS", "newsmon.health.extension.HealthAtClose", None),
    # After RedactSecrets (-30): its log lines name the Redis URL.
    ("EXTENSIONS", "newsmon.distributed.worker.RedisWorker", 100),
    (
        "DOWNLOADER_MIDDLEWARES",
        "newsmon.crawl.middlewares.conditional.ConditionalRequestsMiddleware",
        None,
    ),
    # Its audits feed the quarantine and the health checks, both off on a worker.
    ("SPIDER_MIDDLEWARES", "newsmon.health.middleware.AuditMiddleware", None),
    # Nearest the engine (after StartSpiderMiddleware, 25): it sees the final start output.
    ("SPIDER_MIDDLEWARES", "newsmon.distributed.seeding.SeedOnceMiddleware", 5),
    # After HttpErrorMiddleware (50): only listing pages the spider may parse are counted.
    ("SPIDER_MIDDLEWARES", "newsmon.distributed.listings.ListingMembershipMiddleware", 60),
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
        for name, path, order in COMPONENTS:
            # A renamed component fails here, loudly, rather than staying on in worker mode.
            settings.set_in_component_priority_dict(name, load_object(path), order)
        logger.info(
            "Redis worker mode: sharing the crawl through %s (keys %s:*); items go to Redis,"
            " no state file, every listing walked in full",
            redact_url(url),
            prefix,
        )
