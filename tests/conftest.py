"""Shared fixtures: the offline replica of the site, run as a subprocess on 127.0.0.1."""

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

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
REPLICA_ARGS = (
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    "--seed",
    "7",
    "--now",
    "2026-11-27T12:00:00Z",
)
READY = re.compile(r"replica listening on (http://[\w.\-]+:\d+)")
START_TIMEOUT = 20.0


@dataclass
class Replica:
    """A running replica: its origin and helpers for its control API (urllib only)."""

    base_url: str
    """`http://127.0.0.1:PORT`, no trailing slash."""
    process: subprocess.Popen[str]

    def get_json(self, path: str) -> Any:
        """GET `path` (relative to the origin) and decode its JSON."""
        with urllib.request.urlopen(self.base_url + path, timeout=30) as response:
            return json.load(response)

    def post(self, path: str) -> Any:
        """POST (empty body) to `path` and decode the JSON answer."""
        request = urllib.request.Request(self.base_url + path, data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def truth(self) -> list[dict[str, Any]]:
        """Ground truth of every published article, newest first."""
        return self.get_json("/__replica__/truth.json")

    def requests(self) -> list[dict[str, Any]]:
        """Every site request served since start or the last reset."""
        return self.get_json("/__replica__/requests.json")

    def reset_requests(self) -> None:
        """Clear the request log."""
        self.post("/__replica__/requests/reset")


@contextmanager
def start_replica(*extra_args: str) -> Iterator[Replica]:
    """Run `python -m tests.replica` (seed 7, fixed clock) until the block ends."""
    command = [sys.executable, "-m", "tests.replica", *REPLICA_ARGS, *extra_args]
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=None,  # the replica is quiet unless something breaks: let that show
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    try:
        base_url = _wait_ready(lines, process)
        yield Replica(base_url, process)
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


def _wait_ready(lines: queue.Queue[str], process: subprocess.Popen[str]) -> str:
    """Wait for the ready line and return the origin it announces."""
    try:
        line = lines.get(timeout=START_TIMEOUT)
    except queue.Empty:
        raise RuntimeError(f"replica did not start within {START_TIMEOUT} s") from None
    match = READY.fullmatch(line.rstrip("\n"))
    if match is None:
        raise RuntimeError(f"unexpected replica output {line!r} (exit code {process.poll()})")
    return match.group(1)


@pytest.fixture
def replica() -> Iterator[Replica]:
    """A fresh default replica (240 articles); tests may publish and update on it."""
    with start_replica() as running:
        yield running


@pytest.fixture
def replica_small() -> Iterator[Replica]:
    """A fresh small replica (60 articles)."""
    with start_replica("--articles", "60") as running:
        yield running
