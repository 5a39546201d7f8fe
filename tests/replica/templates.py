"""HTML of listings, cards, Ghost body blocks, the home page, static pages and the 404 page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tests.replica.blocks import (
    Block,
    Bookmark,
    Embed,
    Gallery,
    Heading,
    ImageCard,
    ListBlock,
    Paragraph,
    Promo,
)
from tests.replica.chrome import (
    SITE_NAME,
    attr,
    document,
    esc,
    iso_z,
    next_image,
)

if TYPE_CHECKING:
    from tests.replica.bodies import Detail
    from tests.replica.catalog import Author, Tag
    from tests.replica.content import Article

TRACKING = "?utm_source=newsfeed&utm_medium=web"
BOOKMARK_ICON = "https://assets.kyivindependent.com/content/images/size/w256h256/2022/08/icon.png"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
STATIC_PAGES = {
    "about": ("About", "An offline stand-in for the publication's about page."),
    "team": ("Team", "The people of the replica newsroom are listed on their author pages."),
    "advertising": ("Advertising", "The replica carries no advertising."),
    "jobs": ("Jobs", "No open positions in the replica."),
    "store": ("Store", "The replica's store sells nothing."),
    "membership": ("Membership", "Members keep the newsroom independent. Join from 5 dollars."),
    "newsletters": ("Newsletters", "Pick the newsletters you want to receive."),
}


def byline_names(authors: Sequence[Author]) -> list[str]:
    """Author names, in byline order."""
    return [a.name for a in authors]


def join_and(parts: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def js_date(when: datetime) -> str:
    """JavaScript `Date.toString()` of a UTC time, as the 2025 cards sometimes carry it."""
    return (
        f"{_DAYS[when.weekday()]} {_MONTHS[when.month - 1]} {when.day:02d} {when.year} "
        f"{when:%H:%M:%S} GMT+0000 (Coordinated Universal Time)"
    )


# -- body ---------------------------------------------------------------------------------
def render_blocks(blocks: Sequence[Block], origin: str) -> str:
    """Ghost/Koenig HTML of an article body (also the RSS `content:encoded`)."""
    return "".join(_block(b, origin) for b in blocks)


def _block(block: Block, origin: str) -> str:
    match block:
        case Paragraph():
            inner = ""
            for span in block.spans:
                text = esc(span.text)
                if span.style == "a":
                    inner += f'<a href="{attr(span.href)}">{text}</a>'
                elif span.style:
                    inner += f"<{span.style}>{text}</{span.style}>"
                else:
                    inner += text
            return f"<p>{inner}</p>"
        case Heading(code=True):
            return f'<h3 id="{block.anchor}"><code>{esc(block.text)}</code></h3>'
        case Heading():
            return f"<h3>{esc(block.text)}</h3>"
        case ListBlock():
            tag = "ol" if block.ordered else "ul"
            items = "".join(f"<li>{esc(item)}</li>" for item in block.items)
            return f"<{tag}>{items}</{tag}>"
        case Bookmark():
            return (
                '<figure class="kg-card kg-bookmark-card"><a class="kg-bookmark-container" '
                f'href="{origin}/{block.slug}/"><div class="kg-bookmark-content">'
                f'<div class="kg-bookmark-title">{esc(block.title)}</div>'
                f'<div class="kg-bookmark-description">{esc(block.description)}</div>'
                '<div class="kg-bookmark-metadata">'
                f'<img class="kg-bookmark-icon" src="{BOOKMARK_ICON}" alt="">'
                f'<span class="kg-bookmark-author">{SITE_NAME}</span>'
                f'<span class="kg-bookmark-publisher">{esc(block.publisher)}</span></div></div>'
                f'<div class="kg-bookmark-thumbnail"><img src="{attr(block.thumbnail)}" '
                'alt="Article image"></div></a></figure>'
            )
        case ImageCard():
            return (
                '<figure class="kg-card kg-image-card kg-card-hascaption">'
                f'<img class="kg-image" src="{attr(block.src)}" alt="" loading="lazy" '
                f'width="2000" height="1333"><figcaption>{esc(block.caption)}</figcaption></figure>'
            )
        case Gallery():
            slides = "".join(
                f'<div class="swiper-slide"><img src="{attr(src)}" alt="" loading="lazy">'
                f"<figcaption>{esc(caption)}</figcaption></div>"
                for src, caption in block.slides
            )
            return (
                '<figure class="kg-card kg-gallery-card kg-width-full"><div class="swiper">'
                f'<div class="swiper-wrapper">{slides}</div></div></figure>'
            )
        case Embed():
            return (
                '<figure class="kg-card kg-embed-card"><iframe width="200" height="113" '
                f'src="https://www.youtube.com/embed/{block.video_id}?feature=oembed" '
                f'frameborder="0" allowfullscreen title="{attr(block.title)}"></iframe></figure>'
            )
        case Promo():
            return (
                '<!--kg-card-begin: html--><div class="shortcodeBox">'
                '<a class="shortcodePatreonLight" href="/membership/?utm_source=article">'
                "<strong>Join our community</strong><p>Readers fund this reporting, not "
                "owners or advertisers.</p><span>Support us</span></a></div>"
                "<!--kg-card-end: html-->"
            )
    raise TypeError(f"unknown block {block!r}")


# -- listings -----------------------------------------------------------------------------
def card(article: Article, detail: Detail, with_author: bool) -> str:
    """One 2025 listing card (`article.js-card.archiveCard`)."""
    stamp = js_date(article.published) if article.js_date else iso_z(article.published)
    href = article.path + (TRACKING if article.tracking else "")
    # The image alt is the caption on about half the cards, the headline on the rest.
    alt = detail.caption if int(article.ghost_id[-1], 16) < 8 else article.title
    author = ""
    if with_author:
        author = (
            f'<p class="archiveCard__author">by {esc(join_and(byline_names(article.authors)))}</p>'
        )
    return (
        f'<article class="js-card archiveCard" data-archive-id="{stamp}">'
        f'<a class="archiveCard__image" href="{attr(href)}">'
        f'<img alt="{attr(alt)}" src="{attr(next_image(article.image_url))}" loading="lazy"></a>'
        '<div class="archiveCard__content">'
        f'<a class="archiveCard__tag" href="/tag/{article.primary_tag.slug}/">'
        f"{esc(article.primary_tag.name)}</a>"
        f'<h3 class="archiveCard__title"><a class="archiveCard__link" href="{attr(href)}">'
        f"{esc(article.title)}</a></h3>{author}"
        f'<div class="archiveCard__description">{esc(detail.excerpt)}</div></div></article>\n'
    )


@dataclass(frozen=True)
class ListingChrome:
    """Everything around the cards of a listing page, already rendered."""

    banner: str
    side_box: str
    picks: str
    newsletters: str


def listing_page(
    *,
    title: str,
    header: str,
    cards: str,
    canonical: str,
    prev_url: str,
    next_url: str,
    page: int,
    last_page: int,
    chrome: ListingChrome,
    description: str = "",
) -> str:
    """A tag, author or archive listing page with pagination links in `<head>` and body."""
    head = [f'<link rel="canonical" href="{canonical}">']
    nav = []
    if prev_url:
        head.append(f'<link rel="prev" href="{prev_url}">')
        nav.append(f'<a class="pagination__prev" href="{prev_url}">Newer posts</a>')
    if next_url:
        head.append(f'<link rel="next" href="{next_url}">')
        nav.append(f'<a class="pagination__next" href="{next_url}">Show More</a>')
    head += [
        f'<meta property="og:site_name" content="{SITE_NAME}">',
        '<meta property="og:type" content="website">',
        f'<meta property="og:title" content="{attr(title)}">',
        f'<meta property="og:url" content="{canonical}">',
    ]
    main = (
        f'{chrome.side_box}<section class="archive">{header}'
        f'<div class="archive__list">\n{cards}</div>'
        f'<nav class="pagination"><span class="pagination__page">Page {page} of {last_page}'
        f"</span>{''.join(nav)}</nav>{description}</section>\n{chrome.picks}{chrome.newsletters}"
    )
    return document(
        f"{title} | {SITE_NAME}", "\n".join(head) + "\n", "tag-template", main, chrome.banner
    )


def archive_header(label: str) -> str:
    """The listing's header label."""
    return f'<h1 class="archive__title">{esc(label)}</h1>'


