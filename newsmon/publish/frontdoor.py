"""The front door: gather what output/index.html and output/feeds.opml show, and write them.

The feeds are the ones in the output folder, described from their JSON Feed twins (title,
items, newest item): what a subscriber gets, whoever wrote it. The rest comes from the store:
the recent runs (the health checks' run history), the articles per day and the latest ones.
Both files are replaced atomically, and only when their content changed.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from newsmon.extract.normalize.authors import join_byline
from newsmon.publish.atomic import write_if_changed
from newsmon.publish.feeds import MEDIA_TYPES, feed_url
from newsmon.publish.page import (
    CHART_DAYS,
    FeedCard,
    FeedLink,
    FrontPage,
    Headline,
    RunRow,
    render_index,
    render_opml,
)
from newsmon.publish.paths import (
    ARCHIVE_NAME,
    FOLDERS,
    FORMAT_NAMES,
    FORMATS,
    HEALTH_FEED_NAME,
    INDEX_NAME,
    OPML_NAME,
    feed_paths,
    published_feeds,
)
from newsmon.publish.render import RSS_TYPE
from newsmon.site import SITE_NAME
from newsmon.store import StateStore, StoredVersion

logger = logging.getLogger(__name__)

RUNS_SHOWN = 12
LATEST_SHOWN = 15
_KIND_ORDER = {"tag": 0, "archive": 1, "author": 2, "filter": 3}


def write_front_door(store: StateStore, output_dir: Path, *, feed_base_url: str) -> list[Path]:
    """Write index.html and feeds.opml into `output_dir`; return the files that changed."""
    feeds = feed_cards(output_dir, feed_base_url)
    latest = store.latest_for_feed(None, LATEST_SHOWN)
    runs = store.recent_runs(RUNS_SHOWN)
    end = _chart_end(latest, [run.finished_at for run in runs])
    health = (output_dir / HEALTH_FEED_NAME).is_file()
    health_link = FeedLink("RSS", HEALTH_FEED_NAME, RSS_TYPE) if health else None
    page = FrontPage(
        feeds=feeds,
        runs=[
            RunRow(
                finished=run.finished_at,
                spider=run.spider,
                new=run.new_items,
                updated=run.updated_items,
                seconds=(run.finished_at - run.started_at).total_seconds(),
                healthy=run.healthy,
                failed_checks=run.failed_checks,
            )
            for run in runs
        ],
        per_day=store.articles_per_day(
            datetime.combine(end - timedelta(days=CHART_DAYS - 1), datetime.min.time(), UTC)
        ),
        chart_end=end,
        latest=[_headline(version) for version in latest],
        article_count=store.article_count(),
        files=_files(output_dir, health_link),
        health_feed=health_link,
    )
    opml_feeds = list(feeds)
    if health:
        opml_feeds.append(
            FeedCard(
                title="newsmon health",
                kind="health",
                items=0,
                newest=None,
                links=[],
                site_link=feed_url(feed_base_url, output_dir, output_dir / INDEX_NAME),
                url=feed_url(feed_base_url, output_dir, output_dir / HEALTH_FEED_NAME),
            )
        )
    written = []
    for name, data in (
        (INDEX_NAME, render_index(page)),
        (OPML_NAME, render_opml(opml_feeds, title=f"newsmon: {SITE_NAME}")),
    ):
        if write_if_changed(output_dir / name, data):
            written.append(output_dir / name)
    return written


def feed_cards(output_dir: Path, feed_base_url: str) -> list[FeedCard]:
    """Every published feed, described from its JSON Feed twin; listings first, then filters."""
    cards = []
    found = sorted(published_feeds(output_dir), key=lambda pair: _KIND_ORDER.get(pair[0], 9))
    for kind, slug in found:
        paths = feed_paths(output_dir, slug, kind)
        try:
            document: dict[str, Any] = json.loads(paths[2].read_bytes())
            items = document["items"]
            title = str(document["title"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.warning(
                "%s left out of the index: its JSON Feed is unreadable (%s)", paths[0], error
            )
            continue
        relative = [path.relative_to(output_dir).as_posix() for path in paths]
        cards.append(
            FeedCard(
                title=title,
                kind=kind,
                items=len(items),
                newest=_newest(items),
                links=[
                    FeedLink(FORMAT_NAMES[fmt], href, MEDIA_TYPES[fmt])
                    for fmt, href in zip(FORMATS, relative, strict=True)
                ],
                site_link=str(document.get("home_page_url") or ""),
                url=feed_url(feed_base_url, output_dir, paths[0]),
            )
        )
    return cards


def _newest(items: list[Any]) -> datetime | None:
    """The latest date_published among a JSON Feed's items."""
    moments = []
    for item in items:
        try:
            moments.append(datetime.fromisoformat(str(item["date_published"])))
        except (KeyError, TypeError, ValueError):
            continue
    return max(moments, default=None)


def _headline(version: StoredVersion) -> Headline:
    item = version.item
    return Headline(
        title=" ".join(str(item.get("title") or version.canonical).split()),
        url=str(item.get("url") or version.canonical),
        published=version.published,
        byline=join_byline([str(name) for name in item.get("authors") or []]),
    )


def _chart_end(latest: list[StoredVersion], finished: list[datetime]) -> date:
    """The chart's last day: the newest article's or run's, whichever is later.

    Not the clock: publishing an unchanged state must leave the page as it was. A state with
    neither articles nor runs has nothing to chart, and ends today.
    """
    moments = [v.published for v in latest if v.published is not None] + finished
    return max(moments, default=datetime.now(UTC)).astimezone(UTC).date()


def _files(output_dir: Path, health: FeedLink | None) -> list[FeedLink]:
    """The other files and folders worth a link."""
    files = [FeedLink("every feed, for a reader's import", OPML_NAME, "text/x-opml")]
    if (output_dir / ARCHIVE_NAME).is_file():
        files.append(
            FeedLink(
                "the archive, one JSON line per article version",
                ARCHIVE_NAME,
                "application/x-ndjson",
            )
        )
    if health is not None:
        files.append(FeedLink("the health feed", health.href, health.media_type))
    for folder in FOLDERS.values():
        if (output_dir / folder).is_dir():
            files.append(FeedLink(f"the {folder[:-1]} feeds' folder", f"{folder}/", "text/html"))
    return files
