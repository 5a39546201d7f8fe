"""Page objects against saved synthetic pages (tests/samples/*.html + expected *.json).

Each sample mirrors a markup variant FACTS.md lists; each field is checked on its own so a
failure names the page and the field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from parsel import Selector

from newsmon.extract.article import ArticlePage, NotAnArticle
from newsmon.extract.listing import ListingPage

SAMPLES = Path(__file__).parent / "samples"
ARTICLE_SAMPLES = sorted(
    path.stem for path in SAMPLES.glob("*.html") if not path.stem.startswith("listing-")
)
LISTING_SAMPLES = sorted(
    path.stem for path in SAMPLES.glob("*.html") if path.stem.startswith("listing-")
)
ARTICLE_FIELDS = [
    "url",
    "title",
    "authors",
    "published",
    "modified",
    "tags",
    "tag_slugs",
    "primary_tag",
    "summary",
    "body",
    "image_url",
    "image_caption",
    "related",
]


def load(name: str) -> tuple[str, str, dict]:
    html = (SAMPLES / f"{name}.html").read_text(encoding="utf-8")
    spec = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return html, spec["page_url"], spec["expected"]


def item_value(item: object, field: str) -> object:
    value = getattr(item, field)
    if field in ("published", "modified"):
        return value.isoformat() if value else None
    if field == "body":
        return value.split("\n\n") if value else []
    return value


def test_samples_exist() -> None:
    assert len(ARTICLE_SAMPLES) >= 3
    assert len(LISTING_SAMPLES) >= 2


@pytest.mark.parametrize("name", ARTICLE_SAMPLES)
@pytest.mark.parametrize("field", ARTICLE_FIELDS)
def test_article_field(name: str, field: str) -> None:
    html, url, expected = load(name)
    item = ArticlePage.from_html(html, url).to_item()
    actual = item_value(item, field)
    assert actual == expected[field], f"{name}: field {field!r} is wrong"


@pytest.mark.parametrize("name", ARTICLE_SAMPLES)
def test_article_body_html_is_clean(name: str) -> None:
    html, url, expected = load(name)
    item = ArticlePage.from_html(html, url).to_item()
    lowered = item.body_html.lower()
    for banned in ("<script", "<iframe", "<style", "onerror", "javascript:", "kg-bookmark"):
        assert banned not in lowered, f"{name}: body_html contains {banned!r}"
    assert "shortcodepatreon" not in lowered and "support us" not in lowered
    assert 'href="/' not in item.body_html and 'src="/' not in item.body_html, (
        f"{name}: body_html has relative URLs"
    )
    # Every body paragraph is in the HTML body too.
    text = " ".join(Selector(text=item.body_html).xpath("//text()").getall())
    for block in expected["body"][:3]:
        assert block.split()[0] in text, f"{name}: body_html lacks {block[:40]!r}"
    assert item.word_count > 0


def test_seed_article_keeps_embed_out_of_body() -> None:
    html, url, _ = load("seed-article-2025")
    item = ArticlePage.from_html(html, url).to_item()
    assert "Who is to gain more from a ceasefire" not in item.body
    assert "Oleg Sukhov" not in item.body
    assert "This audio is created" not in item.body
    assert "Authors:" not in item.body
    assert len(item.body.split("\n\n")) == 9


@pytest.mark.parametrize("name", LISTING_SAMPLES)
def test_listing_sample(name: str) -> None:
    html, url, expected = load(name)
    page = ListingPage(Selector(text=html), url)
    assert page.heading() == expected["heading"], f"{name}: heading"
    assert page.next_url() == expected["next_url"], f"{name}: next_url"
    cards = page.cards()
    assert [card.url for card in cards] == [card["url"] for card in expected["cards"]], (
        f"{name}: card URLs"
    )
    for card, want in zip(cards, expected["cards"], strict=True):
        published = card.published.isoformat() if card.published else None
        assert published == want["published"], f"{name}: {card.url} published"
        assert card.title == want["title"], f"{name}: {card.url} title"
        assert card.primary_tag == want["primary_tag"], f"{name}: {card.url} primary_tag"
        assert card.author == want["author"], f"{name}: {card.url} author"


def test_listing_page_is_not_an_article() -> None:
    html, _, _ = load("listing-news-feed")
    with pytest.raises(NotAnArticle, match="listing"):
        ArticlePage.from_html(html, "https://kyivindependent.com/tag/news-feed/").to_item()


def test_empty_page_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle):
        ArticlePage.from_html(
            "<html><body><p>404</p></body></html>", "https://kyivindependent.com/x/"
        ).to_item()


ARTICLE_ID = "6b096ee0ac973a1edd6894e3"
OTHER_ID = "5a1e2b3c4d5e6f708192a3b4"


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        # A trending card before the article carries another post's id: the headline's wins.
        (
            f'<aside><div data-post-id="{OTHER_ID}"><a href="/x/">Trending</a></div></aside>'
            f'<article data-post-id="{ARTICLE_ID}"><h1>Headline</h1>{{body}}</article>',
            ARTICLE_ID,
        ),
        # Two ids, none around the headline: neither is trusted.
        (
            f'<div data-post-id="{OTHER_ID}"></div><h1>Headline</h1>{{body}}'
            f'<div data-post-id="{ARTICLE_ID}"></div>',
            "",
        ),
        # One id on the page, wherever it is: it is the page's.
        (f'<h1>Headline</h1>{{body}}<footer data-post-id="{ARTICLE_ID}"></footer>', ARTICLE_ID),
        # Edit links of two posts: neither.
        (
            f'<h1>Headline</h1>{{body}}<a href="/ghost/#/editor/post/{OTHER_ID}">Edit</a>'
            f'<a href="/ghost/#/editor/post/{ARTICLE_ID}">Edit</a>',
            "",
        ),
    ],
)
def test_the_ghost_id_is_the_articles_own(markup: str, expected: str) -> None:
    body = "<div class='c-content'><p>" + "Words of the article body go here. " * 10 + "</p></div>"
    html = "<html><body>" + markup.replace("{body}", body) + "</body></html>"
    page = ArticlePage.from_html(html, "https://kyivindependent.com/headline/")
    assert page.ghost_id() == expected


def test_card_fills_what_the_page_lacks() -> None:
    from datetime import UTC, datetime

    from newsmon.extract.listing import ListingCard

    html = (
        "<html><body><h1>Bare headline</h1><div class='c-content '><p>Only text here, "
        "long enough to be a paragraph of an article body.</p></div></body></html>"
    )
    card = ListingCard(
        url="https://kyivindependent.com/bare/",
        title="Card headline",
        published=datetime(2025, 6, 3, 13, 18, tzinfo=UTC),
        primary_tag="Ukraine",
        author="Dana Kulyk",
        excerpt="Card excerpt",
    )
    item = ArticlePage.from_html(html, card.url).to_item(card)
    assert item.title == "Bare headline"
    assert item.published == card.published
    assert item.authors == ["Dana Kulyk"]
    assert item.tags == ["Ukraine"] and item.tag_slugs == ["ukraine"]
    assert item.summary == "Card excerpt"


def test_an_outline_card_a_request_carries_fills_what_the_page_lacks() -> None:
    """The crawl's own card: an outline read from a listing page, detached from it."""
    from newsmon.extract.document import parse_html
    from newsmon.extract.listing.cards import markup_cards

    listing = (
        "<html><body><main><article class='js-card archiveCard' "
        "data-archive-id='2025-06-03T13:18:00.000Z'><a class='archiveCard__tag' "
        "href='/tag/ukraine/'>Ukraine</a><h3 class='archiveCard__title'><a "
        "class='archiveCard__link' href='/bare/'>Card headline</a></h3><p "
        "class='archiveCard__description'>Card excerpt</p><div class='archiveCard__author'>"
        "by Dana Kulyk</div></article></main></body></html>"
    )
    (outline,) = markup_cards(
        parse_html(listing.encode()).selector, "https://kyivindependent.com/tag/x/", outline=True
    )
    assert outline.reader is not None and outline.title == ""
    card = outline.detached()
    del outline
    html = (
        "<html><body><div class='c-content '><p>Only text here, long enough to be a "
        "paragraph of an article body.</p></div></body></html>"
    )
    item = ArticlePage.from_html(html, card.url).to_item(card)
    assert item.title == "Card headline"
    assert item.published is not None and item.published.isoformat() == "2025-06-03T13:18:00+00:00"
    assert item.authors == ["Dana Kulyk"]
    assert item.tags == ["Ukraine"] and item.tag_slugs == ["ukraine"]
    assert item.summary == "Card excerpt"
    assert item.provenance is not None and item.provenance.sources["title"] == "card"


