import json
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy.settings import Settings

from newsmon.items import ArticleItem, item_from_json, item_to_json
from newsmon.store import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    StateStore,
    StateStoreError,
    body_fingerprint,
)
from newsmon.store import exports as store_exports
from newsmon.store import schema as store_schema

SITE = "https://kyivindependent.com"
T0 = datetime(2025, 3, 18, 15, 17, tzinfo=UTC)


def body_of(topic: str, words: int = 60) -> str:
    """A synthetic body long enough to be matched across URLs."""
    sentence = f"Officials in Kyiv discussed {topic} with partners on Tuesday."
    paragraphs = []
    count = 0
    while count < words:
        paragraphs.append(sentence)
        count += len(sentence.split())
    return "\n\n".join(paragraphs)


def make_item(slug: str, *, body: str | None = None, **overrides) -> ArticleItem:
    values = {
        "url": f"{SITE}/{slug}/",
        "title": f"Headline of {slug}",
        "authors": ["The Kyiv Independent news desk"],
        "published": T0,
        "modified": T0,
        "tags": ["News Feed", "Russia"],
        "tag_slugs": ["news-feed", "russia"],
        "primary_tag": "News Feed",
        "body": body if body is not None else body_of(slug),
        "listings": ["news-feed"],
    }
    values.update(overrides)
    return ArticleItem(**values)


def record(store: StateStore, item: ArticleItem, now: datetime = T0):
    return store.record(item, canonical=item.url, fingerprint=body_fingerprint(item.body), now=now)


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "newsmon.sqlite3"


@pytest.fixture
def store(state_path: Path):
    with StateStore(state_path) as opened:
        yield opened


# --- outcomes -----------------------------------------------------------------------------


def test_new_then_unchanged(store: StateStore) -> None:
    first = record(store, make_item("a"))
    again = record(store, make_item("a"), now=T0 + timedelta(hours=1))
    assert (first.outcome, first.version) == ("new", 1)
    assert (again.outcome, again.version) == ("unchanged", 1)
    assert again.article_id == first.article_id
    assert again.first_seen == first.first_seen == T0
    assert again.version_id == first.version_id


def test_new_item_is_stamped_and_stored_as_stamped(store: StateStore) -> None:
    item = make_item("a")
    result = record(store, item)
    assert (item.change, item.version, item.first_seen, item.crawled_at) == ("new", 1, T0, T0)
    [stored] = store.versions_of(item.url)
    assert stored.item == item_to_json(item)
    assert stored.version_id == result.version_id


def test_crawled_at_from_the_spider_is_kept(store: StateStore) -> None:
    fetched = T0 - timedelta(minutes=5)
    item = make_item("a", crawled_at=fetched)
    record(store, item)
    assert item.crawled_at == fetched
    assert store.versions_of(item.url)[0].crawled_at == fetched


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"body": body_of("a") + "\n\nA new paragraph was added."}, "updated"),
        ({"modified": T0 + timedelta(hours=2)}, "updated"),
        ({"body": body_of("a"), "modified": T0}, "unchanged"),
        # a headline-only edit with the same body and modified time is not a new version
        ({"title": "Update: a new headline"}, "unchanged"),
        # neither are listing-only or whitespace-only differences
        ({"listings": ["russia"]}, "unchanged"),
        ({"body": body_of("a").replace("\n\n", "\n\n\n")}, "unchanged"),
    ],
)
def test_what_counts_as_an_update(store: StateStore, change: dict, expected: str) -> None:
    record(store, make_item("a"))
    result = record(store, make_item("a", **change), now=T0 + timedelta(hours=3))
    assert result.outcome == expected
    assert result.version == (2 if expected == "updated" else 1)


