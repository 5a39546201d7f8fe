"""Run one measured crawl: its CPU time and wall time from the kernel, its own peak memory.

CPU time is `os.wait4`'s for exactly that child. Peak memory is the child's own `VmHWM`,
written by `benchmarks/peak.py` when the crawl exits: `ru_maxrss` would be wrong, because a
child started with vfork+exec inherits the parent's peak in it (see peak.py).
"""

from __future__ import annotations

import compileall
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEAK = Path(__file__).resolve().parent / "peak.py"


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
    """Peak resident set size of the crawl process itself (its `VmHWM` at exit)."""
    ru_maxrss_bytes: int
    """The kernel's `ru_maxrss` for the child, kept to show the inherited figure it gives."""

    @property
    def cpu_seconds(self) -> float:
        """User plus system CPU time."""
        return self.user_seconds + self.system_seconds


PEAK_PLACEHOLDER = "{peak}"


def compile_bytecode() -> bool:
    """Compile newsmon's modules and the bare spider to bytecode, as installing a package does.

    Every crawl is a fresh process that imports newsmon. Without `__pycache__` (a fresh clone,
    or PYTHONDONTWRITEBYTECODE set, as on the machines these benchmarks run on) each crawl
    compiled its ~160 modules from source first: 0.15 s of CPU a crawl that bare Scrapy, whose
    installed modules pip compiled, never pays. False if a folder could not be written.
    """
    spider = ROOT / "benchmarks" / "bare_spider.py"
    compiled = compileall.compile_dir(ROOT / "newsmon", quiet=1)
    return bool(compiled and compileall.compile_file(spider, quiet=1))


def scrapy_command(*args: str) -> list[str]:
    """`python -m scrapy <args>` through peak.py, which reports the crawl's own peak."""
    # run_measured puts the peak file's path in place of the placeholder.
    return [sys.executable, str(PEAK), PEAK_PLACEHOLDER, *args]


def run_measured(
    command: Sequence[str],
    *,
    log_path: Path,
    timeout: float,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
) -> Measured:
    """Run a `scrapy_command` in a fresh process (stderr to `log_path`); its resource usage.

    `os.wait4` reports the usage of exactly this child, so the replica and earlier runs (other
    children of this process) never leak into the figures, as they would with
    `getrusage(RUSAGE_CHILDREN)`, whose `ru_maxrss` is the maximum over all waited children.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    peak_path = log_path.with_suffix(".peak")
    peak_path.unlink(missing_ok=True)
    command = [str(peak_path) if arg == PEAK_PLACEHOLDER else arg for arg in command]
    with log_path.open("w", encoding="utf-8") as log:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
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
            f"{command[3:5]} did not finish within {timeout:.0f} s; see {log_path}"
        )
    return Measured(
        returncode=returncode,
        user_seconds=usage.ru_utime,
        system_seconds=usage.ru_stime,
        wall_seconds=wall,
        max_rss_bytes=_own_peak(peak_path),
        ru_maxrss_bytes=usage.ru_maxrss * 1024,  # Linux reports KiB
    )


def _own_peak(peak_path: Path) -> int:
    """The peak the crawl wrote at exit (0 when it could not: a killed or failed run)."""
    try:
        return int(peak_path.read_text(encoding="ascii").strip() or 0)
    except (OSError, ValueError):
        return 0


def _kill(pid: int) -> None:
    """Kill a child that overran its timeout (it may have just exited)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
