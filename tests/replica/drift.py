"""`--drift`: the site after a front-end redesign, for newsmon's health checks.

Every HTML page the site serves is rewritten the way a redesign rewrites markup, while the
content stays the same (the ground truth does not change):

- Article body: `div.c-content` becomes a CSS-module `div.RichText_root__x91Ka`, and the
  `#reading-progress-end` marker is gone. A crawler's fallbacks still find a body (the densest
  block of paragraphs), right on most pages, wrong on some (a one-sentence brief loses to an
  author's bio).
- Headline: `h1.ArticleHeader_title__Qm2x` now starts with the primary tag as a kicker
  ("News Feed Headline ..."), so the markup's headline disagrees with the page's JSON-LD and
  og:title.
- Dates: no `article:published_time` / `modified_time` meta, no `datePublished` /
  `dateModified` in JSON-LD, no date in the header. They moved below the body, as
  "Updated <time> · Published <time>": a crawler that takes the first `<time datetime>` now
  reads the modified time of an updated article as its publication time.
- Listing cards: `article.js-card.archiveCard` (with the time in `data-archive-id`) becomes
  `div.PostCard_root__w4` with a `data-timestamp` span; headline links are still `h3 > a`.

Validators follow the drifted bytes: the ETag is a hash of the rewritten page and
Last-Modified is at least the time the drift began, so a crawler revalidating copies from
before the redesign gets the new pages, not a 304.
"""

from __future__ import annotations

import argparse
import html
import re
from datetime import UTC, datetime

from tests.replica.content import Article, Site
from tests.replica.rewrite import MarkupRewrite
from tests.replica.server import Hook, Request
from tests.replica.writer import KYIV

BODY_CLASS = re.compile(r'<body class="([\w-]+)">')
ARTICLE_PATH = re.compile(r"^/([^/]+)/$")
DATE_META = re.compile(r'<meta property="article:(?:published|modified)_time" content="[^"]*">\n?')
LD_DATES = re.compile(r'\n\s*"date(?:Published|Modified)": "[^"]*",')
TITLE = re.compile(r'<h1 class="(?:post__title|c-topper__title)">')
HEADER_DATES = re.compile(
    r'<time class="post__date"></time> ?|<span class="c-topper__(?:date|updated)">[^<]*</span> ?'
)
BODY_OPEN = "<div class='c-content '>"
BODY_END_MARKER = '<div id="reading-progress-end"></div>'
CARD = re.compile(r'<article class="js-card archiveCard" data-archive-id="([^"]*)">(.*?)</article>')
CARD_CLASSES = (
    ('class="archiveCard__image"', 'class="PostCard_media__b2"'),
    ('<div class="archiveCard__content">', '<div class="PostCard_body__k9">'),
    ('class="archiveCard__tag"', 'class="PostCard_kicker__p1"'),
    (
        '<h3 class="archiveCard__title"><a class="archiveCard__link" ',
        '<h3 class="PostCard_headline__z7"><a ',
    ),
    ('class="archiveCard__author"', 'class="PostCard_byline__c3"'),
    ('class="archiveCard__description"', 'class="PostCard_dek__m5"'),
)


def hooks(args: argparse.Namespace, site: Site) -> list[Hook]:
    """The `--drift` hook."""
    return [RedesignDrift(site)]


def visible(when: datetime) -> str:
    """The redesign's date format, "27.11.2026, 13:52" in Kyiv time (no AM/PM)."""
    return when.astimezone(KYIV).strftime("%d.%m.%Y, %H:%M")


def iso(when: datetime) -> str:
    """ISO 8601 in UTC with "Z"."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def drift_article(page: str, article: Article) -> str:
    """Rewrite an article page as the redesigned front end renders it."""
    page = DATE_META.sub("", page)
    page = LD_DATES.sub("", page)
    page = HEADER_DATES.sub("", page)
    kicker = html.escape(article.primary_tag.name, quote=False)
    page = TITLE.sub(
        '<h1 class="ArticleHeader_title__Qm2x">'
        f'<span class="ArticleHeader_kicker__a8Df">{kicker}</span> ',
        page,
        count=1,
    )
    page = page.replace(BODY_OPEN, '<div class="RichText_root__x91Ka">', 1)
    dates = (
        f'Published <time datetime="{iso(article.published)}">{visible(article.published)}</time>'
    )
    if article.modified > article.published:
        updated = f'<time datetime="{iso(article.modified)}">{visible(article.modified)}</time>'
        dates = f"Updated {updated} · {dates}"
    return page.replace(BODY_END_MARKER, f'<p class="ArticleFooter_dates__r4Tn">{dates}</p>', 1)


def drift_cards(page: str) -> str:
    """Rewrite every listing card in the redesign's card markup."""

    def card(match: re.Match[str]) -> str:
        stamp, inner = match.groups()
        for old, new in CARD_CLASSES:
            inner = inner.replace(old, new)
        return (
            f'<div class="PostCard_root__w4">{inner}'
            f'<span class="PostCard_time__t0" data-timestamp="{stamp}"></span></div>'
        )

    return CARD.sub(card, page)


class RedesignDrift(MarkupRewrite):
    """Serve every HTML page in redesigned markup, with validators of the new bytes."""

    def __init__(self, site: Site) -> None:
        super().__init__()
        self.site = site

    def rewrite(self, request: Request, page: str) -> str:
        """Drift an article page's markup, and the cards of any page."""
        match = BODY_CLASS.search(page)
        template = match.group(1) if match else ""
        if template == "post-template":
            slug = ARTICLE_PATH.match(request.path)
            article = self.site.by_slug.get(slug.group(1)) if slug else None
            if article is not None:
                page = drift_article(page, article)
        return drift_cards(page)
