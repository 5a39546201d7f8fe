"""Render a feed's entries as RSS 2.0 (RSS Best Practices Profile) and Atom 1.0, with feedgen."""

from __future__ import annotations

import html
import logging
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from newsmon.extract.normalize.authors import join_byline
from newsmon.extract.normalize.html import sanitize_html, xml_safe
from newsmon.items import ArticleItem
from newsmon.publish.model import FeedEntry, FeedSpec, utc
from newsmon.site import is_http_url

logger = logging.getLogger(__name__)

MEDIA_NS = "http://search.yahoo.com/mrss/"
RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
GENERATOR = "newsmon"
RSS_DOCS = "https://www.rssboard.org/rss-specification"
# Descriptions are excerpts: readers show them in lists, the full text is in content:encoded.
_EXCERPT_CHARS = 300


@dataclass(frozen=True)
class Prepared:
    """An entry reduced to the values both feed formats need, already cleaned."""

    guid: str
    permalink: bool
    link: str
    title: str
    pub_date: datetime
    published: datetime
    updated: datetime
    authors: list[str]
    categories: list[dict[str, str]]
    summary: str
    content_html: str
    image_url: str
    image_caption: str


# What one prepared entry depends on besides the update policy: the article (its URL), its
# version, how it was announced and when it was first seen (a store's pass reads each stored
# version once, so its item is the same wherever it appears).
PreparedKey = tuple[str, int, int, datetime | None, datetime]


class PreparedEntries:
    """Entries prepared once per publishing pass, whichever of its feeds shows them.

    An article sits in the News Feed and in each of its tags' feeds: preparing it (its HTML
    sanitised again, above all) once instead of in every feed took 8 % off the instructions
    of publishing the 25 feeds of a crawl of 2,000 articles (BENCHMARKS.md, tenth pass).
    """

    def __init__(self, update_policy: str) -> None:
        self.update_policy = update_policy
        self._prepared: dict[PreparedKey, Prepared] = {}

    def prepare(self, entry: FeedEntry) -> Prepared:
        """The prepared entry, computed on its first request in this pass."""
        key = (
            entry.item.url,
            entry.version,
            entry.announced_version,
            entry.announced_at,
            entry.first_seen,
        )
        one = self._prepared.get(key)
        if one is None:
            one = self._prepared[key] = _prepare(entry, self.update_policy)
        return one


def prepare_all(
    entries: Sequence[FeedEntry], update_policy: str, known: PreparedEntries | None = None
) -> list[Prepared]:
    """Prepare entries in order, skipping unusable ones and repeated guids (with a warning).

    `known`: the pass's entries prepared so far (its update policy must be `update_policy`).
    """
    if known is None or known.update_policy != update_policy:
        known = PreparedEntries(update_policy)
    prepared: list[Prepared] = []
    seen: set[str] = set()
    for entry in entries:
        url = entry.item.url
        if not is_http_url(url):
            logger.warning("feed entry skipped: article URL %r is not absolute http(s)", url)
            continue
        one = known.prepare(entry)
        if one.guid in seen:
            logger.warning("feed entry skipped: guid %s is already in this feed", one.guid)
            continue
        seen.add(one.guid)
        prepared.append(one)
    return prepared


def _prepare(entry: FeedEntry, update_policy: str) -> Prepared:
    """Compute guid, dates and cleaned text of one entry under the update policy."""
    item = entry.item
    published = utc(item.published, "published") if item.published else entry.first_seen
    published = utc(published, "first_seen")
    updated = utc(item.modified, "modified") if item.modified else published
    guid, permalink, pub_date = item.url, True, published
    if update_policy == "reannounce" and entry.announced_version > 1:
        # A new guid makes readers show the rewrite as a new item; a non-URL guid must say so.
        guid, permalink = f"{item.url}#v{entry.announced_version}", False
        pub_date = utc(entry.announced_at, "announced_at") if entry.announced_at else updated
    return Prepared(
        guid=guid,
        permalink=permalink,
        link=item.url,
        title=xml_safe(" ".join(item.title.split())) or item.url,
        pub_date=pub_date,
        published=published,
        updated=max(updated, published),
        authors=[xml_safe(a.strip()) for a in item.authors if a.strip()],
        categories=_categories(item),
        summary=xml_safe(_excerpt(item)),
        content_html=_content_html(item),
        image_url=item.image_url if is_http_url(item.image_url) else "",
        image_caption=xml_safe(" ".join(item.image_caption.split())),
    )


def _categories(item: ArticleItem) -> list[dict[str, str]]:
    """One category per tag: slug as term, display name as label, the tag root as scheme."""
    names = [xml_safe(n.strip()) for n in item.tags]
    if len(item.tag_slugs) != len(names):
        # Slugs that do not line up with the names cannot be trusted to belong to them.
        return [{"term": name, "label": name} for name in names if name]
    scheme = urljoin(item.url, "/tag/")
    return [
        {"term": slug, "label": name or slug, "scheme": scheme}
        for slug, name in zip(item.tag_slugs, names, strict=True)
        if slug
    ]


