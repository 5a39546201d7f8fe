import random
import re
import sys

import pytest

from newsmon.extract.normalize import text as text_module
from newsmon.extract.normalize.text import (
    clean_block_text,
    clean_markup,
    clean_text,
    collapse_spaces,
    dedupe_keep_order,
    strip_trailing_chrome,
    word_count,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  Kyiv  ", "Kyiv"),
        # entities decoded, once
        (
            "Trump, Putin call &#x27;going well,&#x27; White House says",
            "Trump, Putin call 'going well,' White House says",
        ),
        ("R&amp;D &mdash; costs", "R&D — costs"),
        ("&amp;lt;b&amp;gt;", "&lt;b&gt;"),
        # NBSP and other Unicode spaces collapse to one space
        ("Kyiv\u00a0Independent", "Kyiv Independent"),
        ("Kyiv&nbsp;&nbsp; Independent", "Kyiv Independent"),
        ("a\u2009b\u3000c\u202fd", "a b c d"),
        ("line one\nline two\r\n\tend", "line one line two end"),
        # zero-width characters, BOM, soft hyphen removed (they split words invisibly)
        ("Zelen\u200bsky", "Zelensky"),
        ("\ufeffHeadline", "Headline"),
        ("Kha\u00adrkiv", "Kharkiv"),
        ("a\u200c\u200d\u2060b", "ab"),
        # control characters removed
        ("bell\x07 and\x00 null\x1b", "bell and null"),
        ("C1\x85control\x9f", "C1control"),
        # NFC: a decomposed letter becomes one code point
        ("Kyi\u0308v", "Kyïv"),
        ("Zelenskyi\u0306", "Zelenskyĭ"),
    ],
)
def test_clean_text(raw: str | None, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("One.\n\nTwo.", "One.\n\nTwo."),
        # several blank lines, blank lines with spaces, become one blank line
        ("One.\n\n\n\nTwo.", "One.\n\nTwo."),
        ("One.\n \t\n  \nTwo.", "One.\n\nTwo."),
        ("One.\r\n\r\nTwo.", "One.\n\nTwo."),
        ("One.\u2029Two.", "One.\n\nTwo."),
        # a single newline is a wrapped line inside a paragraph
        ("One line\nwrapped.\n\nTwo.", "One line wrapped.\n\nTwo."),
        # each paragraph is cleaned like one-line text
        ("  Kyiv&nbsp;\u200bcity  \n\n\n  Two\u00a0 words ", "Kyiv city\n\nTwo words"),
        # paragraphs that clean to nothing disappear
        ("One.\n\n\u200b\n\n&nbsp;\n\nTwo.", "One.\n\nTwo."),
        ("\n\nOnly.\n\n", "Only."),
    ],
)
def test_clean_block_text(raw: str | None, expected: str) -> None:
    assert clean_block_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<p>R&amp;D &lt;b&gt;</p>", "<p>R&amp;D &lt;b&gt;</p>"),
        ("<p>Zelen\u200bsky\x07</p>\n<p>x</p>", "<p>Zelensky</p>\n<p>x</p>"),
        ("<p>Kyi\u0308v</p>", "<p>Kyïv</p>"),
        (None, ""),
    ],
)
def test_clean_markup_keeps_entities_and_layout(raw: str | None, expected: str) -> None:
    assert clean_markup(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Body.\n\nRead more", "Body."),
        ("Body.\n\nRead more:", "Body."),
        ("Body.\n\nREAD MORE →", "Body."),
        ("Body.\n\nContinue reading…", "Body."),
        ("Body.\n\nSupport us\n\nJoin our community", "Body."),
        ("Body.\n\nJoin our community.\n\n", "Body."),
        # a card excerpt's link label glued to the text; the ellipsis stays
        ("The excerpt was cut mid-wo… Read more", "The excerpt was cut mid-wo…"),
        ("The war goes on. Read more", "The war goes on."),
        ("The war goes on. | Read more »", "The war goes on."),
        ("Headline — Continue reading", "Headline"),
        # sentences that merely end with the words stay
        ("People want to read more.", "People want to read more."),
        ("He asked the West to support us.", "He asked the West to support us."),
        ("Read more about sanctions here.", "Read more about sanctions here."),
        ("Body.", "Body."),
        ("", ""),
    ],
)
def test_strip_trailing_chrome(raw: str, expected: str) -> None:
    assert strip_trailing_chrome(raw) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], []),
        (
            ["Kateryna Hodunova", "kateryna  hodunova", "Oleg Sukhov"],
            ["Kateryna Hodunova", "Oleg Sukhov"],
        ),
        (["News Feed", "NEWS FEED", "Russia", "news feed"], ["News Feed", "Russia"]),
        (["", "  ", "Russia"], ["Russia"]),
        (["b", "a", "B", "A"], ["b", "a"]),
    ],
)
def test_dedupe_keep_order(values: list[str], expected: list[str]) -> None:
    assert dedupe_keep_order(values) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("One two three.", 3),
        ("Russia's full-scale war — day 1,000.", 5),
        ("Paragraph one.\n\nParagraph two here.", 5),
        ("Київ \u0456 Харків", 3),
    ],
)
def test_word_count(text: str, expected: int) -> None:
    assert word_count(text) == expected


