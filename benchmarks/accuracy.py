"""Scoring extracted fields against the replica's truth.json.

Body: token-level precision, recall and F1 over whitespace tokens of the whole body (the
bag of tokens: order and paragraph breaks do not count, every missing or extra word does).
Title, date and authors: right or wrong per page; a field the tool left empty is wrong.
"""

from __future__ import annotations

import html
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# The site's local time: pages show dates in it, so a tool may report the local day.
KYIV = ZoneInfo("Europe/Kyiv")


@dataclass(frozen=True)
class TokenScore:
    """Token-level precision, recall and F1 of one body."""

    precision: float
    recall: float
    f1: float


def token_score(extracted: str, truth_paragraphs: Sequence[str]) -> TokenScore:
    """Compare the whitespace tokens of an extracted body with the truth's paragraphs."""
    predicted = Counter(extracted.split())
    expected = Counter(" ".join(truth_paragraphs).split())
    common = sum((predicted & expected).values())
    n_predicted, n_expected = sum(predicted.values()), sum(expected.values())
    if n_predicted == 0 and n_expected == 0:
        return TokenScore(1.0, 1.0, 1.0)
    precision = common / n_predicted if n_predicted else 0.0
    recall = common / n_expected if n_expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return TokenScore(precision, recall, f1)


def normalize_text(value: str) -> str:
    """Text as a reader sees it: entities decoded, Unicode composed, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", html.unescape(value)).split())


def title_correct(extracted: str | None, truth: str) -> bool:
    """The headline, exactly (after `normalize_text`)."""
    return extracted is not None and normalize_text(extracted) == normalize_text(truth)


def authors_correct(extracted: Sequence[str] | None, truth: Sequence[str]) -> bool:
    """The same set of author names (case and spacing aside)."""
    if not extracted:
        return False
    return {normalize_text(name).casefold() for name in extracted} == {
        normalize_text(name).casefold() for name in truth
    }


def date_correct(extracted: datetime | date | None, truth_iso: str) -> bool:
    """The publication time, at the precision the tool reports.

    An aware datetime must be the same instant; a naive one the same wall time in UTC or in
    Kyiv time; a bare date (trafilatura) the same day in UTC or in Kyiv time.
    """
    truth = datetime.fromisoformat(truth_iso)
    utc, local = truth.astimezone(UTC), truth.astimezone(KYIV)
    if isinstance(extracted, datetime):
        if extracted.tzinfo is not None and extracted.utcoffset() is not None:
            return extracted == truth
        return extracted in (utc.replace(tzinfo=None), local.replace(tzinfo=None))
    if isinstance(extracted, date):
        return extracted in (utc.date(), local.date())
    return False


def date_precision(values: Sequence[datetime | date | None]) -> str:
    """What the tool's dates say: `time` (with offset), `naive time`, `day` or `none`."""
    kinds = set()
    for value in values:
        if isinstance(value, datetime):
            kinds.add("time" if value.tzinfo is not None else "naive time")
        elif isinstance(value, date):
            kinds.add("day")
    return "/".join(sorted(kinds)) or "none"
