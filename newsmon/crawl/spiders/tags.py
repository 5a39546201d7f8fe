"""The tags spider: walks /tag/<slug>/ for each monitored tag."""

from __future__ import annotations

from typing import Any

from newsmon.config import tag_list
from newsmon.crawl.spiders.listing import ListingSpider


class TagsSpider(ListingSpider):
    """Walk each tag of `-a tags=russia,united-states` (else NEWSMON_TAGS)."""

    name = "tags"

    def __init__(self, *args: Any, tags: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tags_argument = tags

    def listing_slugs(self) -> list[str]:
        """Tags from the spider argument, else from the NEWSMON_TAGS setting."""
        return self.slugs_from(
            self.tags_argument,
            "NEWSMON_TAGS",
            tag_list,
            "no tags to walk: pass -a tags=russia,war or set NEWSMON_TAGS",
        )
