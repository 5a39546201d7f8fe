"""The health feed (`health.xml`): RSS 2.0 of failed checks and recoveries, newest first.

Separate from the news feeds on purpose: a subscriber adds it to the same reader and learns
that extraction broke the way they learn of news, without a news feed ever carrying an item
that is not an article.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from feedgen.feed import FeedGenerator

from newsmon.extract.normalize.html import xml_safe
from newsmon.publish.atomic import atomic_write_bytes
from newsmon.publish.render import RSS_DOCS, gmt_dates

HEALTH_FEED_NAME = "health.xml"


class HealthEvent(Protocol):
    """One entry of the health feed: a failed check or a recovery.

    The store's HealthEventRecord is one; a writer takes what the store selected and never
    reads the store itself.
    """

    @property
    def event_id(self) -> int:
        """A number unique to the event."""

    @property
    def at(self) -> datetime:
        """When the run that raised it finished."""

    @property
    def spider(self) -> str:
        """The crawl it is about."""

    @property
    def check(self) -> str:
        """The check's name ("recovered" for a recovery)."""

    @property
    def field(self) -> str:
        """The field the check is about."""

    @property
    def message(self) -> str:
        """One sentence a person can act on."""

    @property
    def example_url(self) -> str:
        """A page that shows the problem ("" if none)."""


TITLE = "newsmon health"
DESCRIPTION = (
    "Failed health checks of newsmon's crawls (extraction drift, empty listings, missing "
    "fields, no new articles) and recoveries."
)


def event_title(event: HealthEvent) -> str:
    """A headline a reader understands in a list: what broke, in which crawl."""
    if event.check == "recovered":
        return f"Recovered: {event.spider} crawl is healthy again"
    return f"Health check failed: {event.check} ({event.field}) in the {event.spider} crawl"


def event_guid(event: HealthEvent) -> str:
    """A guid unique to the event (not a URL: the event has no page of its own)."""
    return f"urn:newsmon:health:{event.event_id}:{event.at.astimezone(UTC).isoformat()}"


def render_health_rss(
    events: Sequence[HealthEvent], *, self_url: str, site_link: str, now: datetime
) -> bytes:
    """Render the health feed as RSS 2.0 bytes (UTF-8), entries in the given order."""
    fg = FeedGenerator()
    fg.title(TITLE)
    fg.description(DESCRIPTION)
    fg.language("en")
    fg.generator("newsmon")
    fg.docs(RSS_DOCS)
    # feedgen takes the channel <link> from the LAST link() call: self first, site last.
    fg.link(href=self_url, rel="self", type="application/rss+xml")
    fg.link(href=site_link, rel="alternate", type="text/html")
    fg.lastBuildDate(now)
    for event in events:
        entry = fg.add_entry(order="append")
        entry.title(xml_safe(event_title(event)))
        entry.guid(event_guid(event), permalink=False)
        entry.pubDate(event.at)
        entry.category({"term": event.check})
        # A page that shows the problem; else the monitored site (feed readers want a link).
        has_page = event.example_url.startswith(("http://", "https://"))
        entry.link(href=event.example_url if has_page else site_link)
        example = ""
        if event.example_url:
            link = html.escape(event.example_url)
            example = f'<p>Example: <a href="{link}">{link}</a></p>'
        entry.description(f"<p>{html.escape(xml_safe(event.message), quote=False)}</p>{example}")
    return gmt_dates(fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True))


def write_health_feed(
    path: Path,
    events: Sequence[HealthEvent],
    *,
    self_url: str,
    site_link: str,
    now: datetime,
) -> Path:
    """Replace the health feed at `path` atomically; return the path."""
    atomic_write_bytes(
        path, render_health_rss(events, self_url=self_url, site_link=site_link, now=now)
    )
    return path
