"""Publish the store: one RSS/Atom feed pair per monitored listing and the JSON-lines archive.

Feeds are a view of the store (the newest NEWSMON_FEED_SIZE articles of a listing), not of
one run's items, so a run that found nothing new still leaves complete feeds.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from scrapy.settings import BaseSettings

from newsmon.config import NewsmonConfigError, base_url_from_settings, tag_list
from newsmon.publish.feeds import UPDATE_POLICIES, FeedEntry, FeedSpec, write_feeds
from newsmon.publish.jsonlines import append_jsonl, article_record
from newsmon.site import NEWS_FEED_SLUG, SITE_NAME
from newsmon.store import StateStore, StoredVersion

logger = logging.getLogger(__name__)

ARCHIVE_NAME = "articles.jsonl"
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PublishConfig:
    """What publishing needs from the settings, checked once."""

    output_dir: Path
    base_url: str
    feed_base_url: str
    feed_size: int
    update_policy: str
    slugs: tuple[str, ...]

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
        slugs = [NEWS_FEED_SLUG, *tag_list(settings.getlist("NEWSMON_TAGS")), *extra_slugs]
        return cls(
            output_dir=Path(settings.get("NEWSMON_OUTPUT_DIR") or "output"),
            base_url=base_url_from_settings(settings),
            feed_base_url=str(settings.get("NEWSMON_FEED_BASE_URL") or "http://localhost:8080/"),
            feed_size=size,
            update_policy=policy,
            slugs=tuple(dict.fromkeys(slugs)),
        )


@dataclass
class PublishReport:
    """What one publishing pass wrote."""

    feeds: list[Path] = field(default_factory=list)
    exported: int = 0
    skipped: int = 0


def publish(store: StateStore, config: PublishConfig) -> PublishReport:
    """Write every feed from the store, then append unexported versions to the archive."""
    config.output_dir.mkdir(parents=True, exist_ok=True)
    report = PublishReport()
    for slug in config.slugs:
        stored = store.latest_for_feed(slug, config.feed_size)
        spec = feed_spec(slug, config.base_url, stored)
        entries = [feed_entry(version) for version in stored]
        report.feeds.extend(
            write_feeds(
                config.output_dir,
                spec,
                entries,
                feed_base_url=config.feed_base_url,
                update_policy=config.update_policy,
                now=feed_updated(stored),
            )
        )
    report.exported, report.skipped = export_archive(store, config.output_dir / ARCHIVE_NAME)
    return report


def feed_updated(stored: list[StoredVersion]) -> datetime:
    """When a feed's content last changed: the latest store time among its entries.

    This, not the wall clock, is the feed's lastBuildDate/updated, so a store with nothing
    new renders byte-identical feeds: the files are left alone and their ETags (content
    hashes when served) stay the same. An empty feed has never changed: the Unix epoch.
    """
    times = [
        moment
        for version in stored
        for moment in (version.first_seen, version.crawled_at, version.announced_at)
    ]
    return max(times, default=EMPTY_FEED_UPDATED)


def feed_spec(slug: str, base_url: str, stored: list[StoredVersion]) -> FeedSpec:
    """Title, link and description of a listing's feed; a tag is named as the site names it."""
    name = "News Feed" if slug == NEWS_FEED_SLUG else _tag_name(slug, stored)
    return FeedSpec(
        slug=slug,
        title=f"{SITE_NAME} \u2014 {name}",
        site_link=f"{base_url}/tag/{slug}/",
        description=f"Newest articles of {SITE_NAME}'s {name} listing, collected by newsmon.",
    )


def _tag_name(slug: str, stored: list[StoredVersion]) -> str:
    for version in stored:
        slugs = version.item.get("tag_slugs") or []
        names = version.item.get("tags") or []
        if slug in slugs and len(names) == len(slugs):
            return str(names[slugs.index(slug)])
    return slug.replace("-", " ").title()


def feed_entry(stored: StoredVersion) -> FeedEntry:
    """The feed entry of an article's latest stored version."""
    return FeedEntry(
        item=stored.article_item(),
        version=stored.version,
        first_seen=stored.first_seen,
        announced_at=stored.announced_at,
        announced_version=stored.announced_version,
    )


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
                    change="new" if version.version == 1 else "updated",
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
