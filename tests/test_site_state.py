"""A state file belongs to its site; a listing the site does not have gets no feed.

Real `scrapy crawl` and `python -m newsmon watch` runs against the replica on 127.0.0.1.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from newsmon.store import StateStore, site_origin
from newsmon.store.schema import MIGRATIONS
from tests.crawling import FAST, ROOT, run_crawl

NOWHERE = "http://127.0.0.1:9"  # connection refused at once, should a refused run go on


def newsmon_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("newsmon: ")]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_state_refuses_another_site_in_one_line(replica_small: Any, tmp_path: Path) -> None:
    first = run_crawl("newsfeed", replica_small.base_url, tmp_path)
    assert first.returncode == 0, first.log[-3000:]
    feeds = snapshot(first.output_dir)
    state = first.state_path.read_bytes()

    # Another port of the same host is another site.
    other = run_crawl("newsfeed", NOWHERE, tmp_path)
    assert other.returncode == 2, other.log[-3000:]
    [line] = newsmon_lines(other.log)
    assert f"belongs to {replica_small.base_url}, not to {NOWHERE}" in line
    assert "use another NEWSMON_STATE_PATH" in line
    assert "Traceback" not in other.log
    assert "crawl newsfeed started" not in other.log, "a refused run must not start"
    assert snapshot(first.output_dir) == feeds
    assert first.state_path.read_bytes() == state

    # The watch says it once, at its start, rather than in every cycle.
    settings = {**FAST, "NEWSMON_BASE_URL": NOWHERE, "NEWSMON_STATE_PATH": str(first.state_path)}
    command = [sys.executable, "-m", "newsmon", "watch", "--every", "1h"]
    for name, value in {**settings, "NEWSMON_OUTPUT_DIR": str(first.output_dir)}.items():
        command += ["-s", f"{name}={value}"]
    watch = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert watch.returncode == 2, watch.stderr[-3000:]
    assert len(newsmon_lines(watch.stderr)) == 1
    assert "cycle 1" not in watch.stderr

    # The same site spelt another way is the same site.
    again = run_crawl("newsfeed", replica_small.base_url + "/", tmp_path)
    assert again.returncode == 0, again.log[-3000:]


def test_a_state_made_before_sites_were_recorded_adopts_its_first_site(
    replica_small: Any, tmp_path: Path
) -> None:
    path = tmp_path / "state" / "newsmon.sqlite3"
    path.parent.mkdir()
    StateStore(path).close()
    # As the schema was before the site step: its tables and the later steps' gone.
    site_step = next(
        number for number, step in enumerate(MIGRATIONS) if "CREATE TABLE site" in step[0]
    )
    with closing(sqlite3.connect(path)) as db:
        for step in MIGRATIONS[site_step:]:
            for statement in step:
                created = re.match(r"\s*CREATE TABLE (\w+)", statement)
                if created:
                    db.execute(f"DROP TABLE {created.group(1)}")
        db.execute(f"PRAGMA user_version = {site_step}")
        db.commit()
    first = run_crawl("newsfeed", replica_small.base_url, tmp_path)
    assert first.returncode == 0, first.log[-3000:]
    with StateStore(path) as store:
        assert store.bound_site() == replica_small.base_url
    refused = run_crawl("newsfeed", NOWHERE, tmp_path)
    assert refused.returncode == 2


@pytest.mark.parametrize(
    ("spelling", "origin"),
    [
        ("https://kyivindependent.com", "https://kyivindependent.com"),
        ("HTTPS://KyivIndependent.com:443/", "https://kyivindependent.com"),
        ("http://kyivindependent.com", "http://kyivindependent.com"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
    ],
)
def test_a_site_is_its_scheme_host_and_port(spelling: str, origin: str) -> None:
    assert site_origin(spelling) == origin


def test_an_unknown_tag_publishes_no_feed(replica_small: Any, tmp_path: Path) -> None:
    result = run_crawl("tags", replica_small.base_url, tmp_path, "-a", "tags=russia,no-such-tag")
    tags = result.output_dir / "tags"
    assert (tags / "russia.xml").is_file()
    assert not (tags / "no-such-tag.xml").exists()
    assert not (tags / "no-such-tag.atom").exists()
    # One line names the listing (the start line aside); its walk is not reported again.
    named = [
        line
        for line in result.log.splitlines()
        if "no-such-tag" in line and "crawl tags started" not in line
    ]
    assert len(named) == 1, result.log[-3000:]
    assert "ERROR: unknown listing 'no-such-tag'" in named[0]

    alone = run_crawl("tags", replica_small.base_url, tmp_path, "-a", "tags=no-such-tag")
    assert alone.returncode == 1, "a run that walked nothing failed"
    assert not (tags / "no-such-tag.xml").exists()
