"""sanitize_html against hostile and messy HTML: what must go, what must stay."""

from __future__ import annotations

import random
import re

import lxml.html
import pytest

from newsmon.extract.normalize.html import (
    ALLOWED_TAGS,
    clean_against_base,
    sanitize_html,
    xml_safe,
)
from tests.feedcheck import assert_safe_html

BASE = "https://kyivindependent.com/some-article/"

# (case id, input HTML, substrings that must be in the output, substrings that must not)
CASES: list[tuple[str, str, list[str], list[str]]] = [
    (
        "script",
        "<p>a</p><script>alert(1)</script><p>b</p>",
        ["<p>a</p><p>b</p>"],
        ["alert", "script"],
    ),
    ("script uppercase", "<SCRIPT SRC=//evil.example/x.js></SCRIPT>ok", ["ok"], ["evil", "script"]),
    ("style", "<style>p { display: none }</style><p>x</p>", ["<p>x</p>"], ["display", "style"]),
    ("style attribute", '<p style="position:fixed">x</p>', ["<p>x</p>"], ["position"]),
    (
        "iframe",
        '<iframe src="https://evil.example/">fallback</iframe><p>x</p>',
        ["<p>x</p>"],
        ["iframe", "evil", "fallback"],
    ),
    (
        "form",
        '<form action="/s"><input type="email" name="e">Enter your email'
        "<button>Go</button></form>x",
        ["x"],
        ["form", "input", "email", "Enter", "button"],
    ),
    (
        "object and embed",
        '<object data="a.swf"><embed src="a.swf"></object>x',
        ["x"],
        ["object", "embed", "swf"],
    ),
    (
        "onerror",
        '<img src="/a.jpg" onerror="alert(1)">',
        ['<img src="https://kyivindependent.com/a.jpg">'],
        ["onerror", "alert"],
    ),
    (
        "onclick and onmouseover",
        '<p onclick="x()" onmouseover="y()">t</p>',
        ["<p>t</p>"],
        ["onclick", "onmouseover"],
    ),
    ("svg onload", '<svg onload="alert(1)"><circle/></svg>t', ["t"], ["svg", "onload"]),
    ("javascript href", '<a href="javascript:alert(1)">x</a>', [">x</a>"], ["javascript", "alert"]),
    (
        "javascript mixed case and spaces",
        '<a href=" JaVaScRiPt:alert(1)">x</a>',
        [">x</a>"],
        ["javascript", "alert"],
    ),
    (
        "javascript entity-encoded",
        '<a href="&#106;avascript:alert(1)">x</a>',
        [">x</a>"],
        ["avascript", "alert"],
    ),
    (
        "javascript with tab",
        '<a href="java&#x09;script:alert(1)">x</a>',
        [">x</a>"],
        ["script", "alert"],
    ),
    ("vbscript href", '<a href="vbscript:msgbox(1)">x</a>', [">x</a>"], ["vbscript", "msgbox"]),
    (
        "data src",
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="pixel">',
        ['alt="pixel"'],
        ["data:", "base64"],
    ),
    (
        "data href",
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        [">x</a>"],
        ["data:", "alert"],
    ),
    (
        "relative link",
        '<a href="/war/">war</a>',
        ['<a href="https://kyivindependent.com/war/" rel="noopener noreferrer">war</a>'],
        [],
    ),
    (
        "relative image",
        '<img src="images/a.jpg" alt="A">',
        ['src="https://kyivindependent.com/some-article/images/a.jpg"'],
        [],
    ),
    (
        "parent-relative",
        '<a href="../other/">o</a>',
        ['href="https://kyivindependent.com/other/"'],
        [],
    ),
    (
        "protocol-relative",
        '<img src="//cdn.example.com/a.jpg">',
        ['src="https://cdn.example.com/a.jpg"'],
        [],
    ),
    (
        "fragment",
        '<a href="#section">s</a>',
        ['href="https://kyivindependent.com/some-article/#section"'],
        [],
    ),
    (
        "absolute kept",
        '<a href="https://www.bbc.com/news">b</a>',
        ['href="https://www.bbc.com/news"'],
        [],
    ),
    (
        "rel and target replaced",
        '<a href="https://a.example/" rel="opener" target="_blank">t</a>',
        ['rel="noopener noreferrer"'],
        ['opener"', "target"],
    ),
    ("class and id dropped", '<p class="kg-card" id="x">t</p>', ["<p>t</p>"], ["class", "id="]),
    (
        "comments",
        "<!-- secret --><p>t</p><!--[if IE]><script>x</script><![endif]-->",
        ["<p>t</p>"],
        ["secret", "<!--", "script"],
    ),
    (
        "meta refresh and base",
        '<meta http-equiv="refresh" content="0;url=https://evil.example/"><base href="https://evil.example/"><p>t</p>',
        ["<p>t</p>"],
        ["meta", "base", "evil"],
    ),
    (
        "link stylesheet",
        '<link rel="stylesheet" href="https://evil.example/x.css"><p>t</p>',
        ["<p>t</p>"],
        ["link", "evil"],
    ),
    ("noscript", "<noscript><img src=x></noscript><p>t</p>", ["<p>t</p>"], ["noscript", "img"]),
    (
        "nested junk",
        "<div><section><iframe><script>alert(1)</script></iframe>"
        '<p onclick="x">deep <em>text</em></p></section></div>',
        ["<p>deep <em>text</em></p>"],
        ["div", "section", "iframe", "alert", "onclick"],
    ),
    ("broken nesting", "<scr<script>ipt>alert(1)</script>", [], ["<script", "<scr"]),
    (
        "unclosed tags",
        "<p><strong>bold<em>both</p>after",
        ["<strong>bold<em>both</em></strong>"],
        [],
    ),
    (
        "allowed structure kept",
        "<h2>H</h2><h3>I</h3><h4>J</h4><ul><li>a</li></ul><ol><li>b</li></ol><blockquote>q</blockquote><code>c</code><br><b>b</b><i>i</i>",
        [
            "<h2>H</h2>",
            "<h3>I</h3>",
            "<h4>J</h4>",
            "<ul><li>a</li></ul>",
            "<ol><li>b</li></ol>",
            "<blockquote>q</blockquote>",
            "<code>c</code>",
            "<br>",
            "<b>b</b>",
            "<i>i</i>",
        ],
        [],
    ),
    (
        "figure kept",
        '<figure><img src="/a.jpg" alt="A"><figcaption>Cap</figcaption></figure>',
        [
            '<figure><img src="https://kyivindependent.com/a.jpg" alt="A">'
            "<figcaption>Cap</figcaption></figure>"
        ],
        [],
    ),
    (
        "tables and divs unwrapped",
        "<div><table><tr><td>cell</td></tr></table></div>",
        ["cell"],
        ["table", "td", "div"],
    ),
    (
        "control characters",
        "<p>a\x00b\x01c\x0bd\ufffee</p>",
        ["<p>abcde</p>"],
        ["\x00", "\x01", "\x0b", "\ufffe"],
    ),
    ("unicode kept", "<p>Зеленський — «мир» 🇺🇦</p>", ["<p>Зеленський — «мир» 🇺🇦</p>"], []),
    (
        "entities kept as text",
        "<p>AT&amp;T &lt;b&gt; 5 &gt; 3</p>",
        ["AT&amp;T &lt;b&gt; 5 &gt; 3"],
        ["<b>"],
    ),
    (
        "mailto kept",
        '<a href="mailto:tips@kyivindependent.com">tip</a>',
        ['href="mailto:tips@kyivindependent.com"'],
        [],
    ),
    ("ftp dropped", '<a href="ftp://files.example/x">f</a>', [">f</a>"], ["ftp"]),
]


