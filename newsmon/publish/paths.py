"""What newsmon publishes in the output folder: where each feed lives, which feed a path names.

The one list of newsmon's own files: publishing writes them under these names, `serve`
serves these and nothing else (`published_file`), and the output-folder check tells a folder
of newsmon's by them.

| feed | files |
|---|---|
| the News Feed (tag `news-feed`) | `newsfeed.xml`, `.atom`, `.json` |
| a tag | `tags/<slug>.xml`, `.atom`, `.json` |
| an author | `authors/<slug>.xml`, `.atom`, `.json` |
| the all-news archive | `news-archive.xml`, `.atom`, `.json` |
| a named filter (NEWSMON_FILTER_FEEDS) | `filters/<name>.xml`, `.atom`, `.json` |

RSS 2.0, Atom 1.0 and JSON Feed 1.1 twins of the same entries. Beside the feeds, at the top
of the folder: `index.html` (the front door), `feeds.opml`, `articles.jsonl` (the archive) and
`health.xml` (the health feed).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple, cast

from newsmon.publish.model import FeedKind, validate_slug
from newsmon.site import NEWS_ARCHIVE_KEY, NEWS_FEED_SLUG

# Format name -> file suffix, in the order feeds are written and listed.
FORMATS: dict[str, str] = {"rss": ".xml", "atom": ".atom", "json": ".json"}
FORMAT_NAMES: dict[str, str] = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
# The kinds that keep one file per slug in a folder of their own.
FOLDERS: dict[str, str] = {"tag": "tags", "author": "authors", "filter": "filters"}
# The two feeds at the top of the folder: (kind, slug) -> file stem.
TOP_LEVEL: dict[tuple[str, str], str] = {
    ("tag", NEWS_FEED_SLUG): "newsfeed",
    ("archive", NEWS_ARCHIVE_KEY): NEWS_ARCHIVE_KEY,
}
# The files at the top of the folder that are not feeds.
INDEX_NAME = "index.html"
OPML_NAME = "feeds.opml"
ARCHIVE_NAME = "articles.jsonl"
HEALTH_FEED_NAME = "health.xml"
TOP_FILES: frozenset[str] = frozenset({INDEX_NAME, OPML_NAME, ARCHIVE_NAME, HEALTH_FEED_NAME})
_FOLDER_FILE = re.compile(r"^(tags|authors|filters)/([a-z0-9][a-z0-9-]{0,99})\.(xml|atom|json)$")
_TOP_FILE = re.compile(r"^(newsfeed|news-archive)\.(xml|atom|json)$")


class FeedFile(NamedTuple):
    """The feed a path names: its kind, slug and format."""

    kind: FeedKind
    slug: str
    format: str


def feed_paths(output_dir: Path, slug: str, kind: FeedKind = "tag") -> tuple[Path, Path, Path]:
    """RSS, Atom and JSON Feed paths of a feed (see the table above)."""
    validate_slug(slug)
    output_dir = Path(output_dir)
    stem = TOP_LEVEL.get((kind, slug))
    if stem is not None:
        return _three(output_dir, stem)
    if kind not in FOLDERS:
        raise ValueError(f"a {kind} feed has no slug of its own ({slug!r})")
    folder = output_dir / FOLDERS[kind]
    paths = _three(folder, slug)
    # The pattern already rules out "/" and "..": this is a second lock on the same door.
    if any(path.resolve().parent != folder.resolve() for path in paths):
        raise ValueError(f"feed slug {slug!r} resolves outside {folder}")
    return paths


def _three(folder: Path, stem: str) -> tuple[Path, Path, Path]:
    rss, atom, json = (folder / f"{stem}{suffix}" for suffix in FORMATS.values())
    return rss, atom, json


def feed_file(relative: str) -> FeedFile | None:
    """The feed a path relative to the output folder names ("tags/war.json"), or None."""
    suffix_format = {suffix.lstrip("."): name for name, suffix in FORMATS.items()}
    if match := _TOP_FILE.match(relative):
        stem, suffix = match.groups()
        kind, slug = next(key for key, value in TOP_LEVEL.items() if value == stem)
        return FeedFile(cast(FeedKind, kind), slug, suffix_format[suffix])
    if match := _FOLDER_FILE.match(relative):
        folder, slug, suffix = match.groups()
        kind = next(name for name, value in FOLDERS.items() if value == folder)
        if TOP_LEVEL.get((kind, slug)):
            return None  # the News Feed is newsfeed.xml, never tags/news-feed.xml
        return FeedFile(cast(FeedKind, kind), slug, suffix_format[suffix])
    return None


def published_file(relative: str) -> bool:
    """Tell whether a path relative to the output folder ("tags/war.xml") is newsmon's file."""
    # A feed in any format, or one of TOP_FILES: nothing else in the folder is newsmon's.
    return relative in TOP_FILES or feed_file(relative) is not None


def published_folder(relative: str) -> bool:
    """Tell whether a relative path is one of newsmon's feed folders ("tags") or the root ("")."""
    return relative == "" or relative in FOLDERS.values()


def published_feeds(output_dir: Path) -> list[tuple[FeedKind, str]]:
    """(kind, slug) of every feed whose RSS file is in the output folder, in listing order."""
    output_dir = Path(output_dir)
    found: list[tuple[FeedKind, str]] = []
    for (kind, slug), stem in TOP_LEVEL.items():
        if (output_dir / f"{stem}.xml").is_file():
            found.append((cast(FeedKind, kind), slug))
    for folder in FOLDERS.values():
        for path in sorted((output_dir / folder).glob("*.xml")):
            named = feed_file(f"{folder}/{path.name}")
            if named is not None and path.is_file() and not path.name.startswith("."):
                found.append((named.kind, named.slug))
    return found
