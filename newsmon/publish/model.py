"""What a feed is made of: its entries (an article and what the store knows of it) and its spec."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from newsmon.items import ArticleItem
from newsmon.site import SITE_NAME, is_http_url, is_slug

UpdatePolicy = Literal["update", "reannounce"]
UPDATE_POLICIES: frozenset[str] = frozenset({"update", "reannounce"})
# What a feed follows: a tag's listing (the News Feed is one), an author's, the all-news
# archive, or a named filter (NEWSMON_FILTER_FEEDS). The kind and the slug name its files.
FeedKind = Literal["tag", "author", "archive", "filter"]
FEED_KINDS: tuple[str, ...] = ("tag", "author", "archive", "filter")


@dataclass(frozen=True)
class FeedEntry:
    """One article as it goes into a feed: its latest version, plus what the store knows."""

    item: ArticleItem
    """The latest version of the article."""

    version: int
    """Version number of `item` (1 for the first version)."""

    first_seen: datetime
    """When newsmon first stored the article (timezone-aware)."""

    announced_at: datetime | None = None
    """When `announced_version` was announced (timezone-aware): the pubDate of a re-announced
    item under the "reannounce" policy. None falls back to the item's `modified`."""

    announced_version: int = 1
    """The version readers were last told about as a new item: 1, unless the store judged a
    later version a substantial rewrite worth announcing again ("reannounce" policy only)."""

    def __post_init__(self) -> None:
        """Refuse entries that no feed could represent honestly."""
        if self.version < 1:
            raise ValueError(f"version must be >= 1, got {self.version}")
        if not 1 <= self.announced_version <= self.version:
            raise ValueError(
                f"announced_version must be between 1 and version ({self.version}), "
                f"got {self.announced_version}"
            )
        require_aware(self.first_seen, "first_seen")
        if self.announced_at is not None:
            require_aware(self.announced_at, "announced_at")


@dataclass(frozen=True)
class FeedSpec:
    """What a feed is about: which listing, its title, and the page it mirrors."""

    slug: str
    """"news-feed", a tag's, an author's or a named filter's slug; with `kind`, it decides the
    file names (see `feed_paths`)."""

    title: str
    """Feed title, e.g. "The Kyiv Independent — News Feed"."""

    site_link: str
    """The listing page on the site, e.g. https://kyivindependent.com/tag/russia/."""

    description: str
    """One sentence on what the feed contains."""

    publisher: str = SITE_NAME
    """Feed-level Atom author: Atom requires an author for entries that have no byline."""

    kind: FeedKind = "tag"
    """What the feed follows (see `FeedKind`)."""

    def __post_init__(self) -> None:
        """Validate the slug and the site link early, before anything is rendered."""
        validate_slug(self.slug)
        if self.kind not in FEED_KINDS:
            raise ValueError(f"feed kind must be one of {FEED_KINDS}, not {self.kind!r}")
        require_http_url(self.site_link, "site_link")
        if not self.title.strip() or not self.description.strip():
            raise ValueError("a feed needs a non-empty title and description")


def validate_slug(slug: str) -> str:
    """Return `slug` if it is a safe listing slug, else raise ValueError."""
    if not is_slug(slug):
        raise ValueError(f"invalid feed slug {slug!r}: expected [a-z0-9][a-z0-9-]{{0,99}}")
    return slug


def utc(value: datetime | None, name: str) -> datetime:
    """`value` converted to UTC; naive datetimes are refused rather than guessed."""
    if value is None:
        raise ValueError(f"{name} is required")
    require_aware(value, name)
    return value.astimezone(UTC)


def require_aware(value: datetime, name: str) -> None:
    """Raise ValueError unless `value` is a timezone-aware datetime."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


def require_http_url(value: str, name: str) -> None:
    """Raise ValueError unless `value` is an absolute http(s) URL."""
    if not is_http_url(value):
        raise ValueError(f"{name} must be an absolute http(s) URL, got {value!r}")
