"""HTML of an article page: Ghost's `<head>` (meta, JSON-LD) and the 2025 or 2023 theme body."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.replica.chrome import SITE_NAME, attr, document, esc, iso_z, next_image
from tests.replica.templates import byline_names, join_and, render_blocks
from tests.replica.writer import kyiv_datetime_line

if TYPE_CHECKING:
    from tests.replica.bodies import Detail
    from tests.replica.content import Article

LOGO = "https://assets.kyivindependent.com/content/images/2022/08/logo.png"


@dataclass(frozen=True)
class ArticleView:
    """What an article page shows: the article, its body and the rendered side boxes."""

    article: Article
    detail: Detail
    summary: str
    origin: str
    banner: str
    boxes: str


def article_page(view: ArticleView) -> str:
    """The whole article page."""
    a = view.article
    return document(
        f"{a.title} | {SITE_NAME}", head(view), "post-template", body(view), view.banner
    )


def head(view: ArticleView) -> str:
    """Ghost-style `<head>` tags; which ones appear depends on the article's `head` variant."""
    a, url = view.article, view.origin + view.article.path
    lines = [
        f'<meta name="description" content="{attr(view.summary)}">',
        f'<link rel="canonical" href="{url}">',
        f'<meta property="og:site_name" content="{SITE_NAME}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{attr(a.title)}">',
        f'<meta property="og:description" content="{attr(view.summary)}">',
        f'<meta property="og:url" content="{url}">',
        f'<meta property="og:image" content="{attr(a.image_url)}">',
    ]
    if a.head != "bare":
        lines.append(f'<meta property="article:published_time" content="{iso_z(a.published)}">')
        lines.append(f'<meta property="article:modified_time" content="{iso_z(a.modified)}">')
    lines += [f'<meta property="article:tag" content="{attr(t.name)}">' for t in a.tags]
    lines += [
        '<meta name="twitter:card" content="summary_large_image">',
        f'<meta name="twitter:title" content="{attr(a.title)}">',
        f'<meta name="twitter:description" content="{attr(view.summary)}">',
        '<meta name="twitter:label1" content="Written by">',
        f'<meta name="twitter:data1" content="{attr(a.authors[0].name)}">',
        '<meta name="twitter:label2" content="Filed under">',
        f'<meta name="twitter:data2" content="{attr(", ".join(t.name for t in a.tags))}">',
        f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME}" '
        f'href="{view.origin}/news-archive/rss/">',
    ]
    if a.head == "full":
        lines.append(f'<script type="application/ld+json">\n{json_ld(view)}\n</script>')
    return "\n".join(lines) + "\n"


def json_ld(view: ArticleView) -> str:
    """Ghost's `"@type": "Article"` JSON-LD, with the article's quirks applied."""
    a, origin = view.article, view.origin

    def text(value: str) -> str:
        if "entities" in a.quirks:
            value = html.escape(value)
        if "whitespace" in a.quirks:
            value = f"  {value.replace(' ', '  ', 1)} \n"
        return value

    people = [
        {"@type": "Person", "name": text(p.name), "url": f"{origin}/author/{p.slug}/", "sameAs": []}
        for p in a.authors
    ]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "publisher": {
            "@type": "Organization",
            "name": SITE_NAME,
            "url": f"{origin}/",
            "logo": {"@type": "ImageObject", "url": LOGO, "width": 600, "height": 60},
        },
        "author": people[0] if len(people) == 1 else people,
        "headline": text(a.title),
        "url": origin + a.path,
        "datePublished": iso_z(a.published),
        "dateModified": iso_z(a.modified),
        "image": {"@type": "ImageObject", "url": a.image_url, "width": 1536, "height": 1024},
        "keywords": text(", ".join(t.name for t in a.tags)),
        "description": text(view.summary),
        "mainEntityOfPage": {"@type": "WebPage", "@id": origin + a.path},
    }
    return json.dumps(data, indent=4, ensure_ascii=False).replace("</", "<\\/")


def body(view: ArticleView) -> str:
    """The article element: tags, title, byline and date, hero, body, author boxes."""
    a, detail = view.article, view.detail
    tags = ", ".join(f'<a href="/tag/{t.slug}/">{esc(t.name)}</a>' for t in a.tags)
    links = [f'<a href="/author/{p.slug}/">{esc(p.name)}</a>' for p in a.authors]
    byline = f"by {join_and(links)}"
    minutes = f"{detail.read_minutes} min read"
    if a.style == "2023":
        updated = ""
        if a.modified > a.published:
            updated = f"(Updated: {kyiv_datetime_line(a.modified)})"
        if updated or a.empty_updated:
            updated = f' <span class="c-topper__updated">{updated or "(Updated: )"}</span>'
        header = (
            f'<div class="c-topper"><h1 class="c-topper__title">{esc(a.title)}</h1>'
            f'<div class="c-topper__byline">{byline} '
            f'<span class="c-topper__date">{kyiv_datetime_line(a.published)}</span>{updated} '
            f'<span class="c-topper__readtime">{minutes}</span></div></div>'
        )
    else:
        header = (
            f'<h1 class="post__title">{esc(a.title)}</h1>'
            f'<div class="post__byline">{byline} <time class="post__date"></time> '
            f'<span class="post__readtime">{minutes}</span></div>'
        )
    return (
        f'<article class="post" data-post-id="{a.ghost_id}">'
        f'<div class="post__tags">{tags}</div>'
        f'<a class="post__edit" href="/ghost/#/editor/post/{a.ghost_id}">Edit post</a>\n'
        f'<header class="post__header">{header}</header>\n'
        f'<figure class="post__hero"><img src="{attr(next_image(a.image_url))}" '
        f'alt="{attr(a.title)}"><figcaption>{esc(detail.caption)}</figcaption></figure>\n'
        '<div class="post__audio">This audio is created with AI assistance</div>\n'
        f"<div class='c-content '>{render_blocks(detail.blocks, view.origin)}</div>\n"
        '<div id="reading-progress-end"></div>\n'
        f'<div class="post__authors">Authors: {esc(", ".join(byline_names(a.authors)))}</div>\n'
        f"{''.join(_author_box(p) for p in a.authors)}</article>\n{view.boxes}"
    )


def _author_box(author: Any) -> str:
    role = f'<div class="authorCard__role">{esc(author.role)}</div>' if author.role else ""
    return (
        '<section class="authorCard">'
        f'<img class="authorCard__avatar" alt="Avatar" src="/_next/image?url=https%3A%2F%2F'
        f"assets.kyivindependent.com%2Fcontent%2Fimages%2Fauthors%2F{author.slug}.jpg"
        '&amp;w=256&amp;q=75">'
        f'<div class="authorCard__name">{esc(author.name)}</div>{role}'
        f'<p class="authorCard__bio">{esc(author.bio)}</p>'
        f'<a class="authorCard__more" href="/author/{author.slug}/">Read more</a></section>'
    )
