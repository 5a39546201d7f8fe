"""`python -m newsmon watch --from-redis URL`: what a watch needs to crawl as Redis workers.

Each cycle runs the configured crawls with NEWSMON_REDIS_URL set, so this machine starts (or
joins) the shared crawl like any worker and its crawl ends when the shared crawl is finished
(workers on other machines take part while it runs); then it runs the publisher once
(`python -m newsmon publish --from-redis URL`), which stores and publishes everything the
workers pushed. The schedule, backoff and graceful stop are the plain watch's
(`newsmon.cli.watch.Watcher`, told to run `publish_command` after each cycle's crawls).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from newsmon.distributed.keys import check_redis_url, connect


def check_redis_for_watch(url: str) -> str:
    """The checked Redis URL, after one connection: fail at start, in one line, not per cycle."""
    checked = check_redis_url(url)
    connect(checked).close()
    return checked


def publish_command(url: str, overrides: Sequence[str]) -> list[str]:
    """The publisher's command line, with the watch's -s overrides."""
    command = [sys.executable, "-m", "newsmon", "publish", "--from-redis", url]
    for pair in overrides:
        command += ["-s", pair]
    return command
