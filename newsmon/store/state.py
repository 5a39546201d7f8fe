"""The state store, composed of one class per table family over the shared connection."""

from __future__ import annotations

from typing import Self

from scrapy.settings import BaseSettings

from newsmon.config import base_url_from_settings
from newsmon.store.articles import ArticleTables
from newsmon.store.backoff import BackoffTables
from newsmon.store.exports import ExportTables
from newsmon.store.failures import FailureTables
from newsmon.store.health import HealthTables
from newsmon.store.lookups import LookupTables
from newsmon.store.overview import OverviewTables
from newsmon.store.pending import PendingTables
from newsmon.store.removals import RemovalTables
from newsmon.store.site import SiteTables
from newsmon.store.validators import ValidatorTables


class StateStore(
    ArticleTables,
    LookupTables,
    ExportTables,
    ValidatorTables,
    HealthTables,
    SiteTables,
    BackoffTables,
    PendingTables,
    FailureTables,
    RemovalTables,
    OverviewTables,
):
    """newsmon's SQLite state: articles, listings, exports, validators, health, back-off, ...

    Also the site it belongs to, the articles to fetch again, the pages that failed, the
    articles the site took down, and an overview for the front page.

    One instance holds one connection and is meant for one thread (Scrapy's reactor thread).
    Each base adds the methods of its tables; all of them share `Connection`.
    """

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        """Open the store at NEWSMON_STATE_PATH, bound to the site of NEWSMON_BASE_URL.

        Settings without a base URL (a script reading a state file) open it unbound.
        """
        store = super().from_settings(settings)
        if settings.get("NEWSMON_BASE_URL"):
            try:
                store.bind_site(base_url_from_settings(settings))
            except BaseException:
                store.close()
                raise
        return store
