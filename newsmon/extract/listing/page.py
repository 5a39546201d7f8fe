"""ListingPage: one listing page (News Feed, tag, archive, author) and the chain that reads it.

The cards come from the first source of the chain that finds any: the 2025 card markup, the
2023 theme's `h3 > a` links, headline links in the main content, the app's data in the page
(`__NEXT_DATA__`). Past the page itself the spider goes on: the app's data endpoint
(`data_url`), a browser, and for the News Feed the site's RSS (`newsmon.extract.siterss`).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any
from urllib.parse import urljoin

from parsel import Selector

from newsmon.extract.document import Document
from newsmon.extract.fields import PageSource
from newsmon.extract.listing import appdata, pagination
from newsmon.extract.listing.cards import CARD_XPATH, markup_cards
from newsmon.extract.listing.headlines import headline_cards
from newsmon.extract.listing.model import (
    MARKUP,
    NEXT_DATA,
    NEXT_DATA_ENDPOINT,
    NO_CARDS,
    CardsFound,
    ListingCard,
    unique,
)
from newsmon.extract.normalize.jsondata import MAX_APP_DATA_CHARS, JsonRefused, load_json
from newsmon.extract.normalize.text import clean_text


class ListingPage:
    """A listing page: its heading, article cards and the link to the next page."""

    def __init__(self, selector: Selector, url: str, *, truncated: bool = False) -> None:
        self._selector = selector
        self.url = url
        # The parser cut the page (nested too deep): the cards past the cut are missing.
        self.truncated = truncated

    @classmethod
    def from_response(cls, response: PageSource) -> ListingPage:
        """Build the page object from a downloaded page (a Scrapy response)."""
        return cls(response.selector, response.url)

    @classmethod
    def from_document(cls, document: Document, url: str) -> ListingPage:
        """Build the page object from a page parsed once (`newsmon.extract.document`)."""
        return cls(document.selector, url, truncated=document.truncated)

    def heading(self) -> str:
        """The listing's heading as shown (a tag's display name may differ from its slug)."""
        return clean_text(" ".join(self._selector.xpath("//h1[1]//text()").getall()))

    def next_url(self) -> str | None:
        """The next page (rel="next", a "Next"/"Load more" link, a /page/N+1/ link), absolute."""
        found = pagination.next_url(self._selector, self.url)
        if found is None and self._app_data is not None:
            number = appdata.next_page_number(self._app_data)
            root, current = pagination.listing_root(self.url)
            if number is not None and number > current:
                found = urljoin(self.url, f"{root}page/{number}/")
        return found

    def declares_pagination(self) -> bool:
        """Tell whether the page links other pages of its listing (a paginated listing)."""
        return pagination.declares_pagination(self._selector, self.url)

    def cards(self) -> list[ListingCard]:
        """Every article card of the listing, whole, in page order, without duplicates."""
        return self._whole_cards

    def card_source(self) -> str:
        """Which source of the chain gave the cards (see `model.CARD_SOURCES`), or "none"."""
        return self.found().source

    def found(self) -> CardsFound:
        """The cards and their source (computed once); a card may be an outline.

        An outline holds the card's URL and date (`ListingCard.whole` reads the rest): what
        the crawl needs of every card but the few whose articles it asks for.
        """
        return self._found

    def data_url(self) -> str | None:
        """The app's data endpoint for a page whose HTML gave no cards, if it points to one."""
        if self.found().cards:
            return None
        return appdata.data_url(self._selector, self.url)

    def is_listing(self) -> bool:
        """Tell whether the page looks like a listing (it has the site's card markup)."""
        return bool(self._selector.xpath(CARD_XPATH))

    @cached_property
    def _app_data(self) -> Any:
        return appdata.page_data(self._selector)

    @cached_property
    def _whole_cards(self) -> list[ListingCard]:
        return [card.whole() for card in self.found().cards]

    @cached_property
    def _found(self) -> CardsFound:
        found = html_cards(self._selector, self.url, outline=True)
        if found.cards:
            return found
        if self._app_data is not None:
            cards = unique(appdata.cards_in_data(self._app_data, self.url, html_cards))
            if cards:
                return CardsFound(NEXT_DATA, cards)
        return CardsFound(NO_CARDS, [])


def html_cards(selector: Selector, page_url: str, *, outline: bool = False) -> CardsFound:
    """The cards of an HTML page or fragment by the HTML steps of the chain (no app data).

    `outline`: the card markup's plain cards as outlines (see `ListingPage.found`).
    """
    cards = unique(markup_cards(selector, page_url, outline=outline))
    if cards:
        return CardsFound(MARKUP, cards)
    return headline_cards(selector, page_url)


def endpoint_cards(text: str, page_url: str) -> CardsFound:
    """The cards in an answer of the app's data endpoint for the listing page `page_url`."""
    try:
        data = load_json(text, max_chars=MAX_APP_DATA_CHARS)
    except JsonRefused:
        return CardsFound(NO_CARDS, [])
    cards = unique(appdata.cards_in_data(data, page_url, html_cards))
    return CardsFound(NEXT_DATA_ENDPOINT if cards else NO_CARDS, cards)


def endpoint_next_page(text: str, page_url: str) -> str | None:
    """The next page named by an answer of the data endpoint's pagination, absolute."""
    try:
        number = appdata.next_page_number(load_json(text, max_chars=MAX_APP_DATA_CHARS))
    except JsonRefused:
        return None
    root, current = pagination.listing_root(page_url)
    if number is None or number <= current:
        return None
    return urljoin(page_url, f"{root}page/{number}/")
