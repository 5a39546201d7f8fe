"""What the benchmarks ran on: the machine, its load, the software versions, the commit."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.process import ROOT

PACKAGES = ("scrapy", "lxml", "parsel", "feedgen", "trafilatura", "newspaper4k")


def machine_info() -> dict[str, Any]:
    """CPU, memory, platform, Python and package versions, commit, time and load average."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "os": _os_name(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gib": round(_mem_total_bytes() / 2**30, 1),
        "python": sys.version.split()[0],
        "packages": {name: _version(name) for name in PACKAGES},
        "commit": _commit(),
        "load_average_start": list(os.getloadavg()),
    }


def describe(info: dict[str, Any]) -> str:
    """One line about the machine, for the printed header."""
    return (
        f"{info['cpus']} CPUs ({info['cpu']}), {info['memory_gib']} GiB RAM, {info['os']}, "
        f"{info['platform']}, "
        f"Python {info['python']}"
    )


def load_text(info: dict[str, Any]) -> str:
    """The 1-minute load average at start and end of the run."""
    start = info["load_average_start"][0]
    end = info.get("load_average_end", [start])[0]
    return f"load average {start:.2f} at start, {end:.2f} at end (1 min)"


def _os_name() -> str:
    """The distribution's name from /etc/os-release, else the platform string."""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def _cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (the platform's processor name elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _mem_total_bytes() -> int:
    """Total memory, from sysconf."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0


def _version(distribution: str) -> str:
    """An installed distribution's version, or "not installed"."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    """The work tree's commit (with `+changes` when it has uncommitted changes), if git knows."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+changes" if dirty else "")
