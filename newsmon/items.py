"""ArticleItem: the one output schema of newsmon, and its plain-JSON form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any


def iso_datetime(value: datetime | None) -> str | None:
    """Serialise a timezone-aware datetime as ISO 8601 with its offset."""
    return value.isoformat() if value is not None else None


# Scrapy's exporters read "serializer" from field metadata; without it a datetime would be
# written as "YYYY-MM-DD HH:MM:SS" with its offset lost.
_DATETIME_META: dict[str, Any] = {"serializer": iso_datetime}


@dataclass
class Provenance:
    """How an item was extracted: the source of each tracked field, and where sources disagree.

    Travels on the item from the page object to the health checks and the quarantine; every
    export (store, archive, Redis, Scrapy's feed exports) leaves it out.
    """

    sources: dict[str, str] = field(default_factory=dict)
    """Per tracked field, the link of its fallback chain that gave the value ("none": no link)."""

    compared: list[str] = field(default_factory=list)
    """Cross-checked fields for which both the page's metadata and its markup give a value."""

    markup_disagrees: list[str] = field(default_factory=list)
    """Of those, the fields where the visible markup says something else (drift)."""

    item_disagrees: list[str] = field(default_factory=list)
    """Fields where the extracted value contradicts the page's own JSON-LD/meta."""


Validators = tuple[str | None, str | None]
"""A page's HTTP validators (ETag, Last-Modified) as text; None for one it did not send."""

# Field metadata of what exports leave out (see `exported_fields`).
NOT_EXPORTED: dict[str, Any] = {"export": False}


@dataclass(kw_only=True)
class ArticleItem:
    """One article of The Kyiv Independent, as extracted from its page."""

    url: str = ""
    """Canonical article URL: https, no www., no tracking parameters, one trailing slash."""

    ghost_id: str = field(default="", metadata=NOT_EXPORTED)
    """The Ghost post id (the site RSS's guid): the store keeps it as a second identity of the
    article; "" when the page does not name it. Not exported: the archive's schema is kept."""

    title: str = ""
    """Headline as shown on the page (may differ from the slug: slugs are frozen)."""

    authors: list[str] = field(default_factory=list)
    """Author names in byline order; "The Kyiv Independent news desk" is one author."""

    published: datetime | None = field(default=None, metadata=_DATETIME_META)
    """First publication time, timezone-aware, in UTC."""

    modified: datetime | None = field(default=None, metadata=_DATETIME_META)
    """Last modification time, timezone-aware, in UTC (equals `published` if never updated)."""

    tags: list[str] = field(default_factory=list)
    """Tag display names, primary tag first."""

    tag_slugs: list[str] = field(default_factory=list)
    """Tag slugs (`/tag/<slug>/`), in the same order as `tags`."""

    primary_tag: str = ""
    """Display name of the primary tag (the label above the headline)."""

    summary: str = ""
    """Short description of the article (JSON-LD/meta description, else the listing excerpt)."""

    body: str = ""
    """Plain-text body: paragraphs, headings and list items in order, one blank line apart."""

    body_html: str = ""
    """The body as sanitised HTML with absolute URLs (no embeds, promo or page chrome)."""

    image_url: str = ""
    """Hero image asset URL (unwrapped from the `/_next/image` proxy)."""

    image_caption: str = ""
    """Caption of the hero image, with its credit."""

    related: list[str] = field(default_factory=list)
    """Canonical URLs of related-article embeds (Ghost bookmark cards) in the body."""

    word_count: int = 0
    """Number of words in `body`."""

    listings: list[str] = field(default_factory=list)
    """Slugs of the listings (News Feed, tags) the article was found in during this run."""

    change: str = ""
    """Set by the store pipeline: "new" or "updated"."""

    version: int = 0
    """Set by the store pipeline: 1 for the first version, then 2, 3, ... per real change."""

    first_seen: datetime | None = field(default=None, metadata=_DATETIME_META)
    """Set by the store pipeline: when newsmon first stored this article, in UTC."""

    crawled_at: datetime | None = field(default=None, metadata=_DATETIME_META)
    """When this version's page was fetched, in UTC."""

    provenance: Provenance | None = field(
        default=None, repr=False, compare=False, metadata=NOT_EXPORTED
    )
    """Set by the page object: how each field was found (for health checks; never exported)."""

    aliases: list[str] = field(default_factory=list, repr=False, metadata=NOT_EXPORTED)
    """Set by the spider: other URLs of this article (the URL asked for, redirects passed, the
    page's own canonical URLs). The store recognises a renamed article by them; never exported."""

    validators: Validators = field(
        default=(None, None), repr=False, compare=False, metadata=NOT_EXPORTED
    )
    """Set by the spider for a page answered 200: its ETag and Last-Modified, which the store
    keeps with the article for conditional revisits; never exported."""


def exported_fields() -> tuple[str, ...]:
    """The item fields every export writes, in order (all but extraction metadata)."""
    return tuple(f.name for f in fields(ArticleItem) if f.metadata.get("export", True))


# What every export writes; the datetime fields among them are the ones whose exporter
# serializer is iso_datetime.
EXPORTED_FIELDS: tuple[str, ...] = exported_fields()
DATETIME_FIELDS: frozenset[str] = frozenset(
    f.name for f in fields(ArticleItem) if f.metadata.get("serializer") is iso_datetime
)


def item_to_json(item: ArticleItem) -> dict[str, Any]:
    """Return the exported fields as a JSON-ready dict, datetimes as ISO 8601 with offset."""
    data: dict[str, Any] = {}
    for name in EXPORTED_FIELDS:
        value = getattr(item, name)
        if name in DATETIME_FIELDS:
            value = iso_datetime(value)
        elif isinstance(value, list):
            value = list(value)
        data[name] = value
    return data


def item_from_json(data: Mapping[str, Any]) -> ArticleItem:
    """Rebuild an ArticleItem from `item_to_json` output; unknown keys are ignored."""
    # Ignoring unknown keys lets an archive written by a later schema still be read.
    values = {key: value for key, value in data.items() if key in EXPORTED_FIELDS}
    for name in DATETIME_FIELDS:
        if values.get(name):
            values[name] = datetime.fromisoformat(values[name])
    return ArticleItem(**values)
