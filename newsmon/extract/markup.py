"""What an article page shows a reader: headline, byline, date line, tag links, hero figure.

The visible page is the fallback of every field whose metadata (JSON-LD, meta tags) is
missing, and the other half of the cross-checks: markup that disagrees with the page's own
metadata has drifted. Each reader here is computed once per page.

Speed: every page is read here. Elements looked up by tag (headings, title, links, images)
come from the page's one walk (`newsmon.extract.index`); what follows the headline is
searched from the first h1, found once, by walks that stop at what they look for
(`newsmon.extract.axes`: libxml2 builds the whole rest of the page for a `following::`
XPath); the rest uses XPaths compiled once at import (parsel compiles each `.xpath()` call
anew and wraps every result).
"""

from __future__ import annotations

import re
from functools import cached_property
from itertools import islice
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.etree import Element, _Element
from parsel import Selector

from newsmon.extract.axes import WalkTooLong, following_elements, following_texts
from newsmon.extract.index import (
    HREF,
    OUTSIDE_ARTICLE_TAGS,
    XML_WHITESPACE,
    TagIndex,
    xml_tokens,
)
from newsmon.extract.normalize.authors import split_byline
from newsmon.extract.normalize.dates import may_show_clock_time
from newsmon.extract.normalize.images import first_srcset_url, unwrap_image_url
from newsmon.extract.normalize.text import clean_text
from newsmon.extract.normalize.urls import PLAIN_PATH

UPDATED = re.compile(r"\(\s*Updated:?\s*(?P<when>[^)]*)\)", re.IGNORECASE)
# Page parts whose links, times and names belong to other articles.
OUTSIDE_ARTICLE = "ancestor::aside or ancestor::nav or ancestor::footer"
# Caption elements when a theme does not use <figcaption>.
CAPTION_XPATH = ".//figcaption | .//*[contains(translate(@class, 'CAPTION', 'caption'), 'caption')]"
# The date and reading time follow the names on a byline.
_AFTER_NAMES = re.compile(
    r"\s(?:January|February|March|April|May|June|July|August|September|"
    r"October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|"
    r"Nov|Dec)\.?\s+\d|\s\d+\s+min read"
)
_TAG_PATH = re.compile(r"^/tag/([^/]+)/?$")
# Text nodes of the date line: the byline and the date sit in the first of them.
DATE_LINE_TEXTS = 40
# Elements the date line's walk may visit (the replica's and the samples' pages need 66 at
# most) before the XPaths below take over.
DATE_LINE_ELEMENTS = 150


def _xpath(expression: str) -> etree.XPath:
    """A compiled XPath returning plain strings (no smart strings that keep the tree alive)."""
    return etree.XPath(expression, smart_strings=False)


# The date line's text nodes after the first h1 (its context node), for text-less markup.
_DATE_LINE_FIRST = _xpath(
    f"following::text()[position() <= {DATE_LINE_TEXTS}][not({OUTSIDE_ARTICLE})]"
)
_DATE_LINE = _xpath(f"following::text()[not({OUTSIDE_ARTICLE})][position() <= {DATE_LINE_TEXTS}]")
# Elements tried as the byline after the headline when no element's class names one.
BYLINE_FALLBACK_ELEMENTS = 12
_OWN_TEXTS = _xpath(f"//*[not(self::script)][not({OUTSIDE_ARTICLE})]/text()")
_TAG_LINKS_BEFORE = _xpath(
    f"(//h1)[1]/preceding::a[contains(@href, '/tag/')][not({OUTSIDE_ARTICLE} or ancestor::header)]"
)
# Tag links in the page header are the site's menu, not the article's tags.
_OUTSIDE_TAG_LIST = OUTSIDE_ARTICLE_TAGS | {"header"}


def text_of(node: _Element) -> str:
    """The clean one-line text of an element and its descendants (its `.//text()`)."""
    if len(node) == 0:
        # A tag link, a name, most captions: the element's own text is all of it.
        return clean_text(node.text)
    return clean_text(" ".join(node.itertext()))


