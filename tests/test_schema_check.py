"""The compiled schema check (fastjsonschema) never accepts a record jsonschema refuses.

`newsmon.schema.record_problems` takes a yes from the compiled check and asks jsonschema only
about records it refuses; this holds only if the compiled check is never more lenient. Checked
on valid archive records and thousands of mutations of them (missing, blank, wrong-typed,
malformed fields, extra keys), as the pipeline and the archive writer would meet them.
"""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from typing import Any

from newsmon.items import ArticleItem
from newsmon.pipeline.validate import _record_of
from newsmon.schema import _validator, is_valid_record, record_problems

SITE = "https://kyivindependent.com"
T0 = datetime(2026, 11, 27, 11, 52, tzinfo=UTC)
# Values a broken page, a bug or a hostile page could put in any field.
ODD_VALUES: list[Any] = [
    None,
    "",
    " ",
    "x",
    "not a url",
    "http://",
    "ftp://example.com/a",
    "javascript:alert(1)",
    f"{SITE}/a b/",
    "2026-13-01T00:00:00+00:00",
    "2026-11-27",
    "2026-11-27T11:52:00",
    "2026-11-27T11:52:00+00:00",
    0,
    -1,
    1.5,
    True,
    [],
    [""],
    ["a", None],
    [1],
    {},
    f"{SITE}/x/",
    "new",
    "updated",
    "copy",
    ["news-feed"],
    3,
]


def records() -> list[dict[str, Any]]:
    """Valid archive records: full, minimal, and with every list filled."""
    base = {
        "url": f"{SITE}/talks-in-helsinki/",
        "title": "Talks in Helsinki",
        "authors": ["Andrew Hale"],
        "published": T0,
        "modified": T0,
        "tags": ["News Feed", "Ukraine"],
        "tag_slugs": ["news-feed", "ukraine"],
        "primary_tag": "News Feed",
        "summary": "Delegates arrive.",
        "body": "The talks are expected to take place in Helsinki.",
        "body_html": "<p>The talks are expected to take place in Helsinki.</p>",
        "image_url": f"{SITE}/content/images/a.jpg",
        "image_caption": "Delegates arrive (Photo: A)",
        "related": [f"{SITE}/earlier-talks/"],
        "listings": ["news-feed", "ukraine"],
        "crawled_at": T0,
    }
    minimal = {
        "url": f"{SITE}/b/",
        "title": "B",
        "published": T0,
        "body": "Short.",
        "crawled_at": T0,
    }
    return [_record_of(ArticleItem(**values)) for values in (base, minimal)]


def jsonschema_accepts(record: dict[str, Any]) -> bool:
    return next(iter(_validator().iter_errors(record)), None) is None


def test_valid_records_pass_both_checks() -> None:
    for record in records():
        assert is_valid_record(record) and jsonschema_accepts(record)
        assert record_problems(record) == []


def test_the_compiled_check_never_accepts_what_jsonschema_refuses() -> None:
    rng = random.Random(20)
    refused = 0
    for record in records():
        keys = [*record, "extra"]
        for _ in range(2500):
            mutated = copy.deepcopy(record)
            for _ in range(rng.randint(1, 3)):
                key = rng.choice(keys)
                if rng.random() < 0.2:
                    mutated.pop(key, None)
                else:
                    mutated[key] = copy.deepcopy(rng.choice(ODD_VALUES))
            if is_valid_record(mutated):
                assert jsonschema_accepts(mutated), mutated
            else:
                refused += 1
                # What the pipeline reports is jsonschema's account, as before.
                expected = [error.message for error in _validator().iter_errors(mutated)]
                assert sorted(p.message for p in record_problems(mutated)) == sorted(expected)
    assert refused > 2500, "the mutations should mostly break the record"
