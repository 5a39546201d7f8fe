"""Bylines split into authors the way readers read them."""

from __future__ import annotations

import pytest

from newsmon.extract.normalize.authors import NEWS_DESK, split_byline


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        (
            "by Kateryna Hodunova and The Kyiv Independent news desk",
            ["Kateryna Hodunova", NEWS_DESK],
        ),
        ("by A One, B Two and C Three", ["A One", "B Two", "C Three"]),
        ("by A One, B Two, and C Three", ["A One", "B Two", "C Three"]),
        ("A One and B Two", ["A One", "B Two"]),
        ("Authors: A One, The Kyiv Independent news desk", ["A One", NEWS_DESK]),
        (NEWS_DESK, [NEWS_DESK]),
        ("by  Martin   Fornusek ", ["Martin Fornusek"]),
        ("by", []),
        ("", []),
    ],
)
def test_split_byline(byline: str, expected: list[str]) -> None:
    assert split_byline(byline) == expected
