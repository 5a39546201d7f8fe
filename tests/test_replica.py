"""The offline replica: markup faithful to FACTS.md, truth.json agreeing with pages, HTTP."""

from __future__ import annotations

import gzip
import html
import json
import re
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from parsel import Selector

from tests.replica.client import Replica, start_replica

KYIV = ZoneInfo("Europe/Kyiv")
SEED_SLUG = "trump-putin-call-going-well-white-house-official-says"
RELATED_SLUG = "who-is-to-gain-more-from-a-ceasefire-russia-or-ukraine"
CARD = "article.js-card.archiveCard[data-archive-id]"
ISO_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")
JS_STAMP = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d\d \d{4} \d\d:\d\d:\d\d "
    r"GMT\+0000 \(Coordinated Universal Time\)$"
)
DATE_LINE = re.compile(r"^[A-Z][a-z]+ \d{1,2}, \d{4} \d{1,2}:\d\d [AP]M$")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, method: str = "GET", **headers: str) -> tuple[int, Any, bytes]:
    """One request, redirects not followed; (status, headers, body)."""
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with _OPENER.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def page(url: str) -> Selector:
    status, _, body = fetch(url)
    assert status == 200, url
    return Selector(text=body.decode())


def norm(text: str) -> str:
    return " ".join(text.split())


def text_of(node: Selector) -> str:
    return norm("".join(node.xpath(".//text()").getall()))


def body_texts(sel: Selector) -> list[str]:
    """Paragraph, heading and list-item texts among the direct children of div.c-content."""
    texts = []
    for child in sel.css("div.c-content").xpath("./*"):
        tag = child.root.tag
        if tag in ("p", "h3"):
            texts.append(text_of(child))
        elif tag in ("ul", "ol"):
            texts += [text_of(li) for li in child.xpath("./li")]
    return texts


def card_slugs(sel: Selector) -> list[str]:
    hrefs = sel.css(f"{CARD} h3.archiveCard__title > a.archiveCard__link::attr(href)").getall()
    return [h.split("?")[0].strip("/") for h in hrefs]


def json_ld(sel: Selector) -> dict[str, Any] | None:
    raw = sel.css('script[type="application/ld+json"]::text').get()
    return json.loads(raw) if raw else None


def comparable(truth: list[dict]) -> list[dict]:
    """Truth without what depends on the replica's port."""
    return [{k: v for k, v in a.items() if k not in ("url", "related")} for a in truth]


def kyiv_line(iso: str) -> str:
    local = datetime.fromisoformat(iso).astimezone(KYIV)
    clock = f"{local.hour % 12 or 12}:{local.minute:02d} {local:%p}"
    return f"{local:%B} {local.day}, {local.year} {clock}"


# -- fixtures -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shared() -> Iterator[Replica]:
    """A default replica that the read-only tests of this module share."""
    with start_replica() as running:
        yield running


@pytest.fixture(scope="module")
def truth(shared: Replica) -> list[dict[str, Any]]:
    return shared.truth()


@pytest.fixture(scope="module")
def pages(shared: Replica, truth: list[dict[str, Any]]) -> dict[str, str]:
    """Every article page of the shared replica, by slug."""
    out = {}
    for article in truth:
        status, _, body = fetch(article["url"])
        assert status == 200, article["url"]
        out[article["slug"]] = body.decode()
    return out


