"""`--listing MODE`, `--hide-card`, `--site-rss missing`: listings redesigned, or hiding things.

Listing pages (tags, authors, the archive) keep their content and lose the 2025 card markup:

- `list`: a plain `<ul>` of `<li>` cards, headline `<h3><a>`, the date only as visible Kyiv
  time in the card's text ("Nov 27, 2026, 1:52 PM"), the byline in its own line; pagination
  is a bare "Next" link (no `rel`, nothing in `<head>`).
- `grid`: a grid of `<div>` tiles, the headline an `<h2>` inside the image link, the date in a
  `<time datetime>`; pagination is a "Load more" button-link.
- `modules`: CSS-module class soup (`StoryCard_root__Zx9Qd`), headline `<h4><a>`, date in a
  `<time datetime>`; the News Feed side box and Editors' Picks lose their semantic elements
  and classes (a `<div>` with headline links, named only by their headings); pagination is
  numbered page links.
- `next-data`: a client-rendered listing: the cards are only in the `__NEXT_DATA__` payload
  (Ghost Content API posts, beside an "editorsPicks" list); `<head>` keeps `rel="next"`.
- `next-data-endpoint`: the cards are only behind `/_next/data/<build>/<path>.json`, which the
  app fetches after load (a Next.js fallback page: `isFallback`, empty props).
- `next-data-lost`: as `next-data-endpoint`, but the endpoint answers 404 (a deploy that
  dropped the build the page names): only a browser could still try.
- `bare`: listing pages without any card, link to a card or app data, and without pagination:
  what a crawler sees when every way of reading the listing broke at once.

`--hide-card` drops the third-newest News Feed article (at start) from every listing page,
while its page and the site's RSS still show it: a listing that silently loses an article.
`--site-rss missing` answers 404 at `/news-archive/rss/`.

Article pages, the RSS and everything else are served as they are. Validators follow the
rewritten bytes (`tests.replica.rewrite`).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import threading
from dataclasses import dataclass
from typing import Any

from tests.replica.chrome import iso_z
from tests.replica.content import Article, Site
from tests.replica.rewrite import MarkupRewrite
from tests.replica.server import Hook, Request, Response
from tests.replica.views import Views
from tests.replica.writer import KYIV

MODES = (
    "server",
    "list",
    "grid",
    "modules",
    "next-data",
    "next-data-endpoint",
    "next-data-lost",
    "bare",
)
BUILD_ID = "l1st1ng-bu1ld"
DATA_PREFIX = f"/_next/data/{BUILD_ID}/"
APP_SCRIPT = "/_next/static/chunks/pages/tag/[slug]-3b9e21.js"
RSS_PATH = "/news-archive/rss/"
HIDDEN_INDEX = 2  # the third-newest News Feed article

CARD = re.compile(
    r'<article class="js-card archiveCard" data-archive-id="[^"]*">'
    r'<a class="archiveCard__image" href="(?P<href>[^"]*)">'
    r'<img alt="(?P<alt>[^"]*)" src="(?P<src>[^"]*)" loading="lazy"></a>'
    r'<div class="archiveCard__content"><a class="archiveCard__tag" href="(?P<tag_href>[^"]*)">'
    r'(?P<tag>.*?)</a><h3 class="archiveCard__title"><a class="archiveCard__link" href="[^"]*">'
    r"(?P<title>.*?)</a></h3>(?:<p class=\"archiveCard__author\">by (?P<author>.*?)</p>)?"
    r'<div class="archiveCard__description">(?P<excerpt>.*?)</div></div></article>\n'
)
LIST = re.compile(
    r'<div class="archive__list">\n(?P<cards>.*?)</div>(?=<nav class="pagination">)', re.S
)
PAGER = re.compile(
    r'<nav class="pagination"><span class="pagination__page">Page (?P<page>\d+) of '
    r"(?P<last>\d+)</span>(?P<links>.*?)</nav>"
)
PAGER_LINK = re.compile(r'<a class="pagination__(?P<kind>prev|next)" href="(?P<href>[^"]*)">')
HEAD_REL = re.compile(r'<link rel="(?:prev|next)" href="[^"]*">\n')
PICK = re.compile(r'<a class="editorsPicks__link" href="/(?P<slug>[^/"]+)/">')
BODY_TAG = re.compile(r'<body class="([\w-]+)">\n')
CANONICAL = re.compile(r'<link rel="canonical" href="(?P<url>[^"]*)">')


@dataclass(frozen=True)
class Card:
    """One listing card, as the 2025 markup showed it (text still HTML-escaped)."""

    article: Article
    href: str
    alt: str
    src: str
    tag_href: str
    tag: str
    title: str
    author: str
    excerpt: str


def hooks(args: argparse.Namespace, site: Site) -> list[Hook]:
    """The hook of `--listing`, `--hide-card` and `--site-rss`."""
    return [ListingModes(site, args.listing, args.hide_card, args.site_rss == "missing")]


def kyiv_time(card: Card) -> str:
    """The card's publication time as the site shows it: "Nov 27, 2026, 1:52 PM" (Kyiv)."""
    local = card.article.published.astimezone(KYIV)
    return f"{local:%b} {local.day}, {local.year}, {local.hour % 12 or 12}:{local:%M %p}"