def test_versions_count_up_and_keep_first_seen(store: StateStore) -> None:
    outcomes = []
    for n in range(4):
        item = make_item("a", body=body_of(f"edit {n}"), modified=T0 + timedelta(hours=n))
        result = record(store, item, now=T0 + timedelta(days=n))
        outcomes.append((result.outcome, result.version, item.change, item.version))
    assert outcomes == [
        ("new", 1, "new", 1),
        ("updated", 2, "updated", 2),
        ("updated", 3, "updated", 3),
        ("updated", 4, "updated", 4),
    ]
    versions = store.versions_of(f"{SITE}/a/")
    assert [v.version for v in versions] == [1, 2, 3, 4]
    assert {v.first_seen for v in versions} == {T0}
    assert versions[-1].item["first_seen"] == T0.isoformat()
    assert versions[-1].item["change"] == "updated"


def test_unchanged_item_is_not_stamped(store: StateStore) -> None:
    record(store, make_item("a"))
    again = make_item("a")
    record(store, again)
    assert (again.change, again.version, again.first_seen) == ("", 0, None)


def test_same_body_at_a_second_url_is_the_same_article(store: StateStore) -> None:
    body = body_of("the same story")
    first = record(store, make_item("original-slug", body=body, listings=["news-feed"]))
    second = record(
        store,
        make_item("renamed-slug", body=body, listings=["russia"]),
        now=T0 + timedelta(hours=1),
    )
    assert second.outcome == "unchanged"
    assert second.article_id == first.article_id
    assert store.is_known(f"{SITE}/renamed-slug/")
    # the second URL now finds the article directly, and listings are merged
    assert store.listings_of(f"{SITE}/renamed-slug/") == ["news-feed", "russia"]
    assert store.listings_of(f"{SITE}/original-slug/") == ["news-feed", "russia"]
    assert len(store.latest_for_feed(None, 10)) == 1


def test_second_url_with_a_body_we_hold_never_makes_a_version(store: StateStore) -> None:
    body = body_of("the same story")
    record(store, make_item("a", body=body))
    later = T0 + timedelta(hours=5)
    # a copy at another URL with another modified time: a copy, not an update
    copy = record(store, make_item("a-copy", body=body, modified=later))
    assert copy.outcome == "unchanged"
    # the article is updated at its own URL; the stale copy must not flip it back
    edited = body + "\n\nCorrection appended."
    assert record(store, make_item("a", body=edited, modified=later)).outcome == "updated"
    assert record(store, make_item("a-copy", body=body, modified=later)).outcome == "unchanged"
    assert record(store, make_item("a", body=edited, modified=later)).outcome == "unchanged"
    assert [v.version for v in store.versions_of(f"{SITE}/a/")] == [1, 2]


def test_short_identical_bodies_are_not_merged(store: StateStore) -> None:
    body = "Watch the video on our YouTube channel."
    assert record(store, make_item("video-one", body=body)).outcome == "new"
    assert record(store, make_item("video-two", body=body)).outcome == "new"


@pytest.mark.parametrize("suffixes", [["", "-2", "-3"], ["-2", "-3"]])
def test_daily_round_ups_stay_separate(store: StateStore, suffixes: list[str]) -> None:
    ids = set()
    for n, suffix in enumerate(suffixes, start=1):
        body = body_of("the daily round-up") + f"\n\nRussia lost {1200 + n} troops over the day."
        result = record(store, make_item(f"russia-ukraine-war-latest{suffix}", body=body))
        assert result.outcome == "new"
        ids.add(result.article_id)
    assert len(ids) == len(suffixes)


def test_fingerprint_is_exact_but_ignores_layout() -> None:
    assert body_fingerprint("One.\n\nTwo.") == body_fingerprint("  One.\n\n\n\nTwo.\u200b ")
    assert body_fingerprint("Lost 1200 troops.") != body_fingerprint("Lost 1201 troops.")
    assert len(body_fingerprint("x")) == 64


# --- rewrites (for the "reannounce" feed policy) -----------------------------------------------


