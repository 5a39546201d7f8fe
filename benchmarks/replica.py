"""The offline replica the benchmarks measure against: a subprocess and its control API.

Mirrors `tests/conftest.py` (which cannot be imported outside pytest): the same seed and fixed
clock, so every run of the benchmarks crawls the same site.
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
from datetime import datetime
from typing import Any, TextIO

from benchmarks.process import ROOT, BenchmarkError

SEED = 7
NOW = "2026-11-27T12:00:00Z"
READY = re.compile(r"replica listening on (http://[\w.\-]+:\d+)")
# A 20,000-article replica draws its metadata in a second or two; a loaded machine needs more.
START_TIMEOUT = 60.0


@dataclass
class Replica:
    """A running replica: its origin and its control API (`/__replica__/`)."""

    base_url: str
    """`http://127.0.0.1:PORT`, no trailing slash."""
    articles: int
    process: subprocess.Popen[str]

    def get(self, path: str, timeout: float = 120) -> bytes:
        """GET `path` (relative to the origin) and return the body."""
        with urllib.request.urlopen(self.base_url + path, timeout=timeout) as response:
            body: bytes = response.read()
            return body

    def get_json(self, path: str) -> Any:
        """GET `path` and decode its JSON."""
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


def replica_now() -> datetime:
    """The replica's fixed clock, as an aware datetime."""
    return datetime.fromisoformat(NOW.replace("Z", "+00:00"))


@contextmanager
def start_replica(articles: int) -> Iterator[Replica]:
    """Run `python -m tests.replica` with `articles` articles until the block ends."""
    command = [
        sys.executable,
        "-m",
        "tests.replica",
        "--port",
        "0",
        "--host",
        "127.0.0.1",
        "--articles",
        str(articles),
        "--seed",
        str(SEED),
        "--now",
        NOW,
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None  # stdout=PIPE
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    try:
        yield Replica(_wait_ready(lines, process), articles, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _pump(stream: TextIO, lines: queue.Queue[str]) -> None:
    """Copy the replica's stdout lines to a queue; an empty string marks its end."""
    for line in stream:
        lines.put(line)
    lines.put("")


def _wait_ready(lines: queue.Queue[str], process: subprocess.Popen[str]) -> str:
    """Wait for the ready line and return the origin it announces."""
    try:
        line = lines.get(timeout=START_TIMEOUT)
    except queue.Empty:
        raise BenchmarkError(f"the replica did not start within {START_TIMEOUT:.0f} s") from None
    match = READY.fullmatch(line.rstrip("\n"))
    if match is None:
        raise BenchmarkError(f"unexpected replica output {line!r} (exit code {process.poll()})")
    return match.group(1)
