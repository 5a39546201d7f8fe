"""Cards without card markup: headline links to the site's articles, read in document order.

Two steps of the card chain, read together. A listing is recognised by what no redesign can
drop: its cards link to one-segment article paths of the site (`/<slug>/`) and carry a
headline (a heading inside the link, or the link inside a heading). When every such link is an
`h3 > a`, the page is in the 2023 theme's shape (source "links"); otherwise the source is
"headlines". Only links in the page's main content count: never in the header, the
navigation, a side box, the footer or a form, and never in a box whose own heading names it as
page chrome ("Editors' Picks", "Most popular", "Related", ...). A "News Feed" or "Latest"
box is chrome when there are headline links outside such boxes (on the News Feed page the
listing itself may carry that name: when every link is in such a box, the largest is kept).

Each card's container is the largest element around its link that holds no other article's
link; the rest of the card (date, tag, byline, excerpt) is read from there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree
from parsel import Selector

from newsmon.extract.listing.cards import article_url, read_card
from newsmon.extract.listing.model import (
    HEADLINES,
    NO_CARDS,
    THEME_2023,
    CardsFound,
    ListingCard,
    unique,
)
from newsmon.extract.normalize.text import clean_text

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Elements that are page chrome by definition, and ARIA roles that say the same.
CHROME_TAGS = frozenset({"header", "nav", "aside", "footer", "form", "dialog"})
CHROME_ROLES = frozenset({"navigation", "complementary", "banner", "contentinfo", "search"})
# Words in a class or id that mark a side box (substrings, lower case). Words that cards
# themselves use in CSS-module names ("header", "footer", "banner", "feed") are left out.
SIDE_BOX_HINTS = (
    "sidebar",
    "side-bar",
    "side_bar",
    "sidebox",
    "side-box",
    "widget",
    "newsletter",
    "promo",
    "advert",
    "sponsor",
    "popular",
    "picks",
    "recommend",
    "related",
    "trending",
    "mostread",
    "most-read",
    "most_read",
)
# Headings that name a box of page chrome, never a listing (normalised: lower case, ' only).
CHROME_LABELS = frozenset(
    {
        "editors' picks",
        "editor's picks",
        "editors picks",
        "editors' choice",
        "most popular",
        "most read",
        "popular",
        "trending",
        "more news",
        "related",
        "related articles",
        "related stories",
        "read more",
        "read next",
        "recommended",
        "you may also like",
        "also read",
        "subscribe",
        "newsletters",
    }
)
# Headings that name a side box on most pages but may name the listing itself.
AMBIGUOUS_LABELS = frozenset({"news feed", "latest", "latest news", "latest stories"})
_APOSTROPHES = re.compile(r"[\u2019\u2018`\u00b4]")
_TRAILING = re.compile(r"[\s:.\u2026\u2192\u00bb\u203a>]+$")


def headline_cards(selector: Selector, page_url: str) -> CardsFound:
    """Headline links to the site's articles in the page's main content, in document order.

    The source is the 2023 theme's ("links") when every headline link is an `h3 > a`, else
    "headlines"; "none" without any.
    """
    root = selector.root
    mains = [
        *root.iter("main"),
        *root.xpath("//*[@role='main']"),
        *root.xpath("//*[@id='main' or @id='content']"),
    ]
    for main in [*mains, root]:
        links = _headline_links(main, page_url)
        if links:
            break
    else:
        return CardsFound(NO_CARDS)
    links = _without_chrome(links, main)
    if not links:
        return CardsFound(NO_CARDS)
    theme_2023 = all(_in_h3(link) for link, _, _ in links)
    return CardsFound(THEME_2023 if theme_2023 else HEADLINES, unique(_cards(links, main)))


def _in_h3(link: etree._Element) -> bool:
    """The 2023 theme's shape: the link sits in an h3 (directly or in an inline wrapper)."""
    for ancestor in link.iterancestors():
        if ancestor.tag == "h3":
            return True
        if ancestor.tag not in ("span", "strong", "em", "b"):
            return False
    return False


def _headline_links(main: etree._Element, page_url: str) -> list[tuple[etree._Element, str, str]]:
    """(link, URL, headline) of every article link in `main` that carries a headline."""
    found = []
    for link in main.iter("a"):
        url = article_url(link.get("href"), page_url)
        if url is None:
            continue
        title = _headline_of(link)
        if title:
            found.append((link, url, title))
    return found


def _headline_of(link: etree._Element) -> str:
    """The headline a link carries: a heading inside it, or its own text inside a heading."""
    for element in link.iter():
        if _is_heading(element) and element is not link:
            return clean_text(" ".join(element.itertext()))
    for ancestor in link.iterancestors():
        if _is_heading(ancestor):
            return clean_text(" ".join(link.itertext()))
        if ancestor.tag in ("article", "li", "section", "main", "body"):
            break
    return ""


