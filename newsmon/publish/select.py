"""What goes into a feed: its articles chosen from the store, and what the feed says of itself.

A feed follows a source: a listing (a tag, the News Feed, an author, the archive) or a named
filter over every stored article. A filter (the named feed's, a served URL's, or both) picks
the newest matching articles; without one, the store's indexed query gives them directly.
"""

from __future__ import annotations

from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime

from newsmon.publish.filters import FeedFilter
from newsmon.publish.model import FeedEntry, FeedKind, FeedSpec
from newsmon.site import NEWS_FEED_SLUG, SITE_NAME, author_key, listing_kind
from newsmon.store import StateStore, StoredVersion

EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedSource:
    """Where a feed's articles come from."""

    kind: FeedKind
    slug: str
    listing: str | None
    """The listing key in the store; None for every stored article (a named filter)."""

    filter: FeedFilter = field(default_factory=FeedFilter)
    """A named filter feed's own filter (empty for a listing)."""

    @property
    def tagged(self) -> bool:
        """Whether articles carrying the tag belong to it, beside those found in its listing."""
        return self.kind == "tag"


def listing_source(key: str) -> FeedSource:
    """The source of a listing's feed, by its listing key ("russia", "author/martin", ...)."""
    kind, slug = listing_kind(key)
    return FeedSource(kind, slug, key)  # type: ignore[arg-type]


def feed_source(kind: FeedKind, slug: str, filters: dict[str, FeedFilter]) -> FeedSource | None:
    """The source of a published feed named by kind and slug; None for an unknown filter."""
    if kind == "filter":
        named = filters.get(slug)
        return FeedSource("filter", slug, None, named) if named is not None else None
    key = author_key(slug) if kind == "author" else slug
    return FeedSource(kind, slug, key)


def select(
    store: StateStore,
    source: FeedSource,
    *,
    size: int,
    scan: int,
    narrowed: FeedFilter | None = None,
) -> list[StoredVersion]:
    """The newest articles of a source, filtered by its own filter and then `narrowed`.

    At most the filter's limit, else `size`. A filter looks at the newest `scan` articles of
    the source only: the cost of a request stays bounded however old the store grows.
    """
    wanted = source.filter.merged(narrowed) if narrowed is not None else source.filter
    limit = wanted.limit if wanted.limit is not None else size
    if wanted.selects_all:
        return store.latest_for_feed(source.listing, limit, tagged=source.tagged)
    chosen: list[int] = []
    candidates = store.feed_candidates(source.listing, tagged=source.tagged, scan=scan)
    with closing(candidates):
        for candidate in candidates:
            if wanted.accepts(candidate):
                chosen.append(candidate.version_id)
                if len(chosen) >= limit:
                    break
    return store.versions_by_id(chosen)


def feed_spec(
    source: FeedSource,
    base_url: str,
    stored: list[StoredVersion],
    narrowed: FeedFilter | None = None,
) -> FeedSpec:
    """Title, link and description of a feed; a tag or an author is named as the site names it."""
    kind, slug = source.kind, source.slug
    if kind == "filter":
        name, link = f"{slug}: {source.filter.describe()}", f"{base_url}/"
        about = f"{SITE_NAME}'s articles {source.filter.describe()}"
    elif kind == "archive":
        name, link = "News Archive", f"{base_url}/news-archive/"
        about = f"Newest articles of {SITE_NAME}'s News Archive"
    elif kind == "author":
        name, link = _author_name(slug, stored), f"{base_url}/author/{slug}/"
        about = f"Newest articles of {SITE_NAME} by {name}"
    else:
        name = "News Feed" if slug == NEWS_FEED_SLUG else _tag_name(slug, stored)
        link = f"{base_url}/tag/{slug}/"
        about = f"Newest articles of {SITE_NAME}'s {name} listing"
    title = f"{SITE_NAME} \u2014 {name}"
    if narrowed is not None and not narrowed.selects_all:
        title += f" ({narrowed.describe()})"
        about += f", {narrowed.describe()}"
    return FeedSpec(
        slug=slug,
        title=title,
        site_link=link,
        description=f"{about}, collected by newsmon.",
        kind=kind,
    )


def _tag_name(slug: str, stored: list[StoredVersion]) -> str:
    for version in stored:
        slugs = version.item.get("tag_slugs") or []
        names = version.item.get("tags") or []
        if slug in slugs and len(names) == len(slugs):
            return str(names[slugs.index(slug)])
    return slug.replace("-", " ").title()


def _author_name(slug: str, stored: list[StoredVersion]) -> str:
    """The name the author page's articles share (its slug is not always the name)."""
    names = Counter(
        str(name) for version in stored for name in dict.fromkeys(version.item.get("authors") or [])
    )
    if names:
        # Every article of an author's page carries that author; a co-author fewer of them.
        return names.most_common(1)[0][0]
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
