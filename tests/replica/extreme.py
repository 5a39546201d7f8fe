"""`--faults extreme`: cards and pages at and past every limit a parser or a feed has.

Each case is what a proxy altering the real site's pages could serve (issue 16): listing cards
whose dates fall outside the years Python can hold once moved to UTC, an article whose JSON-LD
date overflows, JSON-LD nested 100,000 deep, a body nested 10,000 elements deep, a megabyte
headline with a 5 MB JSON-LD description, a headline with a right-to-left override. The cards
sit at the top of the News Feed's first page; every article they lead to is otherwise sound,
so a crawl shows exactly what the limit did. `EXTREME_CARDS` says what newsmon should make of
each (tests/test_limits.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from tests.replica.chrome import attr, esc, iso_z
from tests.replica.content import Site
from tests.replica.faults import HTML, _article, _origin
from tests.replica.server import Hook, Request, Response

# A headline of 1.2 MB and a JSON-LD description of 5 MB: no real page comes near either.
HUGE_TITLE_CHARS = 1_200_000
HUGE_DESCRIPTION_CHARS = 5_000_000
RLO = "\u202e"


@dataclass(frozen=True)
class ExtremeCard:
    """A card put at the top of the News Feed, and what newsmon should make of its article."""

    path: str
    title: str
    stamp: str
    """The card's data-archive-id."""
    outcome: str
    """"published" (with its title as given, cut or cleaned as `title` says), or the stat
    that counts its drop."""


EXTREME_CARDS: tuple[ExtremeCard, ...] = (
    ExtremeCard(
        "/extreme-card-date-far-future/",
        "A card dated in the year 9999, west of UTC",
        "9999-12-31T23:59:59-12:00",
        "published",
    ),
    ExtremeCard(
        "/extreme-card-date-javascript/",
        "A card dated 9999 in JavaScript's form",
        "Fri Dec 31 9999 23:59:59 GMT-1200 (GMT-12:00)",
        "published",
    ),
    ExtremeCard(
        "/extreme-card-date-year-one/",
        "A card dated in the year 1, east of UTC",
        "0001-01-01T00:00:00+14:00",
        "published",
    ),
    ExtremeCard(
        # Its card's date overflows too: no source gives a real date, a counted drop.
        "/extreme-date-overflow/",
        "An article whose own dates overflow",
        "9999-12-31T23:59:59-12:00",
        "newsmon/dropped/missing_published",
    ),
    ExtremeCard(
        "/extreme-deep-jsonld/",
        "JSON-LD nested a hundred thousand deep",
        "",
        "published",
    ),
    ExtremeCard(
        # No date in its JSON-LD or meta tags: the app's data is read for one, and refused.
        "/extreme-deep-app-data/",
        "App data nested a thousand deep",
        "",
        "published",
    ),
    ExtremeCard(
        "/extreme-deep-dom/",
        "A body nested ten thousand elements deep",
        "",
        "newsmon/articles/unreadable/truncated",
    ),
    ExtremeCard("/extreme-huge-fields/", "A megabyte headline", "", "published"),
    ExtremeCard(
        "/extreme-bidi-title/",
        f"A headline with a {RLO}right-to-left override",
        "",
        "published",
    ),
)
PARAGRAPHS = [
    "Officials said the work would go on through the winter, according to the ministry.",
    "The decision follows weeks of talks between the regional authorities and the government.",
]