class ArticleMarkup:
    """The visible parts of one article page."""

    def __init__(self, selector: Selector, url: str, index: TagIndex) -> None:
        self._root: _Element = selector.root
        self._index = index
        self.url = url

    @cached_property
    def first_h1(self) -> _Element | None:
        """`(//h1)[1]`: the first h1 of the document, where the article's header starts."""
        h1s = self._index.elements("h1")
        return h1s[0] if h1s else None

    @cached_property
    def headline(self) -> str:
        """The headline as shown (h1, or the 2023 theme's title elements)."""
        h1s, h2s = self._index.elements("h1"), self._index.elements("h2")
        # The headline elements of the 2025 front end and the 2023 theme (long reads used an
        # h2), in order, each the first of its kind: `(//h1[contains(@class, 'title')])[1]`,
        # then c-topper__title, the big-picture h2, `//main//h1`, and any h1.
        for candidates in (
            (h1 for h1 in h1s if "title" in (h1.get("class") or "")),
            (h1 for h1 in h1s if "c-topper__title" in (h1.get("class") or "")),
            (h2 for h2 in h2s if "bigPictureTopper__title" in (h2.get("class") or "")),
            (h1 for h1 in h1s if next(h1.iterancestors("main"), None) is not None),
            iter(h1s),
        ):
            first = next(candidates, None)
            text = clean_text(" ".join(first.itertext())) if first is not None else ""
            if text:
                return text
        return ""

    @cached_property
    def title_tag(self) -> str:
        """The text of <title>."""
        for title in self._index.elements("title"):
            if title.text is not None:
                return str(title.text)
        return ""

    @cached_property
    def byline_names(self) -> list[str]:
        """Names from the "by A, B and C" line under the headline."""
        byline = self._byline_node()
        if byline is None:
            return []
        # `.//a[contains(@href, '/author/')]` by lxml's C walk: the XPath's set-up cost more
        # than the byline's few links.
        linked = [
            text_of(link)
            for link in byline.iterdescendants("a")
            if "/author/" in (link.get("href") or "")
        ]
        if any(linked):
            return [name for name in linked if name]
        return split_byline(_AFTER_NAMES.split(text_of(byline))[0])

    def _byline_node(self) -> _Element | None:
        for node in self._index.bylines():
            if self._outside_article(node):
                continue
            if text_of(node).lower().startswith("by "):
                return node
        # Unknown markup: the first short element after the headline whose text starts "by ".
        after = (
            following_elements(self.first_h1, "p", "div", "span")
            if self.first_h1 is not None
            else iter(())
        )
        for node in islice(after, BYLINE_FALLBACK_ELEMENTS):
            text = text_of(node)
            if text.lower().startswith("by ") and len(text) < 300:
                return node
        return None

    @cached_property
    def authors_line_names(self) -> list[str]:
        """Names from an "Authors: A, B" line (after the body on the site's pages)."""
        for text in _OWN_TEXTS(self._root):
            clean = clean_text(text)
            if clean.lower().startswith(("authors:", "author:")):
                return split_byline(clean.split(":", 1)[1])
        return []

    @cached_property
    def time_datetime(self) -> str | None:
        """The first <time datetime> of the article header (not of side boxes)."""
        for time in self._index.after_first_h1("time"):
            stamp = time.get("datetime")
            # XPath's normalize-space(@datetime): a value of XML spaces only is no value.
            if stamp and stamp.strip(XML_WHITESPACE) and not self._outside_article(time):
                return str(stamp)
        return None

    @cached_property
    def _raw_date_line(self) -> str:
        """The text nodes after the headline, joined, not yet cleaned."""
        h1 = self.first_h1
        if h1 is None:
            return ""
        walk = following_texts(h1, OUTSIDE_ARTICLE_TAGS, DATE_LINE_ELEMENTS)
        try:
            return " ".join(islice(walk, DATE_LINE_TEXTS))
        except WalkTooLong:
            # Text-less markup after the headline (inline SVG, minified tags): libxml2 builds
            # the rest of the page in C faster than Python visits that many elements.
            # `[position() <= 40]` first tests only 40 nodes for a side box; the exact form
            # only when a side box is among them (or the page ends).
            texts = _DATE_LINE_FIRST(h1)
            if len(texts) < DATE_LINE_TEXTS:
                texts = _DATE_LINE(h1)
            return " ".join(texts)

    @cached_property
    def date_line(self) -> str:
        """The text right after the headline, where the byline and the date line sit."""
        return clean_text(self._raw_date_line)

    @cached_property
    def date_line_may_show_time(self) -> bool:
        """Whether the date line can hold a visible date or "Updated" time (a "5:17").

        Most pages of the site print none (their date is filled in by script): they skip
        cleaning and searching a kilobyte or two of text.
        """
        return may_show_clock_time(self._raw_date_line)

    def tag_links(self, *, before_title: bool = False) -> list[tuple[str, str]]:
        """(text, slug) of links to /tag/<slug>/ outside navigation and side boxes."""
        result = []
        if before_title:
            links = [(link, link.get("href", "")) for link in _TAG_LINKS_BEFORE(self._root)]
        else:
            # The menu's and side boxes' links, found in C, are passed over first.
            outside = self._index.inside("a", _OUTSIDE_TAG_LIST)
            links = [
                (link, href)
                for link in self._index.elements("a")
                if link not in outside and "/tag/" in (href := link.get(HREF, ""))
            ]
        for link, href in links:
            # A plain site path ("/tag/kharkiv/") is its own path: no urljoin and urlsplit.
            path = href if PLAIN_PATH.match(href) else urlsplit(urljoin(self.url, href)).path
            match = _TAG_PATH.match(path)
            if not match:
                continue
            name = text_of(link)
            if name:
                result.append((name, match.group(1).lower()))
        return result

    @cached_property
    def hero_figure(self) -> _Element | None:
        """The first figure after the headline that is not inside the body or a card."""
        for figure in self._index.after_first_h1("figure"):
            # A body figure or a card (kg-card) is not the hero.
            if "kg-card" in (figure.get("class") or "") or self._outside_article(figure):
                continue
            if not any("c-content" in xml_tokens(up.get("class")) for up in figure.iterancestors()):
                return figure
        return None

    def _outside_article(self, element: _Element) -> bool:
        """Whether `element` sits in an aside, nav or footer (another article's, or chrome)."""
        return self._index.within(element, OUTSIDE_ARTICLE_TAGS)

    def caption_of_image(self, image_url: str) -> str:
        """Caption of the img showing `image_url` (by file name), else of the hero figure."""
        name = urlsplit(image_url).path.rsplit("/", 1)[-1] if image_url else ""
        if name:
            for img in self._index.elements("img"):
                if self._outside_article(img):
                    continue
                src = self.img_src(img)
                if not src or src.rsplit("/", 1)[-1] != name:
                    continue
                # The caption sits in the img's figure, or beside the img in its wrapper.
                parent = img.getparent()
                holders = (
                    next(img.iterancestors("figure"), None),
                    parent,
                    parent.getparent() if parent is not None else None,
                )
                for holder in holders:
                    caption = caption_text(holder) if holder is not None else ""
                    if caption:
                        return caption
        hero = self.hero_figure
        return caption_text(hero) if hero is not None else ""

    def img_src(self, node: _Element) -> str | None:
        """The asset URL of an img, or of the first img inside a figure."""
        img = node if node.tag == "img" else next(node.iter("img"), None)
        src = img.get("src") if img is not None else None
        if not src and img is not None:
            src = first_srcset_url(img.get("srcset"))
        return unwrap_image_url(src, self.url)


def caption_text(holder: _Element) -> str:
    """Text of the first caption element (figcaption or a *caption* class) inside holder."""
    # CAPTION_XPATH's elements, in document order, by a walk that stops at the first caption
    # with text (the XPath built them all). str.lower() finds "caption" where XPath's
    # translate() does: no other letter lowers into one of its letters.
    for caption in holder.iterdescendants(Element):
        if caption.tag == "figcaption" or "caption" in (caption.get("class") or "").lower():
            text = text_of(caption)
            if text:
                return text
    return ""
