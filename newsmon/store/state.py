"""The state store, composed of one class per table family over the shared connection."""

from __future__ import annotations

from newsmon.store.articles import ArticleTables
from newsmon.store.exports import ExportTables
from newsmon.store.health import HealthTables
from newsmon.store.validators import ValidatorTables


class StateStore(ArticleTables, ExportTables, ValidatorTables, HealthTables):
    """newsmon's SQLite state: articles, versions, listings, exports, listing validators.

    One instance holds one connection and is meant for one thread (Scrapy's reactor thread).
    Each base adds the methods of its tables; all of them share `Connection`.
    """
