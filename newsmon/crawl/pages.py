"""One page object per response: built where the response is first read, then handed along.

The render check (a downloader middleware) reads a page before its callback does, the listing
audit reads it beside the callback, and the spider turns it into an item. Each asks here and
gets the same page object, so a page is parsed once, from its bytes (Scrapy's own selector,
parsed from the decoded text, is never built), and read once. The page object lives as long
as its response, or until the spider is done with it (`forget`): a request waiting in the
scheduler never carries one.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from scrapy.http import Request, Response, TextResponse

from newsmon.crawl.meta import CARD_ARG
from newsmon.extract.article import ArticlePage
from newsmon.extract.document import Document, parse_html
from newsmon.extract.listing import ListingCard, ListingPage

_PAGES: WeakKeyDictionary[Response, ArticlePage | ListingPage] = WeakKeyDictionary()


def article_page(response: TextResponse, request: Request | None = None) -> ArticlePage:
    """The article page object of a response (with the listing card its request carries).

    A downloader middleware passes the `request`: Scrapy sets `response.request` only once the
    response has left the downloader, and a page object built without its card would keep
    lacking it (the card is the last fallback of the title, the date, the authors).
    """
    page = _PAGES.get(response)
    if not isinstance(page, ArticlePage):
        card = _card_of(request if request is not None else response.request)
        page = ArticlePage.from_document(_parsed(response), response.url, card)
        _PAGES[response] = page
    return page


def listing_page(response: TextResponse) -> ListingPage:
    """The listing page object of a response."""
    page = _PAGES.get(response)
    if not isinstance(page, ListingPage):
        page = ListingPage.from_document(_parsed(response), response.url)
        _PAGES[response] = page
    return page


def forget(response: Response) -> None:
    """Drop a response's page object: its item is built, nobody reads the page again."""
    _PAGES.pop(response, None)


def _parsed(response: TextResponse) -> Document:
    """The response's page parsed once, from its bytes, in the encoding Scrapy settled on."""
    return parse_html(response.body, response.encoding)


def _card_of(request: Request | None) -> ListingCard | None:
    """The listing card the spider passed to the article's callback, if any."""
    card = request.cb_kwargs.get(CARD_ARG) if request is not None else None
    return card if isinstance(card, ListingCard) else None
