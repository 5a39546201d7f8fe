"""Article pages: every field of an ArticleItem, each with its own fallback chain.

The real site's <head> is not confirmed, so no field relies on one source: JSON-LD first,
then meta tags, then the page itself (headline, byline, visible Kyiv-time date line), and
last what the listing card said. Each field is one `@field` method (see
`newsmon.extract.fields`); the item, its provenance and the health checks' field lists follow
from those declarations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from functools import cached_property
from itertools import chain

from parsel import Selector

from newsmon.extract.body import BodyContent, extract_body
from newsmon.extract.document import Document, parse_html
from newsmon.extract.fields import FieldPage, PageSource, Sourced, computed_once, field
from newsmon.extract.head import PageHead, ld_names, ld_url
from newsmon.extract.index import TagIndex
from newsmon.extract.listing import ListingCard, ListingPage
from newsmon.extract.markup import UPDATED, ArticleMarkup
from newsmon.extract.normalize.authors import split_byline
from newsmon.extract.normalize.dates import parse_iso, parse_visible_date
from newsmon.extract.normalize.html import sanitize_html
from newsmon.extract.normalize.images import unwrap_image_url
from newsmon.extract.normalize.text import clean_text, dedupe_keep_order, word_count
from newsmon.extract.normalize.urls import canonical_url, host_of, join_url, site_of
from newsmon.extract.postid import GHOST_ID, page_post_ids
from newsmon.extract.provenance import SITE_NAME_SUFFIX, provenance_of
from newsmon.items import ArticleItem
from newsmon.site import slugify

# Date keys of a Next.js page payload over Ghost (Ghost's own names first).
NEXT_DATA_PUBLISHED = ("published_at", "datePublished", "publishedAt", "publishDate")
NEXT_DATA_MODIFIED = ("updated_at", "dateModified", "updatedAt", "modifiedAt")


class NotAnArticle(Exception):
    """Raised for a page that is not an article (a listing, an empty or foreign page)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnreadablePage(NotAnArticle):
    """Raised for an article page whose own content keeps it from being read whole."""


