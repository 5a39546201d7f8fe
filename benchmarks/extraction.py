"""Section 2, extraction: newsmon's page objects against trafilatura and newspaper4k.

Every tool gets the same article pages of the replica, fetched once, as HTML text, in this
process. Speed is CPU time per page (`time.process_time`, so the machine's other load is not
counted), the best of a few passes after a warm-up pass, the tools taking turns; accuracy is
scored against truth.json (see `benchmarks.accuracy`).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from benchmarks.accuracy import (
    authors_correct,
    date_correct,
    date_precision,
    title_correct,
    token_score,
)
from benchmarks.extractors import Extracted, Extractor, load_baselines, newsmon_extractor
from benchmarks.replica import Replica
from benchmarks.report import Row, SectionResult, fmt_num, judged

SECTION = "2 extraction"
# Targets: at least this many times faster than trafilatura, and this body F1 (and above
# trafilatura's on the same pages).
SPEEDUP_TARGET = 10.0
F1_TARGET = 0.99
TARGET_BASELINE = "trafilatura"


@dataclass(frozen=True)
class Page:
    """One article page as the tools see it, with its truth."""

    url: str
    html: str
    truth: dict[str, Any]


@dataclass
class ToolResult:
    """What one extractor produced on every page, how fast, and how well."""

    extractor: Extractor
    outputs: list[Extracted]
    errors: list[str] = field(default_factory=list)
    cpu_ms_per_pass: list[float] = field(default_factory=list)
    wall_ms_per_pass: list[float] = field(default_factory=list)
    pages: int = 0

    @property
    def cpu_ms_per_page(self) -> float:
        """Best pass, per page."""
        return min(self.cpu_ms_per_pass) / self.pages

    def scores(self, pages: list[Page]) -> dict[str, Any]:
        """Body precision/recall/F1 (means over pages) and field accuracies."""
        body = [
            token_score(out.body, page.truth["body"])
            for out, page in zip(self.outputs, pages, strict=True)
        ]
        pairs = list(zip(self.outputs, pages, strict=True))
        return {
            "body_precision": fmean(s.precision for s in body),
            "body_recall": fmean(s.recall for s in body),
            "body_f1": fmean(s.f1 for s in body),
            "body_f1_min": min(s.f1 for s in body),
            "pages_f1_below_target": sum(1 for s in body if s.f1 < F1_TARGET),
            "title_accuracy": fmean(title_correct(o.title, p.truth["title"]) for o, p in pairs),
            "date_accuracy": fmean(
                date_correct(o.published, p.truth["published"]) for o, p in pairs
            ),
            "date_precision": date_precision([o.published for o in self.outputs]),
            "authors_accuracy": fmean(
                authors_correct(o.authors, p.truth["authors"]) for o, p in pairs
            ),
        }


def sample_pages(replica: Replica, count: int) -> list[Page]:
    """`count` article pages spread evenly over the replica's timeline (every kind and theme)."""
    truth = replica.truth()
    step = max(1, len(truth) // count)
    chosen = truth[::step][:count]
    return [
        Page(t["url"], replica.get(t["url"].removeprefix(replica.base_url)).decode(), t)
        for t in chosen
    ]


def run_tools(extractors: list[Extractor], pages: list[Page], repeats: int) -> list[ToolResult]:
    """Each tool's warm-up pass (its outputs kept), then `repeats` rounds of a timed pass each.

    The tools take turns, round by round, so that every tool's passes fall in the same
    stretch of time: this machine's speed moves by a third from one minute to the next, and
    timed one tool after the other (all of newsmon's passes took a second, trafilatura's
    eight) the two were compared across its phases. The crawl section alternates its runs
    for the same reason. Each tool's figure is still its best pass, whichever round gave it.
    """
    results = [ToolResult(extractor, [], pages=len(pages)) for extractor in extractors]
    for result in results:
        for page in pages:
            try:
                result.outputs.append(result.extractor.extract(page.html, page.url))
            except Exception as error:  # a tool failing on a page scores zero there
                result.errors.append(f"{page.url}: {type(error).__name__}: {error}")
                result.outputs.append(Extracted(None, "", None, None))
    for round_number in range(repeats):
        # Each round starts with the next tool, so that no tool always goes first.
        start = round_number % len(results)
        for result in results[start:] + results[:start]:
            extract = result.extractor.extract
            cpu, wall = time.process_time(), time.perf_counter()
            for page in pages:
                # Failures were counted in the warm-up pass.
                with contextlib.suppress(Exception):
                    extract(page.html, page.url)
            result.cpu_ms_per_pass.append((time.process_time() - cpu) * 1000)
            result.wall_ms_per_pass.append((time.perf_counter() - wall) * 1000)
    return results


def extraction(replica: Replica, pages_wanted: int, repeats: int) -> SectionResult:
    """Time and score newsmon and every installed baseline on the same pages."""
    pages = sample_pages(replica, pages_wanted)
    baselines, missing = load_baselines()
    ours, *theirs = run_tools([newsmon_extractor(), *baselines], pages, repeats)
    scores = {r.extractor.name: r.scores(pages) for r in (ours, *theirs)}
    figures: dict[str, Any] = {"pages": len(pages), "repeats": repeats, "missing": missing}
    for r in (ours, *theirs):
        figures[r.extractor.name] = {
            "version": r.extractor.version,
            "settings": r.extractor.settings,
            "cpu_ms_per_page": r.cpu_ms_per_page,
            "cpu_ms_per_pass": r.cpu_ms_per_pass,
            "wall_ms_per_pass": r.wall_ms_per_pass,
            "errors": r.errors[:20],
            "error_count": len(r.errors),
            **scores[r.extractor.name],
        }
    return SectionResult("extraction", "Extraction", figures, _rows(ours, theirs, missing, scores))


def _rows(
    ours: ToolResult,
    theirs: list[ToolResult],
    missing: dict[str, str],
    scores: dict[str, dict[str, Any]],
) -> list[Row]:
    """Speed, body and field rows: newsmon against each baseline."""
    mine = scores["newsmon"]
    n = ours.pages
    baselines = [(r.extractor.name, r) for r in theirs] + [(name, None) for name in missing]
    baselines.sort(key=lambda pair: pair[0] != TARGET_BASELINE)
    speed: list[Row] = []
    body: list[Row] = []
    fields: list[Row] = []
    for name, result in baselines:
        targeted = name == TARGET_BASELINE
        if result is None:
            absent = f"{name}: {missing[name]}"
            speed.append(
                Row(
                    SECTION,
                    f"CPU ms per page ({n} pages)",
                    fmt_num(ours.cpu_ms_per_page, 2),
                    absent,
                    "",
                    f">= {SPEEDUP_TARGET:g}x faster" if targeted else "",
                    judged(None) if targeted else "",
                )
            )
            body.append(_body_row(mine, None, name, absent, targeted))
            continue
        speedup = result.cpu_ms_per_page / ours.cpu_ms_per_page
        speed.append(
            Row(
                SECTION,
                f"CPU ms per page ({n} pages)",
                fmt_num(ours.cpu_ms_per_page, 2),
                f"{name} {fmt_num(result.cpu_ms_per_page, 2)}",
                f"{speedup:.1f}x faster",
                f">= {SPEEDUP_TARGET:g}x faster" if targeted else "",
                judged(speedup >= SPEEDUP_TARGET) if targeted else "",
            )
        )
        body.append(_body_row(mine, scores[name], name, "", targeted))
        fields.append(
            Row(
                SECTION,
                "title / date / authors correct",
                _fields(mine),
                f"{name} {_fields(scores[name])}",
            )
        )
    if not baselines:
        body.append(_body_row(mine, None, TARGET_BASELINE, "", True))
    if not fields:
        fields.append(Row(SECTION, "title / date / authors correct", _fields(mine)))
    return speed + body + fields


def _body_row(
    mine: dict[str, Any], theirs: dict[str, Any] | None, name: str, absent: str, targeted: bool
) -> Row:
    """Body F1 (precision / recall) of newsmon beside one baseline's."""
    f1 = mine["body_f1"]
    target = f">= {F1_TARGET:g} and > {name}" if targeted else ""
    if theirs is None:
        status = judged(False) if f1 < F1_TARGET else judged(None)
        return Row(
            SECTION,
            "body F1 (precision / recall)",
            _prf(mine),
            absent,
            "",
            target,
            status if targeted else "",
        )
    return Row(
        SECTION,
        "body F1 (precision / recall)",
        _prf(mine),
        f"{name} {_prf(theirs)}",
        f"{f1 - theirs['body_f1']:+.3f}",
        target,
        judged(f1 >= F1_TARGET and f1 > theirs["body_f1"]) if targeted else "",
    )


def _prf(scores: dict[str, Any]) -> str:
    """`0.999 (1.000 / 0.998)`."""
    return f"{scores['body_f1']:.3f} ({scores['body_precision']:.3f} / {scores['body_recall']:.3f})"


def _fields(scores: dict[str, Any]) -> str:
    """`100% / 98% (day) / 97%`."""
    precision = scores["date_precision"]
    day = " (day)" if precision == "day" else ""
    return (
        f"{scores['title_accuracy']:.0%} / {scores['date_accuracy']:.0%}{day}"
        f" / {scores['authors_accuracy']:.0%}"
    )
