"""Publishing: RSS/Atom feeds per listing and the JSON-lines archive, written safely.

Pure writers: they take data the store already selected and know nothing of Scrapy or of
the store. Every feed file is replaced atomically; the archive only grows by whole lines.
"""

from newsmon.extract.normalize.html import sanitize_html, xml_safe
from newsmon.publish.atomic import atomic_write_bytes
from newsmon.publish.feeds import (
    UPDATE_POLICIES,
    FeedEntry,
    FeedSpec,
    feed_paths,
    feed_url,
    validate_slug,
    write_feeds,
)
from newsmon.publish.jsonlines import (
    append_jsonl,
    article_record,
    article_schema_path,
    encode_line,
    load_article_schema,
)

__all__ = [
    "UPDATE_POLICIES",
    "FeedEntry",
    "FeedSpec",
    "append_jsonl",
    "article_record",
    "article_schema_path",
    "atomic_write_bytes",
    "encode_line",
    "feed_paths",
    "feed_url",
    "load_article_schema",
    "sanitize_html",
    "validate_slug",
    "write_feeds",
    "xml_safe",
]