@pytest.mark.parametrize(
    ("new_body", "rewrite"),
    [
        (body_of("a") + "\n\nOne more paragraph with a few more words in it.", False),
        (" ".join(f"rewritten{n}" for n in range(80)), True),
    ],
)
def test_announced_version_moves_only_on_a_rewrite(
    store: StateStore, new_body: str, rewrite: bool
) -> None:
    record(store, make_item("a"))
    later = T0 + timedelta(hours=4)
    record(store, make_item("a", body=new_body), now=later)
    [latest] = store.latest_for_feed(None, 1)
    assert latest.version == 2
    assert (latest.announced_version, latest.announced_at) == ((2, later) if rewrite else (1, T0))


# --- listings and tags -------------------------------------------------------------------------


def test_listings_merge_across_runs_and_add_listings(store: StateStore) -> None:
    record(store, make_item("a", listings=["news-feed"]))
    record(store, make_item("a", listings=["russia", "news-feed"]))
    store.add_listings(f"{SITE}/a/", ["united-states", "russia"])
    store.add_listings(f"{SITE}/unknown/", ["war"])  # ignored: nothing stored there
    assert store.listings_of(f"{SITE}/a/") == ["news-feed", "russia", "united-states"]
    assert not store.is_known(f"{SITE}/unknown/")
    assert store.listings_of(f"{SITE}/unknown/") == []


def test_a_listing_pages_known_cards_are_recorded_together(store: StateStore) -> None:
    record(store, make_item("a", listings=["news-feed"]))
    record(store, make_item("b", listings=[]))
    store.add_to_listing([f"{SITE}/a/", f"{SITE}/unknown/", f"{SITE}/b/", f"{SITE}/a/"], "war")
    assert store.listings_of(f"{SITE}/a/") == ["news-feed", "war"]
    assert store.listings_of(f"{SITE}/b/") == ["war"]
    assert not store.is_known(f"{SITE}/unknown/")


def test_tags_follow_the_latest_version(store: StateStore) -> None:
    record(store, make_item("a", tag_slugs=["news-feed", "russia"], listings=[]))
    assert [v.canonical for v in store.latest_for_feed("russia", 5)] == [f"{SITE}/a/"]
    record(
        store,
        make_item("a", tag_slugs=["news-feed"], listings=[], modified=T0 + timedelta(hours=1)),
    )
    assert store.latest_for_feed("russia", 5) == []


# --- latest_for_feed ---------------------------------------------------------------------------


@pytest.fixture
def feed_store(store: StateStore) -> StateStore:
    """Five articles: published times, listings and tags chosen to test order and filters."""
    rows = [
        # slug, published offset (hours), first-seen offset, listings, tag slugs
        ("old", 0, 0, ["news-feed"], ["news-feed"]),
        ("newest", 5, 1, ["news-feed"], ["news-feed", "russia"]),
        ("tie-early", 3, 2, ["russia"], ["war"]),
        ("tie-late", 3, 3, ["news-feed"], ["war"]),
        ("tagged-only", 1, 4, [], ["united-states"]),
    ]
    for slug, published, seen, listings, tags in rows:
        item = make_item(
            slug,
            published=T0 + timedelta(hours=published),
            modified=T0 + timedelta(hours=published),
            listings=listings,
            tag_slugs=tags,
        )
        record(store, item, now=T0 + timedelta(days=seen))
    return store


def slugs_of(versions) -> list[str]:
    return [v.canonical.rstrip("/").rsplit("/", 1)[-1] for v in versions]


@pytest.mark.parametrize(
    ("slug", "limit", "expected"),
    [
        (None, 10, ["newest", "tie-late", "tie-early", "tagged-only", "old"]),
        (None, 2, ["newest", "tie-late"]),
        (None, 0, []),
        ("news-feed", 10, ["newest", "tie-late", "old"]),
        ("russia", 10, ["newest", "tie-early"]),  # one by tag, one by listing
        ("war", 10, ["tie-late", "tie-early"]),
        ("united-states", 10, ["tagged-only"]),
        ("war", 1, ["tie-late"]),
        ("no-such-tag", 10, []),
    ],
)
def test_latest_for_feed_order_limit_and_filter(
    feed_store: StateStore, slug: str | None, limit: int, expected: list[str]
) -> None:
    assert slugs_of(feed_store.latest_for_feed(slug, limit)) == expected


