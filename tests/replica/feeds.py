"""Non-HTML documents: the Ghost RSS feed, robots.txt and the sitemaps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from tests.replica.chrome import SITE_NAME
from tests.replica.templates import render_blocks

if TYPE_CHECKING:
    from tests.replica.catalog import Tag
    from tests.replica.content import Article, Site

RSS_ITEMS = 15
LOGO = "https://assets.kyivindependent.com/content/images/size/w256h256/2022/08/icon.png"


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def rss(site: Site, articles: Sequence[Article], origin: str) -> str:
    """Ghost's RSS 2.0: full text in content:encoded, guid = post id, a category per tag."""
    built = max((a.modified for a in articles), default=site.clock)
    items = []
    for a in articles:
        detail = site.detail(a)
        content = (
            f'<img src="{a.image_url}" alt="{escape(a.title)}"><p>{escape(detail.caption)}</p>'
        )
        content += render_blocks(detail.blocks, origin)
        categories = "".join(f"<category>{_cdata(t.name)}</category>" for t in a.tags)
        items.append(
            f"<item><title>{_cdata(a.title)}</title>"
            f"<description>{_cdata(site.summary(a))}</description>"
            f"<link>{origin}{a.path}</link>"
            f'<guid isPermaLink="false">{a.ghost_id}</guid>{categories}'
            f"<dc:creator>{_cdata(a.authors[0].name)}</dc:creator>"
            f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>"
            f'<media:content url="{escape(a.image_url)}" medium="image"/>'
            f"<content:encoded>{_cdata(content)}</content:encoded></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" version="2.0" '
        'xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        f"<title>{_cdata(SITE_NAME)}</title>"
        f"<description>{_cdata('News from Ukraine (offline replica)')}</description>"
        f"<link>{origin}/</link>"
        f"<image><url>{LOGO}</url><title>{SITE_NAME}</title><link>{origin}/</link></image>"
        "<generator>Ghost 5.116</generator>"
        f"<lastBuildDate>{format_datetime(built, usegmt=True)}</lastBuildDate>"
        f'<atom:link href="{origin}/news-archive/rss/" rel="self" type="application/rss+xml"/>'
        f"<ttl>60</ttl>{''.join(items)}</channel></rss>"
    )


def robots(origin: str) -> str:
    """Ghost's default robots.txt."""
    return (
        "User-agent: *\n"
        f"Sitemap: {origin}/sitemap.xml\n"
        "Disallow: /ghost/\n"
        "Disallow: /email/\n"
        "Disallow: /members/api/comments/counts/\n"
        "Disallow: /r/\n"
        "Disallow: /webmentions/receive/\n"
    )


def _w3c(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def sitemap_index(origin: str, posts_modified: datetime) -> str:
    """Ghost's sitemap index: one child sitemap for posts, one for tags."""
    children = "".join(
        f"<sitemap><loc>{origin}/{name}</loc><lastmod>{_w3c(posts_modified)}</lastmod></sitemap>"
        for name in ("sitemap-posts.xml", "sitemap-tags.xml")
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{children}'
        "</sitemapindex>"
    )


def sitemap_posts(articles: Sequence[Article], origin: str) -> str:
    """Every article URL with its last modification time, newest first."""
    urls = "".join(
        f"<url><loc>{origin}{a.path}</loc><lastmod>{_w3c(a.modified)}</lastmod></url>"
        for a in articles
    )
    return _urlset(urls)


def sitemap_tags(tags: Sequence[Tag], origin: str) -> str:
    """Every tag listing URL."""
    return _urlset("".join(f"<url><loc>{origin}/tag/{t.slug}/</loc></url>" for t in tags))


def _urlset(urls: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    )
