"""The JSON Schema of an archive line, shipped in the package, and the one check built from it.

`article.schema.json` is the contract of `output/articles.jsonl`. The ValidatePipeline (is an
item publishable?) and the archive writer (may this line be written?) both check against it,
so what newsmon accepts and what it promises its readers cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastjsonschema

if TYPE_CHECKING:
    import jsonschema

SCHEMA_FILE = "article.schema.json"


def article_schema_path() -> Path:
    """Path of the JSON Schema (draft 2020-12) that every archive line follows."""
    return Path(str(resources.files("newsmon.schema").joinpath(SCHEMA_FILE)))


def load_article_schema() -> dict[str, Any]:
    """Load the JSON Schema of an archive line."""
    # Read through importlib.resources, not a path: inside a zipped egg (Scrapyd) there is none.
    text = resources.files("newsmon.schema").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> jsonschema.Draft202012Validator:
    """The compiled validator (built once per process)."""
    # Imported here: it only explains a refused record (fastjsonschema says yes to the rest),
    # and importing it costs a run 50 ms.
    import jsonschema

    return jsonschema.Draft202012Validator(load_article_schema())


@cache
def _quick_check() -> Any:
    """The same schema compiled to Python by fastjsonschema: a fast yes for a valid record.

    Only a yes is taken from it: a record it refuses goes to jsonschema, which names every
    problem (and has the last word: fastjsonschema also checks formats, which jsonschema
    leaves alone). It never accepts a record jsonschema refuses (checked on 15,000 mutated
    records of a crawl's archive: `tests/test_schema_check.py`).
    """
    return fastjsonschema.compile(load_article_schema())


def is_valid_record(record: dict[str, Any]) -> bool:
    """Tell whether `record` passes the compiled schema check."""
    try:
        _quick_check()(record)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


@cache
def _field_order() -> dict[str, int]:
    """Each field's place in the schema's `required` list."""
    return {name: index for index, name in enumerate(load_article_schema()["required"])}


def field_rank(name: str) -> int:
    """A field's place in the schema's order (problems are reported in this order)."""
    order = _field_order()
    return order.get(name, len(order))


@dataclass(frozen=True)
class Problem:
    """One way a record breaks the schema."""

    field: str
    """The record field at fault ("" for a rule between fields)."""

    missing: bool
    """The field is absent, null or blank (rather than present and malformed)."""

    message: str
    """The validator's own words."""


def record_problems(record: dict[str, Any]) -> list[Problem]:
    """Every way `record` breaks the schema, in the schema's field order ([] if it is valid)."""
    if is_valid_record(record):
        return []
    problems = []
    for error in _validator().iter_errors(record):
        if error.validator == "required":
            name = str(error.message).split("'")[1] if "'" in str(error.message) else ""
            problems.append(Problem(name, True, error.message))
            continue
        name = str(error.absolute_path[0]) if error.absolute_path else ""
        value = record.get(name) if name else None
        blank = value is None or (isinstance(value, str) and not value.strip())
        problems.append(Problem(name, blank, error.message))
    return sorted(problems, key=lambda problem: field_rank(problem.field))
