"""Offline demo: start the replica, run the newsfeed and tags crawls against it, leave feeds.

    python -m tests.replica.demo [--articles N] [--output DIR]

The feeds land in output/ (or --output), the state in state/replica.sqlite3, kept apart from
the state of crawls of the real site.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from tests.replica.client import start_replica

ROOT = Path(__file__).resolve().parents[2]
# Fast and deterministic: the replica is local, so no politeness delays are needed.
OFFLINE_SETTINGS = (
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    "LOG_LEVEL=INFO",
)


def crawl(spider: str, base_url: str, output: Path, state: Path, *extra: str) -> int:
    """Run one `scrapy crawl` against the replica; return its exit code."""
    settings = [
        f"NEWSMON_BASE_URL={base_url}",
        f"NEWSMON_OUTPUT_DIR={output}",
        f"NEWSMON_STATE_PATH={state}",
        *OFFLINE_SETTINGS,
    ]
    command = [sys.executable, "-m", "scrapy", "crawl", spider, *extra]
    for setting in settings:
        command += ["-s", setting]
    return subprocess.call(command, cwd=ROOT)


def main(argv: list[str] | None = None) -> int:
    """Run the offline demo and print where the feeds are."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=240)
    parser.add_argument("--output", type=Path, default=ROOT / "output")
    parser.add_argument("--state", type=Path, default=ROOT / "state" / "replica.sqlite3")
    args = parser.parse_args(argv)
    with start_replica("--articles", str(args.articles), fixed_clock=False) as replica:
        base_url = replica.base_url
        print(f"replica at {base_url}", flush=True)
        status = crawl("newsfeed", base_url, args.output, args.state)
        status = status or crawl("tags", base_url, args.output, args.state)
    for path in sorted(args.output.rglob("*")):
        if path.is_file():
            print(path)
    return status


if __name__ == "__main__":
    sys.exit(main())
