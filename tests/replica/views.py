"""Routing: a request path becomes a `Page` (status, bytes, type, last-modified, redirect).

Views decide which articles appear where; templates only render what they are given. HTTP
concerns (conditional requests, gzip, methods) live in `server.py`.
"""

from __future__ import annotations

import base64
import math
import random
import re
from dataclasses import dataclass
from datetime import datetime

from tests.replica import chrome, feeds, templates
from tests.replica.article import ArticleView, article_page
from tests.replica.catalog import AUTHORS, NEWS_FEED, TAGS
from tests.replica.content import Article, Site
from tests.replica.templates import ListingChrome

PAGE_SIZE = 20
HTML = "text/html; charset=utf-8"
LEGACY_SECTIONS = ("news-feed", "uncategorized", "national", "regional", "hot-topic")
# A 1x1 PNG: what /_next/image answers for any asset.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
_LISTING = re.compile(r"^/(?:(tag|author)/([^/]+)|(news-archive))/(?:page/(\d+)/)?$")
_LEGACY = re.compile(rf"^/({'|'.join(LEGACY_SECTIONS)})/([^/]+)/?$")


@dataclass
class Page:
    """A routed response before HTTP concerns: status, body and what validators derive from."""

    status: int
    body: bytes = b""
    content_type: str = HTML
    last_modified: datetime | None = None
    location: str = ""


def redirect(location: str) -> Page:
    """A permanent redirect, as Ghost answers for moved URLs."""
    return Page(301, location=location)


