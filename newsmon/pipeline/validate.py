"""ValidatePipeline (200): refuse items that miss what every subscriber needs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from newsmon.crawl.fates import InvalidItem
from newsmon.extract.normalize.dates import is_plausible
from newsmon.items import ArticleItem, item_to_json
from newsmon.schema import Problem, field_rank, record_problems


def drop_reason(item: ArticleItem) -> str | None:
    """Return why `item` cannot be published (a stats-friendly key), or None if it can.

    The rule is the archive's JSON Schema (`newsmon.schema`): an item is publishable when
    its archive line would be valid. A naive datetime is named as such, since a time that
    could be Kyiv's or UTC puts three hours of doubt in every feed's order. The one rule no
    schema can state is checked here too: a date before 2000 or a day in the future (an
    epoch zero, a 2999) is an extraction error that would sit atop every feed.
    """
    problems = record_problems(_record_of(item))
    implausible = _implausible_dates(item)
    if problems and not (implausible and field_rank(problems[0].field) > field_rank("modified")):
        return _reason(problems[0], item)
    return "implausible_date" if implausible else None


def _record_of(item: ArticleItem) -> dict[str, Any]:
    """The archive line the item would become as a new article (store fields filled in)."""
    record = item_to_json(item)
    record["modified"] = record["modified"] or record["published"]
    now = datetime.now(UTC).isoformat()
    record.update(change="new", version=1, first_seen=now, crawled_at=record["crawled_at"] or now)
    return record


def _reason(problem: Problem, item: ArticleItem) -> str:
    """A stats key for a schema problem: missing_<field>, naive_<field> or invalid_<field>."""
    if not problem.field:
        return "invalid_record"
    if problem.missing:
        return f"missing_{problem.field}"
    value = getattr(item, problem.field, None)
    if isinstance(value, datetime) and value.utcoffset() is None:
        return f"naive_{problem.field}"
    return f"invalid_{problem.field}"


def _implausible_dates(item: ArticleItem) -> bool:
    """Tell whether a timezone-aware publication or modification date cannot be real."""
    return any(
        value is not None and value.utcoffset() is not None and not is_plausible(value)
        for value in (item.published, item.modified)
    )


class ValidatePipeline:
    """Drop items that miss what every subscriber needs: URL, title, publication time, body."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        """Build the pipeline for a crawl."""
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        """Pass a complete ArticleItem on; drop an incomplete one with its reason."""
        if not isinstance(item, ArticleItem):
            return item
        reason = drop_reason(item)
        if reason is not None:
            self.stats.inc_value(f"newsmon/dropped/{reason}")
            # Default (WARNING) log level: an incomplete article means extraction broke.
            raise InvalidItem(reason.replace("_", " "))
        self.stats.inc_value("newsmon/items/valid")
        return item