@pytest.mark.parametrize(
    ("html", "present", "absent"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_sanitize_cases(html: str, present: list[str], absent: list[str]) -> None:
    out = sanitize_html(html, BASE)
    for text in present:
        assert text in out, f"missing {text!r} in {out!r}"
    for text in absent:
        assert text.lower() not in out.lower(), f"{text!r} survived in {out!r}"
    # Whatever the case, the result must pass the feed checker's content rules.
    assert_safe_html(out, "sanitised")
    assert xml_safe(out) == out


@pytest.mark.parametrize("html", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_only_allowed_tags_and_attributes_survive(html: str) -> None:
    out = sanitize_html(html, BASE)
    if not out:
        return
    root = lxml.html.fragment_fromstring(out, create_parent="div")
    for element in root.iter():
        if element is root:
            continue
        assert element.tag in ALLOWED_TAGS, element.tag
        allowed = {"a": {"href", "rel"}, "img": {"src", "alt"}}.get(element.tag, set())
        assert set(element.attrib) <= allowed, (element.tag, dict(element.attrib))
        if element.tag == "a" and "href" in element.attrib:
            assert element.get("rel") == "noopener noreferrer"


def test_sanitising_twice_changes_nothing() -> None:
    once = sanitize_html("".join(c[1] for c in CASES), BASE)
    assert sanitize_html(once, BASE) == once


def test_empty_input() -> None:
    assert sanitize_html("", BASE) == ""
    assert sanitize_html("   ", BASE) == ""


@pytest.mark.parametrize(
    "base", ["", "/relative/", "javascript:alert(1)", "kyivindependent.com/x/"]
)
def test_base_url_must_be_absolute_http(base: str) -> None:
    with pytest.raises(ValueError):
        sanitize_html("<p>x</p>", base)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<a href="https://x.example/a">a</a>', 'href="https://x.example/a"'),
        ('<a href="/tag/war/">w</a>', 'href="https://kyivindependent.com/tag/war/"'),
        ('<A HREF="/tag/war/">w</A>', 'href="https://kyivindependent.com/tag/war/"'),
        ("<img SRC=pic.jpg>", 'src="https://kyivindependent.com/some-article/pic.jpg"'),
        (
            '<a href="">e</a><img src="https://x.example/i.jpg">',
            'href="https://kyivindependent.com/',
        ),
        ('<a href="HTTPS://X.EXAMPLE/A">a</a><a href="?page=2">2</a>', "some-article/?page=2"),
        ('<a href="mailto:desk@x.example">m</a>', 'href="mailto:desk@x.example"'),
        ("<a href>bare</a>", 'href="https://kyivindependent.com/some-article/"'),
        ('<img src alt="bare">', 'src="https://kyivindependent.com/some-article/"'),
    ],
)
def test_relative_urls_are_resolved_whatever_else_the_html_holds(html: str, expected: str) -> None:
    """Relative links and images get the page's base, absolute ones stay as they are (HTML
    whose URLs are all absolute takes a faster path that must not lose this)."""
    assert expected in sanitize_html(html, BASE)


def test_the_fast_path_gives_what_cleaning_with_the_base_gives() -> None:
    """4,000 random fragments of links and images, relative, absolute and broken, with control
    characters inside the names (`h\\x01ref`): the search that lets HTML skip the base never
    skips one whose cleaning needs it."""
    pieces = [
        "<a ", "<img ", "<A ", "<IMG ", "href", "HREF", "src", "SRC", "data-src", "x-href",
        "hrefs", "=", " = ", '"', "'", "http://", "https://", "HTTPS://", "mailto:", "x.example",
        "/", "?p=2", "#f", "pic.jpg", ">", "</a>", " ", "-", "_", "text", "\n", "<p>", "</p>",
        "\x01", "\x0b", "\ufffe", "\ud800", "h\x01ref", "s\x0brc", "hr\ud800ef", "H\ufffeREF",
    ]  # fmt: skip
    rng = random.Random(20)
    for _ in range(4_000):
        html = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 24)))
        assert sanitize_html(html, BASE) == clean_against_base(html, BASE), html


def test_xml_safe_removes_exactly_what_xml_refuses() -> None:
    """The fast path gives the plain rule's text: every character XML 1.0 refuses removed."""
    refused = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
    alphabet = ["a", " ", "\t", "\n", "\r", "\x00", "\x08", "\x0b", "\x1f", "\x7f", "\x85"]
    alphabet += ["\u00e9", "\u2019", "\ud7ff", "\ud800", "\udfff", "\ue000", "\ufeff"]
    # U+D000 and U+D7FF are legal, and their UTF-8 starts as a surrogate's does (0xED).
    alphabet += ["\ufffd", "\ufffe", "\uffff", "\U0001f600", "\u20ac", "\ud000"]
    rng = random.Random(20261207)
    changed = 0
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        expected = refused.sub("", text)
        assert xml_safe(text) == expected, repr(text)
        changed += expected != text
    assert changed > 5_000
