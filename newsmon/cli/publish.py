"""`python -m newsmon publish --from-redis URL [--follow]`: store and publish the workers' items.

The publisher of a crawl scaled out on Redis (see `newsmon.distributed`): workers started with
`scrapy crawl SPIDER -s NEWSMON_REDIS_URL=URL` push their items to Redis; this command records
them in the state store (NEWSMON_STATE_PATH) and writes the feeds and the archive
(NEWSMON_OUTPUT_DIR) as a single-machine run does. Without --follow it drains what is there
and exits (run it after the workers); with --follow it runs until SIGTERM or SIGINT.

Exit codes: 0 done (or skipped: another publisher holds the lock), 1 the store or the output
could not be written, or Redis failed, 2 bad configuration (a setting, the state file, an
unreachable Redis).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from scrapy.settings import Settings

from newsmon.config import NewsmonConfigError
from newsmon.distributed.keys import connect, redis_url_from_settings
from newsmon.distributed.publisher import Publisher, PublisherConfig, claim_output
from newsmon.run.outcome import CONFIG_ERROR
from newsmon.run.settings_check import check_settings
from newsmon.store import StateStoreError

logger = logging.getLogger(__name__)


class PublishCommand:
    """Consume the items workers pushed to Redis into the store, and publish."""

    name = "publish"
    help = "store the items that Redis workers pushed, then write the feeds and the archive"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """--from-redis, --follow."""
        parser.add_argument(
            "--from-redis",
            metavar="URL",
            default=None,
            help="Redis the workers push to, e.g. redis://host:6379/0 (default NEWSMON_REDIS_URL)",
        )
        parser.add_argument(
            "--follow",
            action="store_true",
            help="keep consuming and publishing until SIGTERM/SIGINT (default: drain, then exit)",
        )

    def run(self, args: argparse.Namespace, settings: Settings) -> int:
        """Check the configuration, connect, then publish once or until stopped."""
        check_settings(settings)
        url = args.from_redis if args.from_redis is not None else redis_url_from_settings(settings)
        if not url:
            raise NewsmonConfigError(
                "publish needs --from-redis URL (or NEWSMON_REDIS_URL): the Redis workers push to"
            )
        config = PublisherConfig.from_settings(settings, url)
        client = connect(config.url)
        try:
            # Only now: a run that cannot reach Redis leaves the output folder untouched.
            claim_output(settings)
        except NewsmonConfigError:
            client.close()
            raise
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            name = signal.Signals(signum).name
            logger.info("received %s: finishing the batch, publishing, stopping", name)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            return Publisher(settings, config, client, stop).run(follow=args.follow)
        except StateStoreError as error:
            print(f"newsmon: {error}", file=sys.stderr)
            return CONFIG_ERROR
        finally:
            client.close()


command = PublishCommand()
