"""Publishing when a crawl ends: the feeds and the archive, then the front door.

PublishAtClose writes the feeds and the archive from the store; FrontDoorAtClose writes the
index page and the OPML once the run's health is recorded.

A run whose state store could not be written publishes nothing: the feeds and the archive stay
as they were (the archive's export marks could not be written either, so appending would
repeat lines next time), and the next run, with the store writable, publishes the whole set.
A publish that fails is the run's failure (exit 1, health, alerts), said in one line.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import replace

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from newsmon.config import NewsmonConfigError
from newsmon.crawl.keeper import WalkKeeper
from newsmon.publish.folder import check_output_folder
from newsmon.publish.frontdoor import write_front_door
from newsmon.publish.run import PublishConfig, publish
from newsmon.run.outcome import PUBLISH, STORE, fail_run, has_problem
from newsmon.store import StateStoreError, describe_error, get_store

logger = logging.getLogger(__name__)


class PublishAtClose:
    """At the end of every run, write every feed and the JSON-lines archive from the store."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        # Checked at start-up so a bad setting fails before any request, not after the crawl.
        self.config = PublishConfig.from_settings(crawler.settings)
        check_output_folder(self.config.output_dir, site=self.config.base_url)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PublishAtClose:
        """Connect to spider_closed; the store stays open until engine_stopped."""
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Publish feeds for the configured listings plus the ones this spider walked.

        A listing whose first page answered 404 does not exist on the site: it gets no feed
        (an empty feed of a mistyped tag would look like a quiet one to a subscriber).
        """
        if has_problem(self.crawler, STORE):
            logger.info(
                "nothing published (run ended: %s): the state store could not be written, so "
                "the feeds and the archive were left as they were",
                reason,
            )
            return
        walked = list(getattr(spider, "slugs", []))
        config = PublishConfig.from_settings(self.crawler.settings, extra_slugs=walked)
        keeper = self.crawler.get_extension(WalkKeeper)
        missing = keeper.missing if keeper is not None else set()
        if missing:
            config = replace(config, slugs=tuple(s for s in config.slugs if s not in missing))
        store = get_store(self.crawler)
        try:
            # The front door waits for FrontDoorAtClose: it shows this run's health too.
            report = publish(store, config, front_door=False)
        except (StateStoreError, sqlite3.Error) as error:
            # The old feeds stay in place (every file is replaced atomically or not at all).
            error = describe_error(error, store.path, "publishing")
            fail_run(
                self.crawler, f"could not publish to {config.output_dir}: {error}", problem=STORE
            )
            return
        except (OSError, NewsmonConfigError) as error:
            fail_run(
                self.crawler, f"could not publish to {config.output_dir}: {error}", problem=PUBLISH
            )
            return
        stats = self.crawler.stats
        if stats is not None:
            stats.set_value("newsmon/publish/feeds", len(report.feeds))
            stats.set_value("newsmon/publish/changed", len(report.rewritten))
            stats.set_value("newsmon/publish/exported", report.exported)
            stats.set_value("newsmon/publish/skipped", report.skipped)
        logger.info("published %s (run ended: %s)", report.words(config.output_dir), reason)


class FrontDoorAtClose:
    """After the health checks recorded the run: rewrite output/index.html and feeds.opml."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontDoorAtClose:
        """Connect to spider_closed (this extension's order puts it after HealthAtClose)."""
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Write the front door from the output folder and the store."""
        if has_problem(self.crawler, STORE):
            return  # published nothing either (PublishAtClose said so): the page stays as it was
        config = PublishConfig.from_settings(self.crawler.settings)
        store = get_store(self.crawler)
        try:
            write_front_door(store, config.output_dir, feed_base_url=config.feed_base_url)
        except (StateStoreError, sqlite3.Error) as error:
            error = describe_error(error, store.path, "writing the index page")
            fail_run(self.crawler, f"could not write the index page: {error}", problem=STORE)
        except OSError as error:
            fail_run(
                self.crawler,
                f"could not write the index page to {config.output_dir}: {error}",
                problem=PUBLISH,
            )
