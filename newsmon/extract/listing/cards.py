"""Listing cards: what one card says, the sources a card can come from, and reading a card.

A card is read from its container, whatever the markup: the headline link gives the URL and
the title, and the rest of the container the date (a `<time datetime>`, else a visible
"Nov 27, 2026, 1:52 PM" in Kyiv time), the primary tag (a `/tag/` link), the byline ("by ..."
or `/author/` links) and the excerpt (the longest paragraph).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree
from parsel import Selector
from parsel.csstranslator import css2xpath

from newsmon.extract.index import CLASS, HREF, xml_tokens
from newsmon.extract.listing.model import ListingCard
from newsmon.extract.normalize.dates import parse_card_date, parse_visible_date
from newsmon.extract.normalize.text import clean_text, may_open_byline
from newsmon.extract.normalize.urls import host_of, is_article_path, join_url, strip_tracking

# 2025 markup: each card is article.js-card.archiveCard with the publish time in
# data-archive-id. Parts of a listing page that hold links to articles that are not cards of
# this listing: side boxes may reuse the card markup for other articles.
CHROME_ANCESTORS = "ancestor::aside or ancestor::nav or ancestor::header or ancestor::footer"
CARD_XPATH = (
    "//article[contains(concat(' ', normalize-space(@class), ' '), ' archiveCard ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' js-card ')]"
    f"[not({CHROME_ANCESTORS})]"
)
_CARDS = etree.XPath(CARD_XPATH)


def _compiled(css: str | None = None, xpath: str | None = None) -> etree.XPath:
    """A card reader compiled once: parsel translates CSS and compiles XPath at every call."""
    return etree.XPath(css2xpath(css) if css else str(xpath), smart_strings=False)


# A card's parts, in the order each is tried (what `node.css(...)`/`node.xpath(...)` gave).
_HREFS = (
    _compiled(css="h3.archiveCard__title a.archiveCard__link::attr(href)"),
    _compiled(css="a.archiveCard__link::attr(href)"),
    _compiled(xpath=".//h3//a/@href | .//h2//a/@href"),
)
_ALL_HREFS = _compiled(xpath=".//a/@href")
_TITLE_TEXTS = (
    _compiled(css="h3.archiveCard__title ::text"),
    _compiled(xpath=".//h3//text() | .//h2//text()"),
)
_STAMP = _compiled(xpath=".//time/@datetime")
_TAG_TEXTS = (
    _compiled(css=".archiveCard__tag ::text"),
    _compiled(xpath=".//a[contains(@href, '/tag/')]//text()"),
)
_AUTHOR_TEXTS = _compiled(css=".archiveCard__author ::text")
_EXCERPT_TEXTS = (
    _compiled(css=".archiveCard__description ::text"),
    _compiled(xpath=".//p//text()"),
)
_EXCERPT_HINTS = ("description", "excerpt", "dek", "summary", "standfirst", "lede")
_AUTHOR_HINTS = ("author", "byline")


@dataclass(frozen=True)
class OutlineReader:
    """Reads an outline card whole: the card's element and the listing page's URL."""

    node: etree._Element
    page_url: str

    def read(self) -> ListingCard:
        """The whole card: the plain card read again, this time in full."""
        card = _plain_markup_card(self.node, self.page_url)
        assert card is not None  # it gave an outline, so it is plain and has a link
        return card

    def detached(self) -> OutlineReader:
        """The same reader over a copy of the card's element (its own small tree, in C)."""
        return OutlineReader(copy.deepcopy(self.node), self.page_url)


def article_url(href: str | None, page_url: str) -> str | None:
    """The absolute URL of an href if it is an article of the page's site (`/<slug>/`)."""
    if not href or not href.strip():
        return None
    try:
        url = strip_tracking(urljoin(page_url, href.strip()))
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or host_of(url) != host_of(page_url):
        return None
    return url if is_article_path(parts.path) else None