class ArticlePage(FieldPage):
    """One article page (and the listing card that led to it, if any)."""

    def __init__(
        self,
        selector: Selector,
        url: str,
        card: ListingCard | None = None,
        *,
        truncated: bool = False,
    ) -> None:
        super().__init__()
        self._selector = selector
        self.url = url
        self._site = site_of(url)  # what the page's URLs are canonicalised for
        self.card = card
        self.truncated = truncated
        self.index = TagIndex(selector.root)
        self.head = PageHead(self.index)
        self.markup = ArticleMarkup(selector, url, self.index)

    @classmethod
    def from_response(cls, response: PageSource, card: ListingCard | None = None) -> ArticlePage:
        """Build the page object from a downloaded page (a Scrapy response)."""
        return cls(response.selector, response.url, card)

    @classmethod
    def from_document(
        cls, document: Document, url: str, card: ListingCard | None = None
    ) -> ArticlePage:
        """Build the page object from a page parsed once (`newsmon.extract.document`)."""
        return cls(document.selector, url, card, truncated=document.truncated)

    @classmethod
    def from_html(cls, html: str, url: str, card: ListingCard | None = None) -> ArticlePage:
        """Build the page object from HTML text (saved samples, benchmarks)."""
        return cls.from_document(parse_html(html.encode("utf-8")), url, card)

    @property
    def selector(self) -> Selector:
        """The parsed page (for checks of its markup outside the fields)."""
        return self._selector

    @property
    def cuts(self) -> list[str]:
        """What reading the page refused or cut: a truncated tree, a hostile JSON block."""
        return (["dom_truncated"] if self.truncated else []) + self.head.cuts

    # --- identity -------------------------------------------------------------------------

    def identity_urls(self) -> list[str]:
        """Every URL the page names as its own (canonical link, og:url, JSON-LD url), absolute.

        A renamed article's page may still name its old URL in one of them; the store knows
        the article by any (`newsmon.store.identity`).
        """
        found = []
        for candidate in (self.head.canonical(), self.head.meta("og:url"), self.head.ld("url")):
            if isinstance(candidate, str) and candidate.strip():
                found.append(join_url(self.url, candidate.strip()))
        return list(dict.fromkeys(found))

    @field(name="url", coverage=False)
    def canonical_url(self) -> str:
        """The page's own canonical URL (rel=canonical, og:url) if on this site, else its URL."""
        for candidate in (self.head.canonical(), self.head.meta("og:url"), self.head.ld("url")):
            if isinstance(candidate, str) and candidate.strip():
                absolute = join_url(self.url, candidate.strip())
                # A canonical link to another host is a hostile or broken page: ignore it.
                if host_of(absolute) == host_of(self.url):
                    return canonical_url(absolute, self._site)
        return canonical_url(self.url, self._site)

    @field(coverage=False)
    def ghost_id(self) -> str:
        """The Ghost post id: the page's data-post-id or "Edit post" link, else the card's."""
        candidates = page_post_ids(
            self._selector.root, self.markup.first_h1, self.index.elements("a")
        )
        # Lazily: the id around the headline usually answers, and the rest (the card read
        # whole, last) is never read.
        for raw in chain(candidates, self._card_ghost_ids()):
            if raw and GHOST_ID.fullmatch(raw.strip()):
                return raw.strip()
        return ""

    @computed_once
    def _whole_card(self) -> ListingCard | None:
        """The listing card read whole, as the last fallback of a field (None: no card).

        Read only when a field reaches it: an outline card reads the rest of its markup then.
        """
        return self.card.whole() if self.card is not None else None

    def _card_ghost_ids(self) -> Iterator[str]:
        """The card's Ghost id, read only when asked for (a generator's body waits for next())."""
        if card := self._whole_card():
            yield card.ghost_id

    # --- text fields ----------------------------------------------------------------------

    @field(cross_checked=True)
    def title(self) -> Sourced[str]:
        """Headline: JSON-LD headline, the page's h1, og:title, <title>, the card's title."""
        ld_title = _text(self.head.ld("headline"))
        og_title = _text(self.head.meta("og:title", "twitter:title"))
        chosen = _first(("jsonld", ld_title), ("h1", self.markup.headline), ("og-title", og_title))
        # The weaker sources only when needed: most pages stop at their JSON-LD or h1.
        if not chosen[1]:
            chosen = _first(("title-tag", _text(SITE_NAME_SUFFIX.sub("", self.markup.title_tag))))
        if not chosen[1] and (card := self._whole_card()):
            chosen = _first(("card", _text(card.title)))
        return Sourced(chosen[1], chosen[0], ld_title or og_title or None, self.markup.headline)

    # --- people and dates -----------------------------------------------------------------

    @field(cross_checked=True)
    def authors(self) -> Sourced[list[str]]:
        """Authors: JSON-LD, the byline, the "Authors:" line, meta tags, the card's byline."""
        declared = [name for name in map(clean_text, ld_names(self.head.ld("author"))) if name]
        names, source = declared, "jsonld"
        if not names:
            names, source = self.markup.byline_names, "byline"
        if not names:
            names, source = self.markup.authors_line_names, "authors-line"
        if not names:
            meta = self.head.meta("author", "article:author")
            if meta and not meta.startswith("http"):
                names, source = split_byline(clean_text(meta)), "meta"
        if not names and self.head.meta("twitter:label1") == "Written by":
            names = split_byline(clean_text(self.head.meta("twitter:data1") or ""))
            source = "twitter"
        if not names and (card := self._whole_card()) and card.author:
            names, source = split_byline(card.author), "card"
        names = dedupe_keep_order([name for name in names if name])
        return Sourced(
            names, source if names else "", declared or None, self.markup.byline_names or None
        )

    @field(cross_checked=True)
    def published(self) -> Sourced[datetime | None]:
        """Publication time: JSON-LD, meta, <time datetime>, visible Kyiv date, card date."""
        declared = _date(self.head.ld("datePublished")) or _date(
            self.head.meta("article:published_time", "og:published_time")
        )
        markup = _date(self.markup.time_datetime) or self._visible_date()
        # Each source read only if the ones before it gave nothing: the app's payload
        # (__NEXT_DATA__; a Next.js page's can hold the whole post) is parsed only then.
        sources: tuple[tuple[str, Callable[[], object]], ...] = (
            ("jsonld", lambda: self.head.ld("datePublished")),
            (
                "meta",
                lambda: self.head.meta(
                    "article:published_time", "og:published_time", "datePublished"
                ),
            ),
            ("next-data", lambda: self.head.next_data(*NEXT_DATA_PUBLISHED)),
            ("time", lambda: self.markup.time_datetime),
        )
        for source, read in sources:
            parsed = _date(read())
            if parsed:
                return Sourced(parsed, source, declared, markup)
        visible = self._visible_date()
        if visible:
            return Sourced(visible, "date-line", declared, markup)
        if self.card and self.card.published:
            return Sourced(self.card.published, "card", declared, markup)
        return Sourced(None, "", declared, markup)

    @field()
    def modified(self) -> datetime | None:
        """Last modification: JSON-LD, meta, the "(Updated: ...)" line, else published."""
        sources: tuple[Callable[[], object], ...] = (
            lambda: self.head.ld("dateModified"),
            lambda: self.head.meta("article:modified_time", "og:updated_time", "dateModified"),
            lambda: self.head.next_data(*NEXT_DATA_MODIFIED),
        )
        for read in sources:
            parsed = _date(read())
            if parsed:
                return parsed
        updated = (
            UPDATED.search(self.markup.date_line) if self.markup.date_line_may_show_time else None
        )
        if updated:
            when = parse_visible_date(updated.group("when"))
            if when:
                return when
        published: datetime | None = self.published()
        return published

    @computed_once
    def _visible_date(self) -> datetime | None:
        """The date line's publication time, without its "(Updated: ...)" part."""
        if not self.markup.date_line_may_show_time:
            return None
        return parse_visible_date(UPDATED.sub("", self.markup.date_line))

    # --- tags -----------------------------------------------------------------------------

    @computed_once
    def _tag_pairs(self) -> list[tuple[str, str]]:
        """(display name, slug) per tag, primary first: JSON-LD, article:tag, tag links."""
        keywords = self.head.ld("keywords")
        if isinstance(keywords, list):
            names = [clean_text(str(keyword)) for keyword in keywords]
        else:
            # One meta per tag is exact; the comma-joined JSON-LD string cannot hold a comma.
            names = [clean_text(value) for value in self.head.meta_all("article:tag")]
            if not names and isinstance(keywords, str):
                names = [clean_text(part) for part in keywords.split(",")]
        names = dedupe_keep_order([name for name in names if name])
        links = self.markup.tag_links()
        if not names:
            # The tag list and primary-tag label sit above the headline; links to tags inside
            # the body are prose ("Read our Kharkiv coverage"), not tags.
            before = self.markup.tag_links(before_title=True)
            names = dedupe_keep_order([name for name, _ in before])
        if not names and (card := self._whole_card()) and card.primary_tag:
            names = [card.primary_tag]
        slug_by_name = {name.casefold(): slug for name, slug in links}
        return [(name, slug_by_name.get(name.casefold()) or slugify(name)) for name in names]

    @field()
    def tags(self) -> list[str]:
        """Tag display names, primary first."""
        return [name for name, _ in self._tag_pairs()]

    @field(coverage=False)
    def tag_slugs(self) -> list[str]:
        """Tag slugs, in the order of `tags`."""
        return [slug for _, slug in self._tag_pairs()]

    @field()
    def primary_tag(self) -> str:
        """The primary tag's display name: the first tag, else the card's label."""
        pairs = self._tag_pairs()
        if pairs:
            return pairs[0][0]
        card = self._whole_card()
        return card.primary_tag if card else ""

    @field()
    def summary(self) -> str:
        """Description: JSON-LD, meta description, og/twitter description, the card excerpt."""
        return (
            _text(self.head.ld("description"))
            or _text(self.head.meta("description"))
            or _text(self.head.meta("og:description", "twitter:description"))
            or (_text(card.excerpt) if (card := self._whole_card()) else "")
        )

    # --- body -----------------------------------------------------------------------------

    @cached_property
    def body_content(self) -> BodyContent:
        """The body as text blocks, pruned HTML and related links (computed once)."""
        return extract_body(self._selector.root, self.url)

    @field(tracked=True)
    def body(self) -> Sourced[str]:
        """Plain-text body: blocks in order, one blank line apart."""
        content = self.body_content
        return Sourced("\n\n".join(content.blocks), content.source)

    @field()
    def body_html(self) -> str:
        """The body as sanitised HTML with absolute URLs."""
        html = self.body_content.html
        return sanitize_html(html, self.url) if html else ""

    # --- image ----------------------------------------------------------------------------

    @field()
    def image_url(self) -> str:
        """Hero image asset URL: JSON-LD image, og:image, twitter:image, the hero <img>."""
        for raw in (
            ld_url(self.head.ld("image")),
            self.head.meta("og:image", "og:image:url", "twitter:image"),
        ):
            url = unwrap_image_url(raw, self.url)
            if url:
                return url
        hero = self.markup.hero_figure
        return (self.markup.img_src(hero) or "") if hero is not None else ""

    @field()
    def image_caption(self) -> str:
        """Caption of the hero image (the figure that shows it, else the first one above body)."""
        return self.markup.caption_of_image(self.image_url())

    @field()
    def related(self) -> list[str]:
        """Canonical URLs of the related-article (bookmark) cards in the body."""
        return [canonical_url(url, self._site) for url in self.body_content.related]

    @field(coverage=False)
    def word_count(self) -> int:
        """Number of words of the body."""
        return word_count(self.body())

    # --- provenance, for health checks ----------------------------------------------------

    def field_sources(self) -> dict[str, str]:
        """Which source each tracked field came from ("jsonld", "h1", "c-content", ...; "" none).

        The fallback chains hide a redesign: items keep coming, from weaker sources. Health
        checks compare these names with earlier runs to notice it.
        """
        return {name: self.sourced(name).source for name in self.names(tracked=True)}

    def declared_values(self) -> dict[str, object]:
        """What the page declares about itself in JSON-LD or meta tags (missing keys: nothing)."""
        values = {name: self.sourced(name).declared for name in self.cross_checked()}
        return {name: value for name, value in values.items() if value}

    def markup_values(self) -> dict[str, object]:
        """What the page's visible markup says: h1, header date, byline (missing keys: nothing)."""
        values = {name: self.sourced(name).markup for name in self.cross_checked()}
        return {name: value for name, value in values.items() if value}

    # --- the item -------------------------------------------------------------------------

    def to_item(self, card: ListingCard | None = None) -> ArticleItem:
        """Build the ArticleItem; raise NotAnArticle for a page that is not an article."""
        if card is not None and card is not self.card:
            # A card given late (saved samples): every card fallback must see it.
            self.card = card
            self.forget_fields()
        if self.truncated:
            # Published, the cut body would look like a short article, then an "update" once
            # the page is fixed: the page is unreadable until it parses whole.
            raise UnreadablePage("truncated")
        title, body = self.title(), self.body()
        if not body and ListingPage(self._selector, self.url).is_listing():
            raise NotAnArticle("listing page, not an article")
        if not title and not body:
            raise NotAnArticle("no headline and no body")
        values = self.extract()
        # "modified equals published if never updated".
        values["modified"] = values["modified"] or values["published"]
        item = ArticleItem(**values)
        tracked = self.names(tracked=True)
        # Sources for the tracked fields only (every cross-checked field is tracked).
        sourced = {name: self.sourced(name) for name in tracked}
        item.provenance = provenance_of(sourced, tracked, self.cross_checked())
        return item


def _text(value: object) -> str:
    """Clean text of a string value; "" for anything else (a JSON-LD list, None)."""
    return clean_text(value) if isinstance(value, str) else ""


def _first(*candidates: tuple[str, str]) -> tuple[str, str]:
    """The first (source, text) whose text is not blank; ("", "") if none."""
    for source, text in candidates:
        if text:
            return source, text
    return "", ""


def _date(raw: object) -> datetime | None:
    """An ISO 8601 string parsed to UTC; None for anything else."""
    return parse_iso(raw) if isinstance(raw, str) else None
