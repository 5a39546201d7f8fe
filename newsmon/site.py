"""The site's naming rules, defined once: the News Feed's slug, what a slug is, an http(s) URL.

Spiders, pipelines, feed writers and the settings checks all read them from here, so a rule
cannot drift between the place that accepts a value and the place that writes it to disk.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SITE_NAME = "The Kyiv Independent"
# The News Feed is a Ghost tag like any other (/tag/news-feed/); its feed is output/newsfeed.xml.
NEWS_FEED_SLUG = "news-feed"
# A Ghost slug: lower-case letters, digits and hyphens. At most 100 characters, since a slug
# names a feed file. re.fullmatch, not "$": "$" also matches before a trailing newline.
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def is_slug(text: object) -> bool:
    """Tell whether `text` is a slug newsmon may use in a file name or URL."""
    return isinstance(text, str) and SLUG.fullmatch(text) is not None


def slugify(name: str) -> str:
    """Ghost's slug for a display name: "Trump & Russia" -> "trump-russia"."""
    # Ghost drops apostrophes ("Russia's war" -> "russias-war") and joins the rest with "-";
    # a hostile "../../x" becomes "x", so no slug can climb out of a folder.
    folded = name.lower().replace("'", "").replace("\u2019", "")
    return _NOT_SLUG.sub("-", folded).strip("-")


def is_http_url(url: object) -> bool:
    """Tell whether `url` is an absolute http(s) URL with a host."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
