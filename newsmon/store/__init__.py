"""The state store: every article newsmon has seen, its versions, listings and exports.

One SQLite file (NEWSMON_STATE_PATH). Every lookup is an indexed query and every write a short
transaction, so memory stays flat as the archive grows and a crash loses at most the item in
flight. The schema is versioned with `PRAGMA user_version` and migrated forward in steps; the
file is marked as newsmon's with `PRAGMA application_id`, so a foreign file is refused, never
overwritten.

Modules: `schema` (the steps), `connection` (opening, checks, transactions), one per table
family (`articles`, `exports`, `validators`, `health`, `site`: the site the state belongs to,
`backoff`: how long to wait after a blocked run, `pending`: articles to fetch again,
`overview`: the run history and articles by day, for the front page), `errors`
(what is wrong with a state file, said as it is),
`state` (StateStore, composed of them) and `registry` (one store per crawl). Constants such as
`schema.MIGRATIONS` and `exports.EXPORT_BATCH` are read from their own module at call time:
patch them there.
"""

from newsmon.store.articles import RecordResult, body_fingerprint
from newsmon.store.backoff import Backoff
from newsmon.store.connection import to_db_time
from newsmon.store.errors import StateStoreError, check_state_file, describe_error, error_kind
from newsmon.store.exports import FeedCandidate, StoredVersion
from newsmon.store.health import HealthEventRecord, HealthRunRecord
from newsmon.store.overview import RunSummary
from newsmon.store.pending import PendingArticle
from newsmon.store.registry import _CRAWL_STORES, close_store, get_store
from newsmon.store.schema import APPLICATION_ID, SCHEMA_VERSION, SQLITE_HEADER
from newsmon.store.site import site_origin
from newsmon.store.state import StateStore

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "SQLITE_HEADER",
    "_CRAWL_STORES",
    "Backoff",
    "FeedCandidate",
    "HealthEventRecord",
    "HealthRunRecord",
    "PendingArticle",
    "RecordResult",
    "RunSummary",
    "StateStore",
    "StateStoreError",
    "StoredVersion",
    "body_fingerprint",
    "check_state_file",
    "close_store",
    "describe_error",
    "error_kind",
    "get_store",
    "site_origin",
    "to_db_time",
]
