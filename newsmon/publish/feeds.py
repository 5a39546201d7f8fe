"""RSS 2.0 and Atom 1.0 feeds of one listing (the News Feed or a tag), written with feedgen.

Update policy, in short (details on `FeedEntry` and `write_feeds`):

- ``"update"`` (default): an article has one guid for life, its canonical URL. When it is
  updated the feed shows its latest version under the same guid, so feed readers refresh the
  item in place (or ignore the change) and never show the article twice.
- ``"reannounce"``: the same, except for articles the store marked as substantially rewritten
  (``FeedEntry.announced_version > 1``). Those get the guid ``<url>#v<announced_version>``
  (isPermaLink="false") and the announcement time as pubDate, so readers show them once more,
  as a new item. Later small edits keep that guid: only a new announcement changes it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin

from newsmon.publish.atomic import atomic_write_bytes
from newsmon.publish.model import (
    UPDATE_POLICIES,
    FeedEntry,
    FeedSpec,
    require_http_url,
    utc,
    validate_slug,
)
from newsmon.publish.render import prepare_all, render_atom, render_rss
from newsmon.site import NEWS_FEED_SLUG

# The feed's model lives in newsmon.publish.model; it is named here too, where writers look.
__all__ = ["UPDATE_POLICIES", "FeedEntry", "FeedSpec", "feed_paths", "feed_url", "write_feeds"]

logger = logging.getLogger(__name__)


def feed_paths(output_dir: Path, slug: str) -> tuple[Path, Path]:
    """RSS and Atom paths of a listing: news-feed -> newsfeed.xml/.atom, a tag -> tags/<slug>.*."""
    validate_slug(slug)
    output_dir = Path(output_dir)
    if slug == NEWS_FEED_SLUG:
        return output_dir / "newsfeed.xml", output_dir / "newsfeed.atom"
    tags_dir = output_dir / "tags"
    rss, atom = tags_dir / f"{slug}.xml", tags_dir / f"{slug}.atom"
    # The pattern already rules out "/" and "..": this is a second lock on the same door.
    if rss.resolve().parent != tags_dir.resolve() or atom.resolve().parent != tags_dir.resolve():
        raise ValueError(f"feed slug {slug!r} resolves outside {tags_dir}")
    return rss, atom


def feed_url(feed_base_url: str, output_dir: Path, path: Path) -> str:
    """Public URL of a file under `output_dir`, given the public URL of `output_dir`."""
    require_http_url(feed_base_url, "feed_base_url")
    relative = Path(path).relative_to(Path(output_dir)).as_posix()
    # Without a trailing slash urljoin would drop the last segment of the base path.
    return urljoin(feed_base_url.rstrip("/") + "/", relative)


def write_feeds(
    output_dir: Path,
    spec: FeedSpec,
    entries: Sequence[FeedEntry],
    *,
    feed_base_url: str,
    update_policy: str = "update",
    now: datetime,
) -> tuple[Path, Path]:
    """Write the RSS feed and its Atom twin for `spec`, entries in the given order (newest first).

    Both documents are rendered before either file is touched, and each file is replaced
    atomically. Entries whose guid repeats an earlier one are skipped (the first one wins).
    """
    if update_policy not in UPDATE_POLICIES:
        raise ValueError(f"update_policy must be one of {sorted(UPDATE_POLICIES)}")
    now = utc(now, "now")
    rss_path, atom_path = feed_paths(output_dir, spec.slug)
    rss_url = feed_url(feed_base_url, output_dir, rss_path)
    atom_url = feed_url(feed_base_url, output_dir, atom_path)
    prepared = prepare_all(entries, update_policy)
    rss_bytes = render_rss(spec, prepared, self_url=rss_url, now=now)
    atom_bytes = render_atom(spec, prepared, self_url=atom_url, now=now)
    written = [
        path.name
        for path, data in ((rss_path, rss_bytes), (atom_path, atom_bytes))
        if _write_if_changed(path, data)
    ]
    if written:
        logger.debug("wrote %s (%d entries)", " and ".join(written), len(prepared))
    else:
        logger.debug("%s and %s unchanged", rss_path, atom_path)
    return rss_path, atom_path


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Replace `path` atomically unless it already holds `data`; tell whether it wrote.

    An unchanged feed keeps its file, hence its modification time: servers keep answering
    304 to readers' If-Modified-Since, and nothing is rewritten for nothing.
    """
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass  # missing or unreadable: write it
    atomic_write_bytes(path, data)
    return True