def author_header(author: Author) -> str:
    """The author page's profile block."""
    role = f'<p class="authorProfile__role">{esc(author.role)}</p>' if author.role else ""
    return (
        '<section class="authorProfile"><span class="authorProfile__kicker">Team</span>'
        f'<img class="authorProfile__photo" alt="{attr(author.name)} photo" '
        f'src="/_next/image?url=https%3A%2F%2Fassets.kyivindependent.com%2Fcontent%2Fimages%2F'
        f'authors%2F{author.slug}.jpg&amp;w=256&amp;q=75">'
        f'<h1 class="archive__title authorProfile__name">{esc(author.name)}</h1>{role}'
        f'<p class="authorProfile__bio">{esc(author.bio)}</p></section>'
        '<h2 class="archive__subtitle">Articles</h2>'
    )


def tag_description(tag: Tag) -> str:
    """The description block some tag pages show after their cards."""
    if not tag.description:
        return ""
    heading, *paragraphs = tag.description
    body = "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    return f'<section class="tagDescription"><h2>{esc(heading)}</h2>{body}</section>'


def home_page(cards: str, chrome: ListingChrome, origin: str) -> str:
    """The front page: the newest stories as cards, and the usual boxes."""
    head = (
        f'<link rel="canonical" href="{origin}/">\n'
        f'<meta property="og:site_name" content="{SITE_NAME}">\n'
        '<meta property="og:type" content="website">\n'
        f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME}" '
        f'href="{origin}/news-archive/rss/">\n'
    )
    main = (
        f'<section class="home"><h2 class="home__heading">Top stories</h2>'
        f'<div class="home__cards">\n{cards}</div></section>\n'
        f"{chrome.side_box}{chrome.picks}{chrome.newsletters}"
    )
    return document(f"{SITE_NAME} | News from Ukraine", head, "home-template", main, chrome.banner)


def static_page(slug: str) -> str:
    """One of the few non-article pages the nav links to."""
    title, text = STATIC_PAGES[slug]
    main = (
        f'<section class="page"><h1 class="page__title">{esc(title)}</h1>'
        f"<p>{esc(text)}</p></section>"
    )
    return document(f"{title} | {SITE_NAME}", "", "page-template", main, "")


def not_found_page() -> str:
    """Ghost's 404 page."""
    main = (
        '<section class="error"><h1 class="error__code">404</h1>'
        '<p class="error__message">Page not found</p>'
        '<a class="error__link" href="/">Go to the front page →</a></section>'
    )
    return document(f"404 — Page not found | {SITE_NAME}", "", "error-template", main, "")
