"""The Ghost post id of a page: what names it, and which of its mentions to trust.

The site runs on Ghost; a post's id (24 hex digits, the site RSS's guid) survives a renamed
slug, so the store knows an article by it too (`newsmon.store.identity`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from lxml import etree
from lxml.etree import _Element

GHOST_ID = re.compile(r"[0-9a-f]{24}")
# The "Edit post" link that names a post on its own page.
GHOST_EDIT_LINK = re.compile(r"/ghost/#/editor/post/([0-9a-f]{24})\b")
# Compiled once (parsel compiles an expression at every call).
_ALL_POST_IDS = etree.XPath("//@data-post-id", smart_strings=False)


def page_post_ids(
    root: _Element, first_h1: _Element | None, links: Iterable[_Element]
) -> Iterator[str]:
    """The page's post id candidates, most trusted first, each read only when asked.

    The data-post-id around the headline (a related or trending card before it may carry an
    id of its own), else the page's only data-post-id or "Edit post" id (several different
    ones name other posts too: none is trusted).
    """
    if first_h1 is not None:
        # `(//h1)[1]/ancestor-or-self::*[@data-post-id][1]`, from the h1 found once.
        for element in (first_h1, *first_h1.iterancestors()):
            own = element.get("data-post-id")
            if own is not None:
                yield own
                break
    for found in (
        _ALL_POST_IDS(root),
        [
            match.group(1)
            for link in links
            if "/editor/post/" in (href := link.get("href") or "")
            and (match := GHOST_EDIT_LINK.search(href))
        ],
    ):
        distinct = {str(value).strip() for value in found}
        if len(distinct) == 1:
            yield distinct.pop()