def _block_text_scrubbing_each_paragraph_again(raw: str) -> str:
    """clean_block_text as it was: every paragraph cleaned in full after the whole text."""
    scrubbed = text_module._NEWLINES.sub("\n", text_module._scrub(raw))
    paragraphs = (clean_text(p) for p in text_module._PARAGRAPH_BREAK.split(scrubbed))
    return "\n\n".join(p for p in paragraphs if p)


def test_block_text_skips_a_second_scrub_only_where_it_changes_nothing() -> None:
    """5,000 random bodies of entities (double-escaped too), invisible and control characters,
    decomposed accents and every kind of space and break: the same text as scrubbing every
    paragraph again."""
    pieces = [
        "word", "Kyiv", "\u2019s", "&amp;", "&amp;amp;", "&lt;", "&#8217;", "&nbsp;", "&",
        "e\u0301", "\u0301", "\u00e9", "\u200b", "\u00ad", "\x07", "\u0085", " ", "  ", "\t", "\n",
        "\n\n", "\n \n", "\r\n", "\r", "\u2029", "\u00a0", "\u2009", "\u3000", ".", ";",
    ]  # fmt: skip
    rng = random.Random(7)
    for _ in range(5_000):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        clean_block_text.cache_clear()
        assert clean_block_text(raw) == _block_text_scrubbing_each_paragraph_again(raw), repr(raw)


def test_word_count_reads_words_between_punctuation_as_the_pattern_does() -> None:
    """The fast path for "war," and "(AP)" counts exactly what the word pattern counts."""
    rng = random.Random(20261207)
    pieces = [
        "war", "Kyiv", "1,000", "Russia's", "full-scale", "e\u0301", "_", "x_y", "\u00b2",
        "\u0663", ".", ",", "'", "\u2019", "-", "\u2014", "(", ")", '"', "\u201c", "\u201d",
        "\u2026", "/", "!", "?", ":", "\u00ab", "\u200b", "#", "$", "%", "&",
    ]  # fmt: skip
    for _ in range(20_000):
        text = " ".join(
            "".join(rng.choice(pieces) for _ in range(rng.randint(1, 5)))
            for _ in range(rng.randint(1, 6))
        )
        expected = sum(
            1 if token.isalnum() else len(text_module._WORD.findall(token))
            for token in text.split()
        )
        assert word_count.__wrapped__(text) == expected, text


def test_str_split_splits_where_the_space_pattern_matches() -> None:
    """clean_text collapses spaces with str.split(): the same characters as `\\s`, all of them."""
    space = re.compile(r"\s")
    assert all(
        bool(space.match(chr(code))) == chr(code).isspace() for code in range(sys.maxunicode + 1)
    )


def test_clean_text_collapses_spaces_as_the_pattern_does() -> None:
    """Random texts of every kind of space, entity and invisible character: clean_text is
    scrubbing followed by `re.sub(r"\\s+", " ", ...)` and strip, its definition."""
    pieces = [
        "Kyiv", "\u2019s", "&amp;", "&nbsp;", "&#8197;", "e\u0301", "\u200b", "\x07", "\u0085",
        " ", "\t", "\n", "\r", "\u2029", "\u2028", "\u00a0", "\u2009", "\u3000", "\u1680", ".",
    ]  # fmt: skip
    rng = random.Random(12)
    for _ in range(5_000):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 20)))
        expected = re.sub(r"\s+", " ", text_module._scrub(raw)).strip()
        assert clean_text(raw) == expected, repr(raw)


def test_only_the_space_is_printable_whitespace() -> None:
    """`collapse_spaces` returns printable text without a double or edge space as it is."""
    assert [code for code in range(sys.maxunicode + 1) if chr(code).isspace() and
            chr(code).isprintable()] == [ord(" ")]  # fmt: skip


def test_collapse_spaces_is_splitting_and_joining() -> None:
    """Random texts of every kind of space and unprintable character: `" ".join(split())`."""
    pieces = ["Kyiv", "war,", " ", "  ", "\t", "\n", "\r", "\x0b", "\x1c", "\u0085", "\u00a0",
              "\u2009", "\u3000", "\u2028", "\u200b", "\u00ad", "\x07", "\u2019"]  # fmt: skip
    rng = random.Random(20261207)
    unchanged = 0
    for _ in range(20_000):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        assert collapse_spaces(raw) == " ".join(raw.split()), repr(raw)
        unchanged += collapse_spaces(raw) is raw
    assert unchanged > 500
    # A str subclass (lxml's smart strings hold their tree) comes back as a plain str.
    assert type(collapse_spaces(type("Smart", (str,), {})("Kyiv"))) is str
