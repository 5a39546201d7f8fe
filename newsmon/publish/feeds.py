"""RSS 2.0 and Atom 1.0 feeds of one listing (the News Feed or a tag), written with feedgen.

Update policy, in short (details on `FeedEntry` and `write_feeds`):

- ``"update"`` (default): an article has one guid for life, its canonical URL. When it is
  updated the feed shows its latest version under the same guid, so feed readers refresh the
  item in place (or ignore the change) and never show the article twice.
- ``"reannounce"``: the same, except for articles the store marked as substantially rewritten
  (``FeedEntry.announced_version > 1``). Those get the guid ``<url>#v<announced_version>``
  (isPermaLink="false") and the announcement time as pubDate, so readers show them once more,
  as a new item. Later small edits keep that guid: only a new announcement changes it.
"""

from __future__ import annotations

import html
import logging
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from lxml import etree

from newsmon.extract.normalize.html import sanitize_html, xml_safe
from newsmon.items import ArticleItem
from newsmon.publish.atomic import atomic_write_bytes
from newsmon.site import NEWS_FEED_SLUG, SITE_NAME, is_http_url, is_slug

logger = logging.getLogger(__name__)

UpdatePolicy = Literal["update", "reannounce"]
UPDATE_POLICIES: frozenset[str] = frozenset({"update", "reannounce"})


MEDIA_NS = "http://search.yahoo.com/mrss/"
RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
GENERATOR = "newsmon"
RSS_DOCS = "https://www.rssboard.org/rss-specification"
# Descriptions are excerpts: readers show them in lists, the full text is in content:encoded.
_EXCERPT_CHARS = 300


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
        _require_aware(self.first_seen, "first_seen")
        if self.announced_at is not None:
            _require_aware(self.announced_at, "announced_at")


@dataclass(frozen=True)
class FeedSpec:
    """What a feed is about: which listing, its title, and the page it mirrors."""

    slug: str
    """"news-feed" or a tag slug; decides the file name (see `feed_paths`)."""

    title: str
    """Feed title, e.g. "The Kyiv Independent — News Feed"."""

    site_link: str
    """The listing page on the site, e.g. https://kyivindependent.com/tag/russia/."""

    description: str
    """One sentence on what the feed contains."""

    publisher: str = SITE_NAME
    """Feed-level Atom author: Atom requires an author for entries that have no byline."""

    def __post_init__(self) -> None:
        """Validate the slug and the site link early, before anything is rendered."""
        validate_slug(self.slug)
        _require_http_url(self.site_link, "site_link")
        if not self.title.strip() or not self.description.strip():
            raise ValueError("a feed needs a non-empty title and description")


def validate_slug(slug: str) -> str:
    """Return `slug` if it is a safe listing slug, else raise ValueError."""
    if not is_slug(slug):
        raise ValueError(f"invalid feed slug {slug!r}: expected [a-z0-9][a-z0-9-]{{0,99}}")
    return slug


def feed_paths(output_dir: Path, slug: str) -> tuple[Path, Path]:
    """RSS and Atom paths of a listing: news-feed -> newsfeed.xml/.atom, a tag -> tags/<slug>.*."""
    validate_slug(slug)
    output_dir = Path(output_dir)
    if slug == NEWS_FEED_SLUG:
        return output_dir / "newsfeed.xml", output_dir / "newsfeed.atom"
    tags_dir = output_dir / "tags"
    rss, atom = tags_dir / f"{slug}.xml", tags_dir / f"{slug}.atom"
    # The pattern already rules out "/" and "..": this is a second lock on the same door.
    if rss.resolve().parent != tags_dir.resolve() or atom.resolve().parent != tags_dir.resolve():
        raise ValueError(f"feed slug {slug!r} resolves outside {tags_dir}")
    return rss, atom


def feed_url(feed_base_url: str, output_dir: Path, path: Path) -> str:
    """Public URL of a file under `output_dir`, given the public URL of `output_dir`."""
    _require_http_url(feed_base_url, "feed_base_url")
    relative = Path(path).relative_to(Path(output_dir)).as_posix()
    # Without a trailing slash urljoin would drop the last segment of the base path.
    return urljoin(feed_base_url.rstrip("/") + "/", relative)