def test_latest_for_feed_gives_the_latest_version(store: StateStore) -> None:
    record(store, make_item("a", title="First headline"))
    record(
        store,
        make_item("a", title="Update: second headline", modified=T0 + timedelta(hours=1)),
        now=T0 + timedelta(hours=1),
    )
    [entry] = store.latest_for_feed("news-feed", 10)
    assert (entry.version, entry.item["title"]) == (2, "Update: second headline")
    assert (entry.first_seen, entry.published) == (T0, T0)
    assert entry.article_item().title == "Update: second headline"


def test_articles_without_published_sort_last(store: StateStore) -> None:
    record(store, make_item("undated", published=None), now=T0 + timedelta(days=9))
    record(store, make_item("dated"))
    assert slugs_of(store.latest_for_feed(None, 10)) == ["dated", "undated"]


# --- exports -----------------------------------------------------------------------------------


def test_pending_exports_then_mark_exported(store: StateStore) -> None:
    record(store, make_item("a"))
    record(store, make_item("b"))
    record(store, make_item("a", modified=T0 + timedelta(hours=1)))
    pending = list(store.pending_exports())
    assert [(slugs_of([p])[0], p.version) for p in pending] == [("a", 1), ("b", 1), ("a", 2)]
    assert [p.version_id for p in pending] == sorted(p.version_id for p in pending)
    assert not any(p.exported for p in pending)
    store.mark_exported([pending[0].version_id, pending[1].version_id])
    assert [p.version_id for p in store.pending_exports()] == [pending[2].version_id]
    store.mark_exported([pending[2].version_id])
    assert list(store.pending_exports()) == []
    # an unchanged re-crawl adds nothing to export
    record(store, make_item("b"))
    assert list(store.pending_exports()) == []
    assert all(v.exported for v in store.versions_of(f"{SITE}/a/"))


def test_pending_exports_pages_and_tolerates_marking_while_iterating(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_exports, "EXPORT_BATCH", 2)
    for n in range(5):
        record(store, make_item(f"s{n}"))
    seen = []
    for version in store.pending_exports():
        seen.append(slugs_of([version])[0])
        store.mark_exported([version.version_id])
    assert seen == ["s0", "s1", "s2", "s3", "s4"]
    assert list(store.pending_exports()) == []


# --- durability, reopening, migrations, foreign files ------------------------------------------


def test_reopen_after_close_keeps_everything(state_path: Path) -> None:
    with StateStore(state_path) as first:
        record(first, make_item("a", listings=["news-feed"]))
        record(first, make_item("a", modified=T0 + timedelta(hours=1), listings=["russia"]))
        first.mark_exported([v.version_id for v in first.versions_of(f"{SITE}/a/")][:1])
        first.save_listing_validators(f"{SITE}/tag/news-feed/", '"etag-1"', "Tue, 18 Mar 2025")
    with StateStore(state_path) as second:
        assert second.is_known(f"{SITE}/a/")
        assert [v.version for v in second.versions_of(f"{SITE}/a/")] == [1, 2]
        assert second.listings_of(f"{SITE}/a/") == ["news-feed", "russia"]
        assert [p.version for p in second.pending_exports()] == [2]
        assert second.listing_validators(f"{SITE}/tag/news-feed/") == (
            '"etag-1"',
            "Tue, 18 Mar 2025",
        )
        assert record(second, make_item("a", modified=T0 + timedelta(hours=1))).outcome == (
            "unchanged"
        )


def test_file_is_marked_as_newsmon_state(state_path: Path) -> None:
    StateStore(state_path).close()
    conn = sqlite3.connect(state_path)
    try:
        pragmas = [
            conn.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("application_id", "user_version", "journal_mode")
        ]
    finally:
        conn.close()
    assert pragmas == [APPLICATION_ID, SCHEMA_VERSION, "wal"]


