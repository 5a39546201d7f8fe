"""Article pages: every field of an ArticleItem, each with its own fallback chain.

The real site's <head> is not confirmed, so no field relies on one source: JSON-LD first,
then meta tags, then the page itself (headline, byline, visible Kyiv-time date line), and
last what the listing card said.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property
from urllib.parse import urljoin, urlsplit

from lxml.etree import _Element
from parsel import Selector
from scrapy.http import TextResponse

from newsmon.extract.body import BodyContent, extract_body
from newsmon.extract.head import PageHead, ld_names, ld_url
from newsmon.extract.listing import ListingCard, ListingPage
from newsmon.extract.normalize.authors import split_byline
from newsmon.extract.normalize.dates import parse_iso, parse_visible_date
from newsmon.extract.normalize.html import sanitize_html
from newsmon.extract.normalize.images import first_srcset_url, unwrap_image_url
from newsmon.extract.normalize.text import clean_text, dedupe_keep_order, word_count
from newsmon.extract.normalize.urls import canonical_url
from newsmon.items import ArticleItem

# Headline elements of the 2025 front end and the 2023 theme (long reads used an h2).
TITLE_XPATHS = (
    "//h1[contains(@class, 'title')]",
    "//h1[contains(@class, 'c-topper__title')]",
    "//h2[contains(@class, 'bigPictureTopper__title')]",
    "//main//h1",
    "//h1",
)
SITE_NAME_SUFFIX = re.compile(r"\s*[|\u2013\u2014-]\s*The Kyiv Independent\s*$", re.IGNORECASE)
_UPDATED = re.compile(r"\(\s*Updated:?\s*(?P<when>[^)]*)\)", re.IGNORECASE)
# Page parts whose links, times and names belong to other articles.
_OUTSIDE_ARTICLE = "ancestor::aside or ancestor::nav or ancestor::footer"
_NON_SLUG = re.compile(r"[^a-z0-9]+")
# Date keys of a Next.js page payload over Ghost (Ghost's own names first).
NEXT_DATA_PUBLISHED = ("published_at", "datePublished", "publishedAt", "publishDate")
NEXT_DATA_MODIFIED = ("updated_at", "dateModified", "updatedAt", "modifiedAt")
# Caption elements when a theme does not use <figcaption>.
CAPTION_XPATH = ".//figcaption | .//*[contains(translate(@class, 'CAPTION', 'caption'), 'caption')]"


class NotAnArticle(Exception):
    """Raised for a page that is not an article (a listing, an empty or foreign page)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def slugify(name: str) -> str:
    """Ghost's tag slug for a display name: "Trump & Russia" -> "trump-russia"."""
    return _NON_SLUG.sub("-", name.lower().replace("'", "").replace("\u2019", "")).strip("-")


