"""Every date form the site uses parses to the same timezone-aware UTC instant."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import pytest

from newsmon.extract.normalize import dates as dates_module
from newsmon.extract.normalize.dates import (
    RAW_CLOCK,
    is_plausible,
    may_show_clock_time,
    parse_card_date,
    parse_iso,
    parse_js_date,
    parse_visible_date,
)
from newsmon.extract.normalize.text import DELETED_CHARACTERS, clean_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-03T13:43:00.000Z", datetime(2025, 6, 3, 13, 43, tzinfo=UTC)),
        ("2025-06-03T16:43:00+03:00", datetime(2025, 6, 3, 13, 43, tzinfo=UTC)),
        ("2025-06-03T13:43:00", datetime(2025, 6, 3, 13, 43, tzinfo=UTC)),
        ("2025-06-03", datetime(2025, 6, 3, tzinfo=UTC)),
        ("", None),
        ("not a date", None),
        ("Tue Jun 03 2025", None),
    ],
)
def test_parse_iso(text: str, expected: datetime | None) -> None:
    assert parse_iso(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Tue Jun 03 2025 13:18:00 GMT+0000 (Coordinated Universal Time)",
            datetime(2025, 6, 3, 13, 18, tzinfo=UTC),
        ),
        (
            "Tue Jun 03 2025 16:18:00 GMT+0300 (Eastern European Summer Time)",
            datetime(2025, 6, 3, 13, 18, tzinfo=UTC),
        ),
        ("Mon Jan 06 2025 09:05:00 GMT+0200", datetime(2025, 1, 6, 7, 5, tzinfo=UTC)),
        ("Mon jan 6 2025 9:05 GMT-0100", datetime(2025, 1, 6, 10, 5, tzinfo=UTC)),
        ("Mon Jan 06 2025 24:05:00 GMT+0000", None),
        ("Mon Feb 30 2025 09:05:00 GMT+0000", None),
        ("Mon Jan 06 2025 09:05:00 GMT+2400", None),
        ("Mon Jan 00 2025 09:05:00 GMT+0000", None),
        ("2025-06-03T13:18:00Z", None),
        ("garbage", None),
    ],
)
def test_parse_js_date(text: str, expected: datetime | None) -> None:
    assert parse_js_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2025-06-03T13:18:00.000Z",
        "Tue Jun 03 2025 13:18:00 GMT+0000 (Coordinated Universal Time)",
    ],
)
def test_card_date_takes_both_forms(text: str) -> None:
    assert parse_card_date(text) == datetime(2025, 6, 3, 13, 18, tzinfo=UTC)


def test_a_card_date_is_the_iso_or_the_javascript_reading_of_it() -> None:
    """The card reader's shortcut (a text led by a letter is no ISO date) changes no answer."""
    rng = random.Random(20261207)
    pieces = [
        "Tue ",
        "Jun 03 2025 13:18:00",
        " GMT+0300",
        " GMT",
        " (EEST)",
        "2025-06-03",
        "T13:18:00",
        "Z",
        "+03:00",
        " ",
        "\u00a0",
        "\t",
        "\u0661",
        "Zulu",
        "x",
        ":",
        "-",
    ]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) for _ in range(20000)]
    for text in [*texts, None, "", "  Tue Jun 03 2025 13:18 GMT", "Z2025-06-03"]:
        assert parse_card_date(text) == (parse_iso(text) or parse_js_date(text)), text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Kyiv is UTC+2 in winter and UTC+3 in summer.
        ("March 18, 2025 5:17 PM", datetime(2025, 3, 18, 15, 17, tzinfo=UTC)),
        ("by A and B March 18, 2025 5:17 PM 2 min read", datetime(2025, 3, 18, 15, 17, tzinfo=UTC)),
        ("June 3, 2025 9:05 AM", datetime(2025, 6, 3, 6, 5, tzinfo=UTC)),
        ("January 18, 2023 7:27 PM", datetime(2023, 1, 18, 17, 27, tzinfo=UTC)),
        ("Jan. 18, 2023, 7:27 p.m.", datetime(2023, 1, 18, 17, 27, tzinfo=UTC)),
        ("November 11, 2022 12:15 AM", datetime(2022, 11, 10, 22, 15, tzinfo=UTC)),
        ("2 min read", None),
        ("", None),
    ],
)
def test_parse_visible_date_reads_kyiv_time(text: str, expected: datetime | None) -> None:
    assert parse_visible_date(text) == expected


