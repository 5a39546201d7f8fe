"""A listing's next page: `rel="next"`, a "Next"/"Load more" link, or a `/page/N+1/` link.

The site's pages carry `<link rel="next">` in `<head>` (FACTS.md). A redesign may keep it only
in the body, replace it by a "Next" or "Load more" link, or by numbered page links; each is
read here, in that order. A page that declares no pagination at all is left to the spider's
guess (`/page/N+1/` when the page looks full).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml import etree
from parsel import Selector

from newsmon.extract.index import xml_tokens
from newsmon.extract.normalize.text import clean_text
from newsmon.extract.normalize.urls import host_of, is_article_path

_REL = "contains(concat(' ', normalize-space(@rel), ' '), ' {} ')"
# Link texts of a "next page" control (lower case, trailing arrows and dots ignored).
NEXT_WORDS = re.compile(
    r"^(?:next(?: page)?|older(?: posts| stories| articles)?|load more(?: stories| articles)?"
    r"|show more|more (?:stories|articles|posts)|see more)$"
)
_TRAILING = re.compile(r"[\s:.\u2026\u2192\u00bb\u203a>]+$")
_PAGE = re.compile(r"^(?P<root>.*?/)page/(?P<number>\d+)/?$")
# What rel="next" is, in XPath: kept as the definition `_rel_next_href` answers to.
NEXT_HREFS_XPATH = f"//link[{_REL.format('next')}]/@href | //a[{_REL.format('next')}]/@href"
_LINKS_WITH_HREF = etree.XPath("//a[@href]")
_LINK_HREFS = etree.XPath("//a/@href", smart_strings=False)
_PAGE_RELS = etree.XPath(f"//link[{_REL.format('next')} or {_REL.format('prev')}]")


def listing_root(url: str) -> tuple[str, int]:
    """(path of page 1, page number) of a listing URL: `/tag/x/page/3/` -> ("/tag/x/", 3)."""
    path = urlsplit(url).path or "/"
    match = _PAGE.match(path)
    if match:
        return match.group("root"), int(match.group("number"))
    return (path if path.endswith("/") else path + "/"), 1


def next_url(selector: Selector, page_url: str) -> str | None:
    """The next page of the listing, absolute, or None if the page names none."""
    root = selector.root
    href = _rel_next_href(root)
    if href and href.strip():
        return urljoin(page_url, href.strip())
    root_path, number = listing_root(page_url)
    for link in _LINKS_WITH_HREF(root):
        # itertext: the link's `.//text()` nodes, without a Selector made for each link.
        text = _TRAILING.sub("", clean_text(" ".join(link.itertext()))).lower()
        if NEXT_WORDS.match(text):
            url = _later_page(link.get("href"), page_url, root_path, number)
            if url:
                return url
    wanted = f"{root_path}page/{number + 1}/"
    for href in _LINK_HREFS(root):
        url = urljoin(page_url, href.strip())
        if host_of(url) == host_of(page_url) and urlsplit(url).path in (wanted, wanted[:-1]):
            return url
    return None


def _rel_next_href(root: etree._Element) -> str | None:
    """The href of the first `<link>` or `<a>` whose rel holds "next" (NEXT_HREFS_XPATH's first).

    Walked in document order and stopped at the first: the site's `<link rel="next">` sits in
    the head, so the walk ends there, where the XPath tested every link of the page (85 us).
    """
    for element in root.iter("link", "a"):
        rel = element.get("rel")
        if rel and "next" in rel and "next" in xml_tokens(rel):
            href = element.get("href")
            if href is not None:
                return href
    return None


def declares_pagination(selector: Selector, page_url: str) -> bool:
    """Tell whether the page links other pages of its listing (rel next/prev, page links)."""
    if _PAGE_RELS(selector.root):
        return True
    root, number = listing_root(page_url)
    for href in _LINK_HREFS(selector.root):
        url = urljoin(page_url, href.strip())
        if host_of(url) != host_of(page_url):
            continue
        path = urlsplit(url).path
        other_root, other = listing_root(url)
        if other_root == root and other != number and (other > 1 or path == root):
            return True
    return False


def _later_page(href: str, page_url: str, root: str, number: int) -> str | None:
    """A link of a "next" control, if it leads to another page of this listing."""
    url = urljoin(page_url, href.strip())
    if host_of(url) != host_of(page_url):
        return None
    parts = urlsplit(url)
    if is_article_path(parts.path) or url.split("#")[0] == page_url.split("#")[0]:
        return None
    other_root, other = listing_root(url)
    if other_root == root and other > number:
        return url
    # "?page=3" style: the same listing path with a page parameter.
    if parts.path == urlsplit(page_url).path and re.search(r"(?:^|&)page=\d+", parts.query):
        return url
    return None
