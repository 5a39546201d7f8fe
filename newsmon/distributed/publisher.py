"""The publisher: one process consumes the workers' items into the store and publishes them.

`python -m newsmon publish --from-redis URL` drains the item list once and publishes (for
cron, after the workers); with `--follow` it keeps consuming, publishing at most every
NEWSMON_REDIS_PUBLISH_EVERY seconds while items come, soon after they stop, and on SIGTERM.
Publishing is `newsmon.publish.run.publish`, exactly as at the end of a single-machine run:
feeds for the News Feed, NEWSMON_TAGS and every listing a shared crawl walked, then the
archive lines of every version not yet exported.

One publisher at a time: it holds a lock key in Redis (renewed; it expires when a killed
publisher stops renewing it) and the state file's run lock. A second `--follow` publisher
waits as a standby; a second one-shot publisher waits for a killed one's lock to expire and
otherwise reports the running one and exits 0, as an overlapping crawl does.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from scrapy.settings import BaseSettings

from newsmon.config import NewsmonConfigError, base_url_from_settings
from newsmon.distributed.consumer import ItemConsumer
from newsmon.distributed.keys import (
    ItemKeys,
    check_redis_url,
    positive_seconds,
    prefix_from_settings,
)
from newsmon.distributed.scripts import Scripts, text
from newsmon.distributed.worker import worker_id
from newsmon.publish.folder import check_output_folder, refuse_system_folder
from newsmon.publish.run import PublishConfig, publish
from newsmon.run.lock import RunLock, RunLocked, lock_path
from newsmon.run.outcome import RUN_FAILED
from newsmon.run.redact import redact_url
from newsmon.site import is_listing_key
from newsmon.store import StateStore, StateStoreError

logger = logging.getLogger(__name__)

# With --follow, the feeds are written once no item came for this many polls.
QUIET_POLLS = 3


@dataclass(frozen=True)
class PublisherConfig:
    """The publisher's settings, checked once."""

    url: str
    prefix: str
    batch: int
    publish_every: float
    lease_seconds: float
    poll_seconds: float
    site: str

    @classmethod
    def from_settings(cls, settings: BaseSettings, url: str) -> PublisherConfig:
        """Read and check the settings; NewsmonConfigError names a bad one."""
        batch = settings.getint("NEWSMON_REDIS_BATCH", 100)
        if batch < 1:
            raise NewsmonConfigError(f"NEWSMON_REDIS_BATCH must be 1 or more, not {batch}")
        # Checked now: a bad publishing setting must not wait until items were consumed. The
        # output folder is claimed (made, marked) only once Redis answered: `claim_output`.
        publishing = PublishConfig.from_settings(settings)
        refuse_system_folder(publishing.output_dir, "NEWSMON_OUTPUT_DIR")
        return cls(
            url=check_redis_url(url),
            prefix=prefix_from_settings(settings),
            batch=batch,
            publish_every=positive_seconds(settings, "NEWSMON_REDIS_PUBLISH_EVERY", 30.0),
            lease_seconds=positive_seconds(settings, "NEWSMON_REDIS_LEASE_SECONDS", 60.0),
            poll_seconds=positive_seconds(settings, "NEWSMON_REDIS_POLL_SECONDS", 1.0),
            site=base_url_from_settings(settings),
        )


def claim_output(settings: BaseSettings) -> None:
    """Make and mark the output folder, or refuse it (NewsmonConfigError, one line)."""
    publishing = PublishConfig.from_settings(settings)
    check_output_folder(publishing.output_dir, site=publishing.base_url)


