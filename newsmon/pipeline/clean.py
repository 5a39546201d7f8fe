"""CleanPipeline (100): one clean spelling of every text field, whatever the page's markup did."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from newsmon.extract.normalize.text import (
    clean_block_text,
    clean_markup,
    clean_text,
    dedupe_keep_order,
    strip_trailing_chrome,
    word_count,
)
from newsmon.items import ArticleItem
from newsmon.pipeline.limits import cut_to_limits, strip_format_controls
from newsmon.site import is_slug, slugify

logger = logging.getLogger(__name__)


def safe_slug(slug: str) -> str:
    """A tag slug made of [a-z0-9-] only: a hostile "../../x" or "..%2F..%2Fx" becomes "x"."""
    # Slugs end up in file names and URLs; nothing that could climb a folder gets through.
    return slug if is_slug(slug) else slugify(unquote(slug))


def _clean_tags(names: list[str], slugs: list[str]) -> tuple[list[str], list[str]]:
    """Clean tag names and slugs, dropping repeats while keeping the two lists aligned."""
    names = [clean_text(name) for name in names]
    slugs = [safe_slug(clean_text(slug).strip("/").lower()) for slug in slugs]
    if len(names) != len(slugs):
        # Not pairs: the page object is at fault; clean each list on its own rather than guess.
        return dedupe_keep_order(names), dedupe_keep_order(slugs)
    kept_names: list[str] = []
    kept_slugs: list[str] = []
    seen: set[str] = set()
    for name, given in zip(names, slugs, strict=True):
        # Ghost gives every tag a slug; a blank one is rebuilt from the name the Ghost way.
        # A tag that still has none (a name with no Latin letter or digit) cannot be linked
        # or given a feed, and the archive's schema refuses it: it is left out.
        slug = given or slugify(name)
        # The slug is the tag's identity; two slugs under one display name are two tags.
        key = slug
        if key and key not in seen:
            seen.add(key)
            kept_names.append(name)
            kept_slugs.append(slug)
    return kept_names, kept_slugs


def clean_article(item: ArticleItem, cut: list[str] | None = None) -> ArticleItem:
    """Normalise every text field of `item` in place and return it.

    Fields past their limits (`newsmon.pipeline.limits`) are cut; their names are added to
    `cut` when a list is given.
    """
    item.url = item.url.strip()
    item.title = short_text(item.title)
    item.authors = dedupe_keep_order(short_text(author) for author in item.authors)
    item.tags, item.tag_slugs = _clean_tags(item.tags, item.tag_slugs)
    item.primary_tag = short_text(item.primary_tag)
    item.summary = strip_trailing_chrome(short_text(item.summary))
    item.body = strip_trailing_chrome(clean_block_text(item.body))
    item.body_html = clean_markup(item.body_html)
    item.image_url = item.image_url.strip()
    item.image_caption = short_text(item.image_caption)
    item.related = dedupe_keep_order(url.strip() for url in item.related)
    item.listings = dedupe_keep_order(clean_text(slug) for slug in item.listings)
    cut_fields = cut_to_limits(item)
    if cut is not None:
        cut.extend(cut_fields)
    item.word_count = word_count(item.body)
    return item


def short_text(text: str) -> str:
    """A one-line field: clean text without invisible format characters (bidi overrides)."""
    return strip_format_controls(clean_text(text))


class CleanPipeline:
    """Normalise text: NFC, entities decoded, invisible characters and page chrome removed."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanPipeline:
        """Build the pipeline for a crawl."""
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        """Clean an ArticleItem in place; pass anything else through."""
        if isinstance(item, ArticleItem):
            cut: list[str] = []
            clean_article(item, cut)
            self.stats.inc_value("newsmon/items/cleaned")
            if cut:
                for name in cut:
                    self.stats.inc_value(f"newsmon/cut/{name}")
                logger.warning("cut to their limits (%s): %s", ", ".join(cut), item.url)
        return item
