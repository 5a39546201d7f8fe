"""The article body: find its container, keep the article's own text, set embeds aside."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml import etree
from lxml.etree import Comment, Element, _Comment, _Element

from newsmon.extract.index import CLASS
from newsmon.extract.normalize.images import unwrap_image_url
from newsmon.extract.normalize.jsondata import MAX_APP_DATA_CHARS, JsonRefused, load_json
from newsmon.extract.normalize.text import collapse_spaces
from newsmon.extract.normalize.urls import join_url

# Inline markup belongs to the block around it; every other element is a container or block.
INLINE_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "br",
        "cite",
        "code",
        "data",
        "del",
        "dfn",
        "em",
        "font",
        "i",
        "ins",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
        "wbr",
    ]
)
# Never article text: scripts, widgets, forms, page furniture.
DROP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "video",
        "audio",
        "canvas",
        "svg",
        "form",
        "button",
        "input",
        "select",
        "textarea",
        "nav",
        "aside",
        "footer",
        "header",
        "dialog",
    ]
)
# Classes of chrome that can sneak into a body container (promo boxes, sign-up forms, the
# audio player note, share bars). Matched as class-name substrings, lower-cased.
CHROME_CLASS_MARKERS = (
    "shortcodepatreon",
    "newsletter",
    "subscribe",
    "kg-signup",
    "kg-cta",
    "kg-button-card",
    "share",
    "social",
    "advert",
    "adslot",
    "ad-slot",
    "ad_slot",
    "promo",
    "audio",
)
_CHROME_CLASS = re.compile("|".join(map(re.escape, ("kg-embed-card", *CHROME_CLASS_MARKERS))))
# Whole blocks that are page chrome when they stand alone.
CHROME_TEXT = re.compile(
    r"^(?:this audio is created with ai assistance|edit post|read more|"
    r"authors?:\s.*|join our community.*|support us|\d+ min read|advertisement)$",
    re.IGNORECASE,
)
# Ghost's HTML cards are wrapped in these comments; the site uses them for its promo box.
HTML_CARD_BEGIN = "kg-card-begin: html"
HTML_CARD_END = "kg-card-end: html"
PROMO_HREF = re.compile(r"/membership/|/support-us|patreon\.com|utm_source=", re.IGNORECASE)
# Class-name fragments that name a body container in Ghost themes, common layouts and CSS
# modules ("ArticleContent_body__x1Y2"); compared with "-" and "_" removed, lower-cased.
CONTAINER_CLASS_HINTS = (
    "ghcontent",
    "postcontent",
    "postbody",
    "articlecontent",
    "articlebody",
    "entrycontent",
    "storybody",
    "storycontent",
)
# Containers found by heuristics rather than by the site's own markup.
GUESSED_SOURCES = frozenset({"class-hint", "density"})
# The site's own body containers (class c-content, itemprop articleBody), as sources.
OWN_CONTAINER_SOURCES = frozenset({"c-content", "itemprop"})
# Compiled once: an uncompiled `.xpath()` call compiles its expression every time.
_PROGRESS_END = etree.XPath('//*[@id="reading-progress-end"]')
_ITEMPROP_BODY = etree.XPath('//*[@itemprop="articleBody"]')
_NEXT_DATA_SCRIPTS = etree.XPath('//script[@id="__NEXT_DATA__"]')


@dataclass
class BodyContent:
    """The body of an article as text blocks, cleaned HTML and related-article links."""

    blocks: list[str] = field(default_factory=list)
    html: str = ""
    related: list[str] = field(default_factory=list)
    source: str = ""
    passed_over: int = 0
    """Candidate containers tried before this one that held no text (an app may fill them)."""


def _classes(element: _Element) -> str:
    return (element.get(CLASS) or "").lower()


def _has_class(element: _Element, name: str) -> bool:
    return name in _classes(element).split()


def find_body_containers(root: _Element) -> Iterator[tuple[str, _Element]]:
    """Yield candidate body containers, most trusted first, each named by how it was found."""
    for element in root.iter("div", "section", "article"):
        if _has_class(element, "c-content"):
            yield "c-content", element
    for marker in _PROGRESS_END(root):
        previous = marker.getprevious()
        while previous is not None and not isinstance(previous.tag, str):
            previous = previous.getprevious()
        if previous is not None:
            yield "reading-progress-end", previous
    for element in _ITEMPROP_BODY(root):
        yield "itemprop", element
    for element in root.iter("div", "section", "article", "main"):
        squashed = _classes(element).replace("-", "").replace("_", "")
        if any(hint in squashed for hint in CONTAINER_CLASS_HINTS):
            yield "class-hint", element
    densest = _densest_paragraph_parent(root)
    if densest is not None:
        yield "density", densest


def _densest_paragraph_parent(root: _Element) -> _Element | None:
    """The element whose direct <p> children hold the most text: a last-resort container."""
    scores: dict[_Element, int] = {}
    for paragraph in root.iter("p"):
        parent = paragraph.getparent()
        if parent is None or any(
            ancestor.tag in DROP_TAGS for ancestor in paragraph.iterancestors()
        ):
            continue
        scores[parent] = scores.get(parent, 0) + len("".join(paragraph.itertext()).strip())
    if not scores:
        return None
    best, score = max(scores.items(), key=lambda pair: pair[1])
    return best if score >= 80 else None


def extract_body(root: _Element, page_url: str) -> BodyContent:
    """Extract the body from the first candidate container that holds any article text."""
    next_data_tried = False
    passed_over = 0
    for source, container in find_body_containers(root):
        if source in GUESSED_SOURCES and not next_data_tried:
            # The page's own data beats a guess: an empty body container with the body in
            # __NEXT_DATA__ must not fall through to, say, the author bio.
            next_data_tried = True
            content = _next_data_body(root, page_url)
            if content.blocks:
                content.passed_over = passed_over
                return content
        content = body_from_container(container, page_url)
        if content.blocks:
            content.source = source
            content.passed_over = passed_over
            return content
        passed_over += 1
    if next_data_tried:
        return BodyContent(passed_over=passed_over)
    content = _next_data_body(root, page_url)
    content.passed_over = passed_over
    return content


def _next_data_body(root: _Element, page_url: str) -> BodyContent:
    """The body from the __NEXT_DATA__ payload, or an empty one."""
    html = next_data_body_html(root)
    if not html:
        return BodyContent()
    content = body_from_container(lxml.html.fragment_fromstring(html, "div"), page_url)
    content.source = "next-data"
    return content


def body_from_container(container: _Element, page_url: str) -> BodyContent:
    """Read one body container: text blocks in order, pruned HTML, related-article links."""
    pruned = copy.deepcopy(container)
    pruned.tail = None
    related = _take_bookmarks(pruned, page_url)
    _drop_promo_html_cards(pruned)
    _drop_chrome(pruned)
    blocks: list[str] = []
    for element, text in _blocks(pruned):
        if CHROME_TEXT.match(text):
            _remove_keep_tail(element)
            continue
        blocks.append(text)
    _absolutize(pruned, page_url)
    html = lxml.html.tostring(pruned, encoding="unicode")
    return BodyContent(blocks=blocks, html=html, related=related)


def _take_bookmarks(container: _Element, page_url: str) -> list[str]:
    """Remove related-article bookmark cards and return their links, in order."""
    related: list[str] = []
    cards = [
        element
        for element in container.iter(Element)
        if (classes := element.get(CLASS)) and "kg-bookmark-card" in classes.lower()
    ]
    for card in cards:
        for href in (a.get("href") for a in card.iterdescendants("a") if a.get("href") is not None):
            url = join_url(page_url, href.strip())
            if url.startswith(("http://", "https://")) and url not in related:
                related.append(url)
                break
        _remove_keep_tail(card)
    return related


def _drop_promo_html_cards(container: _Element) -> None:
    """Remove Ghost HTML cards that hold the membership promo; keep other HTML cards."""
    for comment in list(container.iter(Comment)):
        if HTML_CARD_BEGIN not in (comment.text or ""):
            continue
        members: list[_Element] = []
        sibling = comment.getnext()
        while sibling is not None:
            if isinstance(sibling, _Comment) and HTML_CARD_END in (sibling.text or ""):
                break
            members.append(sibling)
            sibling = sibling.getnext()
        if any(_is_promo(member) for member in members):
            for member in members:
                _remove_keep_tail(member)


def _is_promo(element: _Element) -> bool:
    if not isinstance(element.tag, str):
        return False
    for node in element.iter():
        if not isinstance(node.tag, str):
            continue
        if "shortcodepatreon" in _classes(node):
            return True
        if node.tag == "a" and PROMO_HREF.search(node.get("href") or ""):
            return True
    return False


def _drop_chrome(container: _Element) -> None:
    """Remove scripts, widgets, embeds and promo blocks; keep image cards for the HTML body."""
    for element in list(container.iter()):
        if element is container:
            continue
        if isinstance(element, _Comment):
            _remove_keep_tail(element)
            continue
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if tag in DROP_TAGS:
            _remove_keep_tail(element)
            continue
        classes = _classes(element)
        if classes and _CHROME_CLASS.search(classes):
            _remove_keep_tail(element)


def _remove_keep_tail(element: _Element) -> None:
    """Remove an element but keep the text that follows it (lxml stores it on the element)."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def _own_text(element: _Element) -> str:
    """Text of an element outside its nested blocks: its own text plus inline descendants."""
    # Each property read once: lxml builds a new string on every read.
    parts: list[str] = [element.text or ""]
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and tag in INLINE_TAGS:
            parts.append(" " if tag == "br" else _own_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _blocks(container: _Element) -> Iterator[tuple[_Element, str]]:
    """Yield (element, text) for each element with text of its own, in document order."""
    # Captions and card text are not body text; the figure stays in the HTML body. Each figure's
    # nodes are gathered once: a figure inside a gathered one is already in.
    in_figures: set[_Element] = set()
    for figure in container.iter("figure"):
        if figure is not container and figure not in in_figures:
            in_figures.update(figure.iter(Element))
    for element in container.iter(Element):
        tag = element.tag
        if tag in INLINE_TAGS or tag == "figure" or tag == "figcaption":
            continue
        if element in in_figures:
            continue
        # Whitespace collapsed as str.split does: exactly the characters \s matches.
        text = collapse_spaces(_own_text(element))
        if text:
            yield element, text


def _absolutize(container: _Element, page_url: str) -> None:
    """Make links and image sources absolute; unwrap the Next.js image proxy."""
    for element in container.iter("a", "img"):
        tag = element.tag
        if tag == "a":
            href = element.get("href")
            if href:
                element.set("href", join_url(page_url, href.strip()))
        elif tag == "img":
            src = unwrap_image_url(element.get("src"), page_url)
            if src:
                element.set("src", src)
            for attribute in ("srcset", "sizes", "loading", "decoding"):
                element.attrib.pop(attribute, None)


def next_data_body_html(root: _Element) -> str | None:
    """Find article HTML in a Next.js __NEXT_DATA__ payload, for client-rendered pages."""
    for script in _NEXT_DATA_SCRIPTS(root):
        try:
            data = load_json(script.text or "", max_chars=MAX_APP_DATA_CHARS)
        except JsonRefused:
            continue  # counted where the page's head reads the same payload
        html = _find_html(data)
        if html:
            return html
    return None


def _find_html(data: Any) -> str | None:
    if isinstance(data, dict):
        value = data.get("html")
        if isinstance(value, str) and "<p" in value:
            return value
        children: Any = data.values()
    elif isinstance(data, list):
        children = data
    else:
        return None
    for child in children:
        found = _find_html(child)
        if found:
            return found
    return None