class ArticlePage:
    """One article page; each public method returns one field, with its fallbacks."""

    def __init__(self, selector: Selector, url: str) -> None:
        self._selector = selector
        self.url = url
        self.head = PageHead(selector)

    @classmethod
    def from_response(cls, response: TextResponse) -> ArticlePage:
        """Build the page object from a Scrapy response."""
        return cls(response.selector, response.url)

    @classmethod
    def from_html(cls, html: str, url: str) -> ArticlePage:
        """Build the page object from HTML text (saved samples, benchmarks)."""
        return cls(Selector(text=html), url)

    @property
    def _root(self) -> _Element:
        return self._selector.root

    # --- identity -------------------------------------------------------------------------

    def canonical_url(self) -> str:
        """The page's own canonical URL (rel=canonical, og:url) if on this site, else its URL."""
        for candidate in (self.head.canonical(), self.head.meta("og:url"), self.head.ld("url")):
            if isinstance(candidate, str) and candidate.strip():
                absolute = urljoin(self.url, candidate.strip())
                # A canonical link to another host is a hostile or broken page: ignore it.
                if _host(absolute) == _host(self.url):
                    return canonical_url(absolute, self.url)
        return canonical_url(self.url, self.url)

    # --- text fields ----------------------------------------------------------------------

    def title(self, card: ListingCard | None = None) -> str:
        """Headline: JSON-LD headline, the page's h1, og:title, <title>, the card's title."""
        return self._title_sourced(card)[0]

    def _title_sourced(self, card: ListingCard | None) -> tuple[str, str]:
        """The headline and the name of the source it came from ("" if none had one)."""
        return _first_sourced(
            [
                ("jsonld", self.head.ld("headline")),
                ("h1", self._headline_text()),
                ("og-title", self.head.meta("og:title", "twitter:title")),
                (
                    "title-tag",
                    SITE_NAME_SUFFIX.sub("", self._selector.xpath("//title/text()").get("")),
                ),
                ("card", card.title if card else ""),
            ]
        )

    def _headline_text(self) -> str:
        for xpath in TITLE_XPATHS:
            text = clean_text(" ".join(self._selector.xpath(f"({xpath})[1]//text()").getall()))
            if text:
                return text
        return ""

    def summary(self, card: ListingCard | None = None) -> str:
        """Description: JSON-LD, meta description, og/twitter description, the card excerpt."""
        return _first_text(
            [
                self.head.ld("description"),
                self.head.meta("description"),
                self.head.meta("og:description", "twitter:description"),
                card.excerpt if card else "",
            ]
        )

    # --- people and dates -----------------------------------------------------------------

    def authors(self, card: ListingCard | None = None) -> list[str]:
        """Authors: JSON-LD, the byline, the "Authors:" line, meta tags, the card's byline."""
        return self._authors_sourced(card)[0]

    def _authors_sourced(self, card: ListingCard | None) -> tuple[list[str], str]:
        """The author names and the name of the source they came from ("" if none)."""
        names = [clean_text(name) for name in ld_names(self.head.ld("author"))]
        source = "jsonld"
        if not any(names):
            names, source = self._byline_names(), "byline"
        if not names:
            names, source = self._authors_line_names(), "authors-line"
        if not names:
            meta = self.head.meta("author", "article:author")
            if meta and not meta.startswith("http"):
                names, source = split_byline(clean_text(meta)), "meta"
        if not names and self.head.meta("twitter:label1") == "Written by":
            names = split_byline(clean_text(self.head.meta("twitter:data1") or ""))
            source = "twitter"
        if not names and card and card.author:
            names, source = split_byline(card.author), "card"
        names = dedupe_keep_order([name for name in names if name])
        return names, source if names else ""

    def _byline_names(self) -> list[str]:
        """Names from the "by A, B and C" line under the headline."""
        byline = self._byline_node()
        if byline is None:
            return []
        linked = [
            clean_text(" ".join(link.xpath(".//text()").getall()))
            for link in byline.xpath(".//a[contains(@href, '/author/')]")
        ]
        if any(linked):
            return [name for name in linked if name]
        text = clean_text(" ".join(byline.xpath(".//text()").getall()))
        # The date and reading time follow the names on the same line.
        text = re.split(
            r"\s(?:January|February|March|April|May|June|July|August|September|"
            r"October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|"
            r"Nov|Dec)\.?\s+\d|\s\d+\s+min read",
            text,
        )[0]
        return split_byline(text)

    def _byline_node(self) -> Selector | None:
        for node in self._selector.xpath(
            "//*[contains(@class, 'byline') or contains(@class, 'post__author')"
            " or contains(@class, 'c-topper__author')]"
            f"[not({_OUTSIDE_ARTICLE})]"
        ):
            if clean_text(" ".join(node.xpath(".//text()").getall())).lower().startswith("by "):
                return node
        # Unknown markup: the first short element after the headline whose text starts "by ".
        for node in self._selector.xpath(
            "(//h1)[1]/following::*[self::p or self::div or self::span][position() <= 12]"
        ):
            text = clean_text(" ".join(node.xpath(".//text()").getall()))
            if text.lower().startswith("by ") and len(text) < 300:
                return node
        return None

    def _authors_line_names(self) -> list[str]:
        for text in self._selector.xpath(
            f"//*[not(self::script)][not({_OUTSIDE_ARTICLE})]/text()"
        ).getall():
            clean = clean_text(text)
            if clean.lower().startswith(("authors:", "author:")):
                rest = clean.split(":", 1)[1]
                return split_byline(rest)
        return []

    def published(self, card: ListingCard | None = None) -> datetime | None:
        """Publication time: JSON-LD, meta, <time datetime>, visible Kyiv date, card date."""
        return self._published_sourced(card)[0]

    def _published_sourced(self, card: ListingCard | None) -> tuple[datetime | None, str]:
        """The publication time and the name of the source it came from ("" if none)."""
        for source, raw in (
            ("jsonld", self.head.ld("datePublished")),
            (
                "meta",
                self.head.meta("article:published_time", "og:published_time", "datePublished"),
            ),
            ("next-data", self.head.next_data(*NEXT_DATA_PUBLISHED)),
            ("time", self._time_datetime()),
        ):
            parsed = parse_iso(raw) if isinstance(raw, str) else None
            if parsed:
                return parsed, source
        visible = parse_visible_date(_UPDATED.sub("", self._date_line()))
        if visible:
            return visible, "date-line"
        if card and card.published:
            return card.published, "card"
        return None, ""

    def modified(self, card: ListingCard | None = None) -> datetime | None:
        """Last modification: JSON-LD, meta, the "(Updated: ...)" line, else published."""
        for raw in (
            self.head.ld("dateModified"),
            self.head.meta("article:modified_time", "og:updated_time", "dateModified"),
            self.head.next_data(*NEXT_DATA_MODIFIED),
        ):
            parsed = parse_iso(raw) if isinstance(raw, str) else None
            if parsed:
                return parsed
        updated = _UPDATED.search(self._date_line())
        if updated:
            when = parse_visible_date(updated.group("when"))
            if when:
                return when
        return self.published(card)

    def _time_datetime(self) -> str | None:
        """The first <time datetime> of the article header (not of side boxes)."""
        return self._selector.xpath(
            f"(//h1)[1]/following::time[normalize-space(@datetime)][not({_OUTSIDE_ARTICLE})]"
            "[1]/@datetime"
        ).get()

    @cached_property
    def _date_line_text(self) -> str:
        # The byline and date line sit between the headline and the body.
        texts = self._selector.xpath(
            f"(//h1)[1]/following::text()[not({_OUTSIDE_ARTICLE})][position() <= 40]"
        ).getall()
        return clean_text(" ".join(texts))

    def _date_line(self) -> str:
        return self._date_line_text

    # --- tags -----------------------------------------------------------------------------

    def tags(self, card: ListingCard | None = None) -> list[tuple[str, str]]:
        """(display name, slug) per tag, primary first: JSON-LD, article:tag, tag links."""
        keywords = self.head.ld("keywords")
        if isinstance(keywords, list):
            names = [clean_text(str(keyword)) for keyword in keywords]
        else:
            # One meta per tag is exact; the comma-joined JSON-LD string cannot hold a comma.
            names = [clean_text(value) for value in self.head.meta_all("article:tag")]
            if not names and isinstance(keywords, str):
                names = [clean_text(part) for part in keywords.split(",")]
        names = dedupe_keep_order([name for name in names if name])
        links = self._tag_links()
        if not names:
            # The tag list and primary-tag label sit above the headline; links to tags inside
            # the body are prose ("Read our Kharkiv coverage"), not tags.
            names = dedupe_keep_order([name for name, _ in self._tag_links(before_title=True)])
        if not names and card and card.primary_tag:
            names = [card.primary_tag]
        slug_by_name = {name.casefold(): slug for name, slug in links}
        return [(name, slug_by_name.get(name.casefold()) or slugify(name)) for name in names]

    def _tag_links(self, *, before_title: bool = False) -> list[tuple[str, str]]:
        """(text, slug) of links to /tag/<slug>/ outside navigation and side boxes."""
        result = []
        scope = "(//h1)[1]/preceding::a" if before_title else "//a"
        for link in self._selector.xpath(
            f"{scope}[contains(@href, '/tag/')][not({_OUTSIDE_ARTICLE} or ancestor::header)]"
        ):
            path = urlsplit(urljoin(self.url, link.attrib.get("href", ""))).path
            match = re.match(r"^/tag/([^/]+)/?$", path)
            name = clean_text(" ".join(link.xpath(".//text()").getall()))
            if match and name:
                result.append((name, match.group(1).lower()))
        return result

    # --- image ----------------------------------------------------------------------------

    def image_url(self) -> str:
        """Hero image asset URL: JSON-LD image, og:image, twitter:image, the hero <img>."""
        for raw in (
            ld_url(self.head.ld("image")),
            self.head.meta("og:image", "og:image:url", "twitter:image"),
        ):
            url = unwrap_image_url(raw, self.url)
            if url:
                return url
        hero = self._hero_figure()
        if hero is not None:
            return self._img_src(hero) or ""
        return ""

    def image_caption(self) -> str:
        """Caption of the hero image (the figure that shows it, else the first one above body)."""
        image = self.image_url()
        name = urlsplit(image).path.rsplit("/", 1)[-1] if image else ""
        if name:
            for img in self._selector.xpath(f"//img[not({_OUTSIDE_ARTICLE})]"):
                src = self._img_src(img)
                if not src or src.rsplit("/", 1)[-1] != name:
                    continue
                # The caption sits in the img's figure, or beside the img in its wrapper.
                for step in ("ancestor::figure[1]", "parent::*", "parent::*/parent::*"):
                    for holder in img.xpath(step):
                        caption = _caption_text(holder)
                        if caption:
                            return caption
        hero = self._hero_figure()
        return _caption_text(hero) if hero is not None else ""

    def _hero_figure(self) -> Selector | None:
        """The first figure after the headline that is not inside the body or a card."""
        for figure in self._selector.xpath(
            f"(//h1)[1]/following::figure[not({_OUTSIDE_ARTICLE})]"
            "[not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' c-content ')])]"
            "[not(contains(@class, 'kg-card'))]"
        ):
            return figure
        return None

    def _img_src(self, node: Selector) -> str | None:
        """The asset URL of an img, or of the first img inside a figure."""
        img = node if node.root.tag == "img" else node.xpath(".//img[1]")
        src = img.attrib.get("src") if img else None
        if not src and img:
            src = first_srcset_url(img.attrib.get("srcset"))
        return unwrap_image_url(src, self.url)

    # --- body -----------------------------------------------------------------------------

    @cached_property
    def body_content(self) -> BodyContent:
        """The body as text blocks, pruned HTML and related links (computed once)."""
        return extract_body(self._root, self.url)

    def body(self) -> str:
        """Plain-text body: blocks in order, one blank line apart."""
        return "\n\n".join(self.body_content.blocks)

    def body_html(self) -> str:
        """The body as sanitised HTML with absolute URLs."""
        html = self.body_content.html
        return sanitize_html(html, self.url) if html else ""

    def related(self) -> list[str]:
        """Canonical URLs of the related-article (bookmark) cards in the body."""
        return [canonical_url(url, self.url) for url in self.body_content.related]

    # --- provenance, for health checks ----------------------------------------------------

    def field_sources(self, card: ListingCard | None = None) -> dict[str, str]:
        """Which source each checked field came from ("jsonld", "h1", "c-content", ...; "" none).

        The fallback chains hide a redesign: items keep coming, from weaker sources. Health
        checks compare these names with earlier runs to notice it.
        """
        return {
            "title": self._title_sourced(card)[1],
            "authors": self._authors_sourced(card)[1],
            "published": self._published_sourced(card)[1],
            "body": self.body_content.source,
        }

    def declared_values(self) -> dict[str, object]:
        """What the page declares about itself in JSON-LD or meta tags (missing keys: nothing)."""
        declared: dict[str, object] = {}
        title = _first_sourced(
            [("", self.head.ld("headline")), ("", self.head.meta("og:title", "twitter:title"))]
        )[0]
        if title:
            declared["title"] = title
        for raw in (
            self.head.ld("datePublished"),
            self.head.meta("article:published_time", "og:published_time"),
        ):
            parsed = parse_iso(raw) if isinstance(raw, str) else None
            if parsed:
                declared["published"] = parsed
                break
        names = [clean_text(name) for name in ld_names(self.head.ld("author"))]
        if any(names):
            declared["authors"] = [name for name in names if name]
        return declared

    def markup_values(self) -> dict[str, object]:
        """What the page's visible markup says: h1, header date, byline (missing keys: nothing)."""
        found: dict[str, object] = {}
        title = self._headline_text()
        if title:
            found["title"] = title
        raw = self._time_datetime()
        published = parse_iso(raw) if raw else None
        published = published or parse_visible_date(_UPDATED.sub("", self._date_line()))
        if published:
            found["published"] = published
        names = self._byline_names()
        if names:
            found["authors"] = names
        return found

    # --- the item -------------------------------------------------------------------------

    def to_item(self, card: ListingCard | None = None) -> ArticleItem:
        """Build the ArticleItem; raise NotAnArticle for a page that is not an article."""
        title = self.title(card)
        body = self.body()
        if not body and ListingPage(self._selector, self.url).is_listing():
            raise NotAnArticle("listing page, not an article")
        if not title and not body:
            raise NotAnArticle("no headline and no body")
        tags = self.tags(card)
        published = self.published(card)
        return ArticleItem(
            url=self.canonical_url(),
            title=title,
            authors=self.authors(card),
            published=published,
            modified=self.modified(card) or published,
            tags=[name for name, _ in tags],
            tag_slugs=[slug for _, slug in tags],
            primary_tag=tags[0][0] if tags else (card.primary_tag if card else ""),
            summary=self.summary(card),
            body=body,
            body_html=self.body_html(),
            image_url=self.image_url(),
            image_caption=self.image_caption(),
            related=self.related(),
            word_count=word_count(body),
        )


def _first_text(candidates: list[object]) -> str:
    return _first_sourced([("", candidate) for candidate in candidates])[0]


def _first_sourced(candidates: list[tuple[str, object]]) -> tuple[str, str]:
    """The first non-blank text among (source, value) pairs, with its source name."""
    for source, candidate in candidates:
        if isinstance(candidate, str):
            text = clean_text(candidate)
            if text:
                return text, source
    return "", ""


def _caption_text(holder: Selector) -> str:
    """Text of the first caption element (figcaption or a *caption* class) inside holder."""
    for caption in holder.xpath(CAPTION_XPATH):
        text = clean_text(" ".join(caption.xpath(".//text()").getall()))
        if text:
            return text
    return ""


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")
