"""ArticleItem to and from plain JSON values, the form the store keeps and exports write."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from newsmon.items import ArticleItem, iso_datetime

# The fields whose exporter serializer is iso_datetime: exactly the datetime fields.
DATETIME_FIELDS: frozenset[str] = frozenset(
    f.name for f in dataclasses.fields(ArticleItem) if f.metadata.get("serializer") is iso_datetime
)
_FIELDS: frozenset[str] = frozenset(f.name for f in dataclasses.fields(ArticleItem))


def item_to_json(item: ArticleItem) -> dict[str, Any]:
    """Return the item as a JSON-ready dict, datetimes as ISO 8601 strings with offset."""
    data = dataclasses.asdict(item)
    for name in DATETIME_FIELDS:
        data[name] = iso_datetime(data[name])
    return data


def item_from_json(data: Mapping[str, Any]) -> ArticleItem:
    """Rebuild an ArticleItem from `item_to_json` output; unknown keys are ignored."""
    # Ignoring unknown keys lets an archive written by a later schema still be read.
    values = {key: value for key, value in data.items() if key in _FIELDS}
    for name in DATETIME_FIELDS:
        if values.get(name):
            values[name] = datetime.fromisoformat(values[name])
    return ArticleItem(**values)
