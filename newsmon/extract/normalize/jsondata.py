"""JSON read from a page (JSON-LD, the app's `__NEXT_DATA__`), with size and depth caps.

A page is input from the network: a JSON-LD block nested 100,000 deep makes Python's parser
recurse until RecursionError, and a 5 MB "description" would travel into every feed. So a
block is measured before it is parsed: too large or too deeply nested, it is refused with a
reason the page object counts, and the other sources of a field get their turn.
"""

from __future__ import annotations

import json
import re
from typing import Any

# A JSON-LD block of a news article is a few kilobytes; the app's page data of a listing or an
# article, with the body's HTML, a few hundred. Anything far past that is not the page's data.
MAX_JSONLD_CHARS = 1_000_000
MAX_APP_DATA_CHARS = 8_000_000
# Real payloads nest a dozen levels; 64 leaves room for any app while staying far below the
# interpreter's recursion limit.
MAX_DEPTH = 64

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# strict=False: Ghost's JSON-LD may carry raw control characters inside strings. One decoder
# for every block: `json.loads` with an option builds a decoder and its scanner per call.
_DECODER = json.JSONDecoder(strict=False)


class JsonRefused(ValueError):
    """A JSON block that is not read: too large, too deep, or not JSON."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def nesting_depth(raw: str) -> int:
    """How deeply the arrays and objects of a JSON text nest (brackets inside strings ignored)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", raw))
    depth = deepest = 0
    for bracket in brackets:
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def load_json(raw: str, *, max_chars: int, max_depth: int = MAX_DEPTH) -> Any:
    """Parse a JSON text from a page; raise JsonRefused (too_large, too_deep, malformed)."""
    if len(raw) > max_chars:
        raise JsonRefused("too_large")
    # A text with fewer brackets than the cap cannot nest past it (most blocks): no scan.
    if raw.count("{") + raw.count("[") > max_depth and nesting_depth(raw) > max_depth:
        raise JsonRefused("too_deep")
    try:
        return _DECODER.decode(raw)
    except (ValueError, RecursionError) as error:
        raise JsonRefused("malformed") from error
