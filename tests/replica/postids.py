"""`--no-post-ids`: article pages without the Ghost post id (no data-post-id, no edit link).

A site whose pages do not name their post id leaves newsmon only markup-independent signals
to know a renamed article: the redirect from its old URL, and the URLs the page names as its
own. The site's RSS keeps its guids (they are not HTML).
"""

from __future__ import annotations

import argparse
import re

from tests.replica.content import Site
from tests.replica.rewrite import MarkupRewrite
from tests.replica.server import Hook, Request

POST_ID = re.compile(r'\sdata-post-id="[^"]*"')
EDIT_LINK = re.compile(r'<a class="post__edit" href="/ghost/[^"]*">Edit post</a>\n?')


class NoPostIds(MarkupRewrite):
    """Serve article pages with the post id taken out."""

    def rewrite(self, request: Request, page: str) -> str | None:
        """The page without data-post-id attributes and the editor link."""
        stripped = EDIT_LINK.sub("", POST_ID.sub("", page))
        return stripped if stripped != page else None


def hooks(args: argparse.Namespace, site: Site) -> list[Hook]:
    """The hook of `--no-post-ids`."""
    return [NoPostIds()]
