"""The state file's schema: how it is marked as newsmon's, and the steps that build it.

The schema is versioned with `PRAGMA user_version` and migrated forward in steps (see
`Connection._migrate`); the file is marked as newsmon's with `PRAGMA application_id`.
"""

from __future__ import annotations

# "nsmn" in ASCII: written in the SQLite header so a newsmon file can be told from any other.
APPLICATION_ID = 0x6E736D6E
SQLITE_HEADER = b"SQLite format 3\x00"

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
    # 4: the site the state belongs to (scheme, host and port of NEWSMON_BASE_URL), one row.
    # A file made before this step has none: the first run that opens it records its site.
    (
        """CREATE TABLE site (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            origin TEXT NOT NULL,
            bound_at TEXT NOT NULL
        )""",
    ),
    # 5: the Ghost post id of each article (the site RSS's guid): a second identity, so an
    # article is recognised under another URL, and an RSS entry without fetching its page.
    (
        """CREATE TABLE article_ghost_id (
            ghost_id TEXT PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES article (id) ON DELETE CASCADE
        ) WITHOUT ROWID""",
        "CREATE INDEX article_ghost_id_article ON article_ghost_id (article_id)",
    ),
    # 6: failures that reach people. The back-off after a run the site blocked (per site
    # origin); the articles a failed run listed but could not store, fetched again by the next
    # run; and what a health event that sums up one incident adds (its kind: failed, reminder
    # or recovered; the failures it touched; the run report). An event of before this step
    # names one failed check.
    (
        """CREATE TABLE backoff (
            origin TEXT PRIMARY KEY,
            blocked_runs INTEGER NOT NULL,
            until TEXT NOT NULL,
            reason TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID""",
        """CREATE TABLE pending_article (
            url TEXT PRIMARY KEY,
            listings TEXT NOT NULL,
            reason TEXT NOT NULL,
            first_failed TEXT NOT NULL,
            last_failed TEXT NOT NULL,
            attempts INTEGER NOT NULL
        ) WITHOUT ROWID""",
        # Beside health_event, not in it: an event of before this step has no row here.
        """CREATE TABLE health_event_detail (
            event_id INTEGER PRIMARY KEY REFERENCES health_event (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            failures_json TEXT NOT NULL,
            report TEXT NOT NULL
        )""",
    ),
    # 7: pages whose own content keeps them out of the store (unreadable, not an article,
    # refused by validation), asked again after a pause that grows with each failure, counted
    # in this state's runs (run_counter); articles the site now answers 404 or 410 for, and
    # the versions that record their removal (an article whose latest version is a removal
    # is in no feed).
    (
        """CREATE TABLE failed_page (
            url TEXT PRIMARY KEY,
            reason TEXT NOT NULL,
            listings TEXT NOT NULL,
            failures INTEGER NOT NULL,
            first_failed TEXT NOT NULL,
            last_failed TEXT NOT NULL,
            due_run INTEGER NOT NULL,
            due_at TEXT NOT NULL
        ) WITHOUT ROWID""",
        """CREATE TABLE run_counter (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            runs INTEGER NOT NULL
        )""",
        """CREATE TABLE article_missing (
            article_id INTEGER PRIMARY KEY REFERENCES article (id) ON DELETE CASCADE,
            misses INTEGER NOT NULL,
            first_missing TEXT NOT NULL
        )""",
        """CREATE TABLE version_removal (
            version_id INTEGER PRIMARY KEY REFERENCES version (id) ON DELETE CASCADE
        )""",
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)
