"""Render a feed's entries as JSON Feed 1.1 (https://jsonfeed.org/version/1.1), the RSS's twin.

The same prepared entries as the RSS and Atom documents: an item's `id` is the RSS guid, its
`date_published` the RSS pubDate, and every author is one entry of `authors`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from newsmon.publish.model import FeedSpec
from newsmon.publish.render import Prepared

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
JSON_FEED_TYPE = "application/feed+json"


def render_json_feed(spec: FeedSpec, entries: Sequence[Prepared], *, self_url: str) -> bytes:
    """Render the JSON Feed 1.1 document as UTF-8 bytes (stable for the same input)."""
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": spec.title,
        "home_page_url": spec.site_link,
        "feed_url": self_url,
        "description": spec.description,
        "language": "en",
        "authors": [{"name": spec.publisher}],
        "items": [_item(one) for one in entries],
    }
    text = json.dumps(document, ensure_ascii=False, indent=1, allow_nan=False)
    return (text + "\n").encode("utf-8")


def _item(one: Prepared) -> dict[str, Any]:
    """One item: JSON Feed requires `id` and `content_html` or `content_text`."""
    item: dict[str, Any] = {"id": one.guid, "url": one.link, "title": one.title}
    if one.content_html:
        item["content_html"] = one.content_html
    else:
        item["content_text"] = one.summary or one.title
    if one.summary:
        item["summary"] = one.summary
    if one.image_url:
        item["image"] = one.image_url
    item["date_published"] = _rfc3339(one.pub_date)
    item["date_modified"] = _rfc3339(max(one.updated, one.pub_date))
    if one.authors:
        item["authors"] = [{"name": name} for name in one.authors]
    tags = [category.get("label") or category["term"] for category in one.categories]
    if tags:
        item["tags"] = tags
    return item


def _rfc3339(moment: datetime) -> str:
    """RFC 3339 in UTC with a "Z", as the spec's examples write it."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
