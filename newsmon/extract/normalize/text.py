"""Text helpers: one clean spelling of every text field, whatever the page's markup did."""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Iterable
from itertools import filterfalse

# Invisible characters that split words for a reader's search but show nothing: zero-width
# space/joiners, word joiner, BOM, and the soft hyphen.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# C0 and C1 controls except tab, newline and carriage return (those are whitespace to us).
_CONTROLS = "".join(
    chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if c not in (9, 10, 13)
)
# A character class, not str.translate: translate looks up every character in a dict (about
# 100 us for a 1.3 KB date line), the regex scans in C (10 us).
DELETED_CHARACTERS = _INVISIBLE + _CONTROLS
"""What `clean_text` deletes outright (invisible characters and control characters)."""
_DELETE = re.compile("[" + re.escape(DELETED_CHARACTERS) + "]")

_ASCII_CONTROLS = re.compile("[" + re.escape("".join(c for c in _CONTROLS if c < "\x80")) + "]")

# A paragraph break: a blank line, or Unicode's own paragraph separator.
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*|\u2029\s*")
_NEWLINES = re.compile(r"\r\n?")

# Link labels and promo calls that pages put after an excerpt or a body; never content.
_CHROME_PHRASES = ("read more", "continue reading", "support us", "join our community")
_CHROME_TAIL = r"\s*[:.…→»\u203a>]*\s*"  # \u203a: single right angle quote
_CHROME_LINE = re.compile(
    r"^(?:" + "|".join(map(re.escape, _CHROME_PHRASES)) + r")" + _CHROME_TAIL + r"$",
    re.IGNORECASE,
)
# As a suffix only the capitalised label counts: "people want to read more" is a sentence,
# "... cut mid-wo Read more" is a card's link.
# The separator before it goes too; an ellipsis stays, it says the excerpt was cut.
_CHROME_SUFFIX = re.compile(
    r"(?:\s+[|\u2014\u2013-])?\s+(?:Read(?i: more)|Continue(?i: reading))" + _CHROME_TAIL + "$"
)

# Inside a word: apostrophes (straight and \u2019), hyphens, and the separators of 1,000.5.
_WORD = re.compile(r"\w+(?:['\u2019.,\-]\w+)*")


def collapse_spaces(text: str) -> str:
    """`" ".join(text.split())`: whitespace runs to one space, none at the ends."""
    # Every whitespace character but the space is unprintable (tests/test_text.py checks every
    # code point), so printable text without a double or edge space is its own answer: one
    # scan in C, where splitting built a string per word (most paragraphs and names).
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        # str(): a plain str, as joining gives, even for a subclass (an lxml smart string
        # would keep its whole tree alive).
        return str(text)
    return " ".join(text.split())


def _scrub(text: str) -> str:
    """Decode entities, compose to NFC, and delete invisible and control characters."""
    return _DELETE.sub("", unicodedata.normalize("NFC", html.unescape(text)))


def clean_text(text: str | None) -> str:
    """Return one-line text: entities decoded, NFC, no invisible characters, spaces collapsed."""
    if not text:
        return ""
    # isprintable() first: in C, a text without tab or newline (most) needs no regex.
    if (
        text.isascii()
        and "&" not in text
        and (text.isprintable() or not _ASCII_CONTROLS.search(text))
    ):
        # Most text nodes: nothing to decode, compose or delete, so only the spaces collapse.
        return collapse_spaces(text)
    # str.split() splits at the characters of Unicode's whitespace, exactly those `\s`
    # matches (NBSP, thin and ideographic spaces, line separators; tests/test_text.py
    # checks every code point), at half the cost of `re.sub(r"\s+", " ", ...)`.
    return collapse_spaces(_scrub(text))


# An article's body is cleaned by the clean pipeline and again by the store (its fingerprint is
# of the cleaned text): the last few answers are remembered.
@functools.lru_cache(maxsize=16)
def clean_block_text(text: str | None) -> str:
    """Clean multi-paragraph text, keeping exactly one blank line between paragraphs."""
    if not text:
        return ""
    scrubbed = _NEWLINES.sub("\n", _scrub(text))
    # A single newline is a wrapped line inside a paragraph (HTML whitespace), not a break.
    # Scrubbing a scrubbed paragraph again changes it only by decoding an "&" or composing
    # what a deleted character had kept apart ("e", U+200B, U+0301): without either, its
    # spaces collapse alone.
    paragraphs = (
        collapse_spaces(p)
        if "&" not in p and unicodedata.is_normalized("NFC", p)
        else clean_text(p)
        for p in _PARAGRAPH_BREAK.split(scrubbed)
    )
    return "\n\n".join(p for p in paragraphs if p)


def clean_markup(markup: str | None) -> str:
    """Clean HTML without touching its entities or spacing: NFC, no invisible characters."""
    if not markup:
        return ""
    # Entities stay encoded here: decoding &lt; inside markup would create tags.
    return _DELETE.sub("", unicodedata.normalize("NFC", markup)).strip()


def strip_trailing_chrome(text: str) -> str:
    """Remove trailing "Read more", "Continue reading", "Support us" lines and link suffixes."""
    lines = text.rstrip().split("\n")
    while lines:
        last = lines[-1].strip()
        if not last or _CHROME_LINE.match(last):
            lines.pop()
            continue
        trimmed = _CHROME_SUFFIX.sub("", last)
        if trimmed != last:
            lines[-1] = trimmed
            continue
        break
    return "\n".join(lines).rstrip()


def may_open_byline(raw: str) -> bool:
    """Tell whether raw text can start with "by " once cleaned (`clean_text`, lower-cased).

    False for most texts of a card or page, at a fraction of cleaning them: only an entity or
    a deleted invisible character can hide a "by" that the raw text does not start with (no
    other character lowers or composes to "b" or "y").
    """
    return raw.lstrip()[:2].lower() == "by" or "&" in raw or _DELETE.search(raw) is not None


def dedupe_keep_order(values: Iterable[str]) -> list[str]:
    """Drop repeats that differ only in case or spacing, keeping the first spelling; no blanks."""
    seen: set[str] = set()
    kept: list[str] = []
    for value in values:
        key = " ".join(value.split()).casefold()
        if key and key not in seen:
            seen.add(key)
            kept.append(value)
    return kept


# An article's body is counted where it is extracted, cleaned, held back and audited: the last
# few counts are remembered (a few, so a page read again later is counted again).
@functools.lru_cache(maxsize=16)
def word_count(text: str) -> int:
    """Count the words of plain text ("full-scale", "Russia's", "1,000" count once each)."""
    # Per whitespace-separated token: a token of letters and digits only is one word (most
    # of them, no regex call), and so is one between punctuation ("war.", "(AP)"): no match
    # of the pattern starts or ends in a non-word character. The rest are counted by the
    # pattern, which never spans spaces.
    tokens = text.split()
    # The test per token in C (filterfalse): only the tokens with punctuation come to Python.
    punctuated = list(filterfalse(str.isalnum, tokens))
    count = len(tokens) - len(punctuated)
    for token in punctuated:
        core = token.strip(_EDGE_PUNCTUATION)
        count += 1 if core and core.isalnum() else len(_WORD.findall(token))
    return count


# Punctuation around a word, none of it a word character (\w): "war," "(AP)" "“Kyiv”".
_EDGE_PUNCTUATION = ".,;:!?'\"()[]{}\u2018\u2019\u201c\u201d\u00ab\u00bb\u2013\u2014\u2026-/"
