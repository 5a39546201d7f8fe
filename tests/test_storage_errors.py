"""Storage failures tell the truth: a full disk, a read-only one, an I/O error and a damaged file
are different messages, and only a damaged or foreign file is worth moving aside.

The disks are real: small tmpfs filesystems mounted for the test (root only), filled or made
read-only as a disk would be. Special files (/dev/null, a named pipe, a folder) are refused
before anything is created beside them.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import feedparser
import pytest

from newsmon.store import StateStore, describe_error
from tests.crawling import CrawlResult, run_crawl
from tests.replica.client import start_replica

ADVICE = ("move it aside", "Restore it")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small disk needs root")


@contextmanager
def small_disk(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `where` until the block ends."""
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def remount(where: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill the disk but for `leave` bytes, with one file; return it."""
    filler = disk / "filler"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with filler.open("wb") as handle:
        try:
            handle.write(b"\0" * max(free - leave, 0))
            while not leave:
                handle.write(b"\0" * 65536)
        except OSError:
            pass
    return filler


def newsmon_lines(result: CrawlResult) -> list[str]:
    return [line for line in result.log.splitlines() if line.startswith("newsmon: ")]


def crawl(base_url: str, workdir: Path, state: Path, **settings: str) -> CrawlResult:
    merged = {
        "NEWSMON_MAX_PAGES": "2",
        "NEWSMON_STATE_PATH": str(state),
        "NEWSMON_REPORT_DIR": str(workdir / "reports"),
        **settings,
    }
    return run_crawl("newsfeed", base_url, workdir, settings=merged)


def published_files(output: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(output)): p.read_bytes()
        for p in sorted(output.rglob("*"))
        if p.is_file() and p.name != "health.xml"
    }


def archived(output: Path) -> list[str]:
    lines = (output / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["url"] for line in lines]


def news_feed(truth: list[dict[str, Any]], count: int) -> set[str]:
    """The newest `count` articles of the News Feed."""
    return set([a["url"] for a in truth if "news-feed" in a["tag_slugs"]][:count])


@pytest.mark.parametrize("kind", ["/dev/null", "fifo", "folder"])
def test_a_special_file_is_refused_before_anything_is_made_beside_it(
    kind: str, tmp_path: Path
) -> None:
    place = tmp_path / "place"
    place.mkdir()
    if kind == "fifo":
        path = place / "state.sqlite3"
        os.mkfifo(path)
    elif kind == "folder":
        path = place / "state"
        path.mkdir()
    else:
        path = Path(kind)
    before = sorted(os.listdir(path.parent))
    result = run_crawl(
        "newsfeed", "http://127.0.0.1:9", tmp_path, settings={"NEWSMON_STATE_PATH": str(path)}
    )
    assert result.returncode == 2, result.log[-3000:]
    [line] = newsmon_lines(result)
    words = {
        "/dev/null": "is a character device, not a file",
        "fifo": "is a named pipe (FIFO), not a file",
        "folder": "is a folder",
    }
    assert f"newsmon: NEWSMON_STATE_PATH {path} {words[kind]}" in line
    assert not any(advice in line for advice in ADVICE)
    assert sorted(os.listdir(path.parent)) == before, "something was created beside it"
    assert not Path("/dev/null.lock").exists() and not Path("/dev/null-journal").exists()


@needs_root
def test_a_full_disk_at_start_is_said_so_and_the_run_fails(tmp_path: Path) -> None:
    with start_replica("--articles", "60") as site, small_disk(tmp_path / "disk", "8m") as disk:
        state = disk / "newsmon.sqlite3"
        first = crawl(site.base_url, tmp_path, state, NEWSMON_MAX_PAGES="1")
        assert first.returncode == 0, first.log[-3000:]
        fill(disk)
        full = crawl(site.base_url, tmp_path, state)
        (disk / "filler").unlink()
        with StateStore(state) as store:  # the file is fine: it opens, its runs are there
            assert store.health_runs("newsfeed", 5)
    assert full.returncode == 1, "a full disk fails the run; the configuration is fine"
    # Said once: on opening the state (one line on stderr), or at its first write (one ERROR
    # line), depending on what SQLite still had room for.
    said = newsmon_lines(full) + [line for line in full.log.splitlines() if " ERROR: " in line]
    assert len(said) == 1, full.log[-3000:]
    assert f"the disk holding the state file {state} is full" in said[0]
    assert "The state file is not damaged: keep it." in said[0]
    assert not any(advice in said[0] for advice in ADVICE)
    assert "Traceback" not in full.log


@needs_root
def test_a_read_only_disk_is_said_so(tmp_path: Path) -> None:
    with start_replica("--articles", "60") as site, small_disk(tmp_path / "disk", "8m") as disk:
        state = disk / "newsmon.sqlite3"
        assert crawl(site.base_url, tmp_path, state, NEWSMON_MAX_PAGES="1").returncode == 0
        remount(disk, "ro")
        result = crawl(site.base_url, tmp_path, state)
        remount(disk, "rw")
    assert result.returncode == 2, result.log[-3000:]
    # The first thing written is the lock beside the state: its folder is read-only.
    [line] = newsmon_lines(result)
    assert f"{state}.lock" in line
    assert "read-only" in line.lower()
    assert not any(advice in line for advice in ADVICE)
    assert "Traceback" not in result.log


def test_a_read_only_state_file_is_said_so(tmp_path: Path) -> None:
    path = tmp_path / "newsmon.sqlite3"
    StateStore(path).close()
    uri = f"{path.as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True)
    try:
        conn.execute("CREATE TABLE nope (x)")
    except sqlite3.Error as error:
        said = str(describe_error(error, path, "writing to it"))
    finally:
        conn.close()
    assert f"the state file {path} cannot be written" in said and "read-only" in said
    assert not any(advice in said for advice in ADVICE)


@needs_root
def test_a_disk_that_fills_mid_run_stops_the_run_and_the_next_completes_the_set(
    tmp_path: Path,
) -> None:
    with start_replica() as site, small_disk(tmp_path / "disk", "64m") as disk:
        state = disk / "newsmon.sqlite3"
        first = crawl(site.base_url, tmp_path, state)
        assert first.returncode == 0, first.log[-3000:]
        before = published_files(first.output_dir)
        site.publish(30)
        filler = fill(disk, leave=160 * 1024)
        # Writes are committed in batches; a small one makes the full disk show at a commit in
        # the middle of this short run, as a batch of any size does in a longer one.
        full = crawl(site.base_url, tmp_path, state, NEWSMON_STORE_BATCH_WRITES="5")
        during = published_files(full.output_dir)
        health = feedparser.parse((full.output_dir / "health.xml").read_bytes()).entries
        filler.unlink()
        after = crawl(site.base_url, tmp_path, state)
        truth = site.truth()
    log = full.log
    assert full.returncode == 1, log[-3000:]
    errors = [line for line in log.splitlines() if " ERROR: " in line]
    assert len(errors) == 1, errors
    assert re.search(
        rf"ERROR: run failed: the state store could not be written: the disk holding the state "
        rf"file {re.escape(str(state))} is full",
        errors[0],
    )
    assert not any(advice in errors[0] for advice in ADVICE)
    # Stopped early, without a traceback or an item per article.
    assert "finished (store_failed)" in log
    assert "Traceback" not in log and "Error processing" not in log
    assert "Not stored (" not in log, "an item's line at INFO"
    # The feeds and the archive are as the last good run left them; health.xml says why.
    assert during == before
    assert [entry.title for entry in health] == [
        "Health check failed: store (state) in the newsfeed crawl"
    ]
    # With space again, the next run completes the set: every article once.
    assert after.returncode == 0, after.log[-3000:]
    lines = archived(after.output_dir)
    assert len(lines) == len(set(lines)), "an article was archived twice"
    assert set(lines) == news_feed(truth, 40 + 30)


def sqlite_error(message: str, code: int) -> sqlite3.Error:
    """An error as SQLite raises it, with its result code."""
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code  # type: ignore[attr-defined]
    return error


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (13, "is full"),
        (8, "cannot be written"),
        (10 | (4 << 8), "reported an I/O error"),
        (5, "is locked by another program"),
        (11, "reported an I/O error"),  # "corrupt", but the file passes the integrity check
    ],
)
def test_each_failure_has_its_own_message_and_no_advice_to_move_a_good_file(
    code: int, words: str, tmp_path: Path
) -> None:
    path = tmp_path / "newsmon.sqlite3"
    StateStore(path).close()
    said = str(describe_error(sqlite_error("boom", code), path, "writing to it"))
    assert f"{path}" in said and words in said
    assert not any(advice in said for advice in ADVICE)


def test_a_file_that_fails_the_integrity_check_is_advised_to_be_restored(tmp_path: Path) -> None:
    path = tmp_path / "newsmon.sqlite3"
    StateStore(path).close()
    data = bytearray(path.read_bytes())
    data[4096 : 4096 * 3] = os.urandom(4096 * 2)  # a page of the schema and data, garbled
    path.write_bytes(bytes(data))
    said = str(describe_error(sqlite_error("database disk image is malformed", 11), path, "x"))
    assert "is damaged" in said and "integrity check fails" in said
    assert "Restore it from a backup, or move it aside" in said