def test_from_settings_creates_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "state.sqlite3"
    with StateStore.from_settings(Settings({"NEWSMON_STATE_PATH": str(path)})) as opened:
        assert not opened.is_known(f"{SITE}/a/")
    assert path.is_file()


def test_from_settings_refuses_an_empty_path() -> None:
    with pytest.raises(StateStoreError, match="NEWSMON_STATE_PATH"):
        StateStore.from_settings(Settings({"NEWSMON_STATE_PATH": ""}))


def test_migrates_forward_from_an_older_schema(
    state_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Write a file as the first schema step left it, with an article in it.
    with monkeypatch.context() as patch:
        patch.setattr(store_schema, "MIGRATIONS", store_schema.MIGRATIONS[:1])
        patch.setattr(store_schema, "SCHEMA_VERSION", 1)
        with StateStore(state_path) as old:
            record(old, make_item("a"))
            assert old._connection().execute("PRAGMA user_version").fetchone()[0] == 1
    with StateStore(state_path) as current:
        assert current._connection().execute("PRAGMA user_version").fetchone()[0] == (
            SCHEMA_VERSION
        )
        assert current.is_known(f"{SITE}/a/")
        current.save_listing_validators("u", "e", None)  # table added by step 2
        assert current.listing_validators("u") == ("e", None)


def test_applies_only_missing_steps_in_order(
    state_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    StateStore(state_path).close()
    extra = (
        "CREATE TABLE step_a (x)",
        "INSERT INTO step_a VALUES ('a')",
    )
    extra_b = ("INSERT INTO step_a VALUES ('b')",)
    monkeypatch.setattr(store_schema, "MIGRATIONS", [*store_schema.MIGRATIONS, extra, extra_b])
    monkeypatch.setattr(store_schema, "SCHEMA_VERSION", SCHEMA_VERSION + 2)
    for _ in range(2):  # the second open finds nothing to do
        with StateStore(state_path) as migrated:
            conn = migrated._connection()
            assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 2
            assert [r[0] for r in conn.execute("SELECT x FROM step_a")] == ["a", "b"]


def test_failed_migration_step_leaves_the_previous_schema(
    state_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    StateStore(state_path).close()
    broken = ("CREATE TABLE half_done (x)", "THIS IS NOT SQL")
    monkeypatch.setattr(store_schema, "MIGRATIONS", [*store_schema.MIGRATIONS, broken])
    monkeypatch.setattr(store_schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StateStoreError):
        StateStore(state_path)
    conn = sqlite3.connect(state_path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()
    assert "half_done" not in tables


def snapshot(path: Path) -> tuple[bytes, int, list[str]]:
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(p.name for p in path.parent.iterdir())


def sqlite_file(*statements: str):
    """A maker of a SQLite file built by `statements`."""

    def make(path: Path) -> None:
        conn = sqlite3.connect(path)
        try:
            for statement in statements:
                conn.execute(statement)
            conn.commit()
        finally:
            conn.close()

    return make


foreign_sqlite = sqlite_file(
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)",
    "INSERT INTO customers (name) VALUES ('Ann')",
)
newer_newsmon = sqlite_file(
    f"PRAGMA application_id = {APPLICATION_ID}",
    f"PRAGMA user_version = {SCHEMA_VERSION + 1}",
    "CREATE TABLE article (id INTEGER PRIMARY KEY)",
)
other_app_id = sqlite_file("PRAGMA application_id = 1234", "CREATE TABLE t (x)")


def text_file(path: Path) -> None:
    path.write_text("url,title\nhttps://kyivindependent.com/a/,A\n")


def binary_junk(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (foreign_sqlite, "not newsmon's state"),
        (other_app_id, "not newsmon's state"),
        (newer_newsmon, "newer newsmon"),
        (text_file, "not a SQLite database"),
        (binary_junk, "not a SQLite database"),
    ],
)
def test_foreign_files_are_refused_and_left_untouched(state_path: Path, make, message: str) -> None:
    state_path.parent.mkdir(parents=True)
    make(state_path)
    before = snapshot(state_path)
    with pytest.raises(StateStoreError, match=message) as raised:
        StateStore(state_path)
    assert "NEWSMON_STATE_PATH" in str(raised.value)  # says how to recover
    assert snapshot(state_path) == before


def test_empty_file_becomes_a_new_store(state_path: Path) -> None:
    state_path.parent.mkdir(parents=True)
    state_path.touch()
    with StateStore(state_path) as opened:
        assert record(opened, make_item("a")).outcome == "new"


def test_a_folder_as_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StateStoreError, match="folder"):
        StateStore(tmp_path)


def test_closed_store_says_so(state_path: Path) -> None:
    opened = StateStore(state_path)
    opened.close()
    opened.close()  # twice is fine
    with pytest.raises(StateStoreError, match="closed"):
        opened.is_known(f"{SITE}/a/")


def test_failure_mid_record_rolls_back(store: StateStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args, **kwargs):
        raise RuntimeError("crash while writing the version")

    monkeypatch.setattr(StateStore, "_insert_version", staticmethod(explode))
    with pytest.raises(RuntimeError):
        record(store, make_item("a"))
    monkeypatch.undo()
    assert not store.is_known(f"{SITE}/a/")
    assert record(store, make_item("a")).outcome == "new"


def test_two_stores_on_one_file_share_state(state_path: Path) -> None:
    """The newsfeed and tags crawls may each open the file; they must see one archive."""
    with StateStore(state_path) as newsfeed, StateStore(state_path) as tags:
        assert record(newsfeed, make_item("a", listings=["news-feed"])).outcome == "new"
        assert record(tags, make_item("a", listings=["russia"])).outcome == "unchanged"
        assert newsfeed.listings_of(f"{SITE}/a/") == ["news-feed", "russia"]


def test_naive_datetimes_are_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        record(store, make_item("a", published=datetime(2025, 3, 18, 15, 17)))
    with pytest.raises(ValueError, match="naive"):
        record(store, make_item("b"), now=datetime(2025, 3, 18))


def test_listing_validators(store: StateStore) -> None:
    url = f"{SITE}/tag/russia/"
    assert store.listing_validators(url) == (None, None)
    store.save_listing_validators(url, '"v1"', None)
    store.save_listing_validators(url, '"v2"', "Wed, 19 Mar 2025 10:00:00 GMT")
    assert store.listing_validators(url) == ('"v2"', "Wed, 19 Mar 2025 10:00:00 GMT")


def test_an_articles_validators_are_kept_with_it(store: StateStore) -> None:
    def keep(item: ArticleItem, validators: tuple[str | None, str | None], hours: int) -> str:
        return store.record(
            item,
            canonical=item.url,
            fingerprint=body_fingerprint(item.body),
            now=T0 + timedelta(hours=hours),
            validators=validators,
        ).outcome

    url = f"{SITE}/a/"
    assert keep(make_item("a", ghost_id=GHOST_ID), ('"v1"', None), 0) == "new"
    assert store.listing_validators(url) == ('"v1"', None)
    assert keep(make_item("a"), ('"v2"', "Wed, 19 Mar 2025 10:00:00 GMT"), 1) == "unchanged"
    assert store.listing_validators(url) == ('"v2"', "Wed, 19 Mar 2025 10:00:00 GMT")
    # The same body at another URL: kept under that URL, the one asked for.
    assert keep(make_item("a-copy", body=body_of("a")), ('"c1"', None), 2) == "unchanged"
    assert store.listing_validators(f"{SITE}/a-copy/") == ('"c1"', None)
    # An update reached at another URL: kept under the URL the article is stored at, which
    # its revisits ask for.
    moved = make_item("a-moved", ghost_id=GHOST_ID, body=body_of("a changed story"))
    assert keep(moved, ('"v3"', None), 3) == "updated"
    assert store.listing_validators(url) == ('"v3"', None)
    assert store.listing_validators(f"{SITE}/a-moved/") == (None, None)
    # A page without validators leaves the last ones; an article never stored has none.
    assert keep(make_item("a", body=body_of("a changed story")), (None, None), 4) == "unchanged"
    assert store.listing_validators(url) == ('"v3"', None)
    with pytest.raises(ValueError, match="naive"):
        store.record(
            make_item("b", published=datetime(2025, 3, 18)),
            canonical=f"{SITE}/b/",
            fingerprint=body_fingerprint(body_of("b")),
            now=T0,
            validators=('"b1"', None),
        )
    assert store.listing_validators(f"{SITE}/b/") == (None, None)


# --- memory stays flat: every query is indexed -------------------------------------------------


def test_no_query_scans_a_whole_table(store: StateStore) -> None:
    statements: list[str] = []
    conn = store._connection()
    conn.set_trace_callback(statements.append)
    try:
        for n in range(3):
            record(store, make_item(f"s{n}", listings=["news-feed", "russia"]))
        record(store, make_item("s0"))  # unchanged
        record(store, make_item("s1", modified=T0 + timedelta(hours=1)))  # updated
        record(store, make_item("s0-copy", body=body_of("s0")))  # found by body
        record(store, make_item("short", body="Too short to match."))
        store.add_listings(f"{SITE}/s0/", ["war"])
        store.is_known(f"{SITE}/s0/")
        store.listings_of(f"{SITE}/s0/")
        store.versions_of(f"{SITE}/s0/")
        store.latest_for_feed(None, 2)
        store.latest_for_feed("russia", 2)
        pending = [p.version_id for p in store.pending_exports()]
        store.mark_exported(pending)
        store.save_listing_validators("u", "e", None)
        store.listing_validators("u")
    finally:
        conn.set_trace_callback(None)
    queries = {s for s in statements if s.split()[0].upper() in {"SELECT", "UPDATE", "DELETE"}}
    assert len(queries) > 10
    for query in sorted(queries):
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + query)]
        full_scans = [step for step in plan if step.startswith("SCAN") and "INDEX" not in step]
        assert not full_scans, f"{query}\n -> {plan}"


