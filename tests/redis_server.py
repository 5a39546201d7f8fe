"""A real Redis for the tests: the one CI started, or a private redis-server on a free port.

`.ci/run` starts redis-server on 127.0.0.1 and exports NEWSMON_TEST_REDIS_URL; elsewhere a
private server is started for the test module if a `redis-server` binary is installed
(`apt-get install redis-server`), and the tests are skipped, saying why, if none is. Under
CI (CI=true) a missing Redis fails the tests instead: CI must run them. Tests share one
server safely because each uses its own NEWSMON_REDIS_PREFIX.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

URL_VARIABLE = "NEWSMON_TEST_REDIS_URL"
START_TIMEOUT = 20.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            redis.Redis.from_url(url, socket_timeout=2).ping()
            return
        except redis.RedisError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {process.returncode}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Redis at {url} did not answer within {START_TIMEOUT} s"
                ) from None
            time.sleep(0.1)


@contextmanager
def redis_server() -> Iterator[str]:
    """Yield the URL of a running Redis (see the module docstring)."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if url:
        _wait_for(url)
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        message = (
            "no redis-server binary found: the Redis tests need a real Redis "
            f"(apt-get install redis-server, or set {URL_VARIABLE})"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="newsmon-redis-") as folder:
        command = [binary, "--port", str(port), "--bind", "127.0.0.1"]
        # No snapshots, no append-only file: a scratch server that leaves nothing behind.
        command += ["--save", "", "--appendonly", "no", "--dir", folder]
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
        )
        try:
            url = f"redis://127.0.0.1:{port}/0"
            _wait_for(url, process)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