def iso(card: Card) -> str:
    """The card's publication time in ISO 8601 (UTC)."""
    return iso_z(card.article.published)


class ListingModes(MarkupRewrite):
    """Rewrite listing pages in one redesign; serve the data endpoint; hide or break things."""

    def __init__(self, site: Site, mode: str, hide: bool, rss_missing: bool) -> None:
        super().__init__()
        self.site = site
        self.mode = mode
        feed = site.listing("tag", "news-feed") or []
        self.hidden = feed[HIDDEN_INDEX].slug if hide and len(feed) > HIDDEN_INDEX else ""
        self.rss_missing = rss_missing
        # Data answers render the listing page they stand for with their own Views (the
        # server's lock is not reachable from a hook: see render.py).
        self.views = Views(site)
        self.lock = threading.Lock()

    def before(self, request: Request) -> Response | None:
        """Answer the data endpoint and a missing RSS; else let the site render the page."""
        if self.rss_missing and request.path == RSS_PATH:
            return Response(404, b"<h1>404</h1>", {"Content-Type": "text/html; charset=utf-8"})
        if self.mode == "next-data-endpoint" and request.path.startswith(DATA_PREFIX):
            return self._data(request)
        return super().before(request)

    def rewrite(self, request: Request, page: str) -> str | None:
        """A listing page in this mode's markup (other pages unchanged)."""
        match = BODY_TAG.search(page)
        if match is None or match.group(1) != "tag-template":
            return None
        listed = LIST.search(page)
        if listed is None:
            return None
        cards = self._cards(listed.group("cards"))
        if self.mode == "server":
            inner = "".join(
                m.group(0)
                for m in CARD.finditer(listed.group("cards"))
                if self._slug(m.group("href")) != self.hidden
            )
            return page[: listed.start("cards")] + inner + page[listed.end("cards") :]
        origin = _origin(request)
        builders = {
            "list": self._list,
            "grid": self._grid,
            "modules": self._modules,
            "next-data": self._next_data,
            "next-data-endpoint": self._next_data,
            "next-data-lost": self._next_data,
            "bare": self._bare,
        }
        return builders[self.mode](page, listed, cards, origin)

    # -- the redesigns ------------------------------------------------------------------------
    def _list(self, page: str, listed: re.Match[str], cards: list[Card], origin: str) -> str:
        items = "".join(
            '<li class="stories__item">'
            f'<h3 class="stories__headline"><a href="{c.href}">{c.title}</a></h3>'
            f'<p class="stories__meta">{kyiv_time(c)} · <a href="{c.tag_href}">{c.tag}</a></p>'
            + (f'<p class="stories__byline">by {c.author}</p>' if c.author else "")
            + f'<p class="stories__dek">{c.excerpt}</p></li>\n'
            for c in cards
        )
        page = _replace_list(page, listed, f'<ul class="stories">\n{items}</ul>')
        return _pager(page, lambda links: _text_links(links, "Previous", "Next", "stories__more"))

    def _grid(self, page: str, listed: re.Match[str], cards: list[Card], origin: str) -> str:
        tiles = "".join(
            f'<div class="tile"><a class="tile__link" href="{c.href}">'
            f'<img alt="{c.alt}" src="{c.src}"><h2 class="tile__title">{c.title}</h2></a>'
            f'<div class="tile__meta"><a class="tile__tag" href="{c.tag_href}">{c.tag}</a> '
            f'<time datetime="{iso(c)}">{c.article.published.astimezone(KYIV):%d %b}</time>'
            "</div>"
            + (f'<div class="tile__author">by {c.author}</div>' if c.author else "")
            + f'<p class="tile__text">{c.excerpt}</p></div>\n'
            for c in cards
        )
        page = _replace_list(page, listed, f'<div class="grid">\n{tiles}</div>')
        return _pager(page, lambda links: _text_links(links, "Newer", "Load more", "grid__more"))

    def _modules(self, page: str, listed: re.Match[str], cards: list[Card], origin: str) -> str:
        stories = "".join(
            '<div class="StoryCard_root__Zx9Qd"><div class="StoryCard_media__q1">'
            f'<a href="{c.href}" tabindex="-1"><img alt="{c.alt}" src="{c.src}"></a></div>'
            f'<div class="StoryCard_body__r5"><a class="StoryCard_kicker__y2" href="{c.tag_href}">'
            f'{c.tag}</a><h4 class="StoryCard_heading__p0T"><a class="StoryCard_link__u8" '
            f'href="{c.href}">{c.title}</a></h4>'
            + (f'<span class="StoryCard_byline__c3">by {c.author}</span>' if c.author else "")
            + f'<span class="StoryCard_date__k2"><time datetime="{iso(c)}">'
            f"{c.article.published.astimezone(KYIV):%d.%m.%Y}</time></span>"
            f'<p class="StoryCard_dek__m4">{c.excerpt}</p></div></div>\n'
            for c in cards
        )
        page = _replace_list(page, listed, f'<div class="Feed_list__a1B2c">\n{stories}</div>')
        page = _numbered_pager(page)
        # The side boxes lose their semantic elements and classes: only their headings say
        # what they are.
        page = re.sub(
            r'<aside class="newsFeedBox">(.*?)</aside>',
            lambda m: (
                '<div class="LatestNews_root__Zp3">'
                + re.sub(
                    r'(<a class="newsFeedBox__title" href="[^"]*">.*?</a>)',
                    r'<h3 class="LatestNews_title__c1">\1</h3>',
                    m.group(1),
                )
                + "</div>"
            ),
            page,
            flags=re.S,
        )
        page = page.replace("newsFeedBox__", "LatestNews_part__")
        page = page.replace('<section class="editorsPicks">', '<section class="Curated_root__b7Q">')
        page = page.replace("editorsPicks__", "Curated_item__")
        return page.replace('<section class="archive">', '<section class="Listing_root__k2">')

    def _bare(self, page: str, listed: re.Match[str], cards: list[Card], origin: str) -> str:
        page = _replace_list(page, listed, '<div class="archive__list"></div>')
        return PAGER.sub("", HEAD_REL.sub("", page))

    def _next_data(self, page: str, listed: re.Match[str], cards: list[Card], origin: str) -> str:
        canonical = CANONICAL.search(page)
        path = re.sub(r"^https?://[^/]+", "", canonical.group("url")) if canonical else "/"
        # Server-side props in the page, or a fallback page whose props the app fetches.
        fallback = self.mode != "next-data"
        props: dict[str, Any] = {} if fallback else self._page_props(page, cards, origin)
        page = _replace_list(page, listed, '<div class="archive__list"></div>')
        page = PAGER.sub("", page)  # the app renders the pagination too; <head> keeps rel
        page = page.replace("</head>", f'<script src="{APP_SCRIPT}" defer></script>\n</head>', 1)
        page = BODY_TAG.sub(lambda m: m.group(0) + '<div id="__next">', page, count=1)
        tail = page.rfind("</body>")
        script = _next_data_script(_tag_of(path)["slug"], props, fallback=fallback)
        return page[:tail] + f"</div>\n{script}\n" + page[tail:]

    def _page_props(self, page: str, cards: list[Card], origin: str) -> dict[str, Any]:
        """Ghost Content API posts of the page, its pagination, and the picks beside them."""
        canonical = CANONICAL.search(page)
        path = re.sub(r"^https?://[^/]+", "", canonical.group("url")) if canonical else "/"
        picks = [
            self.site.by_slug[m.group("slug")]
            for m in PICK.finditer(page)
            if m.group("slug") in self.site.by_slug
        ]
        props: dict[str, Any] = {
            "tag": _tag_of(path),
            "posts": [_post(c.article, c, origin) for c in cards],
            "editorsPicks": [_post(a, None, origin) for a in picks],
        }
        pager = PAGER.search(page)
        if pager is not None:
            number, last = int(pager.group("page")), int(pager.group("last"))
            props["meta"] = {
                "pagination": {
                    "page": number,
                    "pages": last,
                    "next": number + 1 if number < last else None,
                    "prev": number - 1 if number > 1 else None,
                }
            }
        return props

    def _data(self, request: Request) -> Response:
        """`/_next/data/<build>/<page path>.json`: the posts of one listing page."""
        stem = request.path.removeprefix(DATA_PREFIX)
        if not stem.endswith(".json") or request.method not in ("GET", "HEAD"):
            return _json(404, {"notFound": True})
        page_path = "/" + stem.removesuffix(".json") + "/"
        origin = _origin(request)
        with self.lock:
            routed = self.views.route(page_path, "", origin)
        page = routed.body.decode("utf-8") if routed.status == 200 else ""
        listed = LIST.search(page)
        if listed is None:
            return _json(404, {"notFound": True})
        props = self._page_props(page, self._cards(listed.group("cards")), origin)
        return _json(200, {"pageProps": props, "__N_SSG": True})

    # -- helpers ------------------------------------------------------------------------------
    def _cards(self, markup: str) -> list[Card]:
        cards = []
        for m in CARD.finditer(markup):
            slug = self._slug(m.group("href"))
            if slug == self.hidden or slug not in self.site.by_slug:
                continue
            cards.append(
                Card(
                    article=self.site.by_slug[slug],
                    href=m.group("href"),
                    alt=m.group("alt"),
                    src=m.group("src"),
                    tag_href=m.group("tag_href"),
                    tag=m.group("tag"),
                    title=m.group("title"),
                    author=m.group("author") or "",
                    excerpt=m.group("excerpt"),
                )
            )
        return cards

    @staticmethod
    def _slug(href: str) -> str:
        return href.split("?")[0].strip("/").rsplit("/", 1)[-1]