def markup_cards(selector: Selector, page_url: str, *, outline: bool = False) -> list[ListingCard]:
    """Cards of the 2025 markup: article.js-card.archiveCard outside the page chrome.

    `outline`: plain cards as outlines, which hold their element (so the page) until whole.
    """
    cards = []
    for node in _CARDS(selector.root):
        if outline:
            card = _outline_markup_card(node, page_url) or _markup_card_by_readers(node, page_url)
        else:
            card = _markup_card(node, page_url)
        if card is not None:
            cards.append(card)
    return cards


def _first(node: etree._Element, readers: tuple[etree.XPath, ...]) -> list[str]:
    """The results of the first reader that finds anything."""
    for reader in readers:
        found = reader(node)
        if found:
            return [str(value) for value in found]
    return []


def _markup_card(node: etree._Element, page_url: str) -> ListingCard | None:
    """A card of the 2025 markup: read in one pass when it is plain, else by the readers."""
    card = _plain_markup_card(node, page_url)
    return _markup_card_by_readers(node, page_url) if card is None else card


def _markup_card_by_readers(node: etree._Element, page_url: str) -> ListingCard | None:
    hrefs = _first(node, _HREFS)
    href = hrefs[0] if hrefs else None
    if not href:
        href = next(
            (str(h) for h in _ALL_HREFS(node) if article_url(str(h), page_url)),
            None,
        )
    if not href:
        return None
    title = clean_text(" ".join(_first(node, _TITLE_TEXTS)))
    stamps = _STAMP(node)
    stamp = node.get("data-archive-id") or (str(stamps[0]) if stamps else None)
    tag = _first(node, _TAG_TEXTS)
    author = clean_text(" ".join(str(text) for text in _AUTHOR_TEXTS(node)))
    excerpt = _first(node, _EXCERPT_TEXTS)
    return ListingCard(
        url=strip_tracking(join_url(page_url, href.strip())),
        title=title,
        published=parse_card_date(stamp),
        primary_tag=clean_text(" ".join(tag)),
        author=_byline(author) or _byline_in(node),
        excerpt=clean_text(" ".join(excerpt)),
    )


# Elements whose text the readers' XPaths and the one-pass reader would treat differently.
_NOT_PLAIN = frozenset({"script", "style", "template"})


def _plain_markup_card(node: etree._Element, page_url: str) -> ListingCard | None:
    """The card as `_markup_card_by_readers` reads it, in one pass over its elements.

    Only for a plain card: an <article> of elements alone (no comment, processing instruction
    or script, whose text `itertext` and XPath's text() treat differently) whose headline link
    has an href. None for any other card, which the readers read.
    """
    if node.tag != "article":
        return None
    title_h3s, links, headings, hrefed, tag_marked, tag_links, authors, descriptions, ps = (
        [] for _ in range(9)
    )
    stamp = node.get("data-archive-id") or None
    nodes = list(node.iter())
    for element in nodes:
        tag = element.tag
        if not isinstance(tag, str) or tag in _NOT_PLAIN:
            return None
        classes = element.get(CLASS)
        # Every class name asked about starts "archiveCard__": without it, no token matches.
        tokens = xml_tokens(classes) if classes and "archiveCard__" in classes else ()
        if "archiveCard__tag" in tokens:
            tag_marked.append(element)
        if "archiveCard__author" in tokens:
            authors.append(element)
        if "archiveCard__description" in tokens:
            descriptions.append(element)
        if element is node:
            continue
        if tag == "a":
            href = element.get(HREF)
            if href is not None:
                hrefed.append(element)
                if "archiveCard__link" in tokens:
                    links.append(element)
            if "/tag/" in (href or ""):
                tag_links.append(element)
        elif tag in ("h2", "h3"):
            headings.append(element)
            if tag == "h3" and "archiveCard__title" in tokens:
                title_h3s.append(element)
        elif tag == "p":
            ps.append(element)
        elif tag == "time" and stamp is None:
            stamp = element.get("datetime")
    # The readers' order: a title's link, any card link, a headline's link (`_HREFS`). Not
    # `or`: an element without children is false.
    link = next((a for a in links if _under(a, title_h3s, node)), None)
    if link is None:
        link = links[0] if links else next((a for a in hrefed if _under(a, headings, node)), None)
    href = link.get("href") if link is not None else None
    if not href:
        return None  # the readers look further: any link to an article
    url = strip_tracking(join_url(page_url, href.strip()))
    published = parse_card_date(stamp)
    title = _texts_of(title_h3s, node) or _texts_of(headings, node)
    author = clean_text(" ".join(_texts_of(authors, node)))
    return ListingCard(
        url=url,
        title=clean_text(" ".join(title)),
        published=published,
        primary_tag=clean_text(" ".join(_texts_of(tag_marked, node) or _texts_of(tag_links, node))),
        author=_byline(author) or _byline_in(node, nodes),
        excerpt=clean_text(" ".join(_texts_of(descriptions, node) or _texts_of(ps, node))),
    )


