"""Author names: split bylines, tell names from chrome."""

from __future__ import annotations

import re

NEWS_DESK = "The Kyiv Independent news desk"

# "A, B and C", "A, B, and C", "A & B": commas and a final "and" separate names.
_SEPARATORS = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s+&\s+", re.IGNORECASE)
_BY_PREFIX = re.compile(r"^\s*(?:by|authors?:|written by)(?:\s+|$)", re.IGNORECASE)


def split_byline(byline: str) -> list[str]:
    """Split "by A, B and C" into ["A", "B", "C"], keeping the news desk as one author."""
    text = " ".join(byline.split())
    text = _BY_PREFIX.sub("", text)
    if not text:
        return []
    names = [name.strip(" .;") for name in _SEPARATORS.split(text)]
    return [name for name in names if name and len(name) <= 80]


def join_byline(names: list[str]) -> str:
    """Join names as the site writes a byline: "A", "A and B", "A, B and C"."""
    names = [name for name in names if name]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
