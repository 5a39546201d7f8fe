"""`scrapy crawl` that exits non-zero when a run failed and explains bad configuration plainly.

Scrapy's own `crawl` exits 0 after a run that fetched nothing, and answers a bad setting with
a traceback. A scheduled monitor needs the opposite: a one-line reason and an exit code that
cron and systemd can alert on. A run skipped on purpose (another run holds the lock, or the
site blocked the last run and the back-off holds) is one line and exit 0; a state file on a
full or failing disk is one line and exit 1 (the run failed; the configuration is fine).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable
from functools import partial

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.extensions.feedexport import FeedExporter

from newsmon.config import NewsmonConfigError
from newsmon.crawl.backoff import BackingOff
from newsmon.run import quiet
from newsmon.run.lock import RunLocked
from newsmon.run.outcome import CONFIG_ERROR, RUN_FAILED, run_exit_code
from newsmon.store import StateStoreError

logger = logging.getLogger(__name__)

# Errors a user fixes by changing a setting or a file, not by reading a traceback.
CONFIGURATION_ERRORS = (NewsmonConfigError, StateStoreError)


class Command(ScrapyCrawlCommand):
    """Run a spider; exit 1 if the run failed, 2 if the configuration is unusable."""

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        """Apply the options, then quieten Scrapy's dumps before it logs the first one."""
        super().process_options(args, opts)
        assert self.settings is not None
        quiet.install(self.settings)

    def say(self, message: str, level: int) -> None:
        """One `newsmon:` line on stderr, and in LOG_FILE if the log goes there.

        stderr, not the log: LOG_LEVEL may hide the log, never this line. Without LOG_FILE the
        log is on stderr too, and a second copy of the line would only repeat it.
        """
        print(f"newsmon: {message}", file=sys.stderr)
        if self.settings is not None and self.settings.get("LOG_FILE"):
            logger.log(level, "%s", message)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Run the spider named in args and set the exit code from the run's outcome."""
        if len(args) != 1:
            raise UsageError("give exactly one spider: scrapy crawl newsfeed|tags")
        assert self.crawler_process
        try:
            # The spider checks every setting's type and name as the crawler is built, before
            # any component reads one (ListingSpider.update_settings).
            crawler = self.crawler_process.create_crawler(args[0])
        except NewsmonConfigError as error:
            self.say(str(error), logging.ERROR)
            self.exitcode = CONFIG_ERROR
            return
        crawler.signals.connect(_warn_if_feeds_unused, signal=signals.engine_started)
        running = self.crawler_process.crawl(crawler, **opts.spargs)
        configuration_failed: list[str] = []
        skipped: list[str] = []
        store_failed: list[str] = []
        crashed: list[str] = []

        def explain(error: BaseException) -> bool:
            """Say a configuration error, a held lock or a back-off in one line; tell if it was."""
            if isinstance(error, RunLocked | BackingOff):
                # Another run is on it, or the site asked for a pause: skipping is the
                # expected outcome, not a failure.
                skipped.append(str(error))
                self.say(str(error), logging.WARNING)
                return True
            if not isinstance(error, CONFIGURATION_ERRORS):
                crashed.append(repr(error))
                return False
            if isinstance(error, StateStoreError) and error.transient:
                # A full disk or an I/O error: the run failed, the configuration is fine.
                store_failed.append(str(error))
            else:
                configuration_failed.append(str(error))
            self.say(str(error), logging.ERROR)
            return True

        if isinstance(running, asyncio.Task):
            running.add_done_callback(partial(_retrieve_configuration_error, explain))
        else:  # a Deferred, with the Twisted-based crawler process
            running.addErrback(  # type: ignore[attr-defined]
                lambda failure: None if explain(failure.value) else failure
            )
        self.crawler_process.start()
        if configuration_failed:
            self.exitcode = CONFIG_ERROR
        elif skipped:
            self.exitcode = 0
        elif self.crawler_process.bootstrap_failed or crashed or store_failed:
            # A crawl that died of an unexpected error did not run: cron must hear of it.
            self.exitcode = RUN_FAILED
        else:
            self.exitcode = run_exit_code(crawler)


def _warn_if_feeds_unused(sender: Crawler) -> None:
    """Warn that -o/-O or FEEDS export nothing when the FeedExporter extension is off.

    Scrapy's own `crawl` command does this in its private `_create_crawler`; this command
    builds its crawler with the public `create_crawler`, so it says it itself.
    """
    if sender.settings.getdict("FEEDS") and sender.get_extension(FeedExporter) is None:
        logger.warning(
            "The FeedExporter extension is not enabled, so no item will be "
            "exported to the configured feeds (FEEDS, -o, -O)."
        )


def _retrieve_configuration_error(
    explain: Callable[[BaseException], bool], task: asyncio.Task[None]
) -> None:
    """Take a configuration error out of the task, so asyncio does not print its traceback."""
    if task.cancelled():
        return
    error = task.exception()  # retrieving it marks it handled
    if error is not None and not explain(error):
        logger.error("crawl failed", exc_info=error)