# What makes a card not plain, as lxml's iter() names it: a comment, processing instruction or
# entity (a node whose tag is no string), or an element in _NOT_PLAIN.
_NOT_PLAIN_NODES = (etree.Comment, etree.ProcessingInstruction, etree.Entity, *sorted(_NOT_PLAIN))
# All an outline reads of a card: its links, headings and times.
_OUTLINE_TAGS = ("a", "h2", "h3", "time")


def _outline_markup_card(node: etree._Element, page_url: str) -> ListingCard | None:
    """The outline `_plain_markup_card` gives a plain card (None for any other card).

    The same URL and date from the card's links, headings and times alone, which lxml finds
    in C: every card of every listing page is read this way (3.4 per article on the replica),
    and the one pass over all of a card's elements cost four times as much.
    """
    if node.tag != "article":
        return None
    for _ in node.iter(*_NOT_PLAIN_NODES):
        return None
    stamp = node.get("data-archive-id") or None
    title_h3s: list[etree._Element] = []
    links: list[etree._Element] = []
    headings: list[etree._Element] = []
    hrefed: list[etree._Element] = []
    for element in node.iter(*_OUTLINE_TAGS):
        tag = element.tag
        if tag == "time":
            if stamp is None:
                stamp = element.get("datetime")
            continue
        classes = element.get(CLASS)
        # The same test as _plain_markup_card's: only a name starting "archiveCard__" counts.
        tokens = xml_tokens(classes) if classes and "archiveCard__" in classes else ()
        if tag == "a":
            if element.get(HREF) is not None:
                hrefed.append(element)
                if "archiveCard__link" in tokens:
                    links.append(element)
        else:
            headings.append(element)
            if tag == "h3" and "archiveCard__title" in tokens:
                title_h3s.append(element)
    link = next((a for a in links if _under(a, title_h3s, node)), None)
    if link is None:
        link = links[0] if links else next((a for a in hrefed if _under(a, headings, node)), None)
    href = link.get("href") if link is not None else None
    if not href:
        return None
    url = strip_tracking(join_url(page_url, href.strip()))
    return ListingCard(
        url=url, published=parse_card_date(stamp), reader=OutlineReader(node, page_url)
    )


def _under(element: etree._Element, ancestors: list[etree._Element], root: etree._Element) -> bool:
    """Tell whether one of `ancestors` is an ancestor of `element` (below or at `root`)."""
    if not ancestors:
        return False
    for ancestor in element.iterancestors():
        if ancestor in ancestors:
            return True
        if ancestor is root:
            return False
    return False


def _texts_of(elements: list[etree._Element], root: etree._Element) -> list[str]:
    """The text nodes inside any of `elements`, once each, in document order (as XPath)."""
    texts: list[str] = []
    for element in elements:
        if element is not root and _under(element, elements, root):
            continue  # inside an earlier one: its texts are in already
        texts.extend(element.itertext())
    return texts