def write_feeds(
    output_dir: Path,
    spec: FeedSpec,
    entries: Sequence[FeedEntry],
    *,
    feed_base_url: str,
    update_policy: str = "update",
    now: datetime,
) -> tuple[Path, Path]:
    """Write the RSS feed and its Atom twin for `spec`, entries in the given order (newest first).

    Both documents are rendered before either file is touched, and each file is replaced
    atomically. Entries whose guid repeats an earlier one are skipped (the first one wins).
    """
    if update_policy not in UPDATE_POLICIES:
        raise ValueError(f"update_policy must be one of {sorted(UPDATE_POLICIES)}")
    now = _utc(now, "now")
    rss_path, atom_path = feed_paths(output_dir, spec.slug)
    rss_url = feed_url(feed_base_url, output_dir, rss_path)
    atom_url = feed_url(feed_base_url, output_dir, atom_path)
    prepared = _prepare_all(entries, update_policy)
    rss_bytes = render_rss(spec, prepared, self_url=rss_url, now=now)
    atom_bytes = render_atom(spec, prepared, self_url=atom_url, now=now)
    written = [
        path.name
        for path, data in ((rss_path, rss_bytes), (atom_path, atom_bytes))
        if _write_if_changed(path, data)
    ]
    if written:
        logger.info("wrote %s (%d entries)", " and ".join(written), len(prepared))
    else:
        logger.debug("%s and %s unchanged", rss_path, atom_path)
    return rss_path, atom_path


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Replace `path` atomically unless it already holds `data`; tell whether it wrote.

    An unchanged feed keeps its file, hence its modification time: servers keep answering
    304 to readers' If-Modified-Since, and nothing is rewritten for nothing.
    """
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass  # missing or unreadable: write it
    atomic_write_bytes(path, data)
    return True


@dataclass(frozen=True)
class _Prepared:
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


def _prepare_all(entries: Sequence[FeedEntry], update_policy: str) -> list[_Prepared]:
    """Prepare entries in order, skipping unusable ones and repeated guids (with a warning)."""
    prepared: list[_Prepared] = []
    seen: set[str] = set()
    for entry in entries:
        url = entry.item.url
        if not is_http_url(url):
            logger.warning("feed entry skipped: article URL %r is not absolute http(s)", url)
            continue
        one = _prepare(entry, update_policy)
        if one.guid in seen:
            logger.warning("feed entry skipped: guid %s is already in this feed", one.guid)
            continue
        seen.add(one.guid)
        prepared.append(one)
    return prepared


def _prepare(entry: FeedEntry, update_policy: str) -> _Prepared:
    """Compute guid, dates and cleaned text of one entry under the update policy."""
    item = entry.item
    published = _utc(item.published, "published") if item.published else entry.first_seen
    published = _utc(published, "first_seen")
    updated = _utc(item.modified, "modified") if item.modified else published
    guid, permalink, pub_date = item.url, True, published
    if update_policy == "reannounce" and entry.announced_version > 1:
        # A new guid makes readers show the rewrite as a new item; a non-URL guid must say so.
        guid, permalink = f"{item.url}#v{entry.announced_version}", False
        pub_date = _utc(entry.announced_at, "announced_at") if entry.announced_at else updated
    return _Prepared(
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
    spec: FeedSpec, entries: Sequence[_Prepared], *, self_url: str, now: datetime
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
        for author in one.authors:
            fe.dc.dc_creator(author)
        for category in one.categories:
            fe.category(category)
        # description is HTML to readers: escape the plain-text summary so "<" stays text.
        fe.description(html.escape(one.summary, quote=False) or html.escape(one.title))
        if one.content_html:
            fe.content(one.content_html)
        fe.newsmon_media.image(one.image_url, one.image_caption)
    return gmt_dates(fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True))


def render_atom(
    spec: FeedSpec, entries: Sequence[_Prepared], *, self_url: str, now: datetime
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
    root = etree.fromstring(rss)
    for element in root.iter("pubDate", "lastBuildDate"):
        moment = parsedate_to_datetime(element.text).astimezone(UTC)
        element.text = format_datetime(moment, usegmt=True)
    data: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    return data


def _utc(value: datetime | None, name: str) -> datetime:
    """`value` converted to UTC; naive datetimes are refused rather than guessed."""
    if value is None:
        raise ValueError(f"{name} is required")
    _require_aware(value, name)
    return value.astimezone(UTC)


def _require_aware(value: datetime, name: str) -> None:
    """Raise ValueError unless `value` is a timezone-aware datetime."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


def _require_http_url(value: str, name: str) -> None:
    """Raise ValueError unless `value` is an absolute http(s) URL."""
    if not is_http_url(value):
        raise ValueError(f"{name} must be an absolute http(s) URL, got {value!r}")
