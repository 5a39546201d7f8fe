"""An item on its way through Redis: the item's JSON form with who sent it, one JSON text."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from newsmon.items import ArticleItem, item_from_json, item_to_json

# Bumped when the envelope changes shape; a publisher refuses (and keeps aside) any other.
ENVELOPE_FORMAT = 1


class BadEnvelope(ValueError):
    """A payload in the item list that is not an item envelope newsmon can read."""


@dataclass(frozen=True)
class Envelope:
    """One item as a worker pushed it."""

    item: ArticleItem
    spider: str
    worker: str


def encode(item: ArticleItem, *, spider: str, worker: str) -> str:
    """The JSON text a worker pushes for an item."""
    return json.dumps(
        {"format": ENVELOPE_FORMAT, "spider": spider, "worker": worker, "item": item_to_json(item)},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode(payload: bytes | str) -> Envelope:
    """Read an envelope; BadEnvelope says what is wrong with a payload that is not one."""
    try:
        data: Any = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadEnvelope(f"not JSON ({error})") from None
    if not isinstance(data, dict) or data.get("format") != ENVELOPE_FORMAT:
        raise BadEnvelope(f"not an item envelope of format {ENVELOPE_FORMAT}")
    fields = data.get("item")
    if not isinstance(fields, dict):
        raise BadEnvelope("the envelope holds no item")
    try:
        item = item_from_json(fields)
    except (TypeError, ValueError) as error:
        raise BadEnvelope(f"unreadable item ({error})") from None
    _check_types(item)
    spider, worker = str(data.get("spider", "")), str(data.get("worker", ""))
    return Envelope(item=item, spider=spider, worker=worker)


# What the cleaning and validating code can take: each field's JSON type.
_TEXT_FIELDS = ("url", "title", "primary_tag", "summary", "body", "body_html", "image_url",
                "image_caption", "change")  # fmt: skip
_LIST_FIELDS = ("authors", "tags", "tag_slugs", "related", "listings")


def _check_types(item: ArticleItem) -> None:
    """Refuse an item whose fields have the wrong JSON types (it would crash the cleaning)."""
    for name in _TEXT_FIELDS:
        if not isinstance(getattr(item, name), str):
            raise BadEnvelope(f"field {name} is not text")
    for name in _LIST_FIELDS:
        value = getattr(item, name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadEnvelope(f"field {name} is not a list of text")
    for name in ("word_count", "version"):
        value = getattr(item, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadEnvelope(f"field {name} is not a whole number")