def read_card(container: etree._Element, url: str, title: str) -> ListingCard:
    """A card from its container element, given its headline link's URL and title."""
    return ListingCard(
        url=url,
        title=title,
        published=_date_in(container),
        primary_tag=_first_link_text(container, "/tag/"),
        author=_byline_in(container),
        excerpt=_excerpt_in(container),
    )


def _texts(element: etree._Element) -> Iterator[str]:
    """The element's text nodes, cleaned, blanks left out (comments and scripts skipped).

    Lazily: a reader that finds its byline or date in the first texts cleans no more.
    """
    for text in _raw_texts(element):
        cleaned = clean_text(text)
        if cleaned:
            yield cleaned


def _raw_texts(element: etree._Element, nodes: list[etree._Element] | None = None) -> Iterator[str]:
    """The element's text nodes as they are, in `_texts`' order (empty ones left out).

    `nodes`: `element.iter()` as a list, when the caller has it already.
    """
    for node in element.iter() if nodes is None else nodes:
        if not isinstance(node.tag, str) or node.tag in _NOT_PLAIN:
            continue
        for text in (node.text, *(child.tail for child in node)):
            if text:
                yield text


def _date_in(container: etree._Element) -> datetime | None:
    """A `<time datetime>` of the card, else a visible Kyiv-time date in its text."""
    for stamp in container.xpath(".//time/@datetime | self::*/@data-archive-id"):
        parsed = parse_card_date(str(stamp))
        if parsed is not None:
            return parsed
    for text in _texts(container):
        parsed = parse_visible_date(text)
        if parsed is not None:
            return parsed
    return None


def _first_link_text(container: etree._Element, path_part: str) -> str:
    for link in container.iter("a"):
        if path_part in (link.get("href") or ""):
            text = clean_text(" ".join(link.itertext()))
            if text:
                return text
    return ""


# A byline names a few people; a longer "By ..." text is a sentence of the excerpt.
MAX_BYLINE = 160


def _byline(text: str) -> str:
    """The names of a "by A and B" line ("" if the text is no byline)."""
    text = clean_text(text)
    if not text.lower().startswith("by ") or len(text) > MAX_BYLINE:
        return ""
    return text[3:].strip()


def _byline_in(container: etree._Element, nodes: list[etree._Element] | None = None) -> str:
    """The card's byline: a "by ..." text, an author-classed element, or /author/ links.

    `nodes`: `container.iter()` as a list, when the caller has it already.
    """
    nodes = list(container.iter()) if nodes is None else nodes
    for raw in _raw_texts(container, nodes):
        # Most texts of a card are no byline: `may_open_byline` says so without cleaning them.
        byline = _byline(clean_text(raw)) if may_open_byline(raw) else ""
        if byline:
            return byline.split(" · ")[0].strip()
    for element in nodes:
        if not isinstance(element.tag, str):
            continue
        classes = (element.get("class") or "").lower()
        if classes and any(hint in classes for hint in _AUTHOR_HINTS):
            text = clean_text(" ".join(element.itertext()))
            return _byline(text) or text
    names: list[str] = [
        clean_text(" ".join(link.itertext()))
        for link in nodes
        if link.tag == "a" and "/author/" in (link.get("href") or "")
    ]
    names = [name for name in names if name]
    if not names:
        return ""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _excerpt_in(container: etree._Element) -> str:
    """The card's excerpt: an excerpt-classed element, else its longest paragraph."""
    best = ""
    for element in container.iter():
        if not isinstance(element.tag, str):
            continue
        classes = str(element.get("class") or "").lower()
        hinted = any(hint in classes for hint in _EXCERPT_HINTS)
        if not hinted and element.tag != "p":
            continue
        text = clean_text(" ".join(element.itertext()))
        if hinted and text:
            return text
        if _byline(text) or parse_visible_date(text):
            continue  # the byline or date line, not the excerpt
        if len(text) > len(best):
            best = text
    return best
