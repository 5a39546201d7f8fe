"""Request meta keys newsmon's spiders and middlewares share, each defined once.

A key names what a request is (a listing page, an article) or asks a middleware for
something (a conditional GET, a browser); the spider sets them, the middlewares read them.
"""

from __future__ import annotations

from typing import Any, Literal

from scrapy.http import Response

# The slug of the listing whose page a request fetches ("news-feed", a tag slug).
LISTING_META = "newsmon_listing"
# The canonical URL of the article a request fetches (cards and revisits alike).
ARTICLE_META = "newsmon_article"
# The listing walk whose card led to an article request (its count of unfinished requests).
WALK_META = "newsmon_walk"
# The listing walk whose next page a request fetches (held back while that count is high).
WALK_NEXT_META = "newsmon_walk_next"
# True: send If-None-Match / If-Modified-Since and let a 304 reach the callback.
CONDITIONAL_META = "newsmon_conditional"
# The (ETag, Last-Modified) to send; without it the store's saved ones are used.
VALIDATORS_META = "newsmon_validators"
# Set by the conditional middleware on a request it made conditional.
CONDITIONAL_SENT_META = "newsmon_conditional_sent"
# The kind of page ("listing", "article") a browser request renders.
RENDER_META = "newsmon_render"
# The plain response to fall back on when the browser cannot render the page.
RENDER_FALLBACK_META = "newsmon_render_fallback"
# Media types a request accepts besides HTML (a tuple), for the content check.
CONTENT_TYPES_META = "newsmon_content_types"
# Worker mode: the listings whose cards led to an article request, carried across workers.
REDIS_LISTINGS_META = "newsmon_redis_listings"
# The callback keyword that carries the listing card an article request came from.
CARD_ARG = "card"
# True on a request for a listing's app data (/_next/data/...json): data, not a page to render.
APP_DATA_META = "newsmon_app_data"
# The spider asks for this listing page through the browser (its app data gave no cards):
# True; False once the browser failed at it (then the page is fetched plain, once).
RENDER_WANTED_META = "newsmon_render_wanted"

PageKind = Literal["listing", "article"]


def page_kind(meta: dict[str, Any]) -> PageKind | None:
    """Listing or article page, from what the spider put on the request; None for others."""
    if meta.get(APP_DATA_META):
        return None
    if meta.get(LISTING_META):
        return "listing"
    if meta.get(ARTICLE_META):
        return "article"
    return None


def article_key(response: Response | None) -> str | None:
    """The article key a response's request carried, if it fetched an article."""
    if response is None or not isinstance(response, Response):
        return None
    try:
        key = response.meta.get(ARTICLE_META)
    except AttributeError:  # a response built outside a request has no meta
        return None
    return key if isinstance(key, str) else None