# -- listings -----------------------------------------------------------------------------
def test_listing_cards_have_the_2025_markup(shared: Replica) -> None:
    sel = page(shared.base_url + "/tag/news-feed/")
    cards = sel.css(CARD)
    assert len(cards) == 20
    stamps = []
    for n in (1, 2, 3, 4):
        url = shared.base_url + ("/tag/news-feed/" if n == 1 else f"/tag/news-feed/page/{n}/")
        stamps += page(url).css(f"{CARD}::attr(data-archive-id)").getall()
    assert all(ISO_STAMP.match(s) or JS_STAMP.match(s) for s in stamps)
    assert any(ISO_STAMP.match(s) for s in stamps) and any(JS_STAMP.match(s) for s in stamps)
    for card in cards:
        title_href = card.css("h3.archiveCard__title > a.archiveCard__link::attr(href)").get()
        assert title_href.startswith("/") and title_href.split("?")[0].endswith("/")
        assert card.css("a.archiveCard__image::attr(href)").get() == title_href
        src = card.css("a.archiveCard__image img::attr(src)").get()
        assert src.startswith("/_next/image?url=https%3A%2F%2Fassets.kyivindependent.com%2F")
        assert src.endswith("&w=1536&q=75")
        assert card.css("img::attr(alt)").get()
        assert card.css("a.archiveCard__tag::attr(href)").get().startswith("/tag/")
        assert len(card.css("div.archiveCard__description::text").get()) <= 500
    excerpts = sel.css("div.archiveCard__description::text").getall()
    assert any(len(e) == 500 for e in excerpts)
    assert (
        sel.css('link[rel="next"]::attr(href)').get() == shared.base_url + "/tag/news-feed/page/2/"
    )
    assert sel.css('link[rel="prev"]').get() is None


def test_some_card_links_carry_tracking_parameters(shared: Replica) -> None:
    hrefs = []
    for n in (1, 2, 3, 4, 5):
        url = shared.base_url + ("/news-archive/" if n == 1 else f"/news-archive/page/{n}/")
        hrefs += page(url).css("a.archiveCard__link::attr(href)").getall()
    tracked = [h for h in hrefs if "?utm_source=newsfeed&utm_medium=web" in h]
    assert 0.03 < len(tracked) / len(hrefs) < 0.25


def test_listings_hold_their_articles_newest_first(shared: Replica, truth: list[dict]) -> None:
    by_time = sorted(truth, key=lambda a: a["published"], reverse=True)
    feed = [a["slug"] for a in by_time if "news-feed" in a["tag_slugs"]]
    assert card_slugs(page(shared.base_url + "/tag/news-feed/")) == feed[:20]
    assert card_slugs(page(shared.base_url + "/tag/news-feed/page/2/")) == feed[20:40]
    assert card_slugs(page(shared.base_url + "/news-archive/")) == [a["slug"] for a in by_time][:20]
    world = [a["slug"] for a in by_time if "world" in a["tag_slugs"]]
    assert card_slugs(page(shared.base_url + "/tag/world/")) == world[:20]
    share = len(feed) / len(truth)
    assert 0.6 < share < 0.9
    opinion = [a for a in truth if a["tag_slugs"][0] == "opinion"]
    assert sum("news-feed" in a["tag_slugs"] for a in opinion) <= len(opinion) * 0.3


def test_listing_chrome_links_articles_that_are_not_cards(shared: Replica, truth: list) -> None:
    sel = page(shared.base_url + "/tag/news-feed/page/2/")
    assert text_of(sel.css("h1.archive__title")[0]) == "NEWS FEED"
    cards = {f"/{s}/" for s in card_slugs(sel)}
    articles = {f"/{a['slug']}/" for a in truth}
    links = {h.split("?")[0] for h in sel.css("a::attr(href)").getall()}
    assert (links & articles) - cards, "chrome must link articles that are not cards"
    box = sel.css("aside.newsFeedBox div.newsFeedBox__item")
    assert box and re.fullmatch(r"\d{1,2}:\d\d [AP]M", box[0].css("time::text").get())
    assert box[0].css("a::text").get().endswith(".")
    assert set(box.css("a::attr(href)").getall()) & articles
    picks = sel.css("section.editorsPicks a::attr(href)").getall()
    assert picks and not set(picks) & cards
    raw = sel.get()
    for chrome in (
        "MORE NEWS",
        "Editors' Picks",
        "Enter your email to subscribe",
        "* indicates required",
    ):
        assert chrome in raw
    assert sel.css("div.topBanner")


