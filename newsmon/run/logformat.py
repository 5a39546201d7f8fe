"""Log a dropped item in one line: the reason and the article's URL, not the whole item.

Scrapy's default message for a dropped item is "Dropped: reason" followed by the item's repr
on the next lines: the full body text of an article, dozens of lines in a service log for
one refused page. The reason is counted in the stats (`newsmon/dropped/<reason>`) and the
URL says which page to look at; that is the line an operator needs.
"""

from __future__ import annotations

from typing import Any

from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure

DROPPED_MESSAGE = "Dropped (%(exception)s): %(url)s"


class OneLineLogFormatter(LogFormatter):
    """Scrapy's log formatter with one-line messages for dropped items."""

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        """One line: the drop reason and the item's URL (or its type if it has none)."""
        result = super().dropped(item, exception, response, spider)
        url = getattr(item, "url", None) or (
            response.url if isinstance(response, Response) else type(item).__name__
        )
        result["msg"] = DROPPED_MESSAGE
        result["args"] = {"exception": exception, "url": url}
        return result
