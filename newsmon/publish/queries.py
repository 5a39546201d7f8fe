"""Served feeds with parameters: (path, query string) -> a feed from the store, with validators.

`/newsfeed.xml?filter=kharkiv&limit=5`, `/authors/martin.json?filterout=opinion`, ... (the
parameters: `newsmon.publish.filters`). The answer is rendered from the store exactly as the
static feed would be (same entries, same renderers, lastBuildDate the content's time), so it
has a stable content hash for an ETag and the content's time for Last-Modified.

This module knows nothing of HTTP connections: the server asks `answer(path, query)` and
sends what it gets (status, body, media type, validators). The store is read by one worker
thread that owns the SQLite connection (a connection belongs to one thread), opened at the
first such request; answers are cached until the store changes (SQLite's data_version).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from scrapy.settings import BaseSettings

from newsmon.publish.feeds import feed_paths, feed_url, render_feed
from newsmon.publish.filters import FeedFilter, FilterError
from newsmon.publish.paths import feed_file
from newsmon.publish.render import prepare_all
from newsmon.publish.run import PublishConfig
from newsmon.publish.select import (
    FeedSource,
    feed_entry,
    feed_source,
    feed_spec,
    feed_updated,
    select,
)
from newsmon.store import StateStore, StateStoreError

logger = logging.getLogger(__name__)

# What each format is served as (the static files get the same from the server's table).
SERVED_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
CACHED_ANSWERS = 128


@dataclass(frozen=True)
class Answer:
    """What to send: a status, a body and its media type, and the body's validators."""

    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    last_modified: float = 0.0
    """The content's time (seconds since the epoch), for Last-Modified."""

    @property
    def digest(self) -> str:
        """sha256 of the body (hex): the ETag's stuff."""
        return hashlib.sha256(self.body).hexdigest()


def refusal(status: int, line: str) -> Answer:
    """A one-line plain-text answer (400, 404, 503)."""
    return Answer(status, (line.rstrip() + "\n").encode("utf-8"))


class FeedQueries:
    """Answer feed URLs that carry a query string, from the store."""

    def __init__(self, config: PublishConfig, state_path: Path) -> None:
        self.config = config
        self.state_path = Path(state_path)
        self._store: StateStore | None = None
        # One thread owns the store's connection; requests wait their turn for it.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsmon-feeds")
        self._cache: OrderedDict[tuple[str, ...], Answer] = OrderedDict()
        self._cache_version: int | None = None

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> FeedQueries:
        """The publishing settings (NEWSMON_FILTER_FEEDS included) and NEWSMON_STATE_PATH."""
        state = str(settings.get("NEWSMON_STATE_PATH") or "state/newsmon.sqlite3")
        return cls(PublishConfig.from_settings(settings), Path(state).expanduser())

    def handles(self, url_path: str, query: str) -> bool:
        """Tell whether a request is this module's: a feed's URL with a query string."""
        return bool(query) and feed_file(unquote(url_path).lstrip("/")) is not None

    def answer(self, url_path: str, query: str) -> Answer:
        """The answer to GET `url_path`?`query` (see `handles`)."""
        relative = unquote(url_path).lstrip("/")
        named = feed_file(relative)
        if named is None:
            return refusal(404, "not found")
        paths = feed_paths(self.config.output_dir, named.slug, named.kind)
        if not paths[0].is_file():
            # Only published feeds take parameters: an unknown author stays a 404.
            return refusal(404, f"no feed {relative} is published here")
        try:
            narrowed = FeedFilter.parse(query, max_limit=self.config.feed_size)
        except FilterError as error:
            return refusal(400, f"bad query: {error}")
        source = feed_source(named.kind, named.slug, self.config.filters)
        if source is None:
            return refusal(404, f"filter feed {named.slug!r} is not in NEWSMON_FILTER_FEEDS")
        key = (relative, narrowed.query())
        return self._worker.submit(self._from_store, key, source, narrowed, named.format).result()

    def close(self) -> None:
        """Close the store (in its own thread) and stop the worker."""
        self._worker.submit(self._close_store).result()
        self._worker.shutdown()

    # --- in the worker thread -------------------------------------------------------------

    def _from_store(
        self, key: tuple[str, ...], source: FeedSource, narrowed: FeedFilter, fmt: str
    ) -> Answer:
        try:
            store = self._open()
            version = store.data_version()
        except (sqlite3.Error, StateStoreError) as error:
            return refusal(503, f"the store cannot be read: {error}")
        if version != self._cache_version:
            self._cache.clear()
            self._cache_version = version
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        try:
            answer = self._render(store, key, source, narrowed, fmt)
        except (sqlite3.Error, StateStoreError) as error:
            logger.error("feed %s?%s could not be read from the store: %s", *key, error)
            return refusal(503, "the store cannot be read just now; try again later")
        self._cache[key] = answer
        while len(self._cache) > CACHED_ANSWERS:
            self._cache.popitem(last=False)
        return answer

    def _render(
        self,
        store: StateStore,
        key: tuple[str, ...],
        source: FeedSource,
        narrowed: FeedFilter,
        fmt: str,
    ) -> Answer:
        config = self.config
        stored = select(
            store, source, size=config.feed_size, scan=config.filter_scan, narrowed=narrowed
        )
        # Links to the site the state was made for, as the static feeds have them.
        site = store.bound_site() or config.base_url
        spec = feed_spec(source, site, stored, narrowed)
        prepared = prepare_all([feed_entry(one) for one in stored], config.update_policy)
        relative, query = key
        self_url = feed_url(config.feed_base_url, config.output_dir, config.output_dir / relative)
        updated = feed_updated(stored)
        if query:
            self_url += f"?{query}"
        body = render_feed(spec, prepared, fmt, self_url=self_url, now=updated)
        return Answer(200, body, SERVED_TYPES[fmt], updated.timestamp())

    def _open(self) -> StateStore:
        """The store, opened at first use; never created (serving writes nothing)."""
        if self._store is None:
            if not self.state_path.is_file():
                raise StateStoreError(
                    f"no state file at {self.state_path} (NEWSMON_STATE_PATH): feeds with"
                    " parameters are read from it"
                )
            self._store = StateStore(self.state_path)
        return self._store

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