def _excerpt(item: ArticleItem) -> str:
    """Return the summary, or the start of the body when the page had no description."""
    text = " ".join(item.summary.split())
    if text:
        return text
    body = " ".join(item.body.split())
    if len(body) <= _EXCERPT_CHARS:
        return body
    return body[:_EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"


def _content_html(item: ArticleItem) -> str:
    """Sanitised body, led by the hero image so readers that ignore media:content show it."""
    parts = []
    if is_http_url(item.image_url) and item.image_url not in item.body_html:
        caption = html.escape(" ".join(item.image_caption.split()))
        figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
        parts.append(
            f'<figure><img src="{html.escape(item.image_url)}" alt="{caption}">'
            f"{figcaption}</figure>"
        )
    parts.append(item.body_html)
    return sanitize_html("".join(parts), item.url)


class _MediaExtension(BaseExtension):  # type: ignore[misc]
    """Declares the Media RSS namespace on the feed element."""

    def extend_ns(self) -> dict[str, str]:
        """Namespace prefix used by the entry extension."""
        return {"media": MEDIA_NS}


class _MediaEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """The hero image as media:content with its caption as media:description.

    feedgen's own media extension writes attributes only and has no media:description.
    """

    def __init__(self) -> None:
        self.url = ""
        self.caption = ""

    def image(self, url: str, caption: str) -> None:
        """Set the image URL and its caption."""
        self.url, self.caption = url, caption

    def extend_rss(self, item: Any) -> Any:
        """Append media:content to an RSS item (or Atom entry)."""
        if not self.url:
            return item
        content = xml_elem(f"{{{MEDIA_NS}}}content", item, url=self.url, medium="image")
        mime, _ = mimetypes.guess_type(urlsplit(self.url).path)
        if mime and mime.startswith("image/"):
            content.set("type", mime)
        if self.caption:
            description = xml_elem(f"{{{MEDIA_NS}}}description", content, type="plain")
            description.text = self.caption
        return item

    def extend_atom(self, entry: Any) -> Any:
        """Append media:content to an Atom entry."""
        return self.extend_rss(entry)


def _generator(spec: FeedSpec, *, self_url: str, self_type: str, now: datetime) -> FeedGenerator:
    """Build a FeedGenerator with the channel fields shared by the RSS and Atom documents."""
    fg = FeedGenerator()
    fg.register_extension("newsmon_media", _MediaExtension, _MediaEntryExtension)
    fg.id(spec.site_link)
    fg.title(xml_safe(spec.title))
    fg.description(xml_safe(spec.description))
    fg.language("en")
    fg.generator(GENERATOR)
    fg.author(name=spec.publisher)
    # feedgen takes the RSS channel <link> from the LAST link() call: self first, site last.
    fg.link(href=self_url, rel="self", type=self_type)
    fg.link(href=spec.site_link, rel="alternate", type="text/html")
    fg.lastBuildDate(now)
    return fg


def render_rss(
    spec: FeedSpec, entries: Sequence[Prepared], *, self_url: str, now: datetime
) -> bytes:
    """Render the RSS 2.0 document (RSS Best Practices Profile) as UTF-8 bytes."""
    fg = _generator(spec, self_url=self_url, self_type=RSS_TYPE, now=now)
    fg.load_extension("dc", atom=False, rss=True)
    fg.docs(RSS_DOCS)
    for one in entries:
        # feedgen prepends by default, which would reverse our newest-first order.
        fe = fg.add_entry(order="append")
        fe.title(one.title)
        fe.link(href=one.link)
        fe.guid(one.guid, permalink=one.permalink)
        fe.pubDate(one.pub_date)
        if one.authors:
            # One dc:creator with the whole byline: readers (feedparser, newsboat) show the
            # last of several dc:creator elements only, which lost every co-author.
            fe.dc.dc_creator(join_byline(one.authors))
        for category in one.categories:
            fe.category(category)
        # description is HTML to readers: escape the plain-text summary so "<" stays text.
        fe.description(html.escape(one.summary, quote=False) or html.escape(one.title))
        if one.content_html:
            fe.content(one.content_html)
        fe.newsmon_media.image(one.image_url, one.image_caption)
    return gmt_dates(fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True))


def render_atom(
    spec: FeedSpec, entries: Sequence[Prepared], *, self_url: str, now: datetime
) -> bytes:
    """Render the Atom 1.0 twin of the RSS document as UTF-8 bytes."""
    fg = _generator(spec, self_url=self_url, self_type=ATOM_TYPE, now=now)
    for one in entries:
        fe = fg.add_entry(order="append")
        fe.id(one.guid)
        fe.title(one.title)
        # feedgen 1.0 drops the rel of entry links; a link without rel is rel="alternate".
        fe.link(href=one.link, rel="alternate", type="text/html")
        fe.published(one.published)
        fe.updated(one.updated)
        for author in one.authors:
            fe.author(name=author)
        for category in one.categories:
            fe.category(category)
        if one.summary:
            fe.summary(one.summary)
        if one.content_html:
            fe.content(one.content_html, type="html")
        fe.newsmon_media.image(one.image_url, one.image_caption)
    data: bytes = fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return data


def gmt_dates(rss: bytes) -> bytes:
    """Rewrite RSS dates from feedgen's "+0000" to "GMT", the form RSS best practice asks for."""
    # In the serialised document a "<pubDate>" can only be the element: lxml escapes "<" in
    # every text node and attribute value (content:encoded included). Rewriting the bytes
    # gives what parsing the document, rewriting the elements and serialising it again gave
    # (25 feeds of a 2,000-article crawl compared byte for byte, a review's 400 random ones
    # too), without the two passes over every entry; only an empty element keeps its
    # `<x></x>` where the round trip wrote `<x/>` (the same XML).
    return _RSS_DATE.sub(_gmt_date, rss)


_RSS_DATE = re.compile(rb"<(pubDate|lastBuildDate)>([^<]*)</\1>")


def _gmt_date(match: re.Match[bytes]) -> bytes:
    """One date element, its RFC 822 date in UTC with the zone written "GMT"."""
    moment = parsedate_to_datetime(match[2].decode("ascii")).astimezone(UTC)
    name = match[1]
    return b"<%s>%s</%s>" % (name, format_datetime(moment, usegmt=True).encode("ascii"), name)