def test_pagination_redirects_and_ends(shared: Replica, truth: list) -> None:
    base = shared.base_url
    status, headers, _ = fetch(base + "/tag/news-feed/page/1/")
    assert status == 301 and headers["Location"] == "/tag/news-feed/"
    feed = sum("news-feed" in a["tag_slugs"] for a in truth)
    last = -(-feed // 20)
    sel = page(f"{base}/tag/news-feed/page/{last}/")
    assert sel.css('link[rel="next"]').get() is None
    prev = base + ("/tag/news-feed/" if last == 2 else f"/tag/news-feed/page/{last - 1}/")
    assert sel.css('link[rel="prev"]::attr(href)').get() == prev
    assert len(sel.css(CARD)) == feed - 20 * (last - 1)
    assert fetch(f"{base}/tag/news-feed/page/{last + 1}/")[0] == 404
    assert fetch(f"{base}/tag/no-such-tag/")[0] == 404
    assert fetch(f"{base}/author/nobody/")[0] == 404
    status, headers, _ = fetch(f"{base}/tag/news-feed")
    assert status == 301 and headers["Location"] == "/tag/news-feed/"


def test_tag_heading_differs_from_slug(shared: Replica) -> None:
    sel = page(shared.base_url + "/tag/collaborators/")
    assert text_of(sel.css("h1.archive__title")[0]) == "Russia-Ukraine War"
    assert sel.css("section.tagDescription p")
    assert sel.css("p.archiveCard__author")
    trump_russia = page(shared.base_url + "/tag/trump-russia/")
    assert trump_russia.css("a.archiveCard__tag")


def test_author_page(shared: Replica, truth: list) -> None:
    sel = page(shared.base_url + "/author/martin/")
    assert text_of(sel.css("h1")[0]) == "Martin Dvorak"
    assert sel.css("img::attr(alt)").re("Martin Dvorak photo")
    bylines = sel.css("p.archiveCard__author::text").getall()
    assert bylines and all(b.startswith("by ") and "Martin Dvorak" in b for b in bylines)
    mine = [a["slug"] for a in truth if "Martin Dvorak" in a["authors"]]
    assert set(card_slugs(sel)) <= set(mine)
    desk = page(shared.base_url + "/author/news-desk/")
    assert text_of(desk.css("h1")[0]) == "The Kyiv Independent news desk"


def test_home_page(shared: Replica) -> None:
    sel = page(shared.base_url + "/")
    assert len(sel.css(CARD)) >= 10


# -- articles -----------------------------------------------------------------------------
def test_article_pages_carry_ghost_markup(pages: dict[str, str]) -> None:
    found: dict[str, int] = dict.fromkeys(
        ("bookmark", "image", "gallery", "embed", "promo", "code_h3", "ul"), 0
    )
    for slug, raw in pages.items():
        assert "<div class='c-content '>" in raw, slug
        sel = Selector(text=raw)
        assert sel.xpath(
            "//div[@class='c-content ']/following-sibling::div[1][@id='reading-progress-end']"
        ), slug
        assert sel.css("div.post__tags a::attr(href)").get().startswith("/tag/")
        assert sel.css('a[href^="/ghost/#/editor/post/"]::text').get() == "Edit post"
        assert "This audio is created with AI assistance" in raw
        assert re.search(r"\d+ min read", raw)
        assert sel.css("section.authorCard a::text").getall()[-1] == "Read more"
        content = sel.css("div.c-content")
        found["bookmark"] += bool(
            content.css("figure.kg-card.kg-bookmark-card > a.kg-bookmark-container")
        )
        found["image"] += bool(
            content.css("figure.kg-card.kg-image-card.kg-card-hascaption > img.kg-image")
        )
        found["gallery"] += bool(
            content.css(
                "figure.kg-gallery-card.kg-width-full div.swiper-wrapper div.swiper-slide > img"
            )
        )
        found["embed"] += bool(content.css("figure.kg-card.kg-embed-card > iframe"))
        found["promo"] += bool(
            re.search(
                r"<!--kg-card-begin: html-->.*?shortcodePatreonLight.*?<!--kg-card-end: html-->",
                raw,
            )
        )
        found["code_h3"] += bool(content.css("h3[id] > code"))
        found["ul"] += bool(content.css("ul > li"))
    assert all(found.values()), found
    assert found["bookmark"] > found["gallery"]


def test_bookmark_cards_point_at_replica_articles(shared: Replica, pages: dict[str, str]) -> None:
    checked = 0
    for raw in pages.values():
        for card in Selector(text=raw).css("figure.kg-bookmark-card"):
            href = card.css("a.kg-bookmark-container::attr(href)").get()
            assert href.startswith(shared.base_url + "/") and href.endswith("/")
            assert href.removeprefix(shared.base_url + "/").strip("/") in pages
            assert card.css("span.kg-bookmark-author::text").get() == "The Kyiv Independent"
            assert card.css("span.kg-bookmark-publisher::text").get()
            assert card.css("div.kg-bookmark-thumbnail img::attr(src)").get()
            checked += 1
    assert checked > 20


def test_head_variants(pages: dict[str, str], truth: list[dict]) -> None:
    by_slug = {a["slug"]: a for a in truth}
    several = without = bare = quirky = 0
    for slug, raw in pages.items():
        sel = Selector(text=raw)
        article = by_slug[slug]
        assert sel.css('link[rel="canonical"]::attr(href)').get() == article["url"]
        assert sel.css('meta[property="og:type"]::attr(content)').get() == "article"
        assert sel.css('meta[property="article:tag"]::attr(content)').getall() == article["tags"]
        assert sel.css('meta[name="twitter:data1"]::attr(content)').get() == article["authors"][0]
        data = json_ld(sel)
        published_meta = sel.css('meta[property="article:published_time"]::attr(content)').get()
        if data is None:
            without += 1
            if published_meta is None:
                bare += 1
                line = sel.css("span.c-topper__date::text").get()
                assert DATE_LINE.match(line) and line == kyiv_line(article["published"])
            continue
        assert data["@type"] == "Article"
        if isinstance(data["author"], list):
            several += len(data["author"]) > 1
        if data["headline"] != article["title"]:
            quirky += 1
            assert norm(html.unescape(data["headline"])) == article["title"]
    assert several and bare and quirky
    assert 0.08 < without / len(pages) < 0.25


def test_date_line_variants(pages: dict[str, str], truth: list[dict]) -> None:
    by_slug = {a["slug"]: a for a in truth}
    styles = {"2023": 0, "2025": 0}
    updated_lines = 0
    for slug, raw in pages.items():
        sel = Selector(text=raw)
        if sel.css("h1.c-topper__title"):
            styles["2023"] += 1
            assert sel.css("span.c-topper__date::text").get() == kyiv_line(
                by_slug[slug]["published"]
            )
            updated = sel.css("span.c-topper__updated::text").get()
            if updated and updated != "(Updated: )":
                updated_lines += 1
                assert updated == f"(Updated: {kyiv_line(by_slug[slug]['modified'])})"
        else:
            styles["2025"] += 1
            assert sel.css("h1.post__title")
            assert sel.css("time.post__date").xpath("string()").get() == ""
    assert 0.1 < styles["2023"] / len(pages) < 0.35
    assert updated_lines


def test_archive_variety(truth: list[dict], pages: dict[str, str]) -> None:
    slugs = {a["slug"] for a in truth}
    assert {
        "russian-attacks-against-ukraine-over-past-day",
        "russian-attacks-against-ukraine-over-past-day-2",
        "russian-attacks-against-ukraine-over-past-day-3",
    } <= slugs
    updated = [a for a in truth if a["modified"] > a["published"]]
    assert 0.05 < len(updated) / len(truth) < 0.3
    renamed = [a for a in updated if a["title"].startswith("Update: ")]
    assert renamed and all("update" not in a["slug"].split("-")[:1] for a in renamed)
    assert any(len(a["authors"]) >= 3 for a in truth)
    assert any(a["authors"] == ["The Kyiv Independent news desk"] for a in truth)
    live = [a for a in truth if a["title"].startswith("Ukraine war latest: ")]
    assert live and all(Selector(text=pages[a["slug"]]).css("h3 > code") for a in live)
    sizes = [len(Selector(text=raw).css("div.c-content").xpath("./*")) for raw in pages.values()]
    assert min(len(a["body"]) for a in truth) <= 2 and max(sizes) >= 40


def test_truth_agrees_with_every_page(replica_small: Replica) -> None:
    truth = replica_small.truth()
    assert len(truth) == 60
    for article in truth:
        status, _, body = fetch(article["url"])
        assert status == 200
        raw = body.decode()
        sel = Selector(text=raw)
        where = article["slug"]
        assert text_of(sel.css("h1.post__title, h1.c-topper__title")[0]) == article["title"], where
        assert body_texts(sel) == article["body"], where
        assert text_of(sel.css("figure.post__hero figcaption")[0]) == article["image_caption"], (
            where
        )
        assert quote(article["image_url"], safe="") in raw, where
        tags = [(a.attrib["href"], text_of(a)) for a in sel.css("div.post__tags a")]
        assert tags == [
            (f"/tag/{s}/", n) for s, n in zip(article["tag_slugs"], article["tags"], strict=True)
        ]
        assert article["primary_tag"] == article["tags"][0]
        byline = sel.css("div.post__byline a, div.c-topper__byline a")
        assert [text_of(a) for a in byline] == article["authors"], where
        assert sel.css("div.post__authors::text").get() == "Authors: " + ", ".join(
            article["authors"]
        )
        assert sel.css('meta[name="description"]::attr(content)').get() == article["summary"]
        related = sel.css("figure.kg-bookmark-card a.kg-bookmark-container::attr(href)").getall()
        assert related == article["related"], where
        published = sel.css('meta[property="article:published_time"]::attr(content)').get()
        if published:
            assert datetime.fromisoformat(published) == datetime.fromisoformat(article["published"])
            modified = sel.css('meta[property="article:modified_time"]::attr(content)').get()
            assert datetime.fromisoformat(modified) == datetime.fromisoformat(article["modified"])
        else:
            assert sel.css("span.c-topper__date::text").get() == kyiv_line(article["published"])
        data = json_ld(sel)
        if data:
            assert data["url"] == article["url"]
            assert datetime.fromisoformat(data["datePublished"]) == datetime.fromisoformat(
                article["published"]
            )
            people = data["author"] if isinstance(data["author"], list) else [data["author"]]
            assert [norm(html.unescape(p["name"])) for p in people] == article["authors"]
            assert data["image"]["url"] == article["image_url"]


def test_card_excerpt_is_the_body_cut_at_500(shared: Replica, truth: list[dict]) -> None:
    by_slug = {a["slug"]: a for a in truth}
    for card in page(shared.base_url + "/news-archive/").css(CARD):
        slug = card.css("a.archiveCard__link::attr(href)").get().split("?")[0].strip("/")
        expected = " ".join(by_slug[slug]["body"])[:500]
        assert card.css("div.archiveCard__description::text").get() == expected
        assert text_of(card.css("a.archiveCard__link")[0]) == by_slug[slug]["title"]


def test_seed_article(shared: Replica, truth: list[dict]) -> None:
    seed = next(a for a in truth if a["slug"] == SEED_SLUG)
    assert seed["url"] == f"{shared.base_url}/{SEED_SLUG}/"
    assert seed["title"] == "Trump, Putin call 'going well,' White House official says"
    assert seed["authors"] == ["Kateryna Hodunova", "The Kyiv Independent news desk"]
    assert seed["tags"] == [
        "News Feed",
        "United States",
        "Russia",
        "Donald Trump",
        "Vladimir Putin",
        "Trump & Russia",
    ]
    assert seed["primary_tag"] == "News Feed"
    assert seed["published"] == "2025-03-18T15:17:00+00:00"
    assert len(seed["body"]) == 9
    assert seed["body"][0].startswith("U.S. President Donald Trump has been speaking with")
    assert seed["body"][-1].endswith("where Putin reportedly signaled openness to the U.S. plan.")
    assert seed["image_caption"].endswith("(Mikhail Klimentyev / Sputnik / AFP / Getty Images)")
    assert seed["related"] == [f"{shared.base_url}/{RELATED_SLUG}/"]
    sel = page(seed["url"])
    assert text_of(sel.css("span.c-topper__date")[0]) == "March 18, 2025 5:17 PM"
    card = sel.css("figure.kg-bookmark-card")
    assert text_of(card.css(".kg-bookmark-title")[0]) == (
        "Who is to gain more from a ceasefire — Russia or Ukraine?"
    )
    assert card.css("span.kg-bookmark-publisher::text").get() == "Oleg Sukhov"
    assert "Authors: Kateryna Hodunova, The Kyiv Independent news desk" in sel.get()
    related = page(seed["related"][0])
    assert (
        text_of(related.css("h1")[0]) == "Who is to gain more from a ceasefire — Russia or Ukraine?"
    )


def test_seed_article_is_listed_in_its_tags(shared: Replica) -> None:
    for tag in ("donald-trump", "trump-russia", "news-feed"):
        url: str | None = f"{shared.base_url}/tag/{tag}/"
        seen = []
        while url:
            sel = page(url)
            seen += card_slugs(sel)
            url = sel.css('link[rel="next"]::attr(href)').get()
        assert seen[-1] == SEED_SLUG, tag  # the oldest news in the timeline


# -- control API --------------------------------------------------------------------------
def test_publish_puts_new_articles_on_top(replica: Replica) -> None:
    base = replica.base_url
    before = replica.truth()
    _, old_headers, _ = fetch(base + "/tag/news-feed/")
    new = replica.post("/__replica__/publish?count=3")
    assert len(new) == 3
    assert all("news-feed" in a["tag_slugs"] for a in new)
    assert min(a["published"] for a in new) > max(a["published"] for a in before)
    assert [a["published"] for a in new] == sorted((a["published"] for a in new), reverse=True)
    _, headers, body = fetch(base + "/tag/news-feed/")
    assert card_slugs(Selector(text=body.decode()))[:3] == [a["slug"] for a in new]
    assert headers["ETag"] != old_headers["ETag"]
    assert headers["Last-Modified"] != old_headers["Last-Modified"]
    tag = new[0]["tag_slugs"][1] if len(new[0]["tag_slugs"]) > 1 else "news-feed"
    assert card_slugs(page(f"{base}/tag/{tag}/"))[0] == new[0]["slug"]
    assert {a["slug"] for a in replica.truth()} == {a["slug"] for a in before + new}
    for article in new:
        assert text_of(page(article["url"]).css("h1")[0]) == article["title"]


def test_update_changes_body_modified_time_and_etag(replica: Replica) -> None:
    before = {a["slug"]: a for a in replica.truth()}
    etags = {}
    for slug in list(before)[:30]:
        etags[slug] = fetch(before[slug]["url"])[1]["ETag"]
    updated = replica.post("/__replica__/update?count=3")
    assert len(updated) == 3
    for article in updated:
        old = before[article["slug"]]
        assert article["modified"] > old["modified"]
        assert article["body"] != old["body"]
        assert article["published"] == old["published"]
        _, headers, body = fetch(article["url"])
        sel = Selector(text=body.decode())
        assert body_texts(sel) == article["body"]
        assert text_of(sel.css("h1")[0]) == article["title"]
        meta = sel.css('meta[property="article:modified_time"]::attr(content)').get()
        if meta:
            assert datetime.fromisoformat(meta) == datetime.fromisoformat(article["modified"])
        else:
            assert sel.css("span.c-topper__updated::text").get() == (
                f"(Updated: {kyiv_line(article['modified'])})"
            )
        if article["slug"] in etags:
            assert headers["ETag"] != etags[article["slug"]]
            assert fetch(article["url"], **{"If-None-Match": etags[article["slug"]]})[0] == 200
    untouched = next(s for s in etags if s not in {a["slug"] for a in updated})
    assert fetch(before[untouched]["url"])[1]["ETag"] == etags[untouched]


def test_publish_and_update_are_deterministic() -> None:
    runs = []
    for _ in range(2):
        with start_replica("--articles", "30") as running:
            published = running.post("/__replica__/publish?count=2")
            updated = running.post("/__replica__/update?count=2")
            runs.append(comparable(published) + comparable(updated))
    assert len(runs[0]) == 4
    assert runs[0] == runs[1]


def test_control_api_errors(shared: Replica) -> None:
    assert fetch(shared.base_url + "/__replica__/publish")[0] == 405
    assert fetch(shared.base_url + "/__replica__/nothing")[0] == 404
    assert fetch(shared.base_url + "/__replica__/publish?count=x", method="POST")[0] == 400


# -- HTTP ---------------------------------------------------------------------------------
def test_legacy_urls_redirect(shared: Replica, truth: list[dict]) -> None:
    slug = truth[5]["slug"]
    for prefix in ("news-feed", "uncategorized", "national"):
        for tail in ("", "/"):
            status, headers, _ = fetch(f"{shared.base_url}/{prefix}/{slug}{tail}")
            assert (status, headers["Location"]) == (301, f"/{slug}/")
    status, headers, _ = fetch(f"{shared.base_url}/{slug}")
    assert (status, headers["Location"]) == (301, f"/{slug}/")
    status, headers, _ = fetch(f"{shared.base_url}/{slug}?utm_source=x")
    assert (status, headers["Location"]) == (301, f"/{slug}/?utm_source=x")
    assert fetch(f"{shared.base_url}/national/no-such-article")[0] == 404


def test_conditional_requests(shared: Replica, truth: list[dict]) -> None:
    for url in (
        truth[0]["url"],
        shared.base_url + "/tag/news-feed/",
        shared.base_url + "/news-archive/rss/",
    ):
        status, headers, body = fetch(url)
        assert status == 200 and headers["ETag"] and headers["Last-Modified"]
        status, again, body = fetch(url, **{"If-None-Match": headers["ETag"]})
        assert (status, body) == (304, b"") and again["ETag"] == headers["ETag"]
        assert fetch(url, **{"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        assert fetch(url, **{"If-None-Match": 'W/"other"'})[0] == 200
        assert fetch(url, **{"If-Modified-Since": "Thu, 01 Jan 2015 00:00:00 GMT"})[0] == 200


def test_gzip_head_and_methods(shared: Replica, truth: list[dict]) -> None:
    url = truth[0]["url"]
    status, headers, plain = fetch(url)
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    status, zipped_headers, zipped = fetch(url, **{"Accept-Encoding": "gzip"})
    assert zipped_headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped) == plain
    status, head_headers, head_body = fetch(url, method="HEAD")
    assert status == 200 and head_body == b""
    assert int(head_headers["Content-Length"]) == len(plain)
    assert head_headers["ETag"] == headers["ETag"]
    status, post_headers, _ = fetch(url, method="POST")
    assert status == 405 and "GET" in post_headers["Allow"]
    assert fetch(url, method="DELETE")[0] == 405


def test_robots_404_rss_and_images(shared: Replica, truth: list[dict]) -> None:
    base = shared.base_url
    status, headers, body = fetch(base + "/robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    lines = body.decode().splitlines()
    assert "User-agent: *" in lines and f"Sitemap: {base}/sitemap.xml" in lines
    for path in (
        "/ghost/",
        "/email/",
        "/members/api/comments/counts/",
        "/r/",
        "/webmentions/receive/",
    ):
        assert f"Disallow: {path}" in lines
    for missing in ("/no-such-article/", "/feed/", "/rss/", "/tag/news-feed/page/999/"):
        status, headers, body = fetch(base + missing)
        assert status == 404 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert b"Page not found" in body
    status, headers, body = fetch(base + "/news-archive/rss/")
    assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    ns = {
        "dc": "http://purl.org/dc/elements/1.1/",
        "content": "http://purl.org/rss/1.0/modules/content/",
        "media": "http://search.yahoo.com/mrss/",
    }
    items = ET.fromstring(body).findall("./channel/item")
    assert len(items) == 15
    newest = sorted(truth, key=lambda a: a["published"], reverse=True)[0]
    first = items[0]
    guid = first.find("guid")
    assert re.fullmatch(r"[0-9a-f]{24}", guid.text) and guid.get("isPermaLink") == "false"
    assert first.findtext("link") == newest["url"]
    assert [c.text for c in first.findall("category")] == newest["tags"]
    assert first.findtext("dc:creator", namespaces=ns) == newest["authors"][0]
    pub = first.findtext("pubDate")
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", pub)
    assert parsedate_to_datetime(pub) == datetime.fromisoformat(newest["published"])
    assert first.find("media:content", ns).get("url") == newest["image_url"]
    assert newest["body"][0] in html.unescape(first.findtext("content:encoded", namespaces=ns))
    status, headers, body = fetch(
        base + "/_next/image?url=" + quote(newest["image_url"], safe="") + "&w=1536&q=75"
    )
    assert status == 200 and headers["Content-Type"] == "image/png" and body.startswith(b"\x89PNG")


def test_request_log_records_conditionals(shared: Replica, truth: list[dict]) -> None:
    shared.reset_requests()
    url = truth[1]["url"]
    etag = fetch(url, **{"User-Agent": "newsmon-test"})[1]["ETag"]
    fetch(url, **{"If-None-Match": etag, "User-Agent": "newsmon-test"})
    fetch(url, **{"If-Modified-Since": "Thu, 01 Jan 2015 00:00:00 GMT"})
    log = shared.requests()
    path = url.removeprefix(shared.base_url)
    assert [(e["path"], e["status"], e["if_none_match"], e["if_modified_since"]) for e in log] == [
        (path, 200, False, False),
        (path, 304, True, False),
        (path, 200, False, True),
    ]
    assert log[0]["method"] == "GET" and log[0]["user_agent"] == "newsmon-test"
    shared.truth()
    assert len(shared.requests()) == 3, "control requests are not logged"
    shared.reset_requests()
    assert shared.requests() == []


# -- determinism and scale ----------------------------------------------------------------
def test_same_seed_same_truth_other_seed_differs(replica_small: Replica) -> None:
    first = replica_small.truth()
    with start_replica("--articles", "60") as again:
        second = again.truth()
    with start_replica("--articles", "60", "--seed", "8") as other:
        third = other.truth()

    assert comparable(first) == comparable(second)
    assert [a["title"] for a in first] != [a["title"] for a in third]


def test_twenty_thousand_articles_start_fast() -> None:
    started = time.monotonic()
    with start_replica("--articles", "20000") as big:
        elapsed = time.monotonic() - started
        print(f"replica with 20000 articles ready in {elapsed:.2f} s")
        assert elapsed < 5
        sel = page(big.base_url + "/news-archive/page/900/")
        assert len(sel.css(CARD)) == 20
        oldest = card_slugs(sel)[-1]
        assert text_of(page(f"{big.base_url}/{oldest}/").css("h1")[0])
