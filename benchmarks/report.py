"""The benchmarks' output: one Markdown table for people, the same figures as JSON for tools."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MET = "met"
MISSED = "missed"
NOT_JUDGED = "not judged"
COLUMNS = ("section", "figure", "newsmon", "baseline", "ratio", "target", "status")


@dataclass(frozen=True)
class Row:
    """One line of the table: a newsmon figure beside the baseline it is compared with."""

    section: str
    figure: str
    newsmon: str
    baseline: str = ""
    ratio: str = ""
    """The comparison: a ratio (`0.21x`), a difference (`+10.2 ms`) or a speed-up."""
    target: str = ""
    status: str = ""
    """`met`, `missed`, `not judged` (no usable figure), or empty when there is no target."""


@dataclass
class SectionResult:
    """What one benchmark section measured."""

    key: str
    """JSON key: crawl_cost, extraction, incremental, publishing, memory."""
    title: str
    figures: dict[str, Any] = field(default_factory=dict)
    """Every raw figure, in SI units (seconds, bytes), for the JSON output."""
    rows: list[Row] = field(default_factory=list)


def judged(ok: bool | None) -> str:
    """Status text of a target: met, missed, or not judged when there is nothing to judge."""
    if ok is None:
        return NOT_JUDGED
    return MET if ok else MISSED


def ratio(value: float, baseline: float) -> float | None:
    """The ratio value / baseline, or None when the baseline is zero."""
    return value / baseline if baseline else None


def fmt_ratio(value: float | None, digits: int = 2) -> str:
    """`1.23x`, or `-` when there is no ratio."""
    return "-" if value is None else f"{value:.{digits}f}x"


def fmt_num(value: float, digits: int = 1) -> str:
    """A number with thousands separators."""
    return f"{value:,.{digits}f}"


def markdown_table(sections: Sequence[SectionResult]) -> str:
    """Every section's rows as one Markdown table (readable as plain text too)."""
    rows = [[getattr(row, name) for name in COLUMNS] for s in sections for row in s.rows]
    widths = [max([len(name), *(len(r[i]) for r in rows)]) for i, name in enumerate(COLUMNS)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(COLUMNS), rule, *(line(r) for r in rows)])


def write_json(path: Path, header: dict[str, Any], sections: Sequence[SectionResult]) -> None:
    """Write the run's header (machine, command, sizes) and every section's figures and rows."""
    document = {
        **header,
        "sections": {
            s.key: {
                "title": s.title,
                "figures": s.figures,
                "rows": [asdict(row) for row in s.rows],
            }
            for s in sections
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
