"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 twins of one feed (a listing or a named filter).

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

from newsmon.publish.atomic import write_if_changed
from newsmon.publish.jsonfeed import JSON_FEED_TYPE, render_json_feed
from newsmon.publish.model import (
    UPDATE_POLICIES,
    FeedEntry,
    FeedSpec,
    require_http_url,
    utc,
)
from newsmon.publish.paths import FORMATS, feed_paths
from newsmon.publish.render import (
    ATOM_TYPE,
    RSS_TYPE,
    Prepared,
    PreparedEntries,
    prepare_all,
    render_atom,
    render_rss,
)

# The feed's model lives in newsmon.publish.model; it is named here too, where writers look.
__all__ = [
    "UPDATE_POLICIES",
    "FeedEntry",
    "FeedSpec",
    "feed_paths",
    "feed_url",
    "render_feed",
    "write_feeds",
]

logger = logging.getLogger(__name__)

# The media type each format is served with (and named with in autodiscovery links).
MEDIA_TYPES: dict[str, str] = {"rss": RSS_TYPE, "atom": ATOM_TYPE, "json": JSON_FEED_TYPE}


def feed_url(feed_base_url: str, output_dir: Path, path: Path) -> str:
    """Public URL of a file under `output_dir`, given the public URL of `output_dir`."""
    require_http_url(feed_base_url, "feed_base_url")
    relative = Path(path).relative_to(Path(output_dir)).as_posix()
    # Without a trailing slash urljoin would drop the last segment of the base path.
    return urljoin(feed_base_url.rstrip("/") + "/", relative)


def render_feed(
    spec: FeedSpec, prepared: Sequence[Prepared], fmt: str, *, self_url: str, now: datetime
) -> bytes:
    """One format ("rss", "atom" or "json") of a feed, from entries `prepare_all` made."""
    if fmt == "rss":
        return render_rss(spec, prepared, self_url=self_url, now=now)
    if fmt == "atom":
        return render_atom(spec, prepared, self_url=self_url, now=now)
    if fmt == "json":
        return render_json_feed(spec, prepared, self_url=self_url)
    raise ValueError(f"feed format must be one of {sorted(FORMATS)}, not {fmt!r}")


def write_feeds(
    output_dir: Path,
    spec: FeedSpec,
    entries: Sequence[FeedEntry],
    *,
    feed_base_url: str,
    update_policy: str = "update",
    now: datetime,
    rewritten: list[Path] | None = None,
    known: PreparedEntries | None = None,
) -> tuple[Path, Path, Path]:
    """Write the RSS feed and its Atom and JSON Feed twins for `spec`, entries newest first.

    Every document is rendered before any file is touched, and each file is replaced
    atomically. Entries whose guid repeats an earlier one are skipped (the first one wins).
    A file that already holds its document is left alone; the ones rewritten are added to
    `rewritten`, when given (what a run changed, for its log line). `known`: the entries the
    publishing pass prepared for its other feeds.
    """
    if update_policy not in UPDATE_POLICIES:
        raise ValueError(f"update_policy must be one of {sorted(UPDATE_POLICIES)}")
    now = utc(now, "now")
    paths = feed_paths(output_dir, spec.slug, spec.kind)
    prepared = prepare_all(entries, update_policy, known)
    documents = [
        (
            path,
            render_feed(
                spec, prepared, fmt, self_url=feed_url(feed_base_url, output_dir, path), now=now
            ),
        )
        for fmt, path in zip(FORMATS, paths, strict=True)
    ]
    written = [path for path, data in documents if write_if_changed(path, data)]
    if rewritten is not None:
        rewritten.extend(written)
    if written:
        logger.debug(
            "wrote %s (%d entries)", ", ".join(path.name for path in written), len(prepared)
        )
    else:
        logger.debug("%s and its twins unchanged", paths[0])
    return paths