def _is_heading(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and (
        element.tag in HEADINGS or element.get("role") == "heading"
    )


def _without_chrome(
    links: list[tuple[etree._Element, str, str]], main: etree._Element
) -> list[tuple[etree._Element, str, str]]:
    """Drop the links inside page chrome, side boxes and boxes labelled as chrome."""
    labels = _Labels()
    kept: list[tuple[etree._Element, str, str]] = []
    ambiguous: dict[etree._Element, list[int]] = {}
    for link, url, title in links:
        box = None
        dropped = False
        for ancestor in _ancestors_below(link, main):
            if labels.is_chrome(ancestor):
                dropped = True
                break
            if labels.label(ancestor) in AMBIGUOUS_LABELS:
                box = ancestor
        if dropped:
            continue
        if box is not None:
            ambiguous.setdefault(box, []).append(len(kept))
        kept.append((link, url, title))
    # A "News Feed" box is a side box when headline links outside such boxes exist; when
    # every link is in one, the listing is the largest box named like the page itself.
    boxed = {index for members in ambiguous.values() for index in members}
    dropped_indexes = boxed
    if boxed and len(boxed) == len(kept):
        names = _page_names(main)
        named = [members for box, members in ambiguous.items() if labels.label(box) in names]
        largest: list[int] = max(named, key=len) if named else []
        dropped_indexes = boxed - set(largest)
    return [entry for index, entry in enumerate(kept) if index not in dropped_indexes]


def _page_names(element: etree._Element) -> set[str]:
    """What the page calls itself: its h1, its <title> before " | ", its og:title."""
    root = element.getroottree().getroot()
    texts = [" ".join(h1.itertext()) for h1 in root.iter("h1")][:1]
    texts += [str(title).split("|")[0] for title in root.xpath("//title/text()")][:1]
    texts += [str(v) for v in root.xpath("//meta[@property='og:title']/@content")][:1]
    return {_normal(text) for text in texts}


def _normal(text: str) -> str:
    """A heading as a label: lower case, one kind of apostrophe, no trailing punctuation."""
    return _TRAILING.sub("", _APOSTROPHES.sub("'", clean_text(text).lower()))


def _ancestors_below(link: etree._Element, main: etree._Element) -> Iterable[etree._Element]:
    """The link's ancestors from its parent up to (not including) `main`."""
    for ancestor in link.iterancestors():
        if ancestor is main:
            return
        yield ancestor


class _Labels:
    """Which elements are page chrome, and the label of each box (each computed once)."""

    def __init__(self) -> None:
        self._chrome: dict[etree._Element, bool] = {}
        self._labels: dict[etree._Element, str] = {}

    def is_chrome(self, element: etree._Element) -> bool:
        """Page chrome by element, ARIA role, side-box class or id, or a chrome heading."""
        if element not in self._chrome:
            names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
            self._chrome[element] = (
                element.tag in CHROME_TAGS
                or (element.get("role") or "") in CHROME_ROLES
                or any(hint in names for hint in SIDE_BOX_HINTS)
                or self.label(element) in CHROME_LABELS
            )
        return self._chrome[element]

    def label(self, element: etree._Element) -> str:
        """The heading that names a box: its first h2-h6 when that is no card's headline.

        The page itself and the part of it that holds the page's h1 are no box.
        """
        if element not in self._labels:
            self._labels[element] = "" if element.tag in ("html", "body") else _label(element)
        return self._labels[element]


def _label(element: etree._Element) -> str:
    if next(element.iter("h1"), None) is not None:
        return ""
    for node in element.iter("h2", "h3", "h4", "h5", "h6"):
        if any(child.tag == "a" for child in node.iter()) or any(
            ancestor.tag == "a" for ancestor in node.iterancestors()
        ):
            return ""  # the box begins with a headline link: a card, not a label
        return _normal(" ".join(node.itertext()))
    return ""


def _cards(
    links: list[tuple[etree._Element, str, str]], scope: etree._Element
) -> list[ListingCard]:
    """Read each link's card from the largest container that holds no other article's link."""
    urls_under: dict[etree._Element, set[str]] = {}
    for link, url, _ in links:
        for ancestor in link.iterancestors():
            urls_under.setdefault(ancestor, set()).add(url)
            if ancestor is scope:
                break
    cards = []
    for link, url, title in links:
        container = link
        for ancestor in link.iterancestors():
            if ancestor is scope or urls_under.get(ancestor, {url}) != {url}:
                break
            container = ancestor
        cards.append(read_card(container, url, title))
    return cards
