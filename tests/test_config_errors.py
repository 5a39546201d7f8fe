"""Bad configuration: one clear line on stderr, exit code 2, no traceback, nothing touched.

Every case runs the real `scrapy crawl` command. None gets as far as a request: the base URL
points at a closed local port all the same, so a check that let a bad value through would
fail on that instead of quietly contacting a real site.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsmon.items import ArticleItem
from newsmon.store import APPLICATION_ID, SQLITE_HEADER, StateStore, body_fingerprint
from tests.crawling import FAST, ROOT

# A closed port on the loopback: connection refused at once.
NOWHERE = "http://127.0.0.1:9"
# Lines a crawl that never started must not print (it published nothing, fetched nothing).
NEVER_STARTED = ("could not publish", "no listing page could be fetched", "Spider opened")


@dataclass
class Outcome:
    """A finished `scrapy crawl`: exit code and stderr."""

    returncode: int
    stderr: str

    @property
    def newsmon_lines(self) -> list[str]:
        """The lines newsmon printed for the user (not the log)."""
        return [line for line in self.stderr.splitlines() if line.startswith("newsmon: ")]


def crawl(tmp_path: Path, *args: str, spider: str = "newsfeed", **settings: str) -> Outcome:
    merged = {
        **FAST,
        "NEWSMON_BASE_URL": NOWHERE,
        "NEWSMON_OUTPUT_DIR": str(tmp_path / "output"),
        "NEWSMON_STATE_PATH": str(tmp_path / "state.sqlite3"),
        **settings,
    }
    command = [sys.executable, "-m", "scrapy", "crawl", spider, *args]
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    return Outcome(done.returncode, done.stderr)


def assert_refused(outcome: Outcome, *words: str) -> str:
    """Exit 2, exactly one `newsmon:` line holding `words`, no traceback; return the line."""
    assert outcome.returncode == 2, outcome.stderr[-3000:]
    assert len(outcome.newsmon_lines) == 1, outcome.stderr[-3000:]
    line = outcome.newsmon_lines[0]
    for word in words:
        assert word in line, line
    assert "Traceback" not in outcome.stderr
    for never in NEVER_STARTED:
        assert never not in outcome.stderr, f"{never!r} printed by a crawl that never started"
    return line


SETTING_CASES = [
    ({"NEWSMON_BASE_URL": "ftp://x"}, ["NEWSMON_BASE_URL", "http(s)", "'ftp://x'"]),
    ({"NEWSMON_BASE_URL": "kyivindependent.com"}, ["NEWSMON_BASE_URL", "http(s)"]),
    ({"NEWSMON_BASE_URL": "https://kyivindependent.com/news/"}, ["site's root"]),
    ({"NEWSMON_OUTPUT_DIR": "/proc/nope"}, ["NEWSMON_OUTPUT_DIR", "/proc/nope"]),
    ({"NEWSMON_UPDATE_POLICY": "weird"}, ["NEWSMON_UPDATE_POLICY", "'weird'", "update"]),
    ({"NEWSMON_MAX_PAGES": "abc"}, ["NEWSMON_MAX_PAGES must be a whole number", "'abc'"]),
    ({"NEWSMON_MAX_PAGES": "0"}, ["NEWSMON_MAX_PAGES must be 1 or more"]),
    ({"NEWSMON_FEED_SIZE": "-1"}, ["NEWSMON_FEED_SIZE", "'-1'"]),
    ({"NEWSMON_FEED_SIZE": "many"}, ["NEWSMON_FEED_SIZE must be a whole number"]),
    ({"NEWSMON_RETRY_AFTER_MAX": "soon"}, ["NEWSMON_RETRY_AFTER_MAX must be a number"]),
    ({"NEWSMON_FEED_SZE": "10"}, ["unknown setting NEWSMON_FEED_SZE", "NEWSMON_FEED_SIZE?"]),
    ({"DOWNLOAD_TIMEOUT": "long"}, ["DOWNLOAD_TIMEOUT must be a number", "'long'"]),
    ({"ROBOTSTXT_OBEY": "perhaps"}, ["ROBOTSTXT_OBEY must be True or False"]),
    (
        {"NEWSMON_FILTER_FEEDS": '{"kharkiv": "filter=kharkiv&q=1"}'},
        ["NEWSMON_FILTER_FEEDS['kharkiv']: unknown parameter 'q'"],
    ),
    ({"NEWSMON_FILTER_FEEDS": "kharkiv"}, ["NEWSMON_FILTER_FEEDS must be a JSON object"]),
    ({"NEWSMON_FILTER_SCAN": "0"}, ["NEWSMON_FILTER_SCAN must be 1 or more"]),
    ({"NEWSMON_AUTHORS": "../x"}, ["'../x' is not an author slug"]),
    ({"NEWSMON_BASE_URL": "http://kyiv independent.com"}, ["NEWSMON_BASE_URL", "http(s)"]),
    (
        {"NEWSMON_FEED_BASE_URL": "javascript:alert(1)//"},
        ["NEWSMON_FEED_BASE_URL", "'javascript:alert(1)//'"],
    ),
    ({"NEWSMON_FEED_BASE_URL": "https://feeds.example.org/a b/"}, ["NEWSMON_FEED_BASE_URL"]),
    ({"NEWSMON_OUTPUT_DIR": "/sys/kernel/newsmon"}, ["NEWSMON_OUTPUT_DIR", "system folder /sys"]),
    ({"NEWSMON_OUTPUT_DIR": "/usr/share/newsmon"}, ["NEWSMON_OUTPUT_DIR", "system folder /usr"]),
]


@pytest.mark.parametrize(
    ("settings", "words"), SETTING_CASES, ids=[next(iter(s)) for s, _ in SETTING_CASES]
)
def test_a_bad_setting_is_one_clear_line(
    tmp_path: Path, settings: dict[str, str], words: list[str]
) -> None:
    assert_refused(crawl(tmp_path, **settings), *words)


def test_an_output_folder_that_is_a_file(tmp_path: Path) -> None:
    occupied = tmp_path / "feeds"
    occupied.write_text("a file, not a folder")
    assert_refused(crawl(tmp_path, NEWSMON_OUTPUT_DIR=str(occupied)), "NEWSMON_OUTPUT_DIR")
    assert occupied.read_text() == "a file, not a folder"


@pytest.mark.parametrize("root", ["/", "/tmp/../"])
def test_the_filesystem_root_is_no_output_folder(tmp_path: Path, root: str) -> None:
    before = sorted(os.listdir("/"))
    assert_refused(crawl(tmp_path, NEWSMON_OUTPUT_DIR=root), "NEWSMON_OUTPUT_DIR", "root")
    assert sorted(os.listdir("/")) == before, "something was written into /"


def test_a_folder_holding_other_files_is_refused_and_left_untouched(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "photos").mkdir(parents=True)
    (home / "notes.txt").write_text("mine")
    (home / "newsfeed.xml").write_text("<rss/>")
    before = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    line = assert_refused(crawl(tmp_path, NEWSMON_OUTPUT_DIR=str(home)), "NEWSMON_OUTPUT_DIR")
    assert "not newsmon's" in line and "notes.txt" in line
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*")) == before
    assert (home / "newsfeed.xml").read_text() == "<rss/>"


def test_a_folder_of_newsmon_files_is_accepted_and_marked(tmp_path: Path) -> None:
    output = tmp_path / "output"
    (output / "tags").mkdir(parents=True)
    (output / "tags" / "war.xml").write_text("<rss/>")
    (output / ".gitkeep").write_text("")
    (output / "newsfeed.xml").write_text("<rss/>")
    (output / "demo").mkdir()
    (output / "demo" / ".newsmon").write_text("newsmon\n")
    outcome = crawl(tmp_path, NEWSMON_OUTPUT_DIR=str(output))
    # Accepted: the run started (and failed to reach the closed port: exit 1, not 2).
    assert outcome.returncode == 1, outcome.stderr[-3000:]
    assert (output / ".newsmon").is_file()
    (output / "demo" / ".newsmon").unlink()
    outcome = crawl(tmp_path, NEWSMON_OUTPUT_DIR=str(output))
    assert_refused(outcome, "NEWSMON_OUTPUT_DIR", "'demo/'")


def test_a_folder_holding_another_sites_feeds_is_refused(tmp_path: Path) -> None:
    output = tmp_path / "output"
    output.mkdir()
    (output / ".newsmon").write_text("newsmon\nsite: https://kyivindependent.com\n")
    (output / "newsfeed.xml").write_text("<rss/>")
    line = assert_refused(crawl(tmp_path, NEWSMON_OUTPUT_DIR=str(output)), "NEWSMON_OUTPUT_DIR")
    assert "holds the feeds of https://kyivindependent.com, not of http://127.0.0.1:9" in line
    assert (output / "newsfeed.xml").read_text() == "<rss/>"


def test_credentials_in_the_base_url_are_refused_without_repeating_them(tmp_path: Path) -> None:
    outcome = crawl(tmp_path, NEWSMON_BASE_URL="http://editor:hunter2@127.0.0.1:9")
    assert_refused(outcome, "NEWSMON_BASE_URL must not hold a user name or password", "HTTPAUTH")
    assert "hunter2" not in outcome.stderr


def test_a_bad_tag_argument(tmp_path: Path) -> None:
    line = assert_refused(crawl(tmp_path, "-a", "tags=../x", spider="tags"), "'../x'")
    assert "tag slug" in line


def test_the_archive_is_not_a_tag(tmp_path: Path) -> None:
    outcome = crawl(tmp_path, "-a", "tags=war,news-archive", spider="tags")
    assert_refused(outcome, "'news-archive' is the all-news archive", "scrapy crawl archive")


def test_authors_to_walk_are_needed_and_checked(tmp_path: Path) -> None:
    assert_refused(crawl(tmp_path, spider="authors"), "no authors to walk", "NEWSMON_AUTHORS")
    line = assert_refused(crawl(tmp_path, "-a", "authors=martin,../x", spider="authors"), "'../x'")
    assert "author slug" in line


# --- the state file: refused, left byte for byte as it was, with a way out ----------------


def newsmon_state(path: Path, articles: int = 60) -> None:
    """A real newsmon state file with some articles in it."""
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    with StateStore(path) as store:
        for n in range(articles):
            body = f"Paragraph {n} of an article long enough to be worth a page. " * 20
            item = ArticleItem(
                url=f"https://kyivindependent.com/article-{n}/",
                title=f"Article {n}",
                published=now,
                modified=now,
                body=body,
                tags=["News Feed"],
                tag_slugs=["news-feed"],
                listings=["news-feed"],
                crawled_at=now,
            )
            store.record(item, canonical=item.url, fingerprint=body_fingerprint(body), now=now)


def foreign_sqlite(path: Path) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        db.execute("INSERT INTO notes (text) VALUES ('not newsmon')")
        db.commit()


def newer_schema(path: Path) -> None:
    newsmon_state(path, articles=1)
    # closing(): the connection must be gone (its WAL checkpointed) before the file is read.
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA user_version = 99")
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def truncated(path: Path) -> None:
    newsmon_state(path)
    data = path.read_bytes()
    assert len(data) > 8 * 4096, "the sample store is too small to cut"
    path.write_bytes(data[: len(data) // 2])


def cut_last_page(path: Path) -> None:
    newsmon_state(path)
    data = path.read_bytes()
    path.write_bytes(data[:-4096])


def random_with_header(path: Path) -> None:
    path.write_bytes(SQLITE_HEADER + os.urandom(16 * 1024))


def text_file(path: Path) -> None:
    path.write_text("root:x:0:0:root:/root:/bin/bash\n")


STATE_CASES = {
    "text file": (text_file, ["not a SQLite database", "left untouched", "NEWSMON_STATE_PATH"]),
    "random bytes with a SQLite header": (random_with_header, ["damaged", "move it aside"]),
    "truncated newsmon store": (truncated, ["damaged", "Restore it from a backup", "move it"]),
    "newsmon store missing its last page": (cut_last_page, ["damaged", "Restore it"]),
    "another program's SQLite": (foreign_sqlite, ["not newsmon's state", "left untouched"]),
    "a newer newsmon's store": (newer_schema, ["newer newsmon", "left untouched"]),
}


@pytest.mark.parametrize("case", sorted(STATE_CASES))
def test_an_unusable_state_file_is_refused_and_left_alone(tmp_path: Path, case: str) -> None:
    make, words = STATE_CASES[case]
    state = tmp_path / "state.sqlite3"
    make(state)
    before = state.read_bytes()
    outcome = crawl(tmp_path, NEWSMON_STATE_PATH=str(state))
    assert_refused(outcome, str(state), *words)
    assert state.read_bytes() == before, "the state file was changed"
    assert not (tmp_path / "output" / "articles.jsonl").exists()
    if case == "text file":
        # Not even a lock file beside a file that is not newsmon's (think /etc/passwd).
        assert not (tmp_path / "state.sqlite3.lock").exists()


def test_a_state_path_that_is_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    assert_refused(crawl(tmp_path, NEWSMON_STATE_PATH=str(folder)), "is a folder")
