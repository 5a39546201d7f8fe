"""Provenance of an extracted item: which source gave each field, and do the sources agree.

A page says some things twice: its headline, authors and publication time are in its own
metadata (JSON-LD, meta tags) and in its visible markup (h1, byline, date line). When the two
disagree the markup has drifted; when the extracted value contradicts the metadata the
extraction picked the wrong thing. Both are recorded on the item for the health checks.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from newsmon.extract.fields import Sourced
from newsmon.extract.normalize.text import clean_text
from newsmon.items import Provenance
from newsmon.site import SITE_NAME

# Visible dates have minute precision; JSON-LD has seconds.
DATE_TOLERANCE_SECONDS = 90
# The source name of a field no link of its chain could fill.
NO_SOURCE = "none"
SITE_NAME_SUFFIX = re.compile(rf"\s*[|\u2013\u2014-]\s*{re.escape(SITE_NAME)}\s*$", re.IGNORECASE)
_PUNCT_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def is_filled(value: Any) -> bool:
    """Tell whether a field value holds something (blank text and empty lists do not)."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return any(is_filled(element) for element in value)
    if isinstance(value, int | float):
        return value > 0
    return True


def _norm_title(value: Any) -> str:
    text = clean_text(html.unescape(str(value)))
    text = SITE_NAME_SUFFIX.sub("", text)
    return _PUNCT_EDGES.sub("", " ".join(text.split())).casefold()


def _norm_names(value: Any) -> frozenset[str]:
    names = value if isinstance(value, list) else [value]
    return frozenset(
        " ".join(clean_text(html.unescape(str(name))).split()).casefold() for name in names
    )


def same_value(name: str, first: Any, second: Any) -> bool:
    """Tell whether two values of a cross-checked field say the same thing."""
    if name == "published":
        if not isinstance(first, datetime) or not isinstance(second, datetime):
            return False
        return abs((first - second).total_seconds()) <= DATE_TOLERANCE_SECONDS
    if name == "authors":
        if _all_text(first) and first == second:
            return True  # the usual case (names read from the metadata itself): no normalising
        return _norm_names(first) == _norm_names(second)
    if isinstance(first, str) and type(second) is str and first == second:
        return True
    return _norm_title(first) == _norm_title(second)


def _all_text(value: Any) -> bool:
    """A list of strings only."""
    return isinstance(value, list) and all(type(element) is str for element in value)


def provenance_of(
    values: Mapping[str, Sourced[Any]], tracked: Iterable[str], cross_checked: Iterable[str]
) -> Provenance:
    """The provenance of an item from its fields' Sourced values."""
    provenance = Provenance(
        sources={name: values[name].source or NO_SOURCE for name in tracked},
    )
    for name in cross_checked:
        sourced = values[name]
        if not is_filled(sourced.declared):
            continue
        if is_filled(sourced.markup):
            provenance.compared.append(name)
            if not same_value(name, sourced.markup, sourced.declared):
                provenance.markup_disagrees.append(name)
        if is_filled(sourced.value) and not same_value(name, sourced.value, sourced.declared):
            provenance.item_disagrees.append(name)
    return provenance
