"""The archive spider: walks the all-news archive (/news-archive/)."""

from __future__ import annotations

from newsmon.crawl.spiders.listing import ListingSpider
from newsmon.site import NEWS_ARCHIVE_KEY


class ArchiveSpider(ListingSpider):
    """Walk /news-archive/, every article of the site newest first, like a tag page.

    A spider of its own rather than an option of another: its walk has its own validators and
    its own feed (output/news-archive.xml), and it can be scheduled on its own.
    """

    name = "archive"

    def listing_slugs(self) -> list[str]:
        """The archive's listing key."""
        return [NEWS_ARCHIVE_KEY]
