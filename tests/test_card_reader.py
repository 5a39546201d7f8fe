"""The one-pass card reader reads every plain card exactly as the XPath readers do.

Listing cards are read for every card of every listing page (3.4 per article on the replica),
so the 2025 markup's cards are read in one pass over their elements
(`_plain_markup_card`); any card it does not call plain goes to the XPath readers. This test
draws a few thousand random cards (odd class spacing, nested headings, empty and relative
hrefs, tracking queries, bylines, comments and scripts) and compares the two readers.
"""

from __future__ import annotations

import pickle
import random

from lxml import etree

from newsmon.extract.document import parse_html
from newsmon.extract.index import xml_tokens
from newsmon.extract.listing import cards
from newsmon.extract.listing.page import ListingPage
from tests.replica.client import Replica

PAGE_URL = "http://127.0.0.1:8000/tag/war/page/2/"
CLASSES = [
    "archiveCard__link",
    "archiveCard__title",
    "archiveCard__tag",
    "archiveCard__author",
    "archiveCard__description",
    "archiveCard__image",
    "archiveCard__tagX",
    "archiveCard__linkX",
    "archiveCard__titleX",
    "a archiveCard__link",
    "archiveCard__title\tb",
    "\narchiveCard__author ",
    "\xa0archiveCard__tag",
    "archiveCard__description\x0c",
    "byline",
    "card-excerpt",
    "ARCHIVECARD__LINK",
]
HREFS = [
    "/some-article-slug/",
    "/tag/war/",
    "",
    "/author/jane/",
    "https://127.0.0.1/other-slug/",
    "/a-b-c/?utm_source=x",
    "/x-y/#frag",
    "  /spaced-slug/ ",
    "http://elsewhere.com/slug/",
    "/%41-slug/",
]
TEXTS = ["Hello", " ", "By Jane Doe", "by A and B · 5 min", "Nov 27, 2026, 1:52 PM", "\n", "&amp;"]
TAGS = ["a", "a", "a", "h2", "h3", "h3", "p", "div", "span", "time", "br"]
ARTICLE_CLASSES = ["js-card archiveCard", "archiveCard archiveCard__tag"]
ARCHIVE_IDS = ["", ' data-archive-id=""', ' data-archive-id="Fri Nov 27 2026 01:35:00 GMT+0000"']
# What makes a card not plain: a comment, a script, a style, a template. (libxml2 reads a
# processing instruction in HTML as a comment.)
NOT_PLAIN = [
    "<!-- c -->",
    "<script>var by = 'By X';</script>",
    "<style>p { color: red }</style>",
    '<template><a class="archiveCard__link" href="/t-slug/">T</a></template>',
]
STAMPS = ["2026-11-27T10:00:00Z", "", "garbage", "Fri Nov 27 2026 01:35:00 GMT+0000 (UTC)"]


def random_markup(rng: random.Random, depth: int = 0) -> str:
    """Random card content: texts, elements, now and then a comment or a script."""
    parts = []
    for _ in range(rng.randint(0, 4)):
        draw = rng.random()
        if draw < 0.3:
            parts.append(rng.choice(TEXTS))
        elif draw < 0.33:
            parts.append(rng.choice(NOT_PLAIN))
        elif depth < 4:
            tag = rng.choice(TAGS)
            attributes = ""
            if rng.random() < 0.6:
                attributes += f' class="{rng.choice(CLASSES)}"'
            if tag == "a" and rng.random() < 0.85:
                attributes += f' href="{rng.choice(HREFS)}"'
            if tag == "time" and rng.random() < 0.7:
                attributes += f' datetime="{rng.choice(STAMPS)}"'
            inner = "" if tag == "br" else random_markup(rng, depth + 1) + f"</{tag}>"
            parts.append(f"<{tag}{attributes}>{inner}")
    return "".join(parts)


def random_listing(rng: random.Random) -> bytes:
    """A listing page of one to three random cards."""
    articles = "".join(
        f'<article class="{rng.choice(ARTICLE_CLASSES)}"{rng.choice(ARCHIVE_IDS)}>'
        f"{random_markup(rng)}</article>"
        for _ in range(rng.randint(1, 3))
    )
    return f"<html><body><main>{articles}</main></body></html>".encode()


def test_plain_cards_read_as_the_xpath_readers_read_them() -> None:
    rng = random.Random(20261206)
    compared = 0
    for _ in range(4000):
        document = parse_html(random_listing(rng))
        for node in cards._CARDS(document.selector.root):
            plain = cards._plain_markup_card(node, PAGE_URL)
            if plain is not None:
                compared += 1
                assert plain == cards._markup_card_by_readers(node, PAGE_URL)
    # Enough plain cards to mean something (about one in six random cards is plain).
    assert compared > 500


