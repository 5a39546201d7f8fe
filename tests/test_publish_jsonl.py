"""JSON-lines archive: records follow the schema, the file only grows by whole lines."""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import newsmon
from newsmon.items import EXPORTED_FIELDS, ArticleItem
from newsmon.publish import jsonlines
from newsmon.publish.jsonlines import (
    append_jsonl,
    article_record,
)
from newsmon.schema import article_schema_path, load_article_schema

T0 = datetime(2025, 3, 18, 15, 17, tzinfo=UTC)
KYIV = timezone(timedelta(hours=2))


def make_item(n: int = 0, **changes: Any) -> ArticleItem:
    """A complete article item; `changes` override fields."""
    item = ArticleItem(
        url=f"https://kyivindependent.com/article-{n}/",
        title=f"Headline {n}",
        authors=["Kateryna Hodunova", "The Kyiv Independent news desk"],
        published=T0,
        modified=T0 + timedelta(minutes=30),
        tags=["Russia", "War"],
        tag_slugs=["russia", "war"],
        primary_tag="Russia",
        summary="Summary.",
        body="First paragraph.\n\nSecond paragraph.",
        body_html="<p>First paragraph.</p><p>Second paragraph.</p>",
        image_url="https://kyivindependent.com/content/images/a.jpg",
        image_caption="Caption (Photo: X)",
        related=["https://kyivindependent.com/other/"],
        word_count=4,
        listings=["news-feed", "russia"],
        crawled_at=T0 + timedelta(hours=1),
    )
    return dataclasses.replace(item, **changes)


def record(n: int = 0, change: str = "new", version: int = 1, **changes: Any) -> dict[str, Any]:
    """The archive record of make_item(n, **changes)."""
    return article_record(
        make_item(n, **changes), change=change, version=version, first_seen=T0 + timedelta(hours=1)
    )


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    """Schema validator that really checks date-time (jsonschema skips it without extras)."""
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def is_datetime(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if "T" not in value:
            raise ValueError("no T separator")
        return datetime.fromisoformat(value).tzinfo is not None

    schema = load_article_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=checker)


def read_lines(path: Path) -> Iterator[dict[str, Any]]:
    """Parse every line of a JSON-lines file, failing on a line without its newline."""
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n"), "file does not end with a whole line"
    for line in data.split(b"\n")[:-1]:
        yield json.loads(line)


# --- the schema ------------------------------------------------------------------------


def test_schema_ships_inside_the_package() -> None:
    path = article_schema_path()
    assert path.is_file()
    assert path.parent.parent == Path(newsmon.__file__).parent
    assert load_article_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_describes_exactly_the_item_fields() -> None:
    schema = load_article_schema()
    names = set(EXPORTED_FIELDS)
    assert set(schema["properties"]) == names
    assert set(schema["required"]) == names
    assert schema["additionalProperties"] is False
    assert all("description" in spec for spec in schema["properties"].values())


def test_records_match_the_schema(validator: jsonschema.Draft202012Validator) -> None:
    for rec in (record(0), record(1, "updated", 2), record(2, "updated", 7, image_url="")):
        errors = [e.message for e in validator.iter_errors(rec)]
        assert errors == []


def test_record_fields_and_dates() -> None:
    rec = record(0, published=datetime(2025, 3, 18, 17, 17, tzinfo=KYIV))
    assert list(rec) == list(EXPORTED_FIELDS)
    assert rec["published"] == "2025-03-18T15:17:00+00:00"  # converted to UTC, offset kept
    assert rec["modified"] == "2025-03-18T15:47:00+00:00"
    assert rec["first_seen"] == "2025-03-18T16:17:00+00:00"
    assert rec["crawled_at"] == "2025-03-18T16:17:00+00:00"
    assert (rec["change"], rec["version"]) == ("new", 1)
    assert rec["authors"] == ["Kateryna Hodunova", "The Kyiv Independent news desk"]


def test_record_uses_given_store_fields_over_the_item() -> None:
    item = make_item(change="stale", version=9, first_seen=T0 - timedelta(days=1))
    rec = article_record(item, change="updated", version=2, first_seen=T0, crawled_at=T0)
    assert (rec["change"], rec["version"], rec["first_seen"]) == (
        "updated",
        2,
        "2025-03-18T15:17:00+00:00",
    )


def test_modified_defaults_to_published() -> None:
    assert record(modified=None)["modified"] == record()["published"]


