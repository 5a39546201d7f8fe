"""Parse a page once, from its bytes, with limits that say when they cut.

libxml2 stops building the tree at 2,048 nested elements (its "huge" limit) and keeps what it
had: a page nested deeper loses the rest of its text without a word. The parser reports it
in its error log; this is where newsmon reads that report, so a cut page is known as cut
(`truncated`) instead of being published as a short article.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from lxml import etree
from lxml.etree import HTMLParser
from parsel import Selector

# libxml2's error type when a resource limit (nesting depth, a huge text node) cut the tree.
RESOURCE_LIMIT = "ERR_RESOURCE_LIMIT"


@dataclass(frozen=True)
class Document:
    """A parsed page and whether the parser had to cut it."""

    selector: Selector
    truncated: bool


def parse_html(body: bytes, encoding: str = "utf-8") -> Document:
    """Parse HTML bytes in their encoding (already known from the response) into a Document."""
    if codecs.lookup(encoding).name != "utf-8":
        # Multi-byte encodings (UTF-16) do not survive the NUL stripping below: decode first.
        body = body.decode(encoding, "replace").encode("utf-8")
    data = body.replace(b"\x00", b"").strip() or b"<html/>"
    root, parser = _parse(data)
    if any(error.type_name == "ERR_INVALID_ENCODING" for error in parser.error_log):
        # Bytes that are not UTF-8 would end the tree there: read them as replacement marks.
        root, parser = _parse(data.decode("utf-8", "replace").encode("utf-8"))
    truncated = any(error.type_name == RESOURCE_LIMIT for error in parser.error_log)
    return Document(Selector(root=root, type="html"), truncated)


def _parse(data: bytes) -> tuple[etree._Element, HTMLParser]:
    """Parse UTF-8 bytes leniently; an empty result becomes an empty document.

    lxml's own HTMLParser, not lxml.html's: the tree is the same, but lxml.html makes every
    element Python touches an HtmlElement through a lookup written in Python, a call per
    element that every reader of the page paid (about a fifth of a page's reading).
    """
    parser = HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        root = etree.fromstring(b"<html/>", parser=HTMLParser(recover=True))
    return root, parser
