"""Build no log record that no handler would emit.

Scrapy sets the root logger to NOTSET and leaves the level to its handler (LOG_LEVEL). Every
logger then counts as enabled for DEBUG, so each "Crawled (200)" and "Scraped from <item>"
record is built, formatted with its item's repr, rewritten by the record factories
(`newsmon.run.redact`, `newsmon.run.quiet`) and only then dropped by the handler: about
0.3 ms per article at LOG_LEVEL=INFO. `SkipUnemittedRecords` raises the root logger to the
lowest level any handler listens at, so a logger call below it returns at once. A handler
that listens lower (LOG_LEVEL=DEBUG, a test capturing everything) keeps the root at that level.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler


def lowest_handler_level() -> int:
    """The lowest level a handler listens at where the root's level decides (WARNING: none).

    A NullHandler emits nothing: libraries add one to their logger (charset_normalizer). A
    handler on a logger with a level of its own (a command's console logger at INFO) is fed
    by loggers that take that level, not the root's: it does not hold the root down.
    """
    handlers = list(logging.root.handlers)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and _level_from_root(logger):
            handlers += logger.handlers
    levels = [h.level for h in handlers if not isinstance(h, logging.NullHandler)]
    return min(levels, default=logging.WARNING)


def _level_from_root(logger: logging.Logger) -> bool:
    """Tell whether the logger's effective level is the root's (no level set on the way)."""
    node: logging.Logger | None = logger
    while node is not None and node is not logging.root:
        if node.level:
            return False
        node = node.parent
    return True


def skip_unemitted() -> None:
    """Set the root logger's level to the lowest level a handler emits."""
    logging.root.setLevel(lowest_handler_level())


class SkipUnemittedRecords:
    """Extension: gate the root logger once Scrapy has installed every handler of the crawl."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipUnemittedRecords:
        """Gate when the spider opens (after Scrapy's handler reset) and again at start."""
        extension = cls()
        # Scrapy reinstalls its root handler (level NOTSET on the root) after building the
        # extensions; its log counter's handler comes at spider_opened.
        crawler.signals.connect(extension.gate, signal=signals.spider_opened)
        crawler.signals.connect(extension.gate, signal=signals.engine_started)
        return extension

    def gate(self) -> None:
        """Raise the root logger to the lowest handler level."""
        skip_unemitted()
