"""The health feed (`health.xml`): RSS 2.0 of health incidents and recoveries, newest first.

Separate from the news feeds on purpose: a subscriber adds it to the same reader and learns
that extraction broke, or that the site blocks newsmon, the way they learn of news, without a
news feed ever carrying an item that is not an article.

One incident is one item, however many checks or pages it touches (and a reminder item every
NEWSMON_HEALTH_REMIND_HOURS while it lasts, and one "Recovered" item when it ends). Like the
news feeds, the file changes only when its content does: its lastBuildDate is the newest
event's time, not the clock's, and an unchanged feed is not rewritten.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from feedgen.feed import FeedGenerator

from newsmon.extract.normalize.html import xml_safe
from newsmon.publish.atomic import atomic_write_bytes
from newsmon.publish.paths import HEALTH_FEED_NAME as HEALTH_FEED_NAME
from newsmon.publish.render import RSS_DOCS, gmt_dates


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

    @property
    def kind(self) -> str:
        """The event's kind: failed, reminder, recovered ("" for one check's, from before)."""

    @property
    def failures(self) -> Sequence[Mapping[str, Any]]:
        """Every failure of the run: check, field, message, example_url."""

    @property
    def report(self) -> str:
        """The run report's path ("" if none)."""


TITLE = "newsmon health"
DESCRIPTION = (
    "Health incidents of newsmon's crawls (a blocked or unreachable site, articles or state "
    "that could not be fetched or written, extraction drift, empty listings, missing fields, "
    "no new articles), reminders while they last, and recoveries."
)
# The lastBuildDate of a feed with no event yet: it has never changed.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def event_title(event: HealthEvent) -> str:
    """A headline a reader understands in a list: what broke, in which crawl."""
    if event.check == "recovered" or event.kind == "recovered":
        return f"Recovered: {event.spider} crawl is healthy again"
    names = [f"{f.get('check')} ({f.get('field')})" for f in event.failures] or [
        f"{event.check} ({event.field})"
    ]
    if event.kind == "reminder":
        return f"Still failing: {', '.join(names)} in the {event.spider} crawl"
    checks = "Health check failed" if len(names) == 1 else "Health checks failed"
    return f"{checks}: {', '.join(names)} in the {event.spider} crawl"


def event_html(event: HealthEvent) -> str:
    """An item's description: what happened, each failure with its page, the run report."""
    parts = [f"<p>{_text(event.message)}</p>"]
    others = other_failures(event)
    if others:
        rows = "".join(_failure_html(failure) for failure in others)
        parts.append(f"<ul>{rows}</ul>")
    if event.example_url:
        parts.append(f"<p>Example: {_link(event.example_url)}</p>")
    if event.report:
        parts.append(f"<p>Run report: {_text(event.report)}</p>")
    return "".join(parts)


def other_failures(event: HealthEvent) -> list[Mapping[str, Any]]:
    """The event's failures its message does not already say (none for a single one)."""
    return [f for f in event.failures if f.get("message") != event.message]


def _failure_html(failure: Mapping[str, Any]) -> str:
    words = f"{failure.get('check')} ({failure.get('field')}): {failure.get('message')}"
    page = str(failure.get("example_url") or "")
    return f"<li>{_text(words)}" + (f" ({_link(page)})" if page else "") + "</li>"


def _text(text: str) -> str:
    return html.escape(xml_safe(text), quote=False)


def _link(url: str) -> str:
    link = html.escape(url)
    return f'<a href="{link}">{link}</a>'


def event_guid(event: HealthEvent) -> str:
    """A guid unique to the event (not a URL: the event has no page of its own)."""
    return f"urn:newsmon:health:{event.event_id}:{event.at.astimezone(UTC).isoformat()}"


def render_health_rss(events: Sequence[HealthEvent], *, self_url: str, site_link: str) -> bytes:
    """Render the health feed as RSS 2.0 bytes (UTF-8), entries in the given order.

    The same events give the same bytes: the build date is the newest event's.
    """
    fg = FeedGenerator()
    fg.title(TITLE)
    fg.description(DESCRIPTION)
    fg.language("en")
    fg.generator("newsmon")
    fg.docs(RSS_DOCS)
    # feedgen takes the channel <link> from the LAST link() call: self first, site last.
    fg.link(href=self_url, rel="self", type="application/rss+xml")
    fg.link(href=site_link, rel="alternate", type="text/html")
    fg.lastBuildDate(max((event.at for event in events), default=NEVER))
    for event in events:
        entry = fg.add_entry(order="append")
        entry.title(xml_safe(event_title(event)))
        entry.guid(event_guid(event), permalink=False)
        entry.pubDate(event.at)
        checks = [str(f.get("check")) for f in event.failures] or [event.check]
        for check in dict.fromkeys(checks):
            entry.category({"term": check})
        # A page that shows the problem; else the monitored site (feed readers want a link).
        has_page = event.example_url.startswith(("http://", "https://"))
        entry.link(href=event.example_url if has_page else site_link)
        entry.description(event_html(event))
    return gmt_dates(fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True))


def write_health_feed(
    path: Path, events: Sequence[HealthEvent], *, self_url: str, site_link: str
) -> bool:
    """Replace the health feed at `path` atomically if its bytes change; tell if it did.

    An unchanged feed keeps its file and modification time, so servers keep answering 304.
    """
    data = render_health_rss(events, self_url=self_url, site_link=site_link)
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass  # missing or unreadable: write it
    atomic_write_bytes(path, data)
    return True
