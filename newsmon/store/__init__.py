"""The state store: every article newsmon has seen, its versions, listings and exports.

One SQLite file (NEWSMON_STATE_PATH). Every lookup is an indexed query and every write a short
transaction, so memory stays flat as the archive grows and a crash loses at most the item in
flight. The schema is versioned with `PRAGMA user_version` and migrated forward in steps; the
file is marked as newsmon's with `PRAGMA application_id`, so a foreign file is refused, never
overwritten.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.settings import BaseSettings

from newsmon.extract.normalize.text import clean_block_text
from newsmon.items import ArticleItem
from newsmon.serialize import item_from_json, item_to_json

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

# "nsmn" in ASCII: written in the SQLite header so a newsmon file can be told from any other.
APPLICATION_ID = 0x6E736D6E
SQLITE_HEADER = b"SQLite format 3\x00"

# How long a writer waits for another one (the `newsfeed` and `tags` crawls may share a file).
BUSY_TIMEOUT_SECONDS = 30.0
# Below this many words a body is too generic ("Watch the video.") to prove that two URLs are
# one article, so such bodies are matched by URL only.
BODY_MATCH_MIN_WORDS = 30
# An update whose body keeps less than this share of the previous wording (difflib ratio over
# words) is a rewrite: the store moves `announced_version` to it, for the "reannounce" policy.
REWRITE_SIMILARITY = 0.5
# Rows fetched per query while iterating pending exports: bounded memory, no cursor held open.
EXPORT_BATCH = 200

Outcome = Literal["new", "updated", "unchanged"]

# Forward-only schema steps; step N brings `user_version` from N-1 to N. Never edit a released
# step: add a new one.
MIGRATIONS: list[tuple[str, ...]] = [
    # 1: articles, the URLs they were found at, listings, tags, versions.
    (
        f"PRAGMA application_id = {APPLICATION_ID}",
        """CREATE TABLE article (
            id INTEGER PRIMARY KEY,
            canonical_url TEXT NOT NULL UNIQUE,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            published TEXT,
            latest_version INTEGER NOT NULL,
            announced_version INTEGER NOT NULL DEFAULT 1,
            announced_at TEXT NOT NULL
        )""",
        # Feeds read the newest articles first; this index makes that a bounded index walk.
        "CREATE INDEX article_feed_order ON article (published DESC, first_seen DESC, id DESC)",
        # Every canonical URL an article was stored under: its own, plus any second URL that
        # carried the same body.
        """CREATE TABLE article_url (
            url TEXT PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES article (id) ON DELETE CASCADE
        ) WITHOUT ROWID""",
        "CREATE INDEX article_url_article ON article_url (article_id)",
        """CREATE TABLE article_listing (
            article_id INTEGER NOT NULL REFERENCES article (id) ON DELETE CASCADE,
            slug TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            PRIMARY KEY (article_id, slug)
        ) WITHOUT ROWID""",
        "CREATE INDEX article_listing_slug ON article_listing (slug, article_id)",
        """CREATE TABLE article_tag (
            article_id INTEGER NOT NULL REFERENCES article (id) ON DELETE CASCADE,
            slug TEXT NOT NULL,
            PRIMARY KEY (article_id, slug)
        ) WITHOUT ROWID""",
        "CREATE INDEX article_tag_slug ON article_tag (slug, article_id)",
        # AUTOINCREMENT: version ids are never reused, so they are a safe export sequence.
        """CREATE TABLE version (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            article_id INTEGER NOT NULL REFERENCES article (id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,
            modified TEXT,
            crawled_at TEXT NOT NULL,
            item_json TEXT NOT NULL,
            exported_at TEXT,
            UNIQUE (article_id, version)
        )""",
        "CREATE INDEX version_fingerprint ON version (fingerprint)",
        # Partial index: finding what to export costs the pending rows, not the archive.
        "CREATE INDEX version_pending ON version (id) WHERE exported_at IS NULL",
    ),
    # 2: ETag / Last-Modified per listing URL, for conditional requests.
    (
        """CREATE TABLE listing_validator (
            url TEXT PRIMARY KEY,
            etag TEXT,
            last_modified TEXT,
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID""",
    ),
    # 3: run health: each run's figures (baselines are learned from the healthy ones), the
    # events the health feed shows, and the items held back as broken.
    (
        """CREATE TABLE health_run (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            spider TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            healthy INTEGER NOT NULL,
            new_items INTEGER NOT NULL,
            metrics_json TEXT NOT NULL,
            failures_json TEXT NOT NULL
        )""",
        "CREATE INDEX health_run_spider ON health_run (spider, id)",
        """CREATE TABLE health_event (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            spider TEXT NOT NULL,
            check_name TEXT NOT NULL,
            field TEXT NOT NULL,
            message TEXT NOT NULL,
            example_url TEXT NOT NULL
        )""",
        """CREATE TABLE quarantine (
            url TEXT PRIMARY KEY,
            spider TEXT NOT NULL,
            reasons TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            times INTEGER NOT NULL,
            item_json TEXT NOT NULL
        ) WITHOUT ROWID""",
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)


class StateStoreError(RuntimeError):
    """The state file cannot be used; the message says why and how to recover."""


@dataclass(frozen=True)
class RecordResult:
    """What `StateStore.record` made of one item."""

    outcome: Outcome
    """"new", "updated" (a new version was stored) or "unchanged" (nothing new)."""

    version: int
    """The article's latest version number after recording (1 for a new article)."""

    first_seen: datetime
    """When the article was first stored, in UTC."""

    article_id: int
    """The article's row id."""

    version_id: int
    """Row id of the article's latest version: the export sequence number."""


@dataclass(frozen=True)
class StoredVersion:
    """One stored version of an article, with what the store knows about the article."""

    version_id: int
    """Row id of the version; increases with every stored version (export order)."""

    article_id: int
    """The article's row id."""

    canonical: str
    """The canonical URL the article was first stored under."""

    version: int
    """Version number: 1, 2, ..."""

    item: dict[str, Any]
    """The item as stored (`item_to_json` form, change/version/first_seen set)."""

    first_seen: datetime
    """When the article was first stored, in UTC."""

    published: datetime | None
    """The article's publication time (of its latest version), in UTC."""

    crawled_at: datetime
    """When this version's page was fetched, in UTC."""

    announced_version: int
    """The version readers were last told about as new: 1, or a later substantial rewrite."""

    announced_at: datetime
    """When `announced_version` was stored, in UTC."""

    exported: bool
    """Whether this version was already written to the JSON-lines archive."""

    def article_item(self) -> ArticleItem:
        """Return the stored item as an ArticleItem."""
        return item_from_json(self.item)


# Run history kept per spider and health events kept in all: enough for baselines and a feed,
# bounded so a monitor that runs every few minutes for years keeps a small file.
HEALTH_RUNS_KEPT = 1000
HEALTH_EVENTS_KEPT = 1000


@dataclass(frozen=True)
class HealthRunRecord:
    """One finished run as the health checks remember it."""

    spider: str
    started_at: datetime
    finished_at: datetime
    healthy: bool
    """No health check failed."""

    new_items: int
    """Articles stored as new by this run."""

    metrics: dict[str, tuple[int, int]]
    """The run's figures: name -> (count, out of) (see `newsmon.health.checks`)."""

    failures: list[dict[str, Any]]
    """The failed checks, as `HealthFailure.to_json` dicts."""


@dataclass(frozen=True)
class HealthEventRecord:
    """One entry of the health feed: a failed check, or a recovery."""

    at: datetime
    spider: str
    check: str
    field: str
    message: str
    example_url: str
    event_id: int = 0
    """Row id (0 for an event not stored yet)."""


def to_db_time(value: datetime) -> str:
    """Format an aware datetime as fixed-width ISO 8601 UTC, so text order is time order."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: newsmon stores timezone-aware times only")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _opt_db_time(value: datetime | None) -> str | None:
    """Format an optional aware datetime with `to_db_time`."""
    return None if value is None else to_db_time(value)


def _from_db_time(value: str) -> datetime:
    """Parse a time written by `to_db_time`."""
    return datetime.fromisoformat(value)


def body_fingerprint(body: str) -> str:
    """Return the sha256 (hex) of the normalized body: the identity of an article's content."""
    # Normalizing again (idempotent after CleanPipeline) keeps the key stable for any caller:
    # only a change a reader could see changes the fingerprint. Exact, not fuzzy, on purpose:
    # daily round-ups that differ only in their numbers are different articles.
    return hashlib.sha256(clean_block_text(body).encode("utf-8")).hexdigest()


def _is_rewrite(old_body: str, new_body: str) -> bool:
    """Tell whether `new_body` keeps less than REWRITE_SIMILARITY of `old_body`'s wording."""
    matcher = difflib.SequenceMatcher(None, old_body.split(), new_body.split())
    return matcher.ratio() < REWRITE_SIMILARITY


_VERSION_COLUMNS = """
    v.id, v.article_id, a.canonical_url, v.version, v.item_json, a.first_seen, a.published,
    v.crawled_at, a.announced_version, a.announced_at, v.exported_at IS NOT NULL
"""


def _stored_version(row: sqlite3.Row | tuple[Any, ...]) -> StoredVersion:
    """Build a StoredVersion from a row selected with _VERSION_COLUMNS."""
    return StoredVersion(
        version_id=row[0],
        article_id=row[1],
        canonical=row[2],
        version=row[3],
        item=json.loads(row[4]),
        first_seen=_from_db_time(row[5]),
        published=_from_db_time(row[6]) if row[6] else None,
        crawled_at=_from_db_time(row[7]),
        announced_version=row[8],
        announced_at=_from_db_time(row[9]),
        exported=bool(row[10]),
    )


def check_state_file(path: Path) -> None:
    """Refuse a non-empty file that is not SQLite, before SQLite (or a lock) touches it."""
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except IsADirectoryError as exc:
        raise StateStoreError(
            f"NEWSMON_STATE_PATH {path} is a folder; point it at a file inside it"
        ) from exc
    except OSError as exc:
        raise StateStoreError(
            f"cannot read the state file {path}: {exc}. Check its permissions, or "
            "set NEWSMON_STATE_PATH elsewhere."
        ) from exc
    if header and header != SQLITE_HEADER:
        raise StateStoreError(
            f"{path} is not a SQLite database, so it is not newsmon's state file. "
            "It was left untouched: move it away or set NEWSMON_STATE_PATH to another path."
        )


class StateStore:
    """newsmon's SQLite state: articles, versions, listings, exports, listing validators.

    One instance holds one connection and is meant for one thread (Scrapy's reactor thread).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Open (creating if needed) and migrate the state file at `path`."""
        self.path = Path(path).expanduser()
        self._check_header()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: no implicit transactions; every write opens its own
            # BEGIN IMMEDIATE, so the transactions are exactly as short as the code says.
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise StateStoreError(
                f"cannot open the state file {self.path}: {exc}. "
                "Check that its folder is writable, or set NEWSMON_STATE_PATH elsewhere."
            ) from exc
        try:
            # Only reads until the file is known to be newsmon's (or empty).
            self._check_owner()
            self._conn.execute("PRAGMA journal_mode = WAL")
            # FULL, not NORMAL: in WAL mode NORMAL can lose the last commits on power loss
            # (never corrupt), and a lost "exported" mark or version means subscribers are told
            # twice. A run writes a few hundred small transactions, so an fsync each is cheap.
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StateStoreError(
                f"the state file {self.path} is damaged or unreadable ({exc}). Restore it from "
                "a backup, or move it aside to start a new state (every article is then new "
                "once more)."
            ) from exc
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> StateStore:
        """Open the store at NEWSMON_STATE_PATH (relative paths are relative to the cwd)."""
        path = str(settings.get("NEWSMON_STATE_PATH") or "").strip()
        if not path:
            raise StateStoreError("NEWSMON_STATE_PATH is empty: set it to a file path")
        return cls(path)

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- opening -------------------------------------------------------------------------

    def _check_header(self) -> None:
        """Refuse a non-empty file that is not SQLite, before SQLite touches it."""
        check_state_file(self.path)

    def _check_owner(self) -> None:
        """Refuse a SQLite file that another program wrote, or a newer newsmon did."""
        conn = self._connection()
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        user_version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id == APPLICATION_ID:
            if user_version > SCHEMA_VERSION:
                raise StateStoreError(
                    f"{self.path} has state schema {user_version}, written by a newer newsmon; "
                    f"this one knows schema {SCHEMA_VERSION}. Upgrade newsmon, or set "
                    "NEWSMON_STATE_PATH to another file (the file was left untouched)."
                )
            return
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' LIMIT 5"
            )
        ]
        if app_id == 0 and user_version == 0 and not tables:
            return  # a new, empty database
        raise StateStoreError(
            f"{self.path} is a SQLite database but not newsmon's state (application_id "
            f"{app_id:#x}, user_version {user_version}, tables {tables}). It was left "
            "untouched: move it away or set NEWSMON_STATE_PATH to another path."
        )

    def _migrate(self) -> None:
        """Apply the missing schema steps in order, each in its own transaction."""
        while True:
            with self._transaction() as conn:
                # Read inside the write lock: another process may have migrated meanwhile.
                current = conn.execute("PRAGMA user_version").fetchone()[0]
                if current >= SCHEMA_VERSION:
                    return
                for statement in MIGRATIONS[current]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {current + 1}")

    def _connection(self) -> sqlite3.Connection:
        """Return the open connection, or raise if the store was closed."""
        if self._conn is None:
            raise StateStoreError(f"the state store {self.path} is closed")
        return self._conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block as one write transaction, taking the write lock up front."""
        conn = self._connection()
        # IMMEDIATE: a read-then-write (look up, then insert) cannot interleave with another
        # writer, which would otherwise store one article twice.
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            # SQLite may have rolled back already (disk full, I/O error); a second ROLLBACK
            # would raise and hide the real error.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # --- articles and versions -----------------------------------------------------------

    def record(
        self, item: ArticleItem, *, canonical: str, fingerprint: str, now: datetime
    ) -> RecordResult:
        """Store one crawled article: new, a new version of a known one, or unchanged.

        The article is looked up by `canonical`, else by `fingerprint` (the same body at a
        second URL is the same article). A new version is stored when the fingerprint or the
        modified time differs from the latest version. Last seen, listings (`item.listings`)
        and the URL are recorded in every case. For "new" and "updated" the item is stamped in
        place (change, version, first_seen, and crawled_at if unset) and stored as stamped.
        """
        now_db = to_db_time(now)
        modified_db = _opt_db_time(item.modified)
        published_db = _opt_db_time(item.published)
        with self._transaction() as conn:
            article_id = self._find_article(conn, canonical, fingerprint, item.body)
            if article_id is None:
                return self._insert_article(conn, item, canonical, fingerprint, now, now_db)
            first_seen_db, primary_url, latest = conn.execute(
                "SELECT first_seen, canonical_url, latest_version FROM article WHERE id = ?",
                (article_id,),
            ).fetchone()
            version_id, latest_fp, latest_modified = conn.execute(
                "SELECT id, fingerprint, modified FROM version"
                " WHERE article_id = ? AND version = ?",
                (article_id, latest),
            ).fetchone()
            conn.execute("UPDATE article SET last_seen = ? WHERE id = ?", (now_db, article_id))
            conn.execute(
                "INSERT OR IGNORE INTO article_url (url, article_id) VALUES (?, ?)",
                (canonical, article_id),
            )
            self._merge_listings(conn, article_id, item.listings, now_db)
            first_seen = _from_db_time(first_seen_db)
            if (latest_fp, latest_modified) == (fingerprint, modified_db) or (
                canonical != primary_url and self._has_fingerprint(conn, article_id, fingerprint)
            ):
                # A second URL serving a body we already hold (even with another modified
                # time) is a copy, not a change: without this two live copies would flip the
                # article between them on every run.
                return RecordResult("unchanged", latest, first_seen, article_id, version_id)
            (latest_json,) = conn.execute(
                "SELECT item_json FROM version WHERE id = ?", (version_id,)
            ).fetchone()
            rewrite = _is_rewrite(json.loads(latest_json).get("body", ""), item.body)
            version = latest + 1
            stamped = self._stamp(item, "updated", version, first_seen, now)
            version_id = self._insert_version(conn, article_id, version, fingerprint, stamped)
            conn.execute(
                "UPDATE article SET latest_version = ?, published = ?,"
                " announced_version = CASE WHEN ? THEN ? ELSE announced_version END,"
                " announced_at = CASE WHEN ? THEN ? ELSE announced_at END"
                " WHERE id = ?",
                (version, published_db, rewrite, version, rewrite, now_db, article_id),
            )
            self._replace_tags(conn, article_id, item.tag_slugs)
            return RecordResult("updated", version, first_seen, article_id, version_id)

    def _find_article(
        self, conn: sqlite3.Connection, canonical: str, fingerprint: str, body: str
    ) -> int | None:
        """Return the id of the article stored under this URL, else of one with this body."""
        row = conn.execute(
            "SELECT article_id FROM article_url WHERE url = ?", (canonical,)
        ).fetchone()
        if row is None and len(body.split()) >= BODY_MATCH_MIN_WORDS:
            row = conn.execute(
                "SELECT article_id FROM version WHERE fingerprint = ? ORDER BY id LIMIT 1",
                (fingerprint,),
            ).fetchone()
        return None if row is None else int(row[0])

    @staticmethod
    def _has_fingerprint(conn: sqlite3.Connection, article_id: int, fingerprint: str) -> bool:
        """Tell whether any version of the article has this fingerprint."""
        row = conn.execute(
            "SELECT 1 FROM version WHERE fingerprint = ? AND article_id = ? LIMIT 1",
            (fingerprint, article_id),
        ).fetchone()
        return row is not None

    @staticmethod
    def _stamp(
        item: ArticleItem, change: Outcome, version: int, first_seen: datetime, now: datetime
    ) -> ArticleItem:
        """Set the store's fields on `item` in place and return it."""
        item.change = change
        item.version = version
        item.first_seen = first_seen
        if item.crawled_at is None:
            item.crawled_at = now
        return item

    def _insert_article(
        self,
        conn: sqlite3.Connection,
        item: ArticleItem,
        canonical: str,
        fingerprint: str,
        now: datetime,
        now_db: str,
    ) -> RecordResult:
        """Insert a never-seen article with its first version."""
        first_seen = _from_db_time(now_db)
        cursor = conn.execute(
            "INSERT INTO article (canonical_url, first_seen, last_seen, published,"
            " latest_version, announced_version, announced_at) VALUES (?, ?, ?, ?, 1, 1, ?)",
            (canonical, now_db, now_db, _opt_db_time(item.published), now_db),
        )
        article_id = cursor.lastrowid
        assert article_id is not None  # an INSERT always sets it
        conn.execute(
            "INSERT INTO article_url (url, article_id) VALUES (?, ?)", (canonical, article_id)
        )
        stamped = self._stamp(item, "new", 1, first_seen, now)
        version_id = self._insert_version(conn, article_id, 1, fingerprint, stamped)
        self._merge_listings(conn, article_id, item.listings, now_db)
        self._replace_tags(conn, article_id, item.tag_slugs)
        return RecordResult("new", 1, first_seen, article_id, version_id)

    @staticmethod
    def _insert_version(
        conn: sqlite3.Connection,
        article_id: int,
        version: int,
        fingerprint: str,
        item: ArticleItem,
    ) -> int:
        """Insert one version row and return its id."""
        assert item.crawled_at is not None  # _stamp sets it
        payload = json.dumps(item_to_json(item), ensure_ascii=False, separators=(",", ":"))
        cursor = conn.execute(
            "INSERT INTO version (article_id, version, fingerprint, modified, crawled_at,"
            " item_json) VALUES (?, ?, ?, ?, ?, ?)",
            (
                article_id,
                version,
                fingerprint,
                _opt_db_time(item.modified),
                to_db_time(item.crawled_at),
                payload,
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    @staticmethod
    def _merge_listings(
        conn: sqlite3.Connection, article_id: int, slugs: Iterable[str], now_db: str
    ) -> None:
        """Add listing slugs to an article (union with what is stored), refreshing last_seen."""
        conn.executemany(
            "INSERT INTO article_listing (article_id, slug, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?)"
            " ON CONFLICT (article_id, slug) DO UPDATE SET last_seen = excluded.last_seen",
            [(article_id, slug, now_db, now_db) for slug in dict.fromkeys(slugs) if slug],
        )

    @staticmethod
    def _replace_tags(conn: sqlite3.Connection, article_id: int, slugs: Iterable[str]) -> None:
        """Make the article's tag slugs those of its latest version."""
        conn.execute("DELETE FROM article_tag WHERE article_id = ?", (article_id,))
        conn.executemany(
            "INSERT INTO article_tag (article_id, slug) VALUES (?, ?)",
            [(article_id, slug) for slug in dict.fromkeys(slugs) if slug],
        )

    def add_listings(
        self, canonical: str, slugs: Iterable[str], *, now: datetime | None = None
    ) -> None:
        """Record that a known article appeared in these listings; unknown URLs are ignored."""
        now_db = to_db_time(now or datetime.now(UTC))
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT article_id FROM article_url WHERE url = ?", (canonical,)
            ).fetchone()
            if row is not None:
                self._merge_listings(conn, row[0], slugs, now_db)

    def is_known(self, canonical: str) -> bool:
        """Tell whether an article was stored under this canonical URL."""
        row = (
            self._connection()
            .execute("SELECT 1 FROM article_url WHERE url = ?", (canonical,))
            .fetchone()
        )
        return row is not None

    def listings_of(self, canonical: str) -> list[str]:
        """Return the listing slugs an article was found in, sorted; [] if unknown."""
        rows = self._connection().execute(
            "SELECT l.slug FROM article_url u JOIN article_listing l"
            " ON l.article_id = u.article_id WHERE u.url = ? ORDER BY l.slug",
            (canonical,),
        )
        return [row[0] for row in rows]

    def versions_of(self, canonical: str) -> list[StoredVersion]:
        """Return every stored version of one article, oldest first; [] if unknown."""
        rows = self._connection().execute(
            f"SELECT {_VERSION_COLUMNS} FROM article_url u"
            " JOIN article a ON a.id = u.article_id JOIN version v ON v.article_id = a.id"
            " WHERE u.url = ? ORDER BY v.version",
            (canonical,),
        )
        return [_stored_version(row) for row in rows]

    # --- feeds and exports ---------------------------------------------------------------

    def latest_for_feed(self, slug: str | None, limit: int) -> list[StoredVersion]:
        """Return the newest `limit` articles of a listing or tag (None: all), latest versions.

        Newest means published descending, then first seen descending; an article belongs to
        `slug` when it was found in that listing or carries that tag.
        """
        if limit <= 0:
            return []
        select = (
            f"SELECT {_VERSION_COLUMNS} FROM article a"
            " JOIN version v ON v.article_id = a.id AND v.version = a.latest_version"
        )
        order = " ORDER BY a.published DESC, a.first_seen DESC, a.id DESC LIMIT ?"
        conn = self._connection()
        if slug is None:
            rows = conn.execute(select + order, (limit,))
        else:
            # EXISTS, not `a.id IN (... UNION ...)`: the IN set holds every article of the
            # listing, built and sorted on each call, so a feed cost grew with the archive
            # (0.5 s for the News Feed of 100,000 articles). This walks article_feed_order
            # newest first and stops after `limit` matches (python -m benchmarks, section 4).
            rows = conn.execute(
                select + " WHERE (EXISTS (SELECT 1 FROM article_listing l"
                " WHERE l.article_id = a.id AND l.slug = ?)"
                " OR EXISTS (SELECT 1 FROM article_tag t WHERE t.article_id = a.id AND t.slug = ?))"
                + order,
                (slug, slug, limit),
            )
        return [_stored_version(row) for row in rows]

    def pending_exports(self) -> Iterator[StoredVersion]:
        """Yield the versions not yet exported, in the order they were stored."""
        last_id = 0
        while True:
            # Keyset pages: memory stays at one batch, and no cursor is left open while the
            # caller writes files or marks rows exported.
            rows = (
                self._connection()
                .execute(
                    f"SELECT {_VERSION_COLUMNS} FROM version v"
                    " JOIN article a ON a.id = v.article_id"
                    " WHERE v.exported_at IS NULL AND v.id > ? ORDER BY v.id LIMIT ?",
                    (last_id, EXPORT_BATCH),
                )
                .fetchall()
            )
            for row in rows:
                yield _stored_version(row)
            if len(rows) < EXPORT_BATCH:
                return
            last_id = rows[-1][0]

    def mark_exported(self, version_ids: Sequence[int], *, now: datetime | None = None) -> None:
        """Mark versions as exported (one transaction), so they are not exported again."""
        now_db = to_db_time(now or datetime.now(UTC))
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE version SET exported_at = ? WHERE id = ? AND exported_at IS NULL",
                [(now_db, version_id) for version_id in version_ids],
            )

    # --- run health -----------------------------------------------------------------------

    def record_health_run(
        self, run: HealthRunRecord, events: Sequence[HealthEventRecord] = ()
    ) -> None:
        """Store a finished run and its health events (one transaction); prune old rows."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO health_run (spider, started_at, finished_at, healthy, new_items,"
                " metrics_json, failures_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run.spider,
                    to_db_time(run.started_at),
                    to_db_time(run.finished_at),
                    int(run.healthy),
                    run.new_items,
                    json.dumps({key: list(pair) for key, pair in run.metrics.items()}),
                    json.dumps(run.failures, ensure_ascii=False),
                ),
            )
            conn.executemany(
                "INSERT INTO health_event (at, spider, check_name, field, message, example_url)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (to_db_time(e.at), e.spider, e.check, e.field, e.message, e.example_url)
                    for e in events
                ],
            )
            conn.execute(
                "DELETE FROM health_run WHERE spider = ? AND id <= (SELECT id FROM health_run"
                " WHERE spider = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (run.spider, run.spider, HEALTH_RUNS_KEPT),
            )
            conn.execute(
                "DELETE FROM health_event WHERE id <= (SELECT id FROM health_event"
                " ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (HEALTH_EVENTS_KEPT,),
            )

    def health_runs(self, spider: str, limit: int) -> list[HealthRunRecord]:
        """Return the newest `limit` runs of a spider, newest first."""
        rows = self._connection().execute(
            "SELECT spider, started_at, finished_at, healthy, new_items, metrics_json,"
            " failures_json FROM health_run WHERE spider = ? ORDER BY id DESC LIMIT ?",
            (spider, limit),
        )
        return [
            HealthRunRecord(
                spider=row[0],
                started_at=_from_db_time(row[1]),
                finished_at=_from_db_time(row[2]),
                healthy=bool(row[3]),
                new_items=row[4],
                metrics={
                    key: (int(pair[0]), int(pair[1])) for key, pair in json.loads(row[5]).items()
                },
                failures=json.loads(row[6]),
            )
            for row in rows
        ]

    def latest_health_events(self, limit: int) -> list[HealthEventRecord]:
        """Return the newest `limit` health events, newest run first."""
        rows = self._connection().execute(
            "SELECT id, at, spider, check_name, field, message, example_url FROM health_event"
            # Newest run first; within a run, its checks in the order they ran.
            " ORDER BY at DESC, id LIMIT ?",
            (limit,),
        )
        return [
            HealthEventRecord(
                event_id=row[0],
                at=_from_db_time(row[1]),
                spider=row[2],
                check=row[3],
                field=row[4],
                message=row[5],
                example_url=row[6],
            )
            for row in rows
        ]

    def quarantine_item(
        self, item: ArticleItem, *, url: str, spider: str, reasons: Sequence[str], now: datetime
    ) -> None:
        """Keep an item held back as broken (the latest copy per URL), for inspection."""
        payload = json.dumps(item_to_json(item), ensure_ascii=False, separators=(",", ":"))
        now_db = to_db_time(now)
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO quarantine (url, spider, reasons, first_seen, last_seen, times,"
                " item_json) VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT (url) DO UPDATE SET"
                " spider = excluded.spider, reasons = excluded.reasons,"
                " last_seen = excluded.last_seen, times = times + 1,"
                " item_json = excluded.item_json",
                (url, spider, json.dumps(list(reasons)), now_db, now_db, payload),
            )

    def release_quarantined(self, url: str) -> bool:
        """Forget a held-back item that now came out fine; tell whether it was held."""
        with self._transaction() as conn:
            return conn.execute("DELETE FROM quarantine WHERE url = ?", (url,)).rowcount > 0

    def quarantined_urls(self) -> list[str]:
        """URLs of the items currently held back, oldest first."""
        rows = self._connection().execute("SELECT url FROM quarantine ORDER BY first_seen, url")
        return [row[0] for row in rows]

    # --- listing validators --------------------------------------------------------------

    def listing_validators(self, url: str) -> tuple[str | None, str | None]:
        """Return the (ETag, Last-Modified) last saved for a listing URL, or (None, None)."""
        row = (
            self._connection()
            .execute("SELECT etag, last_modified FROM listing_validator WHERE url = ?", (url,))
            .fetchone()
        )
        return (row[0], row[1]) if row is not None else (None, None)

    def save_listing_validators(
        self, url: str, etag: str | None, last_modified: str | None
    ) -> None:
        """Save the ETag and Last-Modified a listing URL answered with."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO listing_validator (url, etag, last_modified, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,"
                " last_modified = excluded.last_modified, updated_at = excluded.updated_at",
                (url, etag, last_modified, to_db_time(datetime.now(UTC))),
            )

    def take_listing_validators(self, url: str) -> tuple[str | None, str | None] | None:
        """Remove and return the validators saved for a listing URL; None if there were none.

        A walk takes page 1's validators when it starts and saves them back only when it
        completes, so their absence tells the next run that the last walk did not complete.
        """
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT etag, last_modified FROM listing_validator WHERE url = ?", (url,)
            ).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM listing_validator WHERE url = ?", (url,))
            return (row[0], row[1])

    # --- incremental crawling: what is known, what to revisit ------------------------------
    # Article validators live in the listing_validator table too: it is keyed by URL, and an
    # article URL (/<slug>/) never equals a listing URL (/tag/...), so no schema step is needed.

    def article_validators(self, url: str) -> tuple[str | None, str | None]:
        """Return the (ETag, Last-Modified) an article URL last answered with, or (None, None)."""
        return self.listing_validators(url)

    def save_article_validators(
        self, url: str, etag: str | None, last_modified: str | None
    ) -> None:
        """Save the ETag and Last-Modified of an article page, for conditional revisits."""
        self.save_listing_validators(url, etag, last_modified)

    def known_urls(self, canonicals: Iterable[str]) -> set[str]:
        """Return those of `canonicals` under which an article is stored (one query)."""
        wanted = list(dict.fromkeys(canonicals))
        if not wanted:
            return set()
        placeholders = ",".join("?" * len(wanted))
        rows = self._connection().execute(
            f"SELECT url FROM article_url WHERE url IN ({placeholders})", wanted
        )
        return {row[0] for row in rows}

    def newest_published(self) -> datetime | None:
        """Return the latest publication time among stored articles (UTC), None if none."""
        row = self._connection().execute("SELECT MAX(published) FROM article").fetchone()
        return _from_db_time(row[0]) if row and row[0] else None

    def published_since(self, since: datetime, slugs: Iterable[str]) -> list[str]:
        """Canonical URLs of articles of these listings published at or after `since`.

        An article belongs to a listing when it was found in it or carries its tag (as in
        `latest_for_feed`). Newest first.
        """
        wanted = list(dict.fromkeys(slugs))
        if not wanted:
            return []
        placeholders = ",".join("?" * len(wanted))
        rows = self._connection().execute(
            "SELECT canonical_url FROM article WHERE published >= ? AND id IN ("
            f"SELECT article_id FROM article_listing WHERE slug IN ({placeholders})"
            f" UNION SELECT article_id FROM article_tag WHERE slug IN ({placeholders}))"
            " ORDER BY published DESC, id DESC",
            (to_db_time(since), *wanted, *wanted),
        )
        return [row[0] for row in rows]


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
