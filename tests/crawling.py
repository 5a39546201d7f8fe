"""Run real `scrapy crawl` commands against the replica, as a user would, and read the results."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The checks' own settings: the replica is local, so politeness delays only slow tests down.
# Verbose: the tests read Scrapy's final stats dump, which a quiet run keeps at DEBUG.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "INFO",
    "NEWSMON_VERBOSE": "True",
}


@dataclass
class CrawlResult:
    """What one crawl left: its exit code, log, exported items and Scrapy stats."""

    returncode: int
    log: str
    items: list[dict[str, Any]]
    stats: dict[str, Any]
    output_dir: Path
    state_path: Path

    def stat(self, key: str, default: int = 0) -> Any:
        """One stats value, e.g. "newsmon/items/new"."""
        return self.stats.get(key, default)


def run_crawl(
    spider: str,
    base_url: str,
    workdir: Path,
    *args: str,
    settings: dict[str, str] | None = None,
    timeout: float = 240,
) -> CrawlResult:
    """Run `python -m scrapy crawl SPIDER` in the project against `base_url`."""
    items_path = workdir / f"items-{spider}.jsonl"
    items_path.unlink(missing_ok=True)
    output_dir = workdir / "output"
    state_path = workdir / "state" / "newsmon.sqlite3"
    merged = {
        **FAST,
        "NEWSMON_BASE_URL": base_url,
        "NEWSMON_OUTPUT_DIR": str(output_dir),
        "NEWSMON_STATE_PATH": str(state_path),
        **(settings or {}),
    }
    command = [sys.executable, "-m", "scrapy", "crawl", spider, "-O", str(items_path), *args]
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    process = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    items = []
    if items_path.exists():
        items = [json.loads(line) for line in items_path.read_text().splitlines() if line]
    return CrawlResult(
        returncode=process.returncode,
        log=process.stderr,
        items=items,
        stats=parse_stats(process.stderr),
        output_dir=output_dir,
        state_path=state_path,
    )


def parse_stats(log: str) -> dict[str, Any]:
    """The stats dict Scrapy dumps at the end of a crawl's log."""
    match = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n", log, re.DOTALL)
    if not match:
        return {}
    text = re.sub(r"datetime\.datetime\([^)]*\)", "None", match.group(1))
    try:
        stats: dict[str, Any] = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return {}
    return stats
