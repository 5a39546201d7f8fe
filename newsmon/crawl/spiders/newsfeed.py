"""The newsfeed spider: walks the site's News Feed (/tag/news-feed/)."""

from __future__ import annotations

from newsmon.crawl.spiders.listing import ListingSpider
from newsmon.site import NEWS_FEED_SLUG


class NewsfeedSpider(ListingSpider):
    """Walk the News Feed and yield one item per article on its newest pages."""

    name = "newsfeed"

    def listing_slugs(self) -> list[str]:
        """The News Feed is a Ghost tag like any other."""
        return [NEWS_FEED_SLUG]