def test_a_complete_page_never_reads_its_outline_card_whole() -> None:
    """The card a request carries is read whole only for a field its page lacks, and once."""
    from dataclasses import dataclass, field, replace

    from newsmon.extract.document import parse_html
    from newsmon.extract.listing.cards import OutlineReader, markup_cards
    from newsmon.extract.listing.model import ListingCard

    @dataclass(frozen=True)
    class CountingReader(OutlineReader):
        reads: list[int] = field(default_factory=list)

        def read(self) -> ListingCard:
            self.reads.append(1)
            return super().read()

    listing = (SAMPLES / "listing-news-feed.html").read_bytes()
    page_url = "https://kyivindependent.com/tag/news-feed/"
    outlines = [
        card
        for card in markup_cards(parse_html(listing).selector, page_url, outline=True)
        if card.reader is not None
    ]
    assert outlines
    detached = outlines[0].detached()
    assert detached.reader is not None
    reader = CountingReader(detached.reader.node, page_url)
    card = replace(detached, reader=reader)
    complete = (SAMPLES / "seed-article-2025.html").read_text(encoding="utf-8")
    ArticlePage.from_html(complete, card.url, card).to_item()
    assert reader.reads == []
    bare = (
        "<html><body><div class='c-content '><p>Only text here, long enough to be a "
        "paragraph of an article body.</p></div></body></html>"
    )
    item = ArticlePage.from_html(bare, card.url, card).to_item()
    assert item.title and reader.reads == [1]


