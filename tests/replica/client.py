"""Run the replica as a subprocess and talk to its control API (urllib only).

Shared by the test fixtures (tests/conftest.py) and the benchmarks: the same seed and fixed
clock, so every run crawls the same site.
"""

from __future__ import annotations

import json
import queue
import re
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED = 7
NOW = "2026-11-27T12:00:00Z"
LOCAL_ARGS = ("--port", "0", "--host", "127.0.0.1")
REPLICA_ARGS = (*LOCAL_ARGS, "--seed", str(SEED), "--now", NOW)
READY = re.compile(r"replica listening on (http://[\w.\-]+:\d+)")
START_TIMEOUT = 20.0


class ReplicaStartError(RuntimeError):
    """The replica did not print its ready line."""


@dataclass
class Replica:
    """A running replica: its origin and helpers for its control API."""

    base_url: str
    """`http://127.0.0.1:PORT`, no trailing slash."""
    process: subprocess.Popen[str]

    def get(self, path: str, timeout: float = 120) -> bytes:
        """GET `path` (relative to the origin) and return the body."""
        with urllib.request.urlopen(self.base_url + path, timeout=timeout) as response:
            body: bytes = response.read()
            return body

    def get_json(self, path: str) -> Any:
        """GET `path` (relative to the origin) and decode its JSON."""
        return json.loads(self.get(path))

    def post(self, path: str) -> Any:
        """POST (empty body) to `path` and decode the JSON answer."""
        request = urllib.request.Request(self.base_url + path, data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response)

    def truth(self) -> list[dict[str, Any]]:
        """Ground truth of every published article, newest first."""
        truth: list[dict[str, Any]] = self.get_json("/__replica__/truth.json")
        return truth

    def requests(self) -> list[dict[str, Any]]:
        """Every site request served since start or the last reset."""
        log: list[dict[str, Any]] = self.get_json("/__replica__/requests.json")
        return log

    def reset_requests(self) -> None:
        """Clear the request log."""
        self.post("/__replica__/requests/reset")

    def publish(self, count: int) -> list[dict[str, Any]]:
        """Publish `count` new articles; return their truth."""
        added: list[dict[str, Any]] = self.post(f"/__replica__/publish?count={count}")
        return added

    def rename(self, slug: str, *, edit: bool = True) -> dict[str, Any]:
        """Give an article a new slug (301 from the old), edited or not; return its truth."""
        [renamed] = self.post(f"/__replica__/rename?slug={slug}&edit={int(edit)}")
        return dict(renamed)

    def remove(self, slug: str, status: int = 404) -> None:
        """Take an article down: its page answers `status`, no listing shows it."""
        self.post(f"/__replica__/remove?slug={slug}&status={status}")

    def restore(self, slug: str) -> None:
        """Put a removed article back."""
        self.post(f"/__replica__/restore?slug={slug}")


@contextmanager
def start_replica(
    *extra_args: str, start_timeout: float = START_TIMEOUT, fixed_clock: bool = True
) -> Iterator[Replica]:
    """Run `python -m tests.replica` until the block ends (seed 7 and a fixed clock, unless
    `fixed_clock` is false: then the timeline ends now, as on the live site)."""
    defaults = REPLICA_ARGS if fixed_clock else LOCAL_ARGS
    command = [sys.executable, "-m", "tests.replica", *defaults, *extra_args]
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=None,  # the replica is quiet unless something breaks: let that show
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    try:
        yield Replica(_wait_ready(lines, process, start_timeout), process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _pump(stream: Any, lines: queue.Queue[str]) -> None:
    """Copy the replica's stdout lines to a queue; an empty string marks its end."""
    for line in stream:
        lines.put(line)
    lines.put("")


def _wait_ready(lines: queue.Queue[str], process: subprocess.Popen[str], timeout: float) -> str:
    """Wait for the ready line and return the origin it announces."""
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        raise ReplicaStartError(f"the replica did not start within {timeout:.0f} s") from None
    match = READY.fullmatch(line.rstrip("\n"))
    if match is None:
        raise ReplicaStartError(f"unexpected replica output {line!r} (exit code {process.poll()})")
    return match.group(1)
