"""Feed validation for tests: feedparser must accept the feed, and the raw XML must follow the
main rules of the W3C Feed Validator and the RSS Best Practices Profile.

Use ``check_rss(path)`` / ``check_atom(path)`` on any generated feed; both return the
feedparser result for further, test-specific assertions.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.html
from lxml import etree

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "media": "http://search.yahoo.com/mrss/",
}
ATOM = "{" + NS["atom"] + "}"

# Elements that must never reach a feed reader inside article HTML.
FORBIDDEN_TAGS = frozenset(
    {
        "script",
        "style",
        "iframe",
        "frame",
        "frameset",
        "form",
        "input",
        "button",
        "textarea",
        "select",
        "object",
        "embed",
        "applet",
        "base",
        "meta",
        "link",
        "svg",
        "math",
    }
)
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
_RAW_DANGER = re.compile(r"<\s*/?\s*(script|iframe|object|embed)\b|<[^>]*\son[a-z]+\s*=", re.I)


def is_absolute_http(url: str | None) -> bool:
    """Tell whether `url` is an absolute http(s) URL with a host."""
    parts = urlsplit((url or "").strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def assert_absolute(url: str | None, where: str) -> None:
    """Fail unless `url` is an absolute http(s) URL."""
    assert is_absolute_http(url), f"{where}: not an absolute http(s) URL: {url!r}"


def assert_rfc822_gmt(text: str | None, where: str) -> datetime:
    """Fail unless `text` is an RFC 822 date in GMT; return it as an aware datetime."""
    assert text, f"{where}: missing date"
    text = text.strip()
    assert text.endswith(" GMT"), f"{where}: date is not in GMT: {text!r}"
    moment = parsedate_to_datetime(text)
    assert moment.tzinfo is not None, f"{where}: date has no zone: {text!r}"
    assert moment.utcoffset() == timedelta(0), f"{where}: date is not UTC: {text!r}"
    return moment


def assert_rfc3339(text: str | None, where: str) -> datetime:
    """Fail unless `text` is an RFC 3339 date-time with an offset (Atom dates)."""
    assert text, f"{where}: missing date"
    moment = datetime.fromisoformat(text.strip())
    assert moment.tzinfo is not None, f"{where}: date has no offset: {text!r}"
    return moment


def assert_safe_html(fragment: str | None, where: str) -> None:
    """Fail if HTML has dangerous tags, on* handlers, bad URL schemes or relative URLs."""
    if not fragment or not fragment.strip():
        return
    match = _RAW_DANGER.search(fragment)
    assert match is None, f"{where}: dangerous markup {match.group(0)!r}"
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        assert element.tag.lower() not in FORBIDDEN_TAGS, f"{where}: <{element.tag}> in content"
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), f"{where}: {name}= on <{element.tag}>"
            lowered = re.sub(r"\s", "", value).lower()
            assert not lowered.startswith(BAD_SCHEMES), f"{where}: {name}={value!r}"
            if name.lower() in ("href", "src"):
                assert is_absolute_http(value) or value.startswith("mailto:"), (
                    f"{where}: relative or odd URL {name}={value!r} on <{element.tag}>"
                )


def _text(parent: Any, path: str, where: str) -> str:
    """Return the non-empty text of a required child element."""
    text = parent.findtext(path, namespaces=NS)
    assert text is not None and text.strip(), f"{where}: missing or empty <{path}>"
    return str(text.strip())


def check_rss(
    path: Path, *, self_url: str | None = None, site_link: str | None = None
) -> feedparser.FeedParserDict:
    """Validate an RSS 2.0 file and return what feedparser makes of it."""
    where = str(path)
    parsed = feedparser.parse(str(path))
    assert parsed.bozo == 0, f"{where}: feedparser: {parsed.get('bozo_exception')!r}"
    assert parsed.version == "rss20", f"{where}: feedparser sees {parsed.version!r}"

    root = etree.parse(str(path)).getroot()
    assert root.tag == "rss" and root.get("version") == "2.0", f"{where}: not RSS 2.0"
    channel = root.find("channel")
    assert channel is not None, f"{where}: no <channel>"
    _text(channel, "title", where)
    _text(channel, "description", where)
    channel_link = _text(channel, "link", where)
    assert_absolute(channel_link, f"{where} channel <link>")
    assert_rfc822_gmt(channel.findtext("lastBuildDate"), f"{where} lastBuildDate")
    for date in channel.findall("pubDate"):
        assert_rfc822_gmt(date.text, f"{where} channel pubDate")

    selfs = channel.findall("atom:link[@rel='self']", NS)
    assert len(selfs) == 1, f"{where}: expected one atom:link rel=self, found {len(selfs)}"
    self_href = selfs[0].get("href")
    assert_absolute(self_href, f"{where} atom:link self")
    assert selfs[0].get("type") == "application/rss+xml", f"{where}: self link type"
    if self_url is not None:
        assert self_href == self_url, f"{where}: self link {self_href!r} != {self_url!r}"
    # The channel <link> is the web page the feed mirrors, never the feed itself.
    assert channel_link != self_href, f"{where}: channel <link> is the feed URL"
    assert not channel_link.endswith((".xml", ".atom", ".rss")), f"{where}: {channel_link!r}"
    if site_link is not None:
        assert channel_link == site_link, f"{where}: channel <link> {channel_link!r}"

    guids = []
    for index, item in enumerate(channel.findall("item")):
        at = f"{where} item {index}"
        assert item.findtext("title") or item.findtext("description"), f"{at}: no title"
        assert_absolute(_text(item, "link", at), f"{at} <link>")
        guid = item.find("guid")
        assert guid is not None and guid.text and guid.text.strip(), f"{at}: no guid"
        if guid.get("isPermaLink", "true") == "true":
            assert_absolute(guid.text, f"{at} permalink guid")
        guids.append(guid.text.strip())
        assert_rfc822_gmt(item.findtext("pubDate"), f"{at} pubDate")
        for creator in item.findall("dc:creator", NS):
            assert creator.text and creator.text.strip(), f"{at}: empty dc:creator"
        for category in item.findall("category"):
            assert category.text and category.text.strip(), f"{at}: empty category"
        for enclosure in item.findall("enclosure"):
            assert_absolute(enclosure.get("url"), f"{at} enclosure")
            assert (enclosure.get("length") or "").isdigit(), f"{at}: enclosure length"
            assert enclosure.get("type"), f"{at}: enclosure type"
        for media in item.iterfind(".//media:content", NS):
            assert_absolute(media.get("url"), f"{at} media:content")
        for element in item.iterfind(".//media:thumbnail", NS):
            assert_absolute(element.get("url"), f"{at} media:thumbnail")
        assert_safe_html(item.findtext("description"), f"{at} description")
        assert_safe_html(item.findtext("content:encoded", namespaces=NS), f"{at} content:encoded")
    assert len(guids) == len(set(guids)), f"{where}: repeated guids {guids}"
    return parsed


def check_atom(
    path: Path, *, self_url: str | None = None, site_link: str | None = None
) -> feedparser.FeedParserDict:
    """Validate an Atom 1.0 file and return what feedparser makes of it."""
    where = str(path)
    parsed = feedparser.parse(str(path))
    assert parsed.bozo == 0, f"{where}: feedparser: {parsed.get('bozo_exception')!r}"
    assert parsed.version == "atom10", f"{where}: feedparser sees {parsed.version!r}"

    feed = etree.parse(str(path)).getroot()
    assert feed.tag == ATOM + "feed", f"{where}: not an Atom feed"
    _text(feed, "atom:id", where)
    _text(feed, "atom:title", where)
    assert_rfc3339(feed.findtext("atom:updated", namespaces=NS), f"{where} updated")
    feed_has_author = bool(feed.findall("atom:author/atom:name", NS))

    selfs = feed.findall("atom:link[@rel='self']", NS)
    assert len(selfs) == 1, f"{where}: expected one link rel=self, found {len(selfs)}"
    assert_absolute(selfs[0].get("href"), f"{where} link self")
    assert selfs[0].get("type") == "application/atom+xml", f"{where}: self link type"
    if self_url is not None:
        assert selfs[0].get("href") == self_url, f"{where}: self link {selfs[0].get('href')!r}"
    alternates = feed.findall("atom:link[@rel='alternate']", NS)
    assert len(alternates) == 1, f"{where}: expected one link rel=alternate"
    assert_absolute(alternates[0].get("href"), f"{where} link alternate")
    if site_link is not None:
        assert alternates[0].get("href") == site_link, f"{where}: alternate link"

    ids = []
    for index, entry in enumerate(feed.findall("atom:entry", NS)):
        at = f"{where} entry {index}"
        entry_id = _text(entry, "atom:id", at)
        assert_absolute(entry_id, f"{at} id")
        ids.append(entry_id)
        _text(entry, "atom:title", at)
        assert_rfc3339(entry.findtext("atom:updated", namespaces=NS), f"{at} updated")
        if entry.find("atom:published", NS) is not None:
            assert_rfc3339(entry.findtext("atom:published", namespaces=NS), f"{at} published")
        links = [
            link
            for link in entry.findall("atom:link", NS)
            if link.get("rel", "alternate") == "alternate"
        ]
        assert links, f"{at}: no alternate link"
        for link in entry.findall("atom:link", NS):
            assert_absolute(link.get("href"), f"{at} link")
        assert feed_has_author or entry.findall("atom:author/atom:name", NS), f"{at}: no author"
        content = entry.find("atom:content", NS)
        if content is not None:
            assert content.get("type") == "html", f"{at}: content type {content.get('type')!r}"
            assert_safe_html(content.text, f"{at} content")
        for media in entry.iterfind(".//media:content", NS):
            assert_absolute(media.get("url"), f"{at} media:content")
    assert len(ids) == len(set(ids)), f"{where}: repeated ids {ids}"
    return parsed


# JSON Feed 1.1 (https://jsonfeed.org/version/1.1): the fields the spec requires, and the types
# it gives the optional ones newsmon writes. feedparser 6.0.14, the newest release, reads no
# JSON Feed, so this schema and the checks below are the reader of the JSON twins.
_AUTHOR = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "url": {"type": "string"}},
    "minProperties": 1,
}
JSON_FEED_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string", "minLength": 1},
        "home_page_url": {"type": "string"},
        "feed_url": {"type": "string"},
        "description": {"type": "string"},
        "language": {"type": "string"},
        "authors": {"type": "array", "items": _AUTHOR},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "url": {"type": "string"},
                    "title": {"type": "string"},
                    "content_html": {"type": "string"},
                    "content_text": {"type": "string"},
                    "summary": {"type": "string"},
                    "image": {"type": "string"},
                    "date_published": {"type": "string"},
                    "date_modified": {"type": "string"},
                    "authors": {"type": "array", "items": _AUTHOR},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}


def check_json_feed(
    path: Path, *, self_url: str | None = None, site_link: str | None = None
) -> dict[str, Any]:
    """Validate a JSON Feed 1.1 file (required fields, types, dates, URLs); return it."""
    import json

    import jsonschema

    where = str(path)
    document: dict[str, Any] = json.loads(Path(path).read_bytes())
    jsonschema.Draft202012Validator(JSON_FEED_SCHEMA).validate(document)
    assert_absolute(document.get("feed_url"), f"{where} feed_url")
    assert_absolute(document.get("home_page_url"), f"{where} home_page_url")
    if self_url is not None:
        assert document["feed_url"] == self_url, f"{where}: feed_url {document['feed_url']!r}"
    if site_link is not None:
        assert document["home_page_url"] == site_link, f"{where}: home_page_url"
    ids = []
    for index, item in enumerate(document["items"]):
        at = f"{where} item {index}"
        ids.append(item["id"])
        assert_absolute(item.get("url"), f"{at} url")
        for name in ("date_published", "date_modified"):
            if name in item:
                assert_rfc3339(item[name], f"{at} {name}")
        assert_safe_html(item.get("content_html"), f"{at} content_html")
    assert len(ids) == len(set(ids)), f"{where}: repeated ids {ids}"
    return document
