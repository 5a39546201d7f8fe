"""Build no log record that no handler would emit.

Scrapy sets the root logger to NOTSET and leaves the level to its handler (LOG_LEVEL). Every
logger then counts as enabled for DEBUG, so each "Crawled (200)" and "Scraped from <item>"
record is built, formatted with its item's repr, rewritten by the record factories
(`newsmon.run.redact`, `newsmon.run.quiet`) and only then dropped by the handler: about
0.3 ms per article at LOG_LEVEL=INFO. `SkipUnemittedRecords` raises the root logger (and the
loggers set lower, such as `scrapy`) to the lowest level any handler listens at, so a logger
call below it returns at once. A handler
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


# Loggers whose own level was raised, with the level they had (restored at each gate).
_RAISED: dict[str, int] = {}


def skip_unemitted() -> None:
    """Raise the root logger, and loggers set lower, to the lowest level a handler emits.

    Scrapy's logging setup gives the `scrapy` logger a level of its own, DEBUG, so its
    "Crawled" and "Scraped from" records were built whatever the root's level. Such a logger
    is raised too, unless a handler sits on it, under it or above it below the root (then
    its level is its handler's business); the level it had comes back at the next gate.
    """
    for name, level in _RAISED.items():
        logging.getLogger(name).setLevel(level)
    _RAISED.clear()
    threshold = lowest_handler_level()
    logging.root.setLevel(threshold)
    loggers = [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    handled = [lg.name for lg in loggers if _emits(lg)]
    for logger in loggers:
        if 0 < logger.level < threshold and not _near(logger.name, handled):
            _RAISED[logger.name] = logger.level
            logger.setLevel(threshold)


def _emits(logger: logging.Logger) -> bool:
    """Tell whether the logger has a handler of its own that emits something."""
    return any(not isinstance(h, logging.NullHandler) for h in logger.handlers)


def _near(name: str, handled: list[str]) -> bool:
    """Tell whether a logger with a handler is this one, below it or above it."""
    return any(
        other == name or other.startswith(name + ".") or name.startswith(other + ".")
        for other in handled
    )


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