def _origin(request: Request) -> str:
    return "http://" + (request.headers.get("Host") or "127.0.0.1")


def _replace_list(page: str, listed: re.Match[str], markup: str) -> str:
    return page[: listed.start()] + markup + page[listed.end() :]


def _pager(page: str, links: Any) -> str:
    """Drop `<link rel>` from `<head>`; replace the pagination by what `links` renders."""
    page = HEAD_REL.sub("", page)
    return PAGER.sub(lambda m: links(dict(PAGER_LINK.findall(m.group("links")))), page)


def _text_links(links: dict[str, str], prev_text: str, next_text: str, css: str) -> str:
    parts = []
    if "prev" in links:
        parts.append(f'<a class="{css}__prev" href="{links["prev"]}">{prev_text}</a>')
    if "next" in links:
        parts.append(f'<a class="{css}__next" href="{links["next"]}">{next_text}</a>')
    return f'<div class="{css}">{" ".join(parts)}</div>'


def _numbered_pager(page: str) -> str:
    """Page numbers instead of prev/next: "1 2 [3] 4 ... 8", no `rel` anywhere."""
    page = HEAD_REL.sub("", page)
    canonical = CANONICAL.search(page)
    url = canonical.group("url") if canonical else ""
    root = re.sub(r"page/\d+/$", "", url)

    def numbers(m: re.Match[str]) -> str:
        current, last = int(m.group("page")), int(m.group("last"))
        items = []
        for number in range(1, last + 1):
            href = root if number == 1 else f"{root}page/{number}/"
            if number == current:
                items.append(f'<span class="Pager_item__a" aria-current="page">{number}</span>')
            else:
                items.append(f'<a class="Pager_item__a" href="{href}">{number}</a>')
        return f'<div class="Pager_root__m2">{"".join(items)}</div>'

    return PAGER.sub(numbers, page)


