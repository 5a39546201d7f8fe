"""The `following::` walks give exactly what the XPaths they replaced gave.

`newsmon.extract.axes` walks the page after the headline in Python and stops at what it looks
for, where libxml2 built the node set of the whole rest of the page. These tests draw
thousands of random pages (side boxes nested anywhere, comments and processing instructions
whose tails are text, scripts, empty elements, several h1) and compare each walk with the
XPath it stands for, and the page's readers built on them.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from itertools import islice
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import etree
from parsel import Selector

from newsmon.extract import markup as markup_module
from newsmon.extract.axes import WalkTooLong, following_elements, following_texts
from newsmon.extract.document import parse_html
from newsmon.extract.index import OUTSIDE_ARTICLE_TAGS, TagIndex
from newsmon.extract.markup import CAPTION_XPATH, ArticleMarkup, caption_text, text_of
from newsmon.extract.normalize.text import clean_text

OUTSIDE = "ancestor::aside or ancestor::nav or ancestor::footer"
# The XPaths the walks replaced, as the readers asked them after the first h1.
TEXTS_XPATH = etree.XPath(f"following::text()[not({OUTSIDE})]", smart_strings=False)
DATE_LINE_XPATH = etree.XPath(
    f"following::text()[not({OUTSIDE})][position() <= 40]", smart_strings=False
)
TIME_XPATH = etree.XPath(
    f"following::time[normalize-space(@datetime)][not({OUTSIDE})][1]/@datetime"
)
HERO_XPATH = etree.XPath(
    f"following::figure[not({OUTSIDE})]"
    "[not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' c-content ')])]"
    "[not(contains(@class, 'kg-card'))][1]"
)
BYLINE_XPATH = etree.XPath("following::*[self::p or self::div or self::span][position() <= 12]")

TAGS = ["div", "p", "span", "aside", "nav", "footer", "section", "b", "a", "script", "ul", "li"]
TAGS += ["header", "h1", "time", "figure", "article", "main"]
TEXTS = ["x", " ", "\n", "by Ann Lee", "May 5, 2024 5:17 PM", "&amp;t", "(Updated: 1)", "\t "]
ATTRIBUTES = [
    "",
    ' class="c-content"',
    ' class="x  c-content\ty"',
    ' class="c-contents"',
    ' class="kg-card kg-image-card"',
    ' datetime="2024-05-05T17:17:00+03:00"',
    ' datetime=" \t"',
    ' datetime=""',
]


@dataclass(frozen=True)
class Markup:
    """What random markup is drawn from, and how often each kind of node comes."""

    tags: list[str]
    attributes: list[str]
    texts: list[str]
    most: int = 4
    deepest: int = 8
    text_share: float = 0.35
    comment_share: float = 0.05
    pi_share: float = 0.02

    def draw(self, rng: random.Random, depth: int = 0) -> str:
        """Random HTML: texts, nested elements with or without attributes, comments, PIs."""
        parts = []
        for _ in range(rng.randint(0, self.most)):
            draw = rng.random()
            if draw < self.text_share:
                parts.append(rng.choice(self.texts))
            elif draw < self.text_share + self.comment_share:
                parts.append("<!--c-->")
            elif draw < self.text_share + self.comment_share + self.pi_share:
                parts.append("<?pi q?>")
            elif depth < self.deepest:
                tag = rng.choice(self.tags)
                inner = self.draw(rng, depth + 1)
                parts.append(f"<{tag}{rng.choice(self.attributes)}>{inner}</{tag}>")
        return "".join(parts)


PAGE_MARKUP = Markup(TAGS, ATTRIBUTES, TEXTS)


def random_markup(rng: random.Random) -> str:
    """Random page markup (`PAGE_MARKUP`)."""
    return PAGE_MARKUP.draw(rng)


def random_pages(count: int) -> list[etree._Element]:
    """Parsed random pages that have an h1 (the walks start at the first one)."""
    pages = []
    rng = random.Random(20261206)
    while len(pages) < count:
        before, after = random_markup(rng), random_markup(rng) + random_markup(rng)
        html = f"<html><body>{before}<h1>Headline</h1>{after}</body></html>"
        root = parse_html(html.encode()).selector.root
        if root.find(".//h1") is not None:
            pages.append(root)
    return pages


PAGES = random_pages(3000)
PAGE_URL = "http://127.0.0.1:8000/some-article/"


def first_h1(root: etree._Element) -> etree._Element:
    """The first h1 in document order (the node every reader starts from)."""
    return next(root.iter("h1"))


def test_following_texts_are_the_xpath_text_nodes() -> None:
    """Every text node after the h1 outside side boxes, in order, none added, none lost."""
    for root in PAGES:
        h1 = first_h1(root)
        assert list(following_texts(h1, OUTSIDE_ARTICLE_TAGS)) == TEXTS_XPATH(h1)


def test_following_elements_are_the_xpath_elements() -> None:
    """The p, div and span elements after the h1, in document order."""
    for root in PAGES:
        h1 = first_h1(root)
        assert list(islice(following_elements(h1, "p", "div", "span"), 12)) == BYLINE_XPATH(h1)


@pytest.mark.parametrize("reader", ["date_line", "time_datetime", "hero_figure"])
def test_the_readers_answer_as_the_xpaths_did(reader: str) -> None:
    """The date line, the header's time and the hero figure of each random page."""
    for root in PAGES:
        h1 = first_h1(root)
        markup = ArticleMarkup(Selector(root=root, type="html"), PAGE_URL, TagIndex(root))
        if reader == "date_line":
            expected = clean_text(" ".join(DATE_LINE_XPATH(h1)))
            assert markup.date_line == expected
        elif reader == "time_datetime":
            found = TIME_XPATH(h1)
            assert markup.time_datetime == (str(found[0]) if found else None)
        else:
            found = HERO_XPATH(h1)
            assert markup.hero_figure is (found[0] if found else None)


