"""Reading and checking newsmon's own settings, with clear messages for bad values."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from newsmon.site import NEWS_ARCHIVE_KEY, is_http_url, is_slug


class NewsmonConfigError(ValueError):
    """A newsmon setting has a value newsmon cannot work with."""


def base_url_from_settings(settings: BaseSettings) -> str:
    """NEWSMON_BASE_URL without a trailing slash; raise NewsmonConfigError if malformed."""
    raw = str(settings.get("NEWSMON_BASE_URL") or "").strip()
    parts = urlsplit(raw)
    if not is_http_url(raw):
        raise NewsmonConfigError(
            f"NEWSMON_BASE_URL must be an http(s) URL such as https://kyivindependent.com, "
            f"not {raw!r}"
        )
    if parts.query or parts.fragment or parts.path.strip("/"):
        raise NewsmonConfigError(
            f"NEWSMON_BASE_URL must be the site's root (scheme and host only), not {raw!r}"
        )
    return f"{parts.scheme}://{parts.netloc}"


def feed_base_url_from_settings(settings: BaseSettings) -> str:
    """NEWSMON_FEED_BASE_URL, the http(s) URL the feeds are served at; checked before a crawl."""
    raw = str(settings.get("NEWSMON_FEED_BASE_URL") or "http://localhost:8080/").strip()
    if not is_http_url(raw):
        raise NewsmonConfigError(
            "NEWSMON_FEED_BASE_URL must be the http(s) URL the feeds are served at, such as "
            f"https://example.org/feeds/, not {raw!r}"
        )
    return raw


def tag_list(value: object) -> list[str]:
    """Tag slugs from a list or a comma-separated string; raise NewsmonConfigError if bad."""
    slugs = slug_list(value, "tag", "'russia' or 'war'")
    if NEWS_ARCHIVE_KEY in slugs:
        # Its listing key names /news-archive/, which is no tag page.
        raise NewsmonConfigError(
            f"{NEWS_ARCHIVE_KEY!r} is the all-news archive, not a tag: `scrapy crawl archive`"
            " walks it"
        )
    return slugs


def author_list(value: object) -> list[str]:
    """Author slugs (/author/<slug>/) from a list or a comma-separated string, checked."""
    return slug_list(value, "author", "'martin' or 'olena-marchuk'")


def slug_list(value: object, what: str, example: str) -> list[str]:
    """Slugs from a list or a comma-separated string; raise NewsmonConfigError if bad."""
    if isinstance(value, str):
        items: list[object] = list(value.split(","))
    elif isinstance(value, list | tuple):
        items = list(value)
    elif value is None:
        items = []
    else:
        raise NewsmonConfigError(
            f"{what}s must be a comma-separated string or a list, not {value!r}"
        )
    slugs = [str(item).strip().strip("/").lower() for item in items if str(item).strip()]
    for slug in slugs:
        if not is_slug(slug):
            article = "an" if what[0] in "aeiou" else "a"
            raise NewsmonConfigError(f"{slug!r} is not {article} {what} slug (like {example})")
    return list(dict.fromkeys(slugs))


def check_writable_dir(path: Path, setting: str) -> None:
    """Create a folder if needed and make sure newsmon can write there; else NewsmonConfigError.

    Tried by writing (an empty file, removed at once): permission bits say nothing of a
    read-only mount, of /sys, or of root's rights.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise NewsmonConfigError(f"{setting}: cannot create {path}: {error.strerror}") from error
    if not path.is_dir():
        raise NewsmonConfigError(f"{setting}: {path} is not a writable folder")
    try:
        probe_writable(path)
    except OSError as error:
        raise NewsmonConfigError(
            f"{setting}: {path} is not a writable folder ({error.strerror or error})"
        ) from error


def probe_writable(folder: Path) -> None:
    """Create and remove an empty file in `folder`; raise OSError if this process cannot.

    Permission bits say nothing of a read-only mount, of /sys, or of root's rights.
    """
    handle, probe = tempfile.mkstemp(prefix=".newsmon-probe-", dir=folder)
    os.close(handle)
    os.unlink(probe)