def test_pending_exports_reads_in_batches(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_exports, "EXPORT_BATCH", 3)
    for n in range(7):
        record(store, make_item(f"s{n}"))
    statements: list[str] = []
    store._connection().set_trace_callback(statements.append)
    assert len(list(store.pending_exports())) == 7
    selects = [s for s in statements if s.startswith("SELECT")]
    assert len(selects) == 3  # 3 + 3 + 1 rows: never the whole table at once
    assert all(s.rstrip().endswith("LIMIT 3") for s in selects)


# --- serialization -------------------------------------------------------------------------------


def test_item_json_round_trip() -> None:
    item = make_item(
        "a",
        first_seen=T0,
        crawled_at=T0 + timedelta(seconds=1.5),
        related=[f"{SITE}/b/"],
        word_count=12,
    )
    data = item_to_json(item)
    assert data["published"] == "2025-03-18T15:17:00+00:00"
    assert data["crawled_at"] == "2025-03-18T15:17:01.500000+00:00"
    assert json.loads(json.dumps(data)) == data
    assert item_from_json(data) == item


def test_item_from_json_ignores_unknown_keys_and_fills_defaults() -> None:
    item = item_from_json({"url": f"{SITE}/a/", "title": "A", "future_field": 1})
    assert (item.url, item.title, item.published, item.tags) == (f"{SITE}/a/", "A", None, [])