LINK_PRECEDENCE = (
    b"<html><body>"
    b'<article class="js-card"><a class="archiveCard__link" href="/first-slug/">1</a>'
    b'<h3 class="archiveCard__titleX"><a class="archiveCard__link" href="/x-slug/">X</a></h3>'
    b'<h3 class="archiveCard__title"><a class="archiveCard__link" href="/t-slug/">T</a></h3>'
    b"</article>"
    b'<article class="js-card"><a class="archiveCard__linkX" href="/x-slug/">X</a>'
    b'<h2><a href="/h-slug/">H</a></h2></article>'
    b'<article class="js-card"><h3 class="archiveCard__titleX"><a href="/h-slug/">H</a></h3>'
    b'<a class="archiveCard__link" href="/l-slug/">L</a></article>'
    b'<article class="js-card"><a class="archiveCard__link" href="/first-slug/">1</a>'
    b'<h2 class="archiveCard__title"><a class="archiveCard__link" href="/h2-slug/">2</a></h2>'
    b"</article>"
    b"</body></html>"
)


def test_an_outline_reads_the_url_and_date_the_one_pass_reader_reads() -> None:
    """Listing pages read their cards as outlines, from the links, headings and times alone.

    Whatever the card, the outline reader takes the same cards as plain as the one-pass
    reader does, with the same URL and date, and a plain card read whole is that reader's.
    """
    rng = random.Random(20261208)
    outlines = refused = 0
    # The link's precedence, which random cards seldom test: a title's link, then any card
    # link, then a headline's link; a class name that only starts like the one asked for.
    pages = [LINK_PRECEDENCE] + [random_listing(rng) for _ in range(4000)]
    for page in pages:
        document = parse_html(page)
        for node in cards._CARDS(document.selector.root):
            plain = cards._plain_markup_card(node, PAGE_URL)
            outline = cards._outline_markup_card(node, PAGE_URL)
            if plain is None:
                assert outline is None
                refused += 1
                continue
            assert outline is not None and outline.reader is not None
            assert (outline.url, outline.published) == (plain.url, plain.published)
            assert outline.whole() == plain
            outlines += 1
    # Both kinds, often enough to mean something.
    assert outlines > 500 and refused > 2000


def test_an_outline_card_is_the_whole_card_once_read() -> None:
    """A listing page's outline cards: the URL and date of the whole card, the rest on demand.

    The crawl reads every card for its URL and date, and the rest only for the articles it
    asks for; whatever it asks for, it gets the card the page would give read whole, and a
    whole card keeps nothing of the page (a request waiting in the scheduler holds it).
    """
    rng = random.Random(20261207)
    outlines = 0
    for _ in range(1500):
        html = random_listing(rng)
        whole = cards.markup_cards(parse_html(html).selector, PAGE_URL)
        found = cards.markup_cards(parse_html(html).selector, PAGE_URL, outline=True)
        assert [(card.url, card.published) for card in found] == [
            (card.url, card.published) for card in whole
        ]
        # What a request carries: the card without its page, read whole only when asked.
        detached = [card.detached() for card in found]
        del found[:]
        for outline, card in zip(detached, whole, strict=True):
            read = outline.whole()
            assert read == card
            assert read.reader is None and pickle.loads(pickle.dumps(read)) == card
            # A request pickled for a disk or Redis queue carries the whole card.
            unpickled = pickle.loads(pickle.dumps(outline))
            assert unpickled == card and unpickled.reader is None
            if outline.reader is not None:
                assert outline.reader.node.getparent() is None  # its own tree, not the page's
                outlines += 1
                assert (outline.title, outline.author, outline.excerpt) == ("", "", "")
    assert outlines > 250


def test_a_listing_page_gives_whole_cards_and_finds_outlines(replica_small: Replica) -> None:
    """What the spider reads (`found`) and what `cards()` gives name the same articles."""
    page_url = f"{replica_small.base_url}/tag/news-feed/"
    listing = ListingPage.from_document(parse_html(replica_small.get("/tag/news-feed/")), page_url)
    found, whole = listing.found().cards, listing.cards()
    assert len(whole) >= 10 and all(card.reader is None and card.title for card in whole)
    assert all(card.reader is not None for card in found)
    assert [(card.url, card.published) for card in found] == [
        (card.url, card.published) for card in whole
    ]
    assert [card.whole() for card in found] == whole


def test_class_tokens_are_split_as_normalize_space_splits_them() -> None:
    """The readers' class tokens are XPath's: split at spaces, tabs, CR and LF only."""
    normalized = etree.XPath("normalize-space(@class)")
    rng = random.Random(20261209)
    alphabet = [" ", " ", "\t", "\n", "\r", "\xa0", "\u3000", "\u2003", "a", "archiveCard__link"]
    for _ in range(5000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        element = etree.Element("a")
        element.set("class", value)
        expected = [token for token in str(normalized(element)).split(" ") if token]
        assert xml_tokens(value) == expected, repr(value)
