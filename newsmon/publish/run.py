"""Publish the store: every feed (RSS, Atom and JSON Feed), the front door, the archive.

Feeds are a view of the store (the newest NEWSMON_FEED_SIZE articles of a listing or a named
filter), not of one run's items, so a run that found nothing new still leaves complete feeds.
Every feed already in the output folder is rewritten from the store too, so a tag or an
author walked once stays in step with the articles other listings bring.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.settings import BaseSettings

from newsmon.config import (
    NewsmonConfigError,
    author_list,
    base_url_from_settings,
    feed_base_url_from_settings,
    tag_list,
)
from newsmon.publish.feeds import UPDATE_POLICIES, feed_paths, write_feeds
from newsmon.publish.filters import FeedFilter, FilterError
from newsmon.publish.frontdoor import write_front_door
from newsmon.publish.jsonlines import append_jsonl, article_record
from newsmon.publish.paths import ARCHIVE_NAME, published_feeds
from newsmon.publish.render import PreparedEntries
from newsmon.publish.select import (
    EMPTY_FEED_UPDATED,
    FeedSource,
    feed_entry,
    feed_source,
    feed_spec,
    feed_updated,
    listing_source,
    select,
)
from newsmon.run.wording import counted
from newsmon.site import NEWS_FEED_SLUG, is_listing_key, is_slug
from newsmon.store import StateStore, StoredVersion

__all__ = [
    "ARCHIVE_NAME",
    "EMPTY_FEED_UPDATED",
    "NEWS_FEED_SLUG",
    "PublishConfig",
    "PublishReport",
    "feed_entry",
    "feed_spec",
    "feed_updated",
    "publish",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishConfig:
    """What publishing needs from the settings, checked once."""

    output_dir: Path
    base_url: str
    feed_base_url: str
    feed_size: int
    update_policy: str
    slugs: tuple[str, ...]
    """Listing keys whose feeds every publish writes: the News Feed, NEWSMON_TAGS, the walked."""

    filters: dict[str, FeedFilter] = field(default_factory=dict)
    """Named filter feeds (NEWSMON_FILTER_FEEDS), by name."""

    filter_scan: int = 5000
    """Newest articles a filter looks at (NEWSMON_FILTER_SCAN)."""

    @classmethod
    def from_settings(
        cls, settings: BaseSettings, extra_slugs: Iterable[str] = ()
    ) -> PublishConfig:
        """Read and check the publishing settings; raise NewsmonConfigError if one is bad."""
        policy = str(settings.get("NEWSMON_UPDATE_POLICY", "update"))
        if policy not in UPDATE_POLICIES:
            raise NewsmonConfigError(
                f"NEWSMON_UPDATE_POLICY must be one of {sorted(UPDATE_POLICIES)}, not {policy!r}"
            )
        size = settings.getint("NEWSMON_FEED_SIZE", 50)
        if size < 1:
            raise NewsmonConfigError(f"NEWSMON_FEED_SIZE must be 1 or more, not {size}")
        scan = settings.getint("NEWSMON_FILTER_SCAN", 5000)
        if scan < 1:
            raise NewsmonConfigError(f"NEWSMON_FILTER_SCAN must be 1 or more, not {scan}")
        # Checked by every crawl, as NEWSMON_TAGS is: a typo stops the run before any request,
        # not the next `authors` crawl (an author's feed is written when its page was walked).
        author_list(settings.getlist("NEWSMON_AUTHORS"))
        extra = [key for key in extra_slugs if is_listing_key(key)]
        slugs = [NEWS_FEED_SLUG, *tag_list(settings.getlist("NEWSMON_TAGS")), *extra]
        return cls(
            output_dir=Path(settings.get("NEWSMON_OUTPUT_DIR") or "output"),
            base_url=base_url_from_settings(settings),
            feed_base_url=feed_base_url_from_settings(settings),
            feed_size=size,
            update_policy=policy,
            slugs=tuple(dict.fromkeys(slugs)),
            filters=named_filters(settings, size),
            filter_scan=scan,
        )


def named_filters(settings: BaseSettings, max_limit: int) -> dict[str, FeedFilter]:
    """NEWSMON_FILTER_FEEDS, {"name": "filter=...&filterout=..."}, parsed and checked."""
    try:
        raw = settings.getdict("NEWSMON_FILTER_FEEDS")
    except ValueError as error:
        raise NewsmonConfigError(
            f'NEWSMON_FILTER_FEEDS must be a JSON object like {{"kharkiv": "filter=kharkiv"}}:'
            f" {error}"
        ) from None
    filters: dict[str, FeedFilter] = {}
    for name, query in raw.items():
        if not is_slug(name):
            raise NewsmonConfigError(
                f"NEWSMON_FILTER_FEEDS: {name!r} cannot name a feed file (use a-z, 0-9 and -)"
            )
        if not isinstance(query, str):
            raise NewsmonConfigError(f"NEWSMON_FILTER_FEEDS[{name!r}] must be a query string")
        try:
            filters[name] = FeedFilter.parse(query.lstrip("?"), max_limit=max_limit)
        except FilterError as error:
            raise NewsmonConfigError(f"NEWSMON_FILTER_FEEDS[{name!r}]: {error}") from None
    return filters


@dataclass
class PublishReport:
    """What one publishing pass wrote."""

    feeds: list[Path] = field(default_factory=list)
    rewritten: list[Path] = field(default_factory=list)
    """The feed files whose content changed (the others were left as they were)."""
    exported: int = 0
    skipped: int = 0

    def words(self, output_dir: Path) -> str:
        """What was published, for the log: "9 feed files (2 changed) and 3 archive lines to x"."""
        changed = f"{len(self.rewritten)} changed" if self.rewritten else "none changed"
        return (
            f"{counted(len(self.feeds), 'feed file')} ({changed}) and "
            f"{counted(self.exported, 'archive line')} to {output_dir}"
        )


def publish(store: StateStore, config: PublishConfig, *, front_door: bool = True) -> PublishReport:
    """Write every feed from the store, append to the archive, then the front door.

    The front door is output/index.html and output/feeds.opml; `front_door=False` leaves it
    to the caller (a crawl writes it after the health checks recorded the run).
    """
    config.output_dir.mkdir(parents=True, exist_ok=True)
    report = PublishReport()
    known = PreparedEntries(config.update_policy)
    for source in feed_sources(config):
        stored = select(store, source, size=config.feed_size, scan=config.filter_scan)
        report.feeds.extend(
            write_feeds(
                config.output_dir,
                feed_spec(source, config.base_url, stored),
                [feed_entry(version) for version in stored],
                feed_base_url=config.feed_base_url,
                update_policy=config.update_policy,
                now=feed_updated(stored),
                rewritten=report.rewritten,
                known=known,
            )
        )
    report.exported, report.skipped = export_archive(store, config.output_dir / ARCHIVE_NAME)
    if front_door:
        write_front_door(store, config.output_dir, feed_base_url=config.feed_base_url)
    return report


def feed_sources(config: PublishConfig) -> list[FeedSource]:
    """The feeds to write: configured and walked listings, published ones, named filters.

    A filter no longer in NEWSMON_FILTER_FEEDS loses its files.
    """
    sources = {(s.kind, s.slug): s for s in map(listing_source, config.slugs)}
    for kind, slug in published_feeds(config.output_dir):
        source = feed_source(kind, slug, config.filters)
        if source is None:
            for path in feed_paths(config.output_dir, slug, kind):
                path.unlink(missing_ok=True)
            logger.info("filter feed %r is no longer in NEWSMON_FILTER_FEEDS: removed", slug)
            continue
        sources.setdefault((kind, slug), source)
    for name in config.filters:
        sources.setdefault(("filter", name), FeedSource("filter", name, None, config.filters[name]))
    return list(sources.values())


def export_archive(store: StateStore, path: Path) -> tuple[int, int]:
    """Append every unexported version to the archive; return (exported, skipped).

    Lines are appended first and marked exported after; if a run died in between, the
    archive's last line tells which versions already made it, so none is written twice.
    """
    _reconcile_with_archive(store, path)
    exported = skipped = 0
    batch: list[StoredVersion] = []
    for version in store.pending_exports():
        batch.append(version)
        if len(batch) >= 200:
            done, bad = _export_batch(store, path, batch)
            exported, skipped, batch = exported + done, skipped + bad, []
    if batch:
        done, bad = _export_batch(store, path, batch)
        exported, skipped = exported + done, skipped + bad
    return exported, skipped


def _export_batch(store: StateStore, path: Path, batch: list[StoredVersion]) -> tuple[int, int]:
    records = []
    skipped = 0
    for version in batch:
        try:
            records.append(
                article_record(
                    version.article_item(),
                    change=version.change,
                    version=version.version,
                    first_seen=version.first_seen,
                    crawled_at=version.crawled_at,
                )
            )
        except ValueError as error:
            # Never exportable: say so once and move on rather than block every later run.
            skipped += 1
            logger.error("not exported to %s: %s (%s)", path.name, version.canonical, error)
    append_jsonl(path, records)
    store.mark_exported([version.version_id for version in batch])
    return len(records), skipped


def _reconcile_with_archive(store: StateStore, path: Path) -> None:
    """Mark as exported the pending versions the archive already holds (after a crash)."""
    last = _last_complete_line(path)
    if last is None:
        return
    try:
        record = json.loads(last)
        url, version = record["url"], record["version"]
    except (ValueError, KeyError, TypeError):
        return
    pending = list(_pending_up_to(store, url, version))
    if pending:
        logger.warning(
            "%d version(s) were already in %s from an interrupted run; not writing them again",
            len(pending),
            path.name,
        )
        store.mark_exported(pending)


def _pending_up_to(store: StateStore, url: str, version: int) -> Iterable[int]:
    """Ids of pending versions up to the one that matches the archive's last line."""
    ids: list[int] = []
    for stored in store.pending_exports():
        ids.append(stored.version_id)
        if stored.item.get("url") == url and stored.version == version:
            return ids
    return []


def _last_complete_line(path: Path) -> str | None:
    """The archive's last newline-terminated line, read from the end (the file may be big)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            chunk = min(size, 1 << 20)
            handle.seek(size - chunk)
            tail = handle.read(chunk)
    except FileNotFoundError:
        return None
    end = tail.rfind(b"\n")
    if end <= 0:
        return None
    start = tail.rfind(b"\n", 0, end) + 1
    return tail[start:end].decode("utf-8", errors="replace")