# --- the Ghost post id: a second identity (issue 17) --------------------------------------

GHOST_ID = "6b096ee0ac973a1edd6894e3"


def test_an_article_is_recognised_by_its_ghost_id_at_another_url(store: StateStore) -> None:
    first = record(store, make_item("a", ghost_id=GHOST_ID))
    assert store.known_ghost_ids([GHOST_ID, "0" * 24, ""]) == {GHOST_ID}
    # Another URL (say the site moved it), a changed body: the same article, a new version.
    moved = make_item("a-moved", ghost_id=GHOST_ID, body=body_of("a changed story"))
    again = record(store, moved, now=T0 + timedelta(hours=1))
    assert (again.outcome, again.article_id, again.version) == ("updated", first.article_id, 2)
    assert store.known_urls([f"{SITE}/a/", f"{SITE}/a-moved/"]) == {
        f"{SITE}/a/",
        f"{SITE}/a-moved/",
    }
    # Without the id, another body at another URL is another article.
    other = record(store, make_item("b", body=body_of("b")))
    assert other.article_id != first.article_id


def test_a_further_url_and_the_publication_times_of_urls(store: StateStore) -> None:
    record(store, make_item("a"))
    store.add_url(f"{SITE}/national/a/", f"{SITE}/a/")
    store.add_url(f"{SITE}/unknown-alias/", f"{SITE}/not-stored/")  # nothing to attach it to
    assert store.known_urls([f"{SITE}/national/a/", f"{SITE}/unknown-alias/"]) == {
        f"{SITE}/national/a/"
    }
    assert store.published_of([f"{SITE}/national/a/", f"{SITE}/a/", f"{SITE}/b/"]) == {
        f"{SITE}/national/a/": T0,
        f"{SITE}/a/": T0,
    }