class PublisherLock:
    """A lock key in Redis naming its holder, with a TTL that the holder keeps renewing."""

    def __init__(self, client: redis.Redis, scripts: Scripts, key: str, ttl: float) -> None:
        self.client = client
        self.scripts = scripts
        self.key = key
        self.ttl_ms = int(ttl * 1000)
        self.owner = f"publisher {worker_id()}"
        self.held = False

    def try_acquire(self) -> bool:
        """Take the lock if it is free."""
        self.held = bool(self.client.set(self.key, self.owner, nx=True, px=self.ttl_ms))
        return self.held

    def holder(self) -> str:
        """Who holds the lock now ("" if nobody)."""
        value = self.client.get(self.key)
        return text(value) if value is not None else ""

    def renew(self) -> bool:
        """Extend the lock; False if it was lost (expired and taken by another publisher)."""
        self.held = bool(self.scripts.renew_lock(keys=[self.key], args=[self.owner, self.ttl_ms]))
        return self.held

    @contextmanager
    def kept(self, every: float) -> Iterator[None]:
        """Renew the lock every `every` seconds from a thread while the block runs.

        Publishing a large store can outlast a lease; the consume loop cannot renew meanwhile.
        A renewal that finds the lock lost leaves `held` False for the loop to see.
        """
        done = threading.Event()

        def keep() -> None:
            while not done.wait(every):
                try:
                    if not self.renew():
                        return
                except redis.RedisError:
                    return  # the loop's own renewal reports Redis failing

        keeper = threading.Thread(target=keep, name="publisher-lease", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            done.set()
            keeper.join()

    def release(self) -> None:
        """Let the lock go, if still ours."""
        if self.held:
            self.scripts.release_lock(keys=[self.key], args=[self.owner])
            self.held = False


class Publisher:
    """Consume items from Redis into the store and publish, once or until stopped."""

    def __init__(
        self,
        settings: BaseSettings,
        config: PublisherConfig,
        client: redis.Redis,
        stop: threading.Event,
    ) -> None:
        self.settings = settings
        self.config = config
        self.client = client
        self.stop = stop
        self.keys = ItemKeys(config.prefix)
        self.scripts = Scripts(client)
        self.lock = PublisherLock(client, self.scripts, self.keys.publisher, config.lease_seconds)
        self.failed = False
        self.totals: Counter[str] = Counter()

    def run(self, *, follow: bool) -> int:
        """Take the locks, then consume and publish; the exit code."""
        run_lock = RunLock(lock_path(self.settings))
        if not self._wait_for_run_lock(run_lock, follow=follow):
            return 0
        try:
            if not self._wait_for_redis_lock(follow=follow):
                return 0
            try:
                with StateStore.from_settings(self.settings) as store:
                    return self._consume(store, follow=follow)
            finally:
                self.lock.release()
        finally:
            run_lock.release()

    def _wait_for_run_lock(self, run_lock: RunLock, *, follow: bool) -> bool:
        """The state file's lock: a one-shot run skips if it is held, --follow waits."""
        announced = False
        while True:
            try:
                run_lock.acquire("publish --from-redis")
                return True
            except RunLocked as error:
                if not follow:
                    logger.warning("%s", error)
                    return False
                if not announced:
                    logger.warning("%s; waiting for it", error)
                    announced = True
            if self.stop.wait(self.config.poll_seconds):
                return False

    def _wait_for_redis_lock(self, *, follow: bool) -> bool:
        """The publisher lock in Redis; a one-shot run waits at most one lease for it."""
        deadline = time.monotonic() + self.config.lease_seconds + self.config.poll_seconds
        announced = False
        while not self.lock.try_acquire():
            holder = self.lock.holder()
            if not follow and time.monotonic() >= deadline:
                logger.warning("%s is consuming from Redis; this run skipped", holder)
                return False
            if not announced:
                logger.info("%s is consuming from Redis; waiting (standby)", holder)
                announced = True
            if self.stop.wait(self.config.poll_seconds):
                return False
        logger.info(
            "publishing from %s (items under %s:*) as %s",
            redact_url(self.config.url),
            self.config.prefix,
            self.lock.owner,
        )
        return True

    def _consume(self, store: StateStore, *, follow: bool) -> int:
        """The consume-and-publish loop; returns the exit code."""
        consumer = ItemConsumer(self.client, self.scripts, self.keys, store, self.config.site)
        consumer.stats = self.totals
        last_renewal = last_publish = last_item = time.monotonic()
        dirty = True  # publish at least once: a run with nothing new still leaves whole feeds
        try:
            consumer.restore()
            while True:
                now = time.monotonic()
                if now - last_renewal >= self.config.lease_seconds / 4:
                    if not self.lock.renew():
                        logger.error("lost the publisher lock (stalled for a whole lease)")
                        return RUN_FAILED
                    last_renewal = now
                taken = 0 if self.stop.is_set() else consumer.consume_batch(self.config.batch)
                now = time.monotonic()
                if taken:
                    dirty, last_item = True, now
                quiet = now - last_item >= QUIET_POLLS * self.config.poll_seconds
                done = self.stop.is_set() or (not follow and taken < self.config.batch)
                if dirty and (done or quiet or now - last_publish >= self.config.publish_every):
                    with self.lock.kept(self.config.lease_seconds / 4):
                        self._publish(store)
                    if not self.lock.held:
                        logger.error("lost the publisher lock (stalled for a whole lease)")
                        return RUN_FAILED
                    dirty, last_publish = False, time.monotonic()
                    last_renewal = last_publish
                if done:
                    break
                if not taken:
                    self.stop.wait(self.config.poll_seconds)
        except (StateStoreError, sqlite3.Error, OSError) as error:
            # The batch stays in Redis's processing list: the next publisher records it.
            logger.error("could not record items in the store: %s", error)
            return RUN_FAILED
        except redis.RedisError as error:
            logger.error("Redis failed: %s", redact_url(str(error)))
            return RUN_FAILED
        finally:
            self._log_totals()
        return RUN_FAILED if self.failed else 0

    def _publish(self, store: StateStore) -> None:
        """Write the feeds and archive from the store, as a single-machine run does."""
        config = PublishConfig.from_settings(self.settings, extra_slugs=self._walked())
        try:
            report = publish(store, config)
        except (OSError, StateStoreError, NewsmonConfigError) as error:
            # The old feeds stay in place (every file is replaced atomically or not at all).
            logger.error("could not publish to %s: %s", config.output_dir, error)
            self.failed = True
            return
        self.totals["newsmon/publish/changed"] += len(report.rewritten)
        self.totals["newsmon/publish/exported"] += report.exported
        logger.info("published %s", report.words(config.output_dir))

    def _walked(self) -> list[str]:
        """The listing slugs the shared crawls walked (unsafe names are left out)."""
        slugs = sorted(text(slug) for slug in self.client.smembers(self.keys.listings))
        bad = [slug for slug in slugs if not is_listing_key(slug)]
        if bad:
            logger.warning("not a listing, no feed written: %s", ", ".join(map(repr, bad)))
        return [slug for slug in slugs if is_listing_key(slug)]

    def _log_totals(self) -> None:
        """One line with everything this publisher did."""
        if self.totals:
            totals = sorted(self.totals.items())
            counts = [f"{key.removeprefix('newsmon/')} {n}" for key, n in totals]
            logger.info("consumed: %s", ", ".join(counts))
