"""ArticleItem: the one output schema of newsmon."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def iso_datetime(value: datetime | None) -> str | None:
    """Serialise a timezone-aware datetime as ISO 8601 with its offset."""
    return value.isoformat() if value is not None else None


# Scrapy's exporters read "serializer" from field metadata; without it a datetime would be
# written as "YYYY-MM-DD HH:MM:SS" with its offset lost.
_DATETIME_META: dict[str, Any] = {"serializer": iso_datetime}


@dataclass(kw_only=True)
class ArticleItem:
    """One article of The Kyiv Independent, as extracted from its page."""

    url: str = ""
    """Canonical article URL: https, no www., no tracking parameters, one trailing slash."""

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