class ExtremeHook(Hook):
    """The extreme cards on the News Feed's first page, and the pages they lead to."""

    def __init__(self, site: Site) -> None:
        self.site = site
        # Just before the newest article: the kept pages sit at the top of the feeds.
        self.published = site.clock - timedelta(minutes=1)
        self.pages: dict[str, Callable[[str], str]] = {
            "/extreme-date-overflow/": self._date_overflow,
            "/extreme-deep-jsonld/": self._deep_jsonld,
            "/extreme-deep-app-data/": self._deep_app_data,
            "/extreme-deep-dom/": self._deep_dom,
            "/extreme-huge-fields/": self._huge_fields,
        }

    def before(self, request: Request) -> Response | None:
        """Answer the extreme pages; leave everything else to the site."""
        if request.method not in ("GET", "HEAD"):
            return None
        card = next((card for card in EXTREME_CARDS if card.path == request.path), None)
        if card is None:
            return None
        build = self.pages.get(card.path)
        origin = _origin(request)
        html = build(origin) if build else self._plain(origin, card)
        return Response(200, html.encode("utf-8"), {"Content-Type": HTML})

    def after(self, request: Request, response: Response) -> Response:
        """Put the extreme cards at the top of the News Feed's first page."""
        if request.path == "/tag/news-feed/" and response.status == 200 and response.body:
            marker = b'<article class="js-card'
            at = response.body.find(marker)
            if at >= 0:
                cards = self.cards_html().encode("utf-8")
                response.body = response.body[:at] + cards + response.body[at:]
        return response

    def cards_html(self) -> str:
        """The extreme cards, in page order."""
        default = iso_z(self.site.clock)
        return "".join(
            f'<article class="js-card archiveCard" data-archive-id="{attr(card.stamp or default)}">'
            '<div class="archiveCard__content">'
            '<a class="archiveCard__tag" href="/tag/news-feed/">News Feed</a>'
            f'<h3 class="archiveCard__title"><a class="archiveCard__link" '
            f'href="{attr(card.path)}">{esc(card.title[:200])}</a></h3></div></article>\n'
            for card in EXTREME_CARDS
        )

    # -- pages ----------------------------------------------------------------------------
    def _plain(self, origin: str, card: ExtremeCard) -> str:
        return _article(origin, card.path, card.title, PARAGRAPHS, self.published)

    def _date_overflow(self, origin: str) -> str:
        path = "/extreme-date-overflow/"
        page = _article(
            origin,
            path,
            "An article whose own dates overflow",
            PARAGRAPHS,
            self.published,
            jsonld=json.dumps(
                {
                    "@type": "Article",
                    "headline": "An article whose own dates overflow",
                    "datePublished": "9999-12-31T23:59:59-12:00",
                    "dateModified": "0001-01-01T00:00:00+14:00",
                }
            ),
        )
        # Every other date of the page overflows too: no source gives a real one.
        stamp = iso_z(self.published)
        return page.replace(stamp, "9999-12-31T23:59:59-12:00")

    def _deep_jsonld(self, origin: str) -> str:
        depth = 100_000
        return _article(
            origin,
            "/extreme-deep-jsonld/",
            "JSON-LD nested a hundred thousand deep",
            PARAGRAPHS,
            self.published,
            jsonld='{"@type": "Article", "x": ' + "[" * depth + "]" * depth + "}",
        )

    def _deep_app_data(self, origin: str) -> str:
        depth = 1_000
        title = "App data nested a thousand deep"
        payload = '{"props": {"pageProps": ' + "[" * depth + "]" * depth + "}}"
        page = _article(
            origin,
            "/extreme-deep-app-data/",
            title,
            PARAGRAPHS,
            self.published,
            jsonld=json.dumps({"@type": "Article", "headline": title}),
            head_extra=f'<script id="__NEXT_DATA__" type="application/json">{payload}</script>',
        )
        # Its date in the header's <time> only, the source after the app's data: the meta tags
        # that would give one first are left out.
        stamp = iso_z(self.published)
        for name in ("published_time", "modified_time"):
            page = page.replace(f'<meta property="article:{name}" content="{stamp}">\n', "")
        byline = '<div class="post__byline">'
        return page.replace(byline, f'{byline}<time datetime="{stamp}"></time>', 1)

    def _deep_dom(self, origin: str) -> str:
        depth = 10_000
        raw = "<p>The first paragraph is shallow.</p>" + "<div>" * depth
        raw += "".join(f"<p>{esc(text)}</p>" for text in PARAGRAPHS) + "</div>" * depth
        return _article(
            origin,
            "/extreme-deep-dom/",
            "A body nested ten thousand elements deep",
            [],
            self.published,
            raw_body=raw,
        )

    def _huge_fields(self, origin: str) -> str:
        title = "A megabyte headline " + "very " * ((HUGE_TITLE_CHARS - 20) // 5)
        stamp = iso_z(self.published)
        jsonld = json.dumps(
            {
                "@type": "Article",
                "headline": title,
                "description": "Described at length. " * (HUGE_DESCRIPTION_CHARS // 21),
                "datePublished": stamp,
                "dateModified": stamp,
            }
        )
        return _article(
            origin, "/extreme-huge-fields/", title, PARAGRAPHS, self.published, jsonld=jsonld
        )