def test_body_in_next_data_beats_a_guessed_container() -> None:
    html = (
        "<html><body><h1 class='post__title'>Headline</h1><div class='c-content '></div>"
        "<div id='reading-progress-end'></div><section class='authorBox'><p>A reporter who has"
        " covered energy and infrastructure for many years, based in Kyiv and writing daily."
        "</p></section><script id='__NEXT_DATA__' type='application/json'>"
        '{"props":{"pageProps":{"post":{"html":"<p>First real paragraph.</p>'
        '<p>Second real paragraph.</p>"}}}}</script></body></html>'
    )
    page = ArticlePage.from_html(html, "https://kyivindependent.com/headline/")
    assert page.body() == "First real paragraph.\n\nSecond real paragraph."
    assert page.body_content.source == "next-data"


def _body_of(body_html: str) -> ArticlePage:
    html = (
        "<html><head><title>T</title></head><body><main><article><h1>Headline</h1>"
        f"{body_html}</article></main></body></html>"
    )
    return ArticlePage.from_html(html, "https://kyivindependent.com/some-article/")


def test_a_bookmark_card_that_is_itself_a_link_names_no_related_article() -> None:
    """Ghost's bookmark card holds its link; a card element that is a link is not one."""
    page = _body_of(
        '<div class="c-content"><p>First paragraph of the article, long enough.</p>'
        '<a class="kg-bookmark-card" href="https://kyivindependent.com/other-story/">Other</a>'
        '<figure class="kg-card kg-bookmark-card"><a class="kg-bookmark-container" '
        'href="https://kyivindependent.com/related-story/">Related</a></figure></div>'
    )
    assert page.related() == ["https://kyivindependent.com/related-story/"]


def test_a_figure_body_container_keeps_its_own_caption_text_out() -> None:
    """Text of a figure is caption or card text, even when the figure holds the body."""
    page = _body_of(
        '<figure itemprop="articleBody">Caption of the figure. '
        "<p>The article's own paragraph, the only body text.</p></figure>"
    )
    assert page.body() == "The article's own paragraph, the only body text."


@pytest.mark.parametrize(
    "url",
    [
        "https://kyivindependent.com/a/",
        "https://WWW.KyivIndependent.com:443/a/?x#y",
        "http://127.0.0.1:8000",
        "http://host:/x",
        "https://user@evil.com@kyivindependent.com/a/",
        "https://kyivindependent.com\t.evil.com/a/",
        " https://kyivindependent.com/a/",
        "https://[::1]:8000/a/",
        "HTTPS://kyivindependent.com/a/",
        "https://kyivindependent.com?q",
        "ftp://kyivindependent.com/a/",
        "https://kyiv_independent.com/a/",
    ],
)
def test_a_page_s_host_is_urlsplit_s(url: str) -> None:
    """The canonical link's host check reads the host as urlsplit does, fast path or not."""
    from urllib.parse import urlsplit

    from newsmon.extract.normalize.urls import host_of

    assert host_of(url) == (urlsplit(url).hostname or "").lower().removeprefix("www.")


def test_a_url_urlsplit_refuses_has_no_host() -> None:
    from newsmon.extract.normalize.urls import host_of

    assert host_of("http://[::1/x") == ""
