"""The JSON-lines archive: one line per new article and per new version of an article.

Readers may read the file while newsmon appends to it. It only ever grows by whole lines,
so a reader that ignores a last line without its newline (still being written) never sees a
broken record. Every record validates against ``newsmon/schema/article.schema.json``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from newsmon.items import EXPORTED_FIELDS, ArticleItem
from newsmon.schema import Problem, record_problems

logger = logging.getLogger(__name__)

CHANGES: frozenset[str] = frozenset({"new", "updated", "removed"})

# Set by the store, passed to article_record explicitly rather than read from the item.
_STORE_FIELDS = ("change", "version", "first_seen", "crawled_at")

# How far back to look at a time for the last newline of a file with a torn tail.
_SCAN_CHUNK = 64 * 1024

# json.dumps(ensure_ascii=False) leaves these unescaped; they are valid inside JSON strings,
# but str.splitlines() and some JSON-lines readers treat them as line breaks.
_LINE_BREAK_ESCAPES = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}


# What a missing field means, in the words of an error message.
_MISSING_WORDS = {"published": "publication date", "crawled_at": "crawl time"}


def article_record(
    item: ArticleItem,
    *,
    change: str,
    version: int,
    first_seen: datetime,
    crawled_at: datetime | None = None,
) -> dict[str, Any]:
    """Build the archive record of one version: the item's fields plus the store's four.

    Dates become ISO 8601 strings in UTC with their offset ("2025-03-18T15:17:00+00:00");
    `crawled_at` defaults to the item's, and a missing `modified` is the publication time.
    Raises ValueError for a naive datetime and for any record the archive's JSON Schema
    refuses (`newsmon.schema`): no http(s) URL, no title, no publication date, a change that
    does not match the version ("new" is version 1, "updated" is version 2 or later), ...
    """
    record: dict[str, Any] = {}
    for name in EXPORTED_FIELDS:
        if name in _STORE_FIELDS:
            continue
        value = getattr(item, name)
        if isinstance(value, datetime):
            value = _iso_utc(value, name)
        elif isinstance(value, list):
            value = list(value)
        record[name] = value
    # "modified equals published if never updated": say so rather than write null.
    if record["modified"] is None:
        record["modified"] = record["published"]
    crawled = crawled_at if crawled_at is not None else item.crawled_at
    record["change"] = change
    record["version"] = version
    record["first_seen"] = _iso_utc(first_seen, "first_seen")
    record["crawled_at"] = _iso_utc(crawled, "crawled_at") if crawled is not None else None
    problems = record_problems(record)
    if problems:
        raise ValueError(_explain(problems[0], record))
    return record


def _explain(problem: Problem, record: dict[str, Any]) -> str:
    """One sentence on why the schema refuses a record."""
    change, version = record.get("change"), record.get("version")
    if (
        problem.field in ("change", "version")
        and change in CHANGES
        and isinstance(version, int)
        and not isinstance(version, bool)
        and version >= 1
    ):
        return f"change {change!r} does not match version {version}"
    if problem.missing:
        words = _MISSING_WORDS.get(problem.field, problem.field)
        return f"article {record.get('url') or '(no URL)'} has no {words}"
    return f"{problem.field or 'record'} is invalid: {problem.message}"


def encode_line(record: Mapping[str, Any]) -> bytes:
    """Encode one record as one UTF-8 JSON line with its newline (non-ASCII kept as is)."""
    text = json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char, escape in _LINE_BREAK_ESCAPES.items():
        text = text.replace(char, escape)
    return (text + "\n").encode("utf-8")


def append_jsonl(path: Path, records: Iterable[Mapping[str, Any]]) -> int:
    """Append records as JSON lines, all or none, then fsync; return the number of lines.

    A half-written last line left by a crash is cut off first (and logged). If encoding or
    writing any record fails, the file is truncated back to where this call started.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # "a": every write lands at the end of the file, whatever the file position says.
    # Unbuffered, so a rollback cannot be undone by a buffer flushed later, at close.
    with open(path, "a+b", buffering=0) as handle:
        # Two newsmon runs appending at once would interleave their lines.
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            _drop_torn_tail(handle, path)
            start = os.fstat(handle.fileno()).st_size
            count = 0
            try:
                for record in records:
                    # Encode before writing, so a record that cannot be encoded writes nothing.
                    _write_all(handle, encode_line(record))
                    count += 1
                os.fsync(handle.fileno())
            except BaseException:
                os.ftruncate(handle.fileno(), start)
                os.fsync(handle.fileno())
                logger.error("append to %s failed; rolled back to %d bytes", path, start)
                raise
            return count
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_all(handle: IO[bytes], data: bytes) -> None:
    """Write all of `data` to an unbuffered file (a raw write may write only part of it)."""
    view = memoryview(data)
    while view:
        written = handle.write(view)
        if not written:
            raise OSError(f"could not write to {handle.name}")
        view = view[written:]


def _drop_torn_tail(handle: IO[bytes], path: Path) -> int:
    """Cut a last line that has no newline (a crash mid-append); return the bytes dropped."""
    fd = handle.fileno()
    size = os.fstat(fd).st_size
    if size == 0:
        return 0
    handle.seek(size - 1)
    if handle.read(1) == b"\n":
        return 0
    # Scan backwards chunk by chunk: the archive can be far larger than memory should hold.
    keep = 0
    position = size
    while position > 0:
        start = max(0, position - _SCAN_CHUNK)
        handle.seek(start)
        chunk = handle.read(position - start)
        newline = chunk.rfind(b"\n")
        if newline != -1:
            keep = start + newline + 1
            break
        position = start
    handle.seek(keep)
    preview = handle.read(min(size - keep, 200))
    os.ftruncate(fd, keep)
    os.fsync(fd)
    handle.seek(0, os.SEEK_END)
    # The torn line is not a record anyone can parse. Its append never returned, so a caller
    # that marks versions exported only after append_jsonl returns writes it again.
    logger.warning(
        "%s ended in a half-written line: dropped its last %d bytes (%r...)",
        path,
        size - keep,
        preview,
    )
    return size - keep


def _iso_utc(value: datetime, name: str) -> str:
    """ISO 8601 in UTC with an explicit +00:00 offset; naive datetimes are refused."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC).isoformat()
