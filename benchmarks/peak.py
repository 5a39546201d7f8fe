"""Run `python -m scrapy ...` in this process and write its own peak memory when it exits.

`python benchmarks/peak.py OUT_PATH scrapy-arguments...` is how the benchmarks start every
crawl. The kernel's `ru_maxrss` of a child started with vfork+exec (what `subprocess` does)
carries the parent's peak into the child: the benchmark process, grown to 215 MiB by loading
trafilatura and newspaper4k, made a 131 MiB crawl read 215 MiB. The crawl's own high-water
mark is `VmHWM` in `/proc/self/status` (the peak of this process's address space since its
exec), read here at exit, after everything the crawl did, and written to OUT_PATH in bytes.

The file is run by path, also from folders outside the project (the bare spider), so it
imports nothing from the project.
"""

from __future__ import annotations

import atexit
import os
import runpy
import sys
from pathlib import Path


def own_peak_bytes() -> int:
    """`VmHWM` of this process in bytes (0 where /proc has no such line)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # reported in kB
    return 0


def main() -> None:
    """Run Scrapy as `python -m scrapy` would, with the peak written at exit."""
    out = Path(sys.argv[1])
    atexit.register(lambda: out.write_text(f"{own_peak_bytes()}\n", encoding="ascii"))
    # As `python -m scrapy` from the working folder: the folder first on the path (this
    # file's own folder must not shadow anything), Scrapy's arguments after the program name.
    sys.path[0] = os.getcwd()
    sys.argv = ["scrapy", *sys.argv[2:]]
    runpy.run_module("scrapy", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
