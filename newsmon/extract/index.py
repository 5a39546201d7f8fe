"""One walk over a parsed page that files the elements the page's readers look for.

libxml2 answers each `//tag` XPath by building the node set of the whole page first (about
30 us on an article page); the head, the markup readers and the post id asked a dozen such
questions per page. lxml's `iter(*tags)` filters in C, so one walk (about 25 us) answers
them all, in document order, as the XPaths did.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml.etree import Element, _Element

INDEXED_TAGS = ("meta", "link", "script", "title", "h1", "h2", "a", "img", "time", "figure")
# Containers whose links, images and names belong to other articles or the site's chrome.
OUTSIDE_ARTICLE_TAGS = frozenset({"aside", "nav", "footer"})
XML_WHITESPACE = " \t\r\n"
"""What XPath's normalize-space() treats as space (not every Unicode space, as str.split)."""
_XML_SPACE = re.compile(f"[{XML_WHITESPACE}]+")
# Attribute names as lxml's get() takes them fastest: a str name is encoded to UTF-8 on every
# call, bytes are used as they are. The loops that read an attribute of most elements use these.
CLASS, HREF, CONTENT = b"class", b"href", b"content"


class TagIndex:
    """The page's elements of `INDEXED_TAGS`, each tag's list in document order."""

    def __init__(self, root: _Element) -> None:
        self._root = root
        self._by_tag: dict[str, list[_Element]] = {tag: [] for tag in INDEXED_TAGS}
        self._within: dict[frozenset[str], dict[_Element, bool]] = {}
        self._inside: dict[tuple[str, frozenset[str]], set[_Element]] = {}
        elements = root.iter(*INDEXED_TAGS)
        for element in elements:
            tag = element.tag
            self._by_tag[tag].append(element)
            if tag == "h1":
                break
        # How many of each tag come before the first h1 (itself included): the article's
        # header starts there, and what follows it is where its date and hero image are.
        self._up_to_first_h1 = {tag: len(found) for tag, found in self._by_tag.items()}
        for element in elements:
            self._by_tag[element.tag].append(element)

    def bylines(self) -> Iterator[_Element]:
        """Elements whose class names a byline, in document order.

        A walk in Python, stopped when the caller has what it wants: the byline sits under the
        headline, a third of the way into the page (`//@class[contains(...)]` reads them all).
        """
        for element in self._root.iter(Element):
            classes = element.get(CLASS)
            # The class names of a byline (2025 front end, 2023 theme), spelled out, not any()
            # over a tuple: this runs for every element.
            if classes and (
                "byline" in classes or "post__author" in classes or "c-topper__author" in classes
            ):
                yield element

    def elements(self, tag: str) -> list[_Element]:
        """Every element of `tag` (one of INDEXED_TAGS), in document order."""
        return self._by_tag[tag]

    def after_first_h1(self, tag: str) -> Iterator[_Element]:
        """Elements of `tag` after the first h1, not inside it: XPath's `(//h1)[1]/following::tag`.

        From the one walk, where a `following::` XPath builds the rest of the page first.
        """
        h1s = self._by_tag["h1"]
        if not h1s:
            return
        # In document order the h1's own descendants come first: they do not follow it. The
        # h1's few elements are found in C, not by a walk up from every candidate.
        inside_h1 = set(h1s[0].iterdescendants(tag))
        for element in self._by_tag[tag][self._up_to_first_h1[tag] :]:
            if element not in inside_h1:
                yield element

    def inside(self, tag: str, containers: frozenset[str]) -> set[_Element]:
        """The elements of `tag` (one of INDEXED_TAGS) that sit in an element of `containers`.

        `within` for a whole tag at once, found in C: most of a page's tag links are the
        menu's, and asking `within` for each walked up their ancestors in Python.
        """
        key = (tag, containers)
        found = self._inside.get(key)
        if found is None:
            found = {
                element
                for container in self._root.iter(*containers)
                for element in container.iterdescendants(tag)
            }
            self._inside[key] = found
        return found

    def within(self, element: _Element, tags: frozenset[str]) -> bool:
        """Tell whether an ancestor of `element` is one of `tags` (XPath's `ancestor::x or ...`).

        The answer of every ancestor passed is remembered: a page's twenty tag links share
        most of their ancestors, so each link costs a step or two instead of a walk to the root.
        """
        memo = self._within.setdefault(tags, {})
        passed: list[_Element] = []
        node = element.getparent()
        answer = False
        while node is not None:
            known = memo.get(node)
            if known is not None:
                answer = known
                break
            passed.append(node)
            if node.tag in tags:
                answer = True
                break
            node = node.getparent()
        for ancestor in passed:
            memo[ancestor] = answer
        return answer


def xml_tokens(value: str | None) -> list[str]:
    """An attribute's space-separated tokens, split as XPath's normalize-space does."""
    if not value:
        return []
    if "\t" in value or "\n" in value or "\r" in value:
        return [token for token in _XML_SPACE.split(value) if token]
    # Spaces alone (nearly every class attribute): str.split in C, a quarter of the regex's cost.
    return [token for token in value.split(" ") if token]
