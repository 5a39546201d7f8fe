"""Page chrome shared by every HTML page: frame, banner, nav, side boxes, newsletters, footer.

None of it is article content, yet much of it links to articles (News Feed box, Editors'
Picks, Most popular, the banner): a crawler must take article links from the cards only.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from tests.replica.writer import kyiv_clock

if TYPE_CHECKING:
    from tests.replica.content import Article

SITE_NAME = "The Kyiv Independent"
FEATURED_NAV = (
    ("war-analysis", "War Analysis"),
    ("russias-war", "Russia's War"),
    ("national", "National"),
    ("human-story", "Human Story"),
    ("field-report", "Field Report"),
)
SECTION_NAV = (
    ("news-feed", "News Feed"),
    ("war", "War"),
    ("world", "World"),
    ("opinion", "Opinion"),
    ("business", "Business"),
    ("explainer", "Explainers"),
)
MORE_NAV = (
    ("/about/", "About"),
    ("/team/", "Team"),
    ("/advertising/", "Advertising"),
    ("/jobs/", "Jobs"),
    ("/store/", "Store"),
)
NEWSLETTERS = (
    ("Ukraine Daily", "A short briefing on the war and the country, every weekday morning."),
    ("Ukraine in Focus", "One story a week, told at length."),
    ("Explaining Ukraine", "A weekly letter about the questions readers ask most."),
)


def esc(text: str) -> str:
    """Escape text for an element's content."""
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    """Escape text for a double-quoted attribute value."""
    return html.escape(text, quote=True)


def next_image(asset_url: str) -> str:
    """The Next.js image proxy URL of an asset: `/_next/image?url=<encoded>&w=1536&q=75`."""
    return f"/_next/image?url={quote(asset_url, safe='')}&w=1536&q=75"


def iso_z(when: datetime) -> str:
    """Ghost's ISO form: `2025-03-18T15:17:00.000Z`."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def title_of(article: Article, frozen: bool) -> str:
    """The headline to show; `frozen` pages (article pages) keep the headline first published."""
    return article.original_title if frozen else article.title


def document(title: str, head: str, body_class: str, main: str, banner: str) -> str:
    """A whole HTML page around `main`."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n{head}"
        '<meta name="generator" content="Ghost 5.116">\n'
        f'</head>\n<body class="{body_class}">\n{banner}'
        '<a class="skipLink" href="#main">Skip to content</a>\n'
        f'{nav()}<main id="main" class="main">\n{main}</main>\n{footer()}</body>\n</html>\n'
    )


def banner(feature: Article | None) -> str:
    """The promo strip at the top of every page; it links to a long read and to membership."""
    story = ""
    if feature is not None:
        story = (
            f'<a class="topBanner__story" href="{feature.path}">'
            f"<span>Long read</span> {esc(feature.original_title)}</a>"
        )
    return (
        '<div class="topBanner"><p class="topBanner__text">Independent journalism from Ukraine, '
        f"funded by its readers.</p>{story}"
        '<a class="topBanner__cta" href="/membership/?utm_source=banner">Become a member</a>'
        "</div>\n"
    )


def nav() -> str:
    """The site header with its menus (tag listings and static pages, no articles)."""
    featured = "".join(f'<li><a href="/tag/{s}/">{esc(n)}</a></li>' for s, n in FEATURED_NAV)
    sections = "".join(f'<li><a href="/tag/{s}/">{esc(n)}</a></li>' for s, n in SECTION_NAV)
    more = "".join(f'<li><a href="{p}">{esc(n)}</a></li>' for p, n in MORE_NAV)
    return (
        '<header class="header"><a class="header__logo" href="/">The Kyiv Independent</a>\n'
        f'<nav class="header__nav"><span>Featured</span><ul>{featured}</ul>'
        f"<span>Sections</span><ul>{sections}</ul><span>More</span><ul>{more}</ul>"
        '<a class="header__newsletters" href="/newsletters/">Newsletters</a>'
        '<a class="header__support" href="/membership/?utm_source=header">Support us</a>'
        "</nav></header>\n"
    )


def news_feed_box(items: Sequence[Article], summaries: Sequence[str], frozen: bool) -> str:
    """The News Feed side box: time, headline ending with a period, one paragraph."""
    rows = []
    for article, summary in zip(items, summaries, strict=True):
        headline = title_of(article, frozen).rstrip(".")
        rows.append(
            '<div class="newsFeedBox__item">'
            f'<time class="newsFeedBox__time">{kyiv_clock(article.published)}</time>'
            f'<a class="newsFeedBox__title" href="{article.path}">{esc(headline)}.</a>'
            f'<p class="newsFeedBox__text">{esc(summary)}</p></div>'
        )
    return (
        '<aside class="newsFeedBox"><h2 class="newsFeedBox__heading">News Feed</h2>'
        + "".join(rows)
        + '<a class="newsFeedBox__more" href="/tag/news-feed/">MORE NEWS</a></aside>\n'
    )


def editors_picks(items: Sequence[Article], frozen: bool) -> str:
    """The Editors' Picks box (its own markup, not archive cards)."""
    rows = "".join(
        f'<li class="editorsPicks__item"><a class="editorsPicks__link" href="{a.path}">'
        f'<img alt="" src="{attr(next_image(a.image_url))}">'
        f'<span class="editorsPicks__tag">{esc(a.primary_tag.name)}</span>'
        f'<h4 class="editorsPicks__title">{esc(title_of(a, frozen))}</h4></a></li>'
        for a in items
    )
    return (
        '<section class="editorsPicks"><h2 class="editorsPicks__heading">Editors\' Picks</h2>'
        f"<ul>{rows}</ul></section>\n"
    )


def most_popular(items: Sequence[Article], frozen: bool) -> str:
    """The "Most popular" box of article pages."""
    rows = "".join(
        f'<li><a class="mostPopular__link" href="{a.path}">{esc(title_of(a, frozen))}</a></li>'
        for a in items
    )
    return f'<section class="mostPopular"><h2>Most popular</h2><ol>{rows}</ol></section>\n'


def newsletters() -> str:
    """Newsletter sign-up blocks."""
    forms = "".join(
        f'<section class="newsletter"><h3 class="newsletter__name">{esc(name)}</h3>'
        f'<p class="newsletter__pitch">{esc(pitch)}</p>'
        '<form class="newsletter__form" action="/members/api/send-magic-link/" method="post">'
        '<input type="email" name="email" placeholder="Enter your email to subscribe">'
        '<span class="newsletter__error">Please, enter correct email address</span>'
        '<button type="submit">Subscribe</button>'
        '<span class="newsletter__required">* indicates required</span></form></section>'
        for name, pitch in NEWSLETTERS
    )
    return f'<div class="newsletters">{forms}</div>\n'


def footer() -> str:
    """The site footer."""
    sections = "".join(f'<li><a href="/tag/{s}/">{esc(n)}</a></li>' for s, n in SECTION_NAV)
    more = "".join(f'<li><a href="{p}">{esc(n)}</a></li>' for p, n in MORE_NAV)
    return (
        f'<footer class="footer"><h3>Sections</h3><ul>{sections}</ul><h3>More</h3><ul>{more}</ul>'
        '<p class="footer__follow">Follow Us</p>'
        '<p class="footer__note">Offline replica for tests: all text is synthetic.</p>'
        "</footer>\n"
    )
