"""Field limits: no page, however hostile, puts a megabyte title in every subscriber's reader.

Real articles stay far below these (a headline is under 200 characters, a long read's body
under 100 KB). A value past its limit is cut at a word boundary and marked with an ellipsis;
each cut is counted (`newsmon/cut/<field>`) and the item is said once in the log.
"""

from __future__ import annotations

import unicodedata

from newsmon.items import ArticleItem

# Characters, except `tags` (how many) and `body` (characters of plain text).
TITLE_MAX = 1_000
SUMMARY_MAX = 5_000
CAPTION_MAX = 2_000
AUTHOR_MAX = 200
TAGS_MAX = 50
BODY_MAX = 2_000_000
# The body's HTML holds the same text plus its markup: cut it where the text is cut.
BODY_HTML_MAX = 2 * BODY_MAX
ELLIPSIS = "\u2026"
# Zero-width joiners and non-joiners shape real names' letters (emoji, Persian); every other
# format character (bidi overrides and isolates, word joiners, tag characters) only hides or
# reverses what a reader sees in a headline.
_KEPT_FORMAT = frozenset("\u200c\u200d")


def strip_format_controls(text: str) -> str:
    """Remove invisible format characters (Unicode Cf: U+202E and the like) from short text."""
    if text.isascii():
        return text
    return "".join(
        char for char in text if char in _KEPT_FORMAT or unicodedata.category(char) != "Cf"
    )


def cut_text(text: str, limit: int) -> str:
    """`text` at most `limit` characters, cut at a word boundary and ended by an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip() + ELLIPSIS


def cut_html(html: str, limit: int) -> str:
    """`html` at most `limit` characters, cut before a tag (sanitising closes what is open)."""
    if len(html) <= limit:
        return html
    head = html[:limit]
    tag = head.rfind("<")
    return head[:tag] if tag > 0 else head


def cut_to_limits(item: ArticleItem) -> list[str]:
    """Cut the item's fields to their limits in place; return the names of the fields cut."""
    cut: list[str] = []
    for name, limit in (("title", TITLE_MAX), ("summary", SUMMARY_MAX)):
        value = getattr(item, name)
        if len(value) > limit:
            setattr(item, name, cut_text(value, limit))
            cut.append(name)
    if len(item.image_caption) > CAPTION_MAX:
        item.image_caption = cut_text(item.image_caption, CAPTION_MAX)
        cut.append("image_caption")
    if any(len(author) > AUTHOR_MAX for author in item.authors):
        item.authors = [cut_text(author, AUTHOR_MAX) for author in item.authors]
        cut.append("authors")
    if len(item.tags) > TAGS_MAX or len(item.tag_slugs) > TAGS_MAX:
        item.tags, item.tag_slugs = item.tags[:TAGS_MAX], item.tag_slugs[:TAGS_MAX]
        cut.append("tags")
    if len(item.body) > BODY_MAX:
        item.body = cut_text(item.body, BODY_MAX)
        cut.append("body")
    if len(item.body_html) > BODY_HTML_MAX:
        item.body_html = cut_html(item.body_html, BODY_HTML_MAX)
        cut.append("body_html")
    return cut