@pytest.mark.parametrize(
    ("value", "plausible"),
    [
        (datetime(2025, 3, 18, tzinfo=UTC), True),
        (datetime(1970, 1, 1, tzinfo=UTC), False),
        (datetime(2999, 1, 1, tzinfo=UTC), False),
        (None, False),
    ],
)
def test_is_plausible(value: datetime | None, plausible: bool) -> None:
    assert is_plausible(value, now=datetime(2026, 11, 27, tzinfo=UTC)) is plausible


@pytest.mark.parametrize(
    "raw",
    [
        "by Andrew Hale March 18, 2025 5:17 PM 2 min read",
        "by Andrew Hale March 18, 2025 5&#58;17 PM",
        "by Andrew Hale March 18, 2025 5\u200b:17 PM",
        "by Andrew Hale Jan. 18, 2023, 7:27 p.m. (Updated: Jan. 19, 2023, 9:05 a.m.)",
        "Dec 1, 2024 12:05\u00a0AM",
        "by Andrew Hale 1 min read (Photo: Andrii Rudenko / Anadolu)",
        "",
    ],
)
def test_the_clock_time_gate_never_hides_a_visible_date(raw: str) -> None:
    """Text the gate turns away holds no visible date once cleaned; text with one passes it."""
    found = parse_visible_date(clean_text(raw))
    if not may_show_clock_time(raw):
        assert found is None
    if found is not None:
        assert may_show_clock_time(raw)


@pytest.mark.parametrize("colons_for_the_regex", [1, dates_module.COLONS_FOR_THE_REGEX])
def test_the_clock_time_gate_is_its_pattern_exactly(
    colons_for_the_regex: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The colon-first scan answers as RAW_CLOCK's search (or an entity) on random texts.

    With 1 the scan is taken for every text (no text has more colons than characters); with
    the module's own value, the colon-dense texts go to the regex.
    """
    monkeypatch.setattr(dates_module, "COLONS_FOR_THE_REGEX", colons_for_the_regex)
    rng = random.Random(58)
    # Digits of three scripts, deleted characters, colons, entities' "&", and plain text.
    alphabet = "0159\u0665\u096b:&: a.\u200b\u00ad\u2060\x07\u200e\ufeffP"
    for _ in range(20_000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        # Some long texts, with few colons: the scan's own case under the module's value.
        raw += "x" * rng.choice([0, 0, 40, 400])
        expected = "&" in raw or RAW_CLOCK.search(raw) is not None
        assert may_show_clock_time(raw) is expected, repr(raw)


def test_no_deleted_character_is_a_digit() -> None:
    """The gate skips deleted characters before its digit test: none may be a digit."""
    assert not re.search(r"\d", DELETED_CHARACTERS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("March 18, 2025 12:05 AM", datetime(2025, 3, 17, 22, 5, tzinfo=UTC)),
        ("March 18, 2025 12:05 PM", datetime(2025, 3, 18, 10, 5, tzinfo=UTC)),
        ("Sept 3, 2022 1:00 pm", datetime(2022, 9, 3, 10, 0, tzinfo=UTC)),
        ("February 30, 2024 1:00 PM", None),
        ("March 18, 2025 13:00 PM", None),
        ("March 18, 2025 0:10 AM", None),
        ("March 18, 2025 9:60 AM", None),
        # Digits of other scripts are no hour or day (as strptime reads them).
        ("March 18, 2025 \u0665:17 PM", None),
        ("March \u0665, 2025 5:17 PM", None),
    ],
)
def test_visible_date_follows_the_twelve_hour_clock(text: str, expected: datetime | None) -> None:
    """Noon and midnight, the long month names, and impossible times or days (no date)."""
    assert parse_visible_date(text) == expected