@pytest.mark.parametrize("budget", [0, 3, 20])
def test_a_walk_over_its_budget_hands_over_to_the_xpath(
    budget: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past its element budget the date line is read by XPath, with the same answer."""
    monkeypatch.setattr(markup_module, "DATE_LINE_ELEMENTS", budget)
    handed_over = 0
    for root in PAGES:
        h1 = first_h1(root)
        try:
            list(islice(following_texts(h1, OUTSIDE_ARTICLE_TAGS, budget), 40))
        except WalkTooLong:
            handed_over += 1
        markup = ArticleMarkup(Selector(root=root, type="html"), PAGE_URL, TagIndex(root))
        assert markup.date_line == clean_text(" ".join(DATE_LINE_XPATH(h1)))
    assert handed_over > len(PAGES) / 10


def test_text_less_markup_costs_a_bounded_walk() -> None:
    """Hundreds of elements without text after the h1 (inline SVG): the walk gives up early."""
    icons = "<svg><g><path/><path/></g></svg>" * 200
    html = f"<html><body><h1>Headline</h1>{icons}<p>by Ann Lee</p><p>May 5, 2024</p></body></html>"
    root = parse_html(html.encode()).selector.root
    h1 = first_h1(root)
    walk = following_texts(h1, OUTSIDE_ARTICLE_TAGS, markup_module.DATE_LINE_ELEMENTS)
    with pytest.raises(WalkTooLong):
        list(islice(walk, 40))
    markup = ArticleMarkup(Selector(root=root, type="html"), PAGE_URL, TagIndex(root))
    assert markup.date_line == "by Ann Lee May 5, 2024"


@pytest.mark.parametrize("side_box", [False, True])
def test_after_text_less_markup_both_xpath_forms_answer(side_box: bool) -> None:
    """Past the budget: 40 texts with no side box among them, or a side box in the way."""
    icons = "<svg><g><path/></g></svg>" * 200
    box = "<aside><p>Most read</p><p>Other story</p></aside>" if side_box else ""
    texts = "".join(f"<p>line {n}</p>" for n in range(60))
    html = f"<html><body><h1>Headline</h1>{icons}<p>by Ann Lee</p>{box}{texts}</body></html>"
    root = parse_html(html.encode()).selector.root
    h1 = first_h1(root)
    markup = ArticleMarkup(Selector(root=root, type="html"), PAGE_URL, TagIndex(root))
    expected = clean_text(" ".join(DATE_LINE_XPATH(h1)))
    assert markup.date_line == expected
    assert ("Most read" in expected) is False and expected.endswith("line 38")


CAPTION_TAGS = ["figure", "figcaption", "div", "p", "span", "b"]
CAPTION_CLASSES = ["", ' class="caption"', ' class="Photo-CAPTION x"', ' class="capTion"']
CAPTION_CLASSES += [' class="capt\u0130on"', ' class="\u212aaption"', ' class="captio"']


# Random figures: captions by tag or by class (in any case), empty ones, comments.
CAPTION_MARKUP = Markup(
    CAPTION_TAGS,
    CAPTION_CLASSES,
    ["Photo: A. Lee", " ", "&amp;x", ""],
    most=3,
    deepest=6,
    text_share=0.3,
    pi_share=0.0,
)


def test_a_caption_is_the_first_the_caption_xpath_finds_with_text() -> None:
    """`caption_text`'s walk gives what the first caption of CAPTION_XPATH with text gave."""
    captions_xpath = etree.XPath(CAPTION_XPATH)
    rng = random.Random(20261207)
    found = 0
    for _ in range(3000):
        html = f"<html><body><div>{CAPTION_MARKUP.draw(rng)}</div></body></html>"
        root = parse_html(html.encode()).selector.root
        for holder in root.iter(etree.Element):
            by_xpath = next((text_of(c) for c in captions_xpath(holder) if text_of(c)), "")
            assert caption_text(holder) == by_xpath, html
            found += bool(by_xpath)
    assert found > 1000


# Links as the site's pages hold them: tag links (site paths, absolute, other hosts, look-alikes)
# and author links, in the menu, the side boxes, the footer and the article.
LINK_TAGS = ["div", "p", "span", "aside", "nav", "footer", "header", "a", "a", "a", "ul", "li"]
LINK_TAGS += ["h1", "main", "article"]
LINK_ATTRIBUTES = [
    "",
    ' href="/tag/kharkiv/"',
    ' href="/tag/War/"',
    ' href="https://kyivindependent.com/tag/ukraine-politics/"',
    ' href="../tag/odesa"',
    ' href="/tag/a/b/"',
    ' href="/tags/x/"',
    ' href="/author/ann-lee/"',
    ' href="https://kyivindependent.com/author/oleh/"',
    ' href="/authors/"',
    ' class="byline"',
]
LINK_MARKUP = Markup(LINK_TAGS, LINK_ATTRIBUTES, ["Kharkiv", " ", "by Ann Lee", "", "&amp;t"])
LINK_PAGES = [
    parse_html(f"<html><body>{LINK_MARKUP.draw(rng)}</body></html>".encode()).selector.root
    for rng in [random.Random(20261207)]
    for _ in range(2000)
]
TAG_LINKS_XPATH = etree.XPath(
    f"//a[contains(@href, '/tag/')][not({OUTSIDE} or ancestor::header)]", smart_strings=False
)
AUTHOR_LINKS_XPATH = etree.XPath(".//a[contains(@href, '/author/')]")


def test_tag_links_are_those_outside_menu_and_side_boxes() -> None:
    """`tag_links` reads the links the XPath finds outside header, nav, aside and footer."""
    found = 0
    for root in LINK_PAGES:
        expected = []
        for link in TAG_LINKS_XPATH(root):
            path = urlsplit(urljoin(PAGE_URL, link.get("href"))).path
            slug = re.fullmatch(r"/tag/([^/]+)/?", path)
            if slug and text_of(link):
                expected.append((text_of(link), slug.group(1).lower()))
        markup = ArticleMarkup(Selector(root=root, type="html"), PAGE_URL, TagIndex(root))
        assert markup.tag_links() == expected
        found += len(expected)
    assert found > 300


def test_byline_names_come_from_the_author_links_the_xpath_finds() -> None:
    """A byline's names are its `/author/` links' texts, as `.//a[contains(@href, ...)]`."""
    linked = 0
    for root in LINK_PAGES:
        markup = ArticleMarkup(Selector(root=root, type="html"), PAGE_URL, TagIndex(root))
        byline = markup._byline_node()
        if byline is None:
            continue
        names = [text_of(link) for link in AUTHOR_LINKS_XPATH(byline)]
        if any(names):
            linked += 1
            assert markup.byline_names == [name for name in names if name]
    assert linked > 20
