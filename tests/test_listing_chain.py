"""The listing page object's card chain, pagination, app data and the site RSS reader, on HTML
and XML written for each rule (the crawls of `test_listings.py` run them on whole sites).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest
from lxml import etree
from parsel import Selector

from newsmon.extract.document import parse_html
from newsmon.extract.listing import ListingPage, endpoint_cards, endpoint_next_page, pagination
from newsmon.extract.siterss import SiteRssError, read_site_rss

SITE = "https://kyivindependent.com"
PAGE = f"{SITE}/tag/news-feed/"


def page(body: str, head: str = "", url: str = PAGE, name: str = "News Feed") -> ListingPage:
    html = f"<html><head><title>{name} | The Kyiv Independent</title>{head}</head>"
    return ListingPage(Selector(text=f"{html}<body>{body}</body></html>"), url)


def urls(listing: ListingPage) -> list[str]:
    return [card.url.removeprefix(SITE) for card in listing.cards()]


CHROME = (
    '<header><a href="/"><h2>The Kyiv Independent</h2></a><nav>'
    '<a href="/nav-story/"><h3>Nav story</h3></a><a href="/tag/war/"><h3>War</h3></a>'
    "</nav></header>"
    '<div class="LatestNews_root__x"><h2>News Feed</h2>'
    '<h3><a href="/side-box-story/">Side box story.</a></h3></div>'
    '<section class="x9"><h2>Editors\u2019 Picks</h2><a href="/pick-story/"><h4>Pick story</h4></a>'
    "</section>"
    '<div class="PopularPosts_root"><a href="/popular-story/"><h3>Popular story</h3></a></div>'
    '<aside><a href="/aside-story/"><h2>Aside story</h2></a></aside>'
    '<form><h3><a href="/form-story/">Form story</a></h3></form>'
)
CARDS = (
    '<div class="Card"><a href="/tag/politics/"><h2>Politics</h2></a>'
    '<a href="/author/martin/"><h2>Martin</h2></a><a href="/about/"><h2>About us</h2></a>'
    '<a href="https://example.org/elsewhere/"><h2>Elsewhere</h2></a></div>'
    '<div class="Card"><a href="/first-story/?utm_source=x"><img alt=""><h2>First story</h2></a>'
    '<a href="/tag/politics/">Politics</a><p>by Dana Kulyk</p>'
    '<time datetime="2026-11-27T11:52:00.000Z">2h ago</time><p>The first excerpt, long.</p></div>'
    '<div class="Card"><h2><a href="/second-story/">Second story</a></h2>'
    "<p>Nov 27, 2026, 1:05 PM</p></div>"
)


def test_headline_links_in_the_main_content_are_cards_and_chrome_never_is() -> None:
    listing = page(
        f"{CHROME}<main><h1>NEWS FEED</h1>{CARDS}</main><footer>"
        '<a href="/footer-story/"><h3>Footer story</h3></a></footer>'
    )
    assert listing.card_source() == "headlines"
    assert urls(listing) == ["/first-story/", "/second-story/"]
    first, second = listing.cards()
    assert (first.title, first.primary_tag, first.author) == (
        "First story",
        "Politics",
        "Dana Kulyk",
    )
    assert first.published == datetime(2026, 11, 27, 11, 52, tzinfo=UTC)
    assert first.excerpt == "The first excerpt, long."
    # A visible date is Kyiv time: 1:05 PM on Nov 27 is 11:05 UTC.
    assert second.published == datetime(2026, 11, 27, 11, 5, tzinfo=UTC)


def test_side_boxes_inside_main_are_left_out() -> None:
    listing = page(f"<main>{CHROME}<section><h1>NEWS FEED</h1>{CARDS}</section></main>")
    assert urls(listing) == ["/first-story/", "/second-story/"]


def test_a_news_feed_box_is_the_listing_only_when_nothing_else_is() -> None:
    box = '<div><h2>News Feed</h2><h3><a href="/a/">A</a></h3><h3><a href="/b/">B</a></h3></div>'
    # On the News Feed page, a box named like the page holds the listing.
    assert urls(page(f"<main>{box}</main>")) == ["/a/", "/b/"]
    assert page(f"<main>{box}</main>").card_source() == "links"
    # On another listing, it is the side box, even when the listing has no cards at all.
    other = f"{SITE}/tag/crimea/"
    assert urls(page(f"<main><h1>Crimea</h1>{box}</main>", "", other, "Crimea")) == []
    assert urls(page(f"<main>{box}{CARDS}</main>", "", other, "Crimea")) == [
        "/first-story/",
        "/second-story/",
    ]


def test_the_2023_theme_is_named_as_such() -> None:
    listing = page(
        '<main><h3><a href="/a/">A</a></h3><p>by X</p><h3><a href="/b/">B</a></h3></main>'
    )
    assert listing.card_source() == "links"
    assert urls(listing) == ["/a/", "/b/"]


@pytest.mark.parametrize(
    ("body", "head", "url", "expected"),
    [
        # rel=next in <head>, or only in the body
        ("", '<link rel="next" href="/tag/news-feed/page/2/">', PAGE, "/tag/news-feed/page/2/"),
        (
            '<a rel="next" href="/tag/news-feed/page/3/">Older</a>',
            "",
            f"{PAGE}page/2/",
            "/tag/news-feed/page/3/",
        ),
        # a "Next" or "Load more" control, whatever its markup
        (
            '<a class="btn" href="/tag/news-feed/page/2/">Next \u2192</a>',
            "",
            PAGE,
            "/tag/news-feed/page/2/",
        ),
        (
            '<div><a href="/tag/news-feed/page/2/"><span>Load more</span></a></div>',
            "",
            PAGE,
            "/tag/news-feed/page/2/",
        ),
        ('<a href="/tag/news-feed/?page=2">Show more</a>', "", PAGE, "/tag/news-feed/?page=2"),
        # numbered page links
        (
            '<a href="/tag/news-feed/">1</a><span>2</span><a href="/tag/news-feed/page/3/">3</a>',
            "",
            f"{PAGE}page/2/",
            "/tag/news-feed/page/3/",
        ),
        # never the side box's "MORE NEWS", a "Next" to an article, or another listing
        ('<a href="/tag/news-feed/">MORE NEWS</a><a href="/next-story/">Next</a>', "", PAGE, None),
        ('<a href="/tag/war/page/2/">Next</a>', "", PAGE, None),
        # the last page links back only
        (
            '<a href="/tag/news-feed/page/7/">Newer posts</a>',
            '<link rel="prev" href="/x/">',
            f"{PAGE}page/8/",
            None,
        ),
    ],
)
def test_next_page(body: str, head: str, url: str, expected: str | None) -> None:
    found = page(body, head, url).next_url()
    assert (found.removeprefix(SITE) if found else None) == expected


def test_pagination_is_declared_by_page_links_too() -> None:
    assert page(
        '<a href="/tag/news-feed/page/7/">7</a>', url=f"{PAGE}page/8/"
    ).declares_pagination()
    assert page('<a href="/tag/news-feed/">1</a>', url=f"{PAGE}page/2/").declares_pagination()
    assert not page('<a href="/tag/news-feed/">MORE NEWS</a>').declares_pagination()


def post(slug: str, **extra: object) -> dict[str, object]:
    return {
        "id": "6b096ee0ac973a1edd6894e3",
        "title": f"Story {slug}",
        "slug": slug,
        "url": f"{SITE}/{slug}/",
        "published_at": "2026-11-27T11:52:00.000+00:00",
        "primary_tag": {"name": "News Feed", "slug": "news-feed"},
        "authors": [{"name": "A"}, {"name": "B"}, {"name": "C"}],
        "excerpt": "Excerpt.",
        **extra,
    }


def next_data(props: dict[str, object], **payload: object) -> str:
    data = {"props": {"pageProps": props}, "page": "/tag/[slug]", "buildId": "b1", **payload}
    return f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(data)}</script>'


def test_cards_in_the_apps_data_skip_its_side_lists() -> None:
    props = {
        "editorsPicks": [post("pick-1"), post("pick-2"), post("pick-3")],
        "posts": [post("one"), post("two")],
        "tag": {"name": "News Feed", "slug": "news-feed", "url": "/tag/news-feed/"},
    }
    listing = page(f'<div id="__next"></div>{next_data(props)}')
    assert listing.card_source() == "next-data"
    assert urls(listing) == ["/one/", "/two/"]
    card = listing.cards()[0]
    assert (card.author, card.primary_tag, card.ghost_id) == (
        "A, B and C",
        "News Feed",
        post("x")["id"],
    )
    assert listing.data_url() is None  # the data is in the page


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (next_data({}, isFallback=True), f"{SITE}/_next/data/b1/tag/news-feed.json"),
        (next_data({"cards": None}), f"{SITE}/_next/data/b1/tag/news-feed.json"),
        (next_data({"posts": []}), None),
        (
            '<link rel="preload" as="fetch" href="/_next/data/zz/tag/news-feed.json">',
            f"{SITE}/_next/data/zz/tag/news-feed.json",
        ),
        (
            '<script src="/_next/static/k9/_buildManifest.js"></script>'
            '<script id="__NEXT_DATA__">{"props":{}}</script>',
            f"{SITE}/_next/data/k9/tag/news-feed.json",
        ),
        (next_data({}, isFallback=True, buildId="../../x"), None),
    ],
)
def test_the_data_endpoint_of_a_page_that_only_points_there(
    html: str, expected: str | None
) -> None:
    assert page(html).data_url() == expected


@pytest.mark.parametrize(
    "data",
    [
        {"pageProps": {"posts": [post("one"), post("two")], "meta": {"pagination": {"next": 3}}}},
        {
            "pageProps": {
                "data": {"edges": [{"node": post("one")}, {"node": post("two", url=None)}]}
            }
        },
        {
            "pageProps": {
                "cards": '<h2><a href="/one/">One</a></h2><h2><a href="/two/">Two</a></h2>'
            }
        },
    ],
)
def test_cards_at_the_data_endpoint(data: dict[str, object]) -> None:
    found = endpoint_cards(json.dumps(data), f"{PAGE}page/2/")
    assert found.source == "next-data-endpoint"
    assert [card.url.removeprefix(SITE) for card in found.cards] == ["/one/", "/two/"]


def test_the_data_endpoints_pagination_and_bad_answers() -> None:
    data = {"pageProps": {"meta": {"pagination": {"page": 2, "next": 3}}}}
    assert endpoint_next_page(json.dumps(data), f"{PAGE}page/2/") == f"{PAGE}page/3/"
    assert endpoint_cards("<html>not json</html>", PAGE).cards == []
    assert endpoint_cards('{"pageProps": {"posts": [{"title": "No link"}]}}', PAGE).cards == []


RSS = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>'
    "<item><title><![CDATA[One]]></title><link>https://kyivindependent.com/one/</link>"
    '<guid isPermaLink="false">6b096ee0ac973a1edd6894e3</guid>'
    "<category><![CDATA[News Feed]]></category><category><![CDATA[Russia]]></category>"
    "<dc:creator><![CDATA[Dana Kulyk]]></dc:creator>"
    "<pubDate>Thu, 24 Sep 2026 15:59:18 GMT</pubDate>"
    "<description><![CDATA[<p>The summary.</p>]]></description></item>"
    "<item><title>Two</title><link>/two/</link><guid>not-a-ghost-id</guid></item>"
    "</channel></rss>"
)


def test_the_site_rss_reader() -> None:
    one, two = read_site_rss(RSS.encode(), f"{SITE}/news-archive/rss/")
    assert (one.url, one.ghost_id, one.title) == (f"{SITE}/one/", "6b096ee0ac973a1edd6894e3", "One")
    assert one.published == datetime(2026, 9, 24, 15, 59, 18, tzinfo=UTC)
    assert one.categories == ("News Feed", "Russia") and one.in_listing("news-feed")
    assert (one.author, one.summary) == ("Dana Kulyk", "The summary.")
    assert one.card().ghost_id == one.ghost_id and one.card().primary_tag == "News Feed"
    assert (two.url, two.ghost_id, two.in_listing("news-feed")) == (f"{SITE}/two/", "", False)


@pytest.mark.parametrize(
    "body",
    [
        # entity expansion: refused, not parsed
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        + RSS.split("?>", 1)[1].encode().replace(b"<title>T</title>", b"<title>&b;</title>"),
        # a body that names a local file is data, never opened
        b"/etc/passwd",
        b"<html><body>Not a feed</body></html>",
        b"",
    ],
)
def test_an_unreadable_site_rss_is_an_error(body: bytes) -> None:
    with pytest.raises(SiteRssError):
        read_site_rss(body, f"{SITE}/news-archive/rss/")


def test_rel_next_is_what_its_xpath_names() -> None:
    """The walk that finds rel="next" answers as the XPath that defines it, on random pages."""
    definition = etree.XPath(pagination.NEXT_HREFS_XPATH, smart_strings=False)
    rng = random.Random(20261207)
    rels = ["next", "Next", " next ", "prev next", "nextpage", "\tnext\n", "", "prev", "nofollow"]
    tags = ["link", "a", "div", "span"]
    for _ in range(3000):
        parts = []
        for _ in range(rng.randint(0, 6)):
            tag = rng.choice(tags)
            rel = f' rel="{rng.choice(rels)}"' if rng.random() < 0.7 else ""
            href = rng.choice([f' href="/p{rng.randint(0, 9)}/"', ' href=""', ""])
            parts.append(f"<{tag}{rel}{href}>x</{tag}>" if tag != "link" else f"<{tag}{rel}{href}>")
        where = rng.randint(0, len(parts))
        html = "<html><head>" + "".join(parts[:where]) + "</head><body>"
        html += "".join(parts[where:]) + "</body></html>"
        root = parse_html(html.encode()).selector.root
        found = definition(root)
        assert pagination._rel_next_href(root) == (found[0] if found else None), html
