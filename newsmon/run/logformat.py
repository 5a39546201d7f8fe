"""Log a dropped item in one line: the reason and the article's URL, not the whole item.

Scrapy's default message for a dropped item is "Dropped: reason" followed by the item's repr
on the next lines: the full body text of an article, dozens of lines in a service log for
one refused page. The reason is counted in the stats (`newsmon/dropped/<reason>`) and the
URL says which page to look at; that is the line an operator needs.

An item the state store could not take (disk full, read-only, I/O error) is not logged with
its repr and traceback either: the run says that once, in one ERROR line, and stops
(`newsmon.crawl.keeper`); each item it concerned is a DEBUG line.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure

from newsmon.store import StateStoreError

DROPPED_MESSAGE = "Dropped (%(exception)s): %(url)s"
NOT_STORED_MESSAGE = "Not stored (%(exception)s): %(url)s"


class OneLineLogFormatter(LogFormatter):
    """Scrapy's log formatter with one-line messages for dropped and unstored items."""

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        """One line: the drop reason and the item's URL (or its type if it has none)."""
        result = super().dropped(item, exception, response, spider)
        result["msg"] = DROPPED_MESSAGE
        result["args"] = {"exception": exception, "url": _url_of(item, response)}
        return result

    def item_error(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        """An item the store could not take: one DEBUG line (the run says why, once)."""
        result = super().item_error(item, exception, response, spider)
        if isinstance(exception, StateStoreError | sqlite3.Error):
            result["level"] = logging.DEBUG
            result["msg"] = NOT_STORED_MESSAGE
            result["args"] = {"exception": exception, "url": _url_of(item, response)}
        return result


def _url_of(item: Any, response: Response | Failure | None) -> str:
    """The item's URL, else its page's, else its type."""
    url = getattr(item, "url", None)
    if url:
        return str(url)
    return response.url if isinstance(response, Response) else type(item).__name__
