"""The spider's walk bookkeeping on a worker: a walk's articles may be fetched anywhere.

On one machine a listing's walk is complete only once every article it led to was stored
(`newsmon.crawl.walks`). A worker sees only its share of those articles (the others are
fetched by other workers), so it would report every walk incomplete, with a warning per
listing. Workers save no validators (they keep no state), so completeness vouches for
nothing there: this ledger ignores articles and reports only the listing pages that failed.
It also knows every listing a shared queue may hand the worker, even one its own `start()`
did not register (a worker started with other `-a tags` than the seeder).
"""

from __future__ import annotations

from typing import Any

from newsmon.crawl.walks import ListingWalk, WalkLedger


class _Walks(dict[str, ListingWalk]):
    """Walks by slug; a listing not registered yet gets a full walk on first use."""

    def __missing__(self, slug: str) -> ListingWalk:
        walk = ListingWalk(slug=slug, entry_url="", entry_validators=None, full=True)
        self[slug] = walk
        return walk


class WorkerWalkLedger(WalkLedger):
    """WalkLedger that does not track articles: only listing failures make a walk incomplete."""

    def __init__(self) -> None:
        super().__init__()
        self.walks = _Walks()

    def article_requested(self, key: str, slug: str) -> None:
        """Not tracked: another worker may fetch the article."""


def install(spider: Any) -> None:
    """Give a listing spider the worker ledger (before its `start()` registers the walks)."""
    if isinstance(getattr(spider, "ledger", None), WalkLedger):
        spider.ledger = WorkerWalkLedger()
