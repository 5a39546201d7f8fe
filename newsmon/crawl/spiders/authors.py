"""The authors spider: walks /author/<slug>/ for each author followed."""

from __future__ import annotations

from typing import Any

from newsmon.config import author_list
from newsmon.crawl.spiders.listing import ListingSpider
from newsmon.site import author_key


class AuthorsSpider(ListingSpider):
    """Walk each author page of `-a authors=martin,olena-marchuk` (else NEWSMON_AUTHORS).

    An author page carries the same cards and pagination as a tag page (plus a profile block,
    which is no card), so the walk is a tag walk under the listing key "author/<slug>": the
    same incremental rules, and an article it finds is the one article the other listings
    know. An author whose page answers 404 gets no feed (`PublishAtClose`).
    """

    name = "authors"

    def __init__(self, *args: Any, authors: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.authors_argument = authors

    def listing_slugs(self) -> list[str]:
        """Author keys from the spider argument, else from the NEWSMON_AUTHORS setting."""
        slugs = self.slugs_from(
            self.authors_argument,
            "NEWSMON_AUTHORS",
            author_list,
            "no authors to walk: pass -a authors=martin,olena-marchuk or set NEWSMON_AUTHORS",
        )
        return [author_key(slug) for slug in slugs]
