"""Run one measured subprocess: its CPU time, wall time and peak memory, from the kernel."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class BenchmarkError(RuntimeError):
    """A benchmark could not be measured (a crawl failed, the replica did not start)."""


@dataclass(frozen=True)
class Measured:
    """What the kernel accounted to one finished child process."""

    returncode: int
    user_seconds: float
    system_seconds: float
    wall_seconds: float
    max_rss_bytes: int
    """Peak resident set size of the child (`ru_maxrss`)."""

    @property
    def cpu_seconds(self) -> float:
        """User plus system CPU time."""
        return self.user_seconds + self.system_seconds


def run_measured(
    command: Sequence[str], *, log_path: Path, timeout: float, cwd: Path = ROOT
) -> Measured:
    """Run `command` in a fresh process (stderr to `log_path`) and return its resource usage.

    `os.wait4` reports the usage of exactly this child, so the replica and earlier runs (other
    children of this process) never leak into the figures, as they would with
    `getrusage(RUSAGE_CHILDREN)`, whose `ru_maxrss` is the maximum over all waited children.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(command), cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        # wait4 has no timeout: a watchdog kills a stuck run so the benchmark ends.
        timer = threading.Timer(timeout, _kill, args=(process.pid,))
        timer.start()
        try:
            _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    returncode = os.waitstatus_to_exitcode(status)
    # Popen must not wait for a child that wait4 already reaped.
    process.returncode = returncode
    if returncode == -signal.SIGKILL and wall >= timeout:
        raise BenchmarkError(
            f"{command[2:4]} did not finish within {timeout:.0f} s; see {log_path}"
        )
    return Measured(
        returncode=returncode,
        user_seconds=usage.ru_utime,
        system_seconds=usage.ru_stime,
        wall_seconds=wall,
        max_rss_bytes=usage.ru_maxrss * 1024,  # Linux reports KiB
    )


def _kill(pid: int) -> None:
    """Kill a child that overran its timeout (it may have just exited)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
