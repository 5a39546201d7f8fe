"""WorkerWalkKeeper: a worker's walks remember nothing between runs and track no articles.

On one machine a listing's walk is complete only once every article it led to was stored
(`newsmon.crawl.walks`), and the walks' memory lives in the state store. A worker keeps no
state file: it knows no article (the shared duplicate filter and the publisher's store dedupe
instead), revisits nothing, walks every listing in full and saves no validators. It also
sees only its share of a walk's articles (the others are fetched by other workers), so it
does not track them: only the listing pages that failed make a walk incomplete, and it knows
every listing a shared queue may hand it, even one its own `start()` did not register (a
worker started with other `-a tags` than the seeder).

The add-on (`newsmon.distributed.addon`) puts it in place of `WalkKeeper` in EXTENSIONS.
"""

from __future__ import annotations

from typing import Any

from scrapy import Spider
from scrapy.http import Response

from newsmon.crawl.keeper import WalkKeeper
from newsmon.crawl.meta import article_key
from newsmon.crawl.walks import ListingWalk, Validators, WalkLedger


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

    def article_seen_after_its_end(self, key: str, slug: str) -> None:
        """Not tracked: another worker may fetch the article."""


class WorkerWalkKeeper(WalkKeeper):
    """WalkKeeper of a Redis worker: no store, every walk full, nothing saved."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ledger = WorkerWalkLedger()

    def start_walk(self, slug: str, url: str, *, force_full: bool) -> ListingWalk:
        """A full walk, always: there are no saved validators to vouch for a shorter one."""
        return self.ledger.start(slug, url, None, force_full=True)

    def known(self, keys: list[str]) -> set[str]:
        """No article is known to a worker."""
        return set()

    def known_ghost_ids(self, ghost_ids: list[str]) -> set[str]:
        """No article is known to a worker."""
        return set()

    def take_validators(self, url: str) -> Validators | None:
        """No validators: a worker's requests are never conditional."""
        return None

    def revisit_urls(self, slugs: list[str], hours: float) -> list[str]:
        """Nothing to revisit without a store."""
        return []

    def page_read(self, slug: str, url: str, validators: Validators) -> None:
        """A page of the walk was read; its validators are not kept (nothing is saved)."""
        self.ledger.page_fetched(slug, url)

    def card_of_known_article(self, key: str, slug: str) -> None:
        """Never called: no article is known (see `known`)."""

    def page_failed(self, key: str, reason: str) -> None:
        """Not remembered: the publisher's store never sees the page (the next crawl asks)."""

    def page_succeeded(self, key: str) -> None:
        """Nothing to forget without a store."""

    def article_missing(self, key: str) -> None:
        """Never called: a worker revisits nothing."""

    def article_answered(self, key: str) -> None:
        """Never called: a worker revisits nothing."""

    def item_stored(self, item: Any, response: Response | None, **kwargs: Any) -> None:
        """The article's request is done; no validators or further URLs are kept."""
        key = article_key(response)
        if key is not None:
            self.ledger.article_done(key)
            self.sightings.settle(key)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Report incomplete walks; there is nothing to save."""
        self.ledger.finish(reason == "finished", reason)
        self.report_incomplete()
