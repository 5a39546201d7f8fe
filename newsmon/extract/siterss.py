"""The site's own RSS (`/news-archive/rss/`): Ghost's RSS 2.0 of its newest articles.

FACTS.md: full text in `content:encoded`, `guid` = the Ghost post id (not a URL), one
`category` per tag (display names), `dc:creator`, `pubDate` in GMT, about 15 items. newsmon
reads it as a second source of the News Feed: to find articles the listing walk missed, and
to check the walk (see `newsmon.health.crosscheck`).

Read with feedparser (a library made for the job: RSS, Atom, dates, namespaces), from a
file object so that the body is never taken for a file name or URL, and without entity
expansion: a document that declares XML entities is refused, not parsed.
"""

from __future__ import annotations

import calendar
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from parsel import Selector

from newsmon.extract.listing import ListingCard
from newsmon.extract.normalize.text import clean_text
from newsmon.extract.postid import GHOST_ID
from newsmon.site import slugify

SITE_RSS_PATH = "/news-archive/rss/"
# Media types the site RSS may come as.
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/x-rss+xml",
)
# Ghost lists about 15; a feed far longer than any Ghost writes is cut, not read whole.
MAX_ENTRIES = 200
# An entity declaration in a DTD: the start of every entity-expansion attack.
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


class SiteRssError(ValueError):
    """The site's RSS could not be read (not a feed, entities declared, no entries)."""


@dataclass(frozen=True)
class SiteRssEntry:
    """One item of the site's RSS, with what newsmon uses of it."""

    url: str
    """The article's link, absolute (as the feed gives it)."""

    ghost_id: str
    """The Ghost post id (the item's guid), "" if the guid is not one."""

    title: str
    published: datetime | None
    categories: tuple[str, ...]
    """Tag display names, primary first ("News Feed", ...)."""

    author: str
    summary: str

    def in_listing(self, slug: str) -> bool:
        """Tell whether the entry is tagged with the listing `slug` (by its display name)."""
        return any(slugify(name) == slug for name in self.categories)

    def card(self) -> ListingCard:
        """The entry as a listing card: what the article page may lack, the feed says."""
        return ListingCard(
            url=self.url,
            title=self.title,
            published=self.published,
            primary_tag=self.categories[0] if self.categories else "",
            author=self.author,
            excerpt=self.summary,
            ghost_id=self.ghost_id,
        )


def read_site_rss(body: bytes, url: str) -> list[SiteRssEntry]:
    """The entries of the site's RSS, in feed order; raise SiteRssError if it is unreadable."""
    prolog = body[: body.find(b"<rss")] if b"<rss" in body[:4096] else body[:4096]
    if _ENTITY_DECLARATION.search(prolog):
        raise SiteRssError("the feed declares XML entities; newsmon does not expand them")
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers={"content-location": url},
        resolve_relative_uris=False,
    )
    if not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise SiteRssError(f"no entries ({problem})" if problem else "no entries")
    entries = []
    for raw in parsed.entries[:MAX_ENTRIES]:
        entry = _entry(raw, url)
        if entry is not None:
            entries.append(entry)
    if not entries:
        raise SiteRssError("no entry has a link")
    return entries


def _entry(raw: Any, feed_url: str) -> SiteRssEntry | None:
    link = raw.get("link")
    if not isinstance(link, str) or not link.strip():
        return None
    guid = raw.get("id") or ""
    stamp = raw.get("published_parsed") or raw.get("updated_parsed")
    published = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None
    categories = tuple(
        name for tag in raw.get("tags") or [] if (name := clean_text(str(tag.get("term") or "")))
    )
    summary = str(raw.get("summary") or "")
    if "<" in summary:
        summary = Selector(text=summary).xpath("string()").get() or ""
    return SiteRssEntry(
        url=urljoin(feed_url, link.strip()),
        ghost_id=guid if GHOST_ID.fullmatch(guid) else "",
        title=clean_text(str(raw.get("title") or "")),
        published=published,
        categories=categories,
        author=clean_text(str(raw.get("author") or "")),
        summary=clean_text(summary),
    )
