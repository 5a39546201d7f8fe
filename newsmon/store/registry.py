"""The per-crawl registry: one StateStore per crawl, closed when the crawl's engine stops."""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from scrapy import signals

from newsmon.store.state import StateStore

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

# One store per crawl, shared by every component of that crawl (pipelines, extensions,
# middlewares). Weak keys: a finished crawler is not kept alive by this registry.
_CRAWL_STORES: WeakKeyDictionary[Crawler, StateStore] = WeakKeyDictionary()


def get_store(crawler: Crawler) -> StateStore:
    """Return the crawl's shared StateStore, opening it on first use.

    The store stays open until the crawl's `engine_stopped` signal, which Scrapy sends after
    the item pipelines have closed and after every `spider_closed` handler has run, so a
    publishing extension can read the store when the spider closes.
    """
    store = _CRAWL_STORES.get(crawler)
    if store is None:
        store = StateStore.from_settings(crawler.settings)
        _CRAWL_STORES[crawler] = store

        def close_at_engine_stop() -> None:
            close_store(crawler)

        # weak=False: the closure has no other owner and would be collected at once.
        crawler.signals.connect(close_at_engine_stop, signal=signals.engine_stopped, weak=False)
    return store


def close_store(crawler: Crawler) -> None:
    """Close the crawl's shared store now, if it is open (for scripts and tests)."""
    store = _CRAWL_STORES.pop(crawler, None)
    if store is not None:
        store.close()