def _tag_of(path: str) -> dict[str, str]:
    parts = [p for p in path.split("/") if p]
    return {"slug": parts[1] if len(parts) > 1 else "", "kind": parts[0] if parts else ""}


def _post(article: Article, card: Card | None, origin: str) -> dict[str, Any]:
    """A post as Ghost's Content API gives it."""
    title = html.unescape(card.title) if card else article.title
    tag = article.primary_tag
    return {
        "id": article.ghost_id,
        "title": title,
        "slug": article.slug,
        "url": f"{origin}{article.path}",
        "excerpt": html.unescape(card.excerpt) if card else "",
        "published_at": article.published.strftime("%Y-%m-%dT%H:%M:%S.000+00:00"),
        "primary_tag": {"name": tag.name, "slug": tag.slug, "url": f"{origin}/tag/{tag.slug}/"},
        "authors": [{"name": a.name, "slug": a.slug} for a in article.authors],
        "feature_image": article.image_url,
    }


def _next_data_script(slug: str, props: dict[str, Any], *, fallback: bool) -> str:
    """The `__NEXT_DATA__` script of a listing page; `<`, `>`, `&` escaped as Next.js does."""
    payload = json.dumps(
        {
            "props": {"pageProps": props, "__N_SSG": True},
            "page": "/tag/[slug]",
            "query": {"slug": slug},
            "buildId": BUILD_ID,
            "isFallback": fallback,
            "gsp": True,
        },
        ensure_ascii=False,
    )
    for char, escape in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        payload = payload.replace(char, escape)
    return f'<script id="__NEXT_DATA__" type="application/json">{payload}</script>'


def _json(status: int, data: Any) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(
        status,
        body,
        {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-cache"},
    )