@pytest.mark.parametrize(
    ("kwargs", "changes", "match"),
    [
        ({"change": "deleted"}, {}, "change"),
        ({"change": "new", "version": 2}, {}, "does not match"),
        ({"change": "updated", "version": 1}, {}, "does not match"),
        ({"version": 0}, {}, "version"),
        ({}, {"url": "ftp://kyivindependent.com/x/"}, "url"),
        ({}, {"url": "/relative/"}, "url"),
        ({}, {"title": "  "}, "title"),
        ({}, {"published": None}, "publication"),
        ({}, {"published": datetime(2025, 3, 18, 15, 17)}, "timezone"),
        ({"first_seen": datetime(2025, 3, 18)}, {}, "timezone"),
        ({}, {"crawled_at": None}, "crawl"),
    ],
)
def test_article_record_refuses_what_the_schema_refuses(
    kwargs: dict[str, Any], changes: dict[str, Any], match: str
) -> None:
    args: dict[str, Any] = {"change": "new", "version": 1, "first_seen": T0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        article_record(make_item(**changes), **args)


def _drop(field: str) -> Any:
    def mutate(rec: dict[str, Any]) -> None:
        del rec[field]

    return mutate


def _set(field: str, value: Any) -> Any:
    def mutate(rec: dict[str, Any]) -> None:
        rec[field] = value

    return mutate


@pytest.mark.parametrize(
    "mutate",
    [
        _drop("url"),
        _drop("crawled_at"),
        _set("url", "ftp://kyivindependent.com/x/"),
        _set("url", "kyivindependent.com/x/"),
        _set("change", "deleted"),
        _set("version", 0),
        _set("version", "1"),
        _set("version", 2),  # "new" must be version 1
        _set("published", "2025-03-18T15:17:00"),  # no offset
        _set("published", "18 March 2025"),
        _set("published", None),
        _set("first_seen", "2025-13-45T99:00:00+00:00"),
        _set("word_count", "12"),
        _set("authors", "Kateryna Hodunova"),
        _set("related", ["/relative/"]),
        _set("image_url", "images/a.jpg"),
        _set("tag_slugs", ["Russia"]),
        _set("extra", "field"),
        _set("title", ""),
    ],
)
def test_schema_rejects_bad_records(
    validator: jsonschema.Draft202012Validator, mutate: Any
) -> None:
    bad = copy.deepcopy(record())
    mutate(bad)
    assert list(validator.iter_errors(bad)), f"schema accepted {bad}"


# --- appending ---------------------------------------------------------------------------


def test_every_appended_line_matches_the_schema(
    tmp_path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    path = tmp_path / "output" / "articles.jsonl"
    assert append_jsonl(path, [record(0), record(1)]) == 2
    assert append_jsonl(path, [record(0, "updated", 2, title="Update: Headline 0")]) == 1
    lines = list(read_lines(path))
    assert [(r["url"], r["change"], r["version"]) for r in lines] == [
        ("https://kyivindependent.com/article-0/", "new", 1),
        ("https://kyivindependent.com/article-1/", "new", 1),
        ("https://kyivindependent.com/article-0/", "updated", 2),
    ]
    for line in lines:
        assert list(validator.iter_errors(line)) == []


def test_file_grows_by_whole_lines_only(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    sizes = []
    for batch in ([record(0)], [record(1), record(2)], [], [record(3)]):
        append_jsonl(path, batch)
        data = path.read_bytes()
        assert data.endswith(b"\n")
        sizes.append(len(data))
    assert sizes == sorted(sizes) and sizes[1] > sizes[0]
    assert path.read_bytes().count(b"\n") == 4
    assert append_jsonl(path, iter([])) == 0  # a generator works, nothing appended


def test_one_line_per_record_even_with_newlines_in_text(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    body = "Line one\nline two\r\nline\u2028three\u2029four\x85five"
    append_jsonl(path, [record(0, body=body), record(1)])
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) == 2  # splitlines() also splits on U+2028, U+0085...
    assert json.loads(text.splitlines()[0])["body"] == body


def test_unicode_is_preserved_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    title = "Зеленський: «мир» — не за будь-яку ціну 🇺🇦"
    append_jsonl(path, [record(0, title=title, authors=["Олександр Хролик"])])
    raw = path.read_bytes()
    assert title.encode("utf-8") in raw  # ensure_ascii=False: readable, not \\u escapes
    assert b"\\u04" not in raw
    (rec,) = read_lines(path)
    assert rec["title"] == title and rec["authors"] == ["Олександр Хролик"]


@pytest.mark.parametrize(
    "torn",
    [b'{"url":"https://kyivindependent.com/arti', b"{", b'{"url":"https://x/"}'],
    ids=["half a record", "one byte", "whole record without newline"],
)
def test_half_written_last_line_is_dropped_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, torn: bytes
) -> None:
    path = tmp_path / "articles.jsonl"
    append_jsonl(path, [record(0), record(1)])
    good = path.read_bytes()
    path.write_bytes(good + torn)  # what a crash in the middle of an append leaves

    with caplog.at_level(logging.WARNING, logger="newsmon.publish.jsonlines"):
        assert append_jsonl(path, [record(2)]) == 1
    assert path.read_bytes().startswith(good)
    assert [r["url"][-10:] for r in read_lines(path)] == ["article-0/", "article-1/", "article-2/"]
    (message,) = [r.getMessage() for r in caplog.records]
    assert "half-written" in message and f"{len(torn)} bytes" in message


def test_torn_file_without_any_newline_is_emptied(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_bytes(b'{"url": "https://kyivindependent.com/')
    append_jsonl(path, [record(5)])
    assert [r["url"] for r in read_lines(path)] == ["https://kyivindependent.com/article-5/"]


def test_long_torn_tail_is_found_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonlines, "_SCAN_CHUNK", 7)  # force many backward reads
    path = tmp_path / "articles.jsonl"
    append_jsonl(path, [record(0)])
    good = path.read_bytes()
    path.write_bytes(good + b'{"url":"' + b"x" * 100)
    append_jsonl(path, [record(1)])
    assert path.read_bytes().startswith(good)
    assert len(list(read_lines(path))) == 2


def test_failed_batch_is_rolled_back(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    append_jsonl(path, [record(0)])
    before = path.read_bytes()

    def batch() -> Iterator[dict[str, Any]]:
        yield record(1)
        yield record(2)
        yield {"url": "https://kyivindependent.com/x/", "published": T0}  # not JSON

    with pytest.raises(TypeError):
        append_jsonl(path, batch())
    assert path.read_bytes() == before
    assert append_jsonl(path, [record(3)]) == 1
    assert len(list(read_lines(path))) == 2


def test_nan_is_refused_not_written(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    with pytest.raises(ValueError):
        append_jsonl(path, [{"word_count": float("nan")}])
    assert path.read_bytes() == b""
