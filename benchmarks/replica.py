"""The offline replica the benchmarks measure against, through the tests' replica client.

A longer start-up allowance and benchmark errors; the same seed and fixed clock as the
tests, so every run of the benchmarks crawls the same site.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from benchmarks.process import BenchmarkError
from tests.replica.client import NOW, SEED, Replica, ReplicaStartError
from tests.replica.client import start_replica as start_replica_process

__all__ = ["NOW", "SEED", "Replica", "replica_now", "start_replica"]

# A 20,000-article replica draws its metadata in a second or two; a loaded machine needs more.
START_TIMEOUT = 60.0


def replica_now() -> datetime:
    """The replica's fixed clock, as an aware datetime."""
    return datetime.fromisoformat(NOW.replace("Z", "+00:00"))


@contextmanager
def start_replica(articles: int) -> Iterator[Replica]:
    """Run `python -m tests.replica` with `articles` articles until the block ends."""
    try:
        with start_replica_process(
            "--articles", str(articles), start_timeout=START_TIMEOUT
        ) as replica:
            yield replica
    except ReplicaStartError as error:
        raise BenchmarkError(str(error)) from error
