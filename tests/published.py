"""What a run leaves for users, read back and checked: feeds, the JSON-lines archive, the store.

Shared by the fault, hostile-input and crash tests, which all ask the same question after
whatever went wrong: is everything a subscriber or the next run reads still whole?
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import jsonschema

from newsmon.schema import load_article_schema
from tests.feedcheck import check_atom, check_json_feed, check_rss


def feed_files(output_dir: Path) -> list[Path]:
    """Every feed newsmon publishes (News Feed, tags, authors, archive, filters), 3 formats."""
    stems = ("newsfeed", "news-archive", "tags/*", "authors/*", "filters/*")
    patterns = [f"{stem}{suffix}" for stem in stems for suffix in (".xml", ".atom", ".json")]
    return sorted(path for pattern in patterns for path in output_dir.glob(pattern))


def check_feeds(output_dir: Path) -> list[Path]:
    """Validate every published feed (feedparser, the W3C rules and the JSON Feed schema)."""
    feeds = feed_files(output_dir)
    for feed in feeds:
        if feed.suffix == ".xml":
            check_rss(feed)
        elif feed.suffix == ".atom":
            check_atom(feed)
        else:
            check_json_feed(feed)
    return feeds


def archive_lines(output_dir: Path) -> list[dict[str, Any]]:
    """The archive's records; fails on a line that is not whole JSON."""
    path = output_dir / "articles.jsonl"
    if not path.exists():
        return []
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), f"{path}: last line has no newline"
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def check_archive(output_dir: Path) -> list[dict[str, Any]]:
    """Every archive line is valid JSON, follows the schema, and no version appears twice."""
    lines = archive_lines(output_dir)
    validator = jsonschema.Draft202012Validator(load_article_schema())
    for line in lines:
        validator.validate(line)
    keys = [(line["url"], line["version"]) for line in lines]
    duplicates = {key for key in keys if keys.count(key) > 1}
    assert not duplicates, f"versions written twice: {sorted(duplicates)[:5]}"
    return lines


def check_store(state_path: Path) -> None:
    """The state file passes SQLite's integrity check (opened read-only: nothing repaired)."""
    if not state_path.exists():
        return
    uri = f"file:{state_path}?mode=ro"
    with sqlite3.connect(uri, uri=True) as db:
        result = [row[0] for row in db.execute("PRAGMA integrity_check")]
    assert result == ["ok"], f"{state_path}: integrity_check says {result[:5]}"


def all_tag_slugs(truth: list[dict[str, Any]]) -> str:
    """Every tag of the replica's articles, comma-separated, for `-a tags=`."""
    return ",".join(sorted({slug for article in truth for slug in article["tag_slugs"]}))
