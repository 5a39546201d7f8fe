"""Listing pages (News Feed, tags, archive, authors): the article cards and the next page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from newsmon.extract.fields import PageSource
from newsmon.extract.normalize.dates import parse_card_date
from newsmon.extract.normalize.text import clean_text
from newsmon.extract.normalize.urls import strip_tracking

# 2025 markup: each card is article.js-card.archiveCard with the publish time in
# data-archive-id. The 2023 theme had bare "h3 > a" cards; they are the fallback.
# Parts of a listing page that hold links to articles that are not cards of this listing.
CHROME_ANCESTORS = "ancestor::aside or ancestor::nav or ancestor::header or ancestor::footer"
CARD_XPATH = (
    "//article[contains(concat(' ', normalize-space(@class), ' '), ' archiveCard ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' js-card ')]"
    # Side boxes may reuse the card markup for other articles.
    f"[not({CHROME_ANCESTORS})]"
)
_ARTICLE_PATH = re.compile(r"^/[A-Za-z0-9][A-Za-z0-9_%-]*/?$")
# Single-segment pages of the site that are not articles.
NON_ARTICLE_SLUGS = frozenset(
    [
        "about",
        "advertising",
        "jobs",
        "team",
        "contacts",
        "membership",
        "newsletters",
        "store",
        "search",
        "news-archive",
        "tag",
        "author",
        "page",
        "rss",
        "feed",
        "privacy-policy",
        "terms-of-use",
        "editorial-guidelines",
    ]
)


@dataclass(frozen=True)
class ListingCard:
    """One article card of a listing page, with what the card itself says."""

    url: str
    title: str = ""
    published: datetime | None = None
    primary_tag: str = ""
    author: str = ""
    excerpt: str = ""


class ListingPage:
    """A listing page: its heading, article cards and the link to the next page."""

    def __init__(self, selector: Selector, url: str) -> None:
        self._selector = selector
        self.url = url

    @classmethod
    def from_response(cls, response: PageSource) -> ListingPage:
        """Build the page object from a downloaded page (a Scrapy response)."""
        return cls(response.selector, response.url)

    def heading(self) -> str:
        """The listing's heading as shown (a tag's display name may differ from its slug)."""
        return clean_text(" ".join(self._selector.xpath("//h1[1]//text()").getall()))

    def next_url(self) -> str | None:
        """The next page from <link rel="next"> (or a rel="next" anchor), absolute."""
        href = self._selector.xpath(
            "//link[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href"
            " | //a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href"
        ).get()
        return urljoin(self.url, href.strip()) if href and href.strip() else None

    def declares_pagination(self) -> bool:
        """Tell whether the page has rel="next" or rel="prev" links (a paginated listing)."""
        return bool(
            self._selector.xpath(
                "//link[contains(concat(' ', normalize-space(@rel), ' '), ' next ')"
                " or contains(concat(' ', normalize-space(@rel), ' '), ' prev ')]"
            )
        )

    def cards(self) -> list[ListingCard]:
        """Every article card of the listing, in page order, without duplicates."""
        return self._found[1]

    def card_source(self) -> str:
        """How the cards were found: "markup", "links" (2023-theme headline links), "none"."""
        return self._found[0]

    @cached_property
    def _found(self) -> tuple[str, list[ListingCard]]:
        """(card source, cards), computed once."""
        nodes = self._selector.xpath(CARD_XPATH)
        cards = [card for node in nodes if (card := self._card(node))]
        source = "markup" if nodes else "links"
        if not cards:
            cards = self._legacy_cards()
        if not cards:
            source = "none"
        unique: dict[str, ListingCard] = {}
        for card in cards:
            unique.setdefault(card.url, card)
        return source, list(unique.values())

    def _card(self, node: Selector) -> ListingCard | None:
        href = (
            node.css("h3.archiveCard__title a.archiveCard__link::attr(href)").get()
            or node.css("a.archiveCard__link::attr(href)").get()
            or node.xpath(".//h3//a/@href | .//h2//a/@href").get()
            or next(iter(self._article_hrefs(node.xpath(".//a/@href").getall())), None)
        )
        if not href:
            return None
        url = strip_tracking(urljoin(self.url, href.strip()))
        title = clean_text(
            " ".join(
                node.css("h3.archiveCard__title ::text").getall()
                or node.xpath(".//h3//text() | .//h2//text()").getall()
            )
        )
        stamp = node.attrib.get("data-archive-id") or node.xpath(".//time/@datetime").get()
        tag = (
            node.css(".archiveCard__tag ::text").getall()
            or node.xpath(".//a[contains(@href, '/tag/')]//text()").getall()
        )
        author = clean_text(" ".join(node.css(".archiveCard__author ::text").getall()))
        if not author:
            author = next(
                (
                    clean_text(text)
                    for text in node.xpath(".//text()").getall()
                    if clean_text(text).lower().startswith("by ")
                ),
                "",
            )
        excerpt = (
            node.css(".archiveCard__description ::text").getall()
            or node.xpath(".//p//text()").getall()
        )
        return ListingCard(
            url=url,
            title=title,
            published=parse_card_date(stamp),
            primary_tag=clean_text(" ".join(tag)),
            author=author[3:].strip() if author.lower().startswith("by ") else author,
            excerpt=clean_text(" ".join(excerpt)),
        )

    def _legacy_cards(self) -> list[ListingCard]:
        """2023-theme cards: headline links "h3 > a" outside page chrome."""
        cards = []
        for link in self._selector.xpath(f"//h3/a[@href][not({CHROME_ANCESTORS})]"):
            hrefs = self._article_hrefs([link.attrib["href"]])
            if hrefs:
                title = clean_text(" ".join(link.xpath(".//text()").getall()))
                cards.append(ListingCard(url=hrefs[0], title=title))
        return cards

    def _article_hrefs(self, hrefs: list[str]) -> list[str]:
        """Keep hrefs that look like article pages (/<slug>/) of this site."""
        own_host = _host(self.url)
        result = []
        for href in hrefs:
            url = strip_tracking(urljoin(self.url, href.strip()))
            parts = urlsplit(url)
            slug = parts.path.strip("/")
            if (
                _host(url) == own_host
                and _ARTICLE_PATH.match(parts.path)
                and slug not in NON_ARTICLE_SLUGS
            ):
                result.append(url)
        return result

    def is_listing(self) -> bool:
        """Tell whether the page looks like a listing (it has article cards)."""
        return bool(self._selector.xpath(CARD_XPATH))


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")