class Views:
    """Maps paths of the replica site to pages."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def route(self, path: str, query: str, origin: str) -> Page:
        """Answer one GET for `path` (query is kept on redirects)."""
        suffix = f"?{query}" if query else ""
        page = self._route(path, query, origin)
        # Ghost adds the trailing slash with a 301 when the slashed URL exists.
        if (
            page.status == 404
            and not path.endswith("/")
            and "." not in path.rsplit("/", 1)[-1]
            and self._route(path + "/", query, origin).status in (200, 301)
        ):
            return redirect(path + "/" + suffix)
        if page.location and not page.location.endswith(suffix):
            page.location += suffix
        return page

    def not_found(self) -> Page:
        """Ghost's 404 page."""
        return Page(404, templates.not_found_page().encode())

    def _route(self, path: str, query: str, origin: str) -> Page:
        site = self.site
        if path == "/":
            return self._home(origin)
        if path == "/robots.txt":
            return Page(200, feeds.robots(origin).encode(), "text/plain; charset=utf-8")
        if path == "/news-archive/rss/":
            items = (site.listing("archive") or [])[: feeds.RSS_ITEMS]
            body = feeds.rss(site, items, origin).encode()
            return Page(200, body, "application/rss+xml; charset=utf-8", _newest(items))
        if path in ("/sitemap.xml", "/sitemap-posts.xml", "/sitemap-tags.xml"):
            return self._sitemap(path, origin)
        if path == "/_next/image":
            if "url=" not in query:
                return Page(400, b'"url" parameter is required', "text/plain; charset=utf-8")
            return Page(200, PIXEL, "image/png")
        if match := _LISTING.match(path):
            return self._listing(match, origin)
        if match := _LEGACY.match(path):
            slug = match.group(2)
            return redirect(f"/{slug}/") if slug in site.by_slug else self.not_found()
        if match := re.fullmatch(r"/([^/]+)/", path):
            slug = match.group(1)
            if slug in site.gone:
                page = self.not_found()
                page.status = site.gone[slug]
                return page
            if slug in site.moved:
                return redirect(f"/{site.moved[slug]}/")
            if slug in site.by_slug:
                return self._article(site.by_slug[slug], origin)
            if slug in templates.STATIC_PAGES:
                return Page(200, templates.static_page(slug).encode())
        return self.not_found()

    # -- pages ----------------------------------------------------------------------------
    def _home(self, origin: str) -> Page:
        items = (self.site.listing("archive") or [])[:12]
        chrome_, used = self._listing_chrome(items)
        cards = "".join(templates.card(a, self.site.detail(a), False) for a in items)
        body = templates.home_page(cards, chrome_, origin).encode()
        return Page(200, body, last_modified=_newest([*items, *used]))

    def _listing(self, match: re.Match[str], origin: str) -> Page:
        kind, key, archive, number = match.groups()
        if archive:
            kind, key, root = "archive", "", "/news-archive/"
        else:
            root = f"/{kind}/{key}/"
        if number == "1":
            return redirect(root)
        items = self.site.listing(kind, key)
        if items is None:
            return self.not_found()
        page = int(number or 1)
        last_page = max(1, math.ceil(len(items) / PAGE_SIZE))
        if page > last_page or page < 1:
            return self.not_found()
        shown = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        chrome_, used = self._listing_chrome(shown)

        def url(n: int) -> str:
            return origin + (root if n == 1 else f"{root}page/{n}/")

        description = ""
        if kind == "author":
            author = AUTHORS[key]
            title, header, with_author = author.name, templates.author_header(author), True
        elif kind == "tag":
            tag = TAGS[key]
            title, header = tag.name, templates.archive_header(tag.label)
            # Some tag layouts print the byline on cards; the News Feed and most tags do not.
            with_author = key in ("collaborators", "opinion", "war-analysis")
            description = templates.tag_description(tag)
        else:
            title, header, with_author = (
                "News Archive",
                templates.archive_header("NEWS ARCHIVE"),
                False,
            )
        cards = "".join(
            # Author pages drop the byline on about one card in seven, as the real ones do.
            templates.card(a, self.site.detail(a), with_author and a.index % 7 != 3)
            for a in shown
        )
        html = templates.listing_page(
            title=title,
            header=header,
            cards=cards,
            canonical=url(page),
            prev_url=url(page - 1) if page > 1 else "",
            next_url=url(page + 1) if page < last_page else "",
            page=page,
            last_page=last_page,
            chrome=chrome_,
            description=description,
        )
        return Page(200, html.encode(), last_modified=_newest([*shown, *used]))

    def _listing_chrome(self, cards: list[Article]) -> tuple[ListingChrome, list[Article]]:
        """Side boxes of a listing: the newest news, and picks that are not among the cards."""
        site = self.site
        feed = (site.listing("tag", NEWS_FEED.slug) or [])[:6]
        shown = {a.slug for a in cards}
        picks = [a for a in (site.listing("picks") or [])[:40] if a.slug not in shown][:4]
        built = ListingChrome(
            banner=chrome.banner(picks[0] if picks else None),
            side_box=chrome.news_feed_box(feed, [site.summary(a) for a in feed], frozen=False),
            picks=chrome.editors_picks(picks, frozen=False),
            newsletters=chrome.newsletters(),
        )
        return built, [*feed, *picks]

    def _article(self, article: Article, origin: str) -> Page:
        """An article page; its side boxes show what was published before it, so the page only
        changes when the article itself is updated."""
        site = self.site
        feed = site.newest("tag", NEWS_FEED.slug, article.published, 5)
        picks = site.newest("picks", "", article.published, 4)
        older = site.newest("archive", "", article.published, 40)
        popular = random.Random(article.slug).sample(older, min(5, len(older)))
        boxes = (
            chrome.most_popular(popular, frozen=True)
            + chrome.news_feed_box(feed, [site.summary(a) for a in feed], frozen=True)
            + chrome.editors_picks(picks, frozen=True)
            + chrome.newsletters()
        )
        view = ArticleView(
            article=article,
            detail=site.detail(article),
            summary=site.summary(article),
            origin=origin,
            banner=chrome.banner(picks[0] if picks else None),
            boxes=boxes,
        )
        return Page(200, article_page(view).encode(), last_modified=article.modified)

    def _sitemap(self, path: str, origin: str) -> Page:
        items = self.site.listing("archive") or []
        newest = _newest(items)
        xml = "application/xml; charset=utf-8"
        if path == "/sitemap.xml":
            return Page(
                200, feeds.sitemap_index(origin, newest or self.site.clock).encode(), xml, newest
            )
        if path == "/sitemap-posts.xml":
            return Page(200, feeds.sitemap_posts(items, origin).encode(), xml, newest)
        return Page(200, feeds.sitemap_tags(list(TAGS.values()), origin).encode(), xml, newest)


def _newest(articles: list[Article]) -> datetime | None:
    """The latest modification among the articles a page shows (its Last-Modified)."""
    return max((a.modified for a in articles), default=None)