# --- batched commits (a crawl's StorePipeline batches its writes) ------------------------------


def committed_articles(state_path: Path) -> int:
    """Articles another connection sees: only what is committed."""
    with sqlite3.connect(f"file:{state_path}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COUNT(*) FROM article").fetchone()[0])


def test_batched_writes_commit_together(state_path: Path) -> None:
    with StateStore(state_path) as store:
        store.start_batching(max_writes=3, max_seconds=3600)
        for slug in ("a", "b"):
            assert record(store, make_item(slug)).outcome == "new"
        # The crawl's own connection sees its batch; nobody else does yet.
        assert store.is_known(f"{SITE}/b/")
        assert committed_articles(state_path) == 0
        record(store, make_item("c"))  # the third write commits the batch
        assert committed_articles(state_path) == 3
        record(store, make_item("d"))
        assert not store.batch_due()
        store.stop_batching()
        assert committed_articles(state_path) == 4
        record(store, make_item("e"))  # not batching: committed at once
        assert committed_articles(state_path) == 5


def test_a_batch_older_than_its_time_limit_is_due(state_path: Path) -> None:
    with StateStore(state_path) as store:
        store.start_batching(max_writes=100, max_seconds=0.05)
        record(store, make_item("a"))
        time.sleep(0.1)
        assert store.batch_due()
        store.commit_batch()
        assert committed_articles(state_path) == 1 and not store.batch_due()


def test_a_failed_write_in_a_batch_undoes_itself_only(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.start_batching(max_writes=100, max_seconds=3600)
    record(store, make_item("a"))

    def explode(*args, **kwargs):
        raise RuntimeError("crash while writing the version")

    monkeypatch.setattr(StateStore, "_insert_version", staticmethod(explode))
    with pytest.raises(RuntimeError):
        record(store, make_item("b"))
    monkeypatch.undo()
    assert store.is_known(f"{SITE}/a/") and not store.is_known(f"{SITE}/b/")
    store.stop_batching()
    assert record(store, make_item("b")).outcome == "new"


def test_a_killed_process_loses_only_its_open_batch(state_path: Path) -> None:
    script = f"""
import os, signal, sys
sys.path.insert(0, {str(Path(__file__).parent.parent)!r})
from tests.test_store import StateStore, make_item, record
store = StateStore({str(state_path)!r})
store.start_batching(max_writes=4, max_seconds=3600)
for slug in "abcdef":
    record(store, make_item(slug))
os.kill(os.getpid(), signal.SIGKILL)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    # The first batch of four is there, whole; the two writes after it are not.
    assert committed_articles(state_path) == 4
    with sqlite3.connect(state_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with StateStore(state_path) as store:
        assert store.is_known(f"{SITE}/d/") and not store.is_known(f"{SITE}/e/")
