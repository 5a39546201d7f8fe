"""The site's naming rules, defined once: the News Feed's slug, what a slug is, an http(s) URL.

Spiders, pipelines, feed writers and the settings checks all read them from here, so a rule
cannot drift between the place that accepts a value and the place that writes it to disk.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

AnswerOfText = TypeVar("AnswerOfText", bound=Callable[..., Any])

SITE_NAME = "The Kyiv Independent"
# The News Feed is a Ghost tag like any other (/tag/news-feed/); its feed is output/newsfeed.xml.
NEWS_FEED_SLUG = "news-feed"
# A Ghost slug: lower-case letters, digits and hyphens. At most 100 characters, since a slug
# names a feed file. re.fullmatch, not "$": "$" also matches before a trailing newline.
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")

# A listing is named by a key: a tag's slug (the News Feed included), "author/<slug>" for an
# author's page, or "news-archive" for the all-news archive. The keys are what
# `ArticleItem.listings` and the store's listing memberships hold, so an article seen by several
# listings is stored once and knows all of them.
NEWS_ARCHIVE_KEY = "news-archive"
AUTHOR_PREFIX = "author/"


def is_slug(text: object) -> bool:
    """Tell whether `text` is a slug newsmon may use in a file name or URL."""
    return isinstance(text, str) and SLUG.fullmatch(text) is not None


def slugify(name: str) -> str:
    """Ghost's slug for a display name: "Trump & Russia" -> "trump-russia"."""
    # Ghost drops apostrophes ("Russia's war" -> "russias-war") and joins the rest with "-";
    # a hostile "../../x" becomes "x", so no slug can climb out of a folder.
    folded = name.lower().replace("'", "").replace("\u2019", "")
    return _NOT_SLUG.sub("-", folded).strip("-")


# What str.isspace() calls a space (re's \s is the same test), and the C0 controls and DEL:
# one regex scan instead of a Python test per character (every card URL passes here).
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


# Longer text is never remembered: a cache must not keep a hostile megabyte alive.
URL_SIZED = 2048


def remembers_url_answers(func: AnswerOfText) -> AnswerOfText:
    """Remember a pure function's last 4,096 answers for URL-sized text as its first argument.

    A crawl asks about the same URLs again and again (each card's in every listing that shows
    it, each article's in every feed that has it); anything longer is worked out each time.
    """
    remembered = functools.lru_cache(maxsize=4096)(func)

    @functools.wraps(func)
    def answer(text: str, *rest: Any) -> Any:
        return remembered(text, *rest) if len(text) <= URL_SIZED else func(text, *rest)

    return answer  # type: ignore[return-value]


def is_http_url(url: object) -> bool:
    """Tell whether `url` is an absolute http(s) URL with a host."""
    return isinstance(url, str) and _is_http_url_text(url)


# About 40 times per article (cards, feeds, the base URL of a sanitised body), 2 us each.
@remembers_url_answers
def _is_http_url_text(url: str) -> bool:
    """`is_http_url` for text."""
    url = url.strip()
    # A space or a control character inside is no URL a client can fetch (or a feed can name).
    if _SPACE_OR_CONTROL.search(url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def author_key(slug: str) -> str:
    """The listing key of an author's page: "martin" -> "author/martin"."""
    return AUTHOR_PREFIX + slug


def listing_kind(key: str) -> tuple[str, str]:
    """("tag" | "author" | "archive", slug) of a listing key; ValueError if it is none."""
    if key == NEWS_ARCHIVE_KEY:
        return "archive", key
    if key.startswith(AUTHOR_PREFIX) and is_slug(key.removeprefix(AUTHOR_PREFIX)):
        return "author", key.removeprefix(AUTHOR_PREFIX)
    if is_slug(key):
        return "tag", key
    raise ValueError(f"{key!r} is not a listing (a tag slug, author/<slug> or {NEWS_ARCHIVE_KEY})")


def is_listing_key(key: object) -> bool:
    """Tell whether `key` names a listing newsmon can walk and publish."""
    if not isinstance(key, str):
        return False
    try:
        listing_kind(key)
    except ValueError:
        return False
    return True


def listing_path(key: str) -> str:
    """The path of a listing's first page: /tag/<slug>/, /author/<slug>/ or /news-archive/."""
    kind, slug = listing_kind(key)
    if kind == "archive":
        return f"/{NEWS_ARCHIVE_KEY}/"
    return f"/{kind}/{slug}/"
