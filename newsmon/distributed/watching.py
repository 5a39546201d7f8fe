"""`python -m newsmon watch --from-redis URL`: scheduled crawls as Redis workers, then publish.

Each cycle runs the configured crawls with NEWSMON_REDIS_URL set, so this machine starts (or
joins) the shared crawl like any worker and its crawl ends when the shared crawl is finished
(workers on other machines take part while it runs); then it runs the publisher once
(`python -m newsmon publish --from-redis URL`), which stores and publishes everything the
workers pushed. The schedule, backoff and graceful stop are the plain watch's.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence

from newsmon.cli.watch import Watcher, WatchPlan
from newsmon.distributed.keys import check_redis_url, connect


def publish_command(url: str, overrides: Sequence[str]) -> list[str]:
    """The publisher's command line, with the watch's -s overrides."""
    command = [sys.executable, "-m", "newsmon", "publish", "--from-redis", url]
    for pair in overrides:
        command += ["-s", pair]
    return command


class RedisWatcher(Watcher):
    """A Watcher whose crawls are Redis workers and whose cycles end with publishing."""

    def __init__(
        self,
        plan: WatchPlan,
        overrides: Sequence[str],
        url: str,
        rng: random.Random | None = None,
    ) -> None:
        self.url = check_redis_url(url)
        # Fail at start, in one line, rather than in every cycle.
        connect(self.url).close()
        self.publish_overrides = list(overrides)
        super().__init__(plan, [*overrides, f"NEWSMON_REDIS_URL={self.url}"], rng)

    def run_cycle(self) -> bool:
        """Run the crawls as workers, then publish what they pushed (even when stopping)."""
        crawled = super().run_cycle()
        published = self.run_child(publish_command(self.url, self.publish_overrides), "publish")
        return crawled and published == 0
