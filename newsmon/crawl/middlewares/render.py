"""Render JavaScript-only pages in a browser, and only those (NEWSMON_RENDER).

- "auto" (default): every page is fetched over plain HTTP. A listing without article cards, or
  an article without headline or body (or whose body container is empty), whose HTML shows
  the marks of a client-rendered app (Next.js, Nuxt, an empty app root), is requested again
  through scrapy-playwright, waiting for the cards or the body to appear. A listing whose
  cards are in the app's data (`__NEXT_DATA__`) or behind its data endpoint (which the spider
  reads: one small request) is not: the spider asks for the browser itself
  (`RENDER_WANTED_META`) only if that data gave no cards. Every other page stays plain HTTP.
- "always": every listing and article page goes through the browser (and nothing else).
- "never": no page does; this middleware is off and the browser is never loaded.

The browser starts on the first page that needs it (`newsmon.crawl.browser`). Without one, the crawl
says so once, with the command that installs it, and goes on with the plain pages.
Stats: `newsmon/render/needed`, `.../requested`, `.../rendered`, `.../unavailable`,
`.../failed` (the browser could not load the page), `.../incomplete` (rendered, still missing
what the page object needs).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from lxml import etree
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request, Response
from scrapy.settings import BaseSettings
from scrapy_playwright.page import PageMethod

from newsmon.config import NewsmonConfigError
from newsmon.crawl.browser import BrowserUnavailable, first_line, wait_for_content
from newsmon.crawl.meta import (
    RENDER_FALLBACK_META,
    RENDER_META,
    RENDER_WANTED_META,
    PageKind,
    page_kind,
)
from newsmon.crawl.pages import article_page, listing_page
from newsmon.extract.body import OWN_CONTAINER_SOURCES
from newsmon.extract.index import XML_WHITESPACE, xml_tokens

logger = logging.getLogger(__name__)

RENDER_MODES = ("auto", "always", "never")
INSTALL_HINT = "apt-get install chromium"

# Marks of a client-rendered app in a page's HTML: Next.js, Nuxt, Angular, an empty React or
# Vue root element. A page without them has nothing a browser would add.
APP_MARKS = re.compile(
    r"""\bid=["']?(?:__next|__NEXT_DATA__|__nuxt|__NUXT_DATA__)["'\s>]"""
    r"|/_next/static/|window\.__NUXT__|\bng-version="
    r"""|<div\s+id=["']?(?:root|app)["']?\s*>\s*</div>""",
    re.IGNORECASE,
)
# Every match of APP_MARKS contains one of these (in lower case). Finding none with `in` costs
# a tenth of what the case-insensitive regex costs to scan a page that has no mark (0.8 ms of a
# 16 KB article), and most pages have none.
APP_HINTS = (
    "__next",
    "__nuxt",
    "/_next/static/",
    "ng-version=",
    "id=root",
    'id="root',
    "id='root",
    "id=app",
    'id="app',
    "id='app",
)
# What to wait for in the browser: the cards of a listing, the body of an article.
CARDS_SELECTOR = "article.archiveCard, article.js-card"
BODY_SELECTOR = ".c-content > *, [itemprop='articleBody'] > *"
# An app shows its content within seconds of loading; a selector that never matches (after a
# redesign) must not hold a browser page for long.
CONTENT_WAIT_MS = 10_000.0
# Body containers the site's pages have (class c-content, itemprop articleBody); present but
# empty means "filled in by the app". The XPath finds a superset by its attributes alone (a
# quarter of the cost of testing every element's normalised class and text);
# `_is_empty_body_container` keeps the exact ones.
_BODY_CONTAINER_CANDIDATES = etree.XPath(
    "//@class[contains(., 'c-content')]/.. | //@itemprop[. = 'articleBody']/.."
)

# Validators of a conditional request: the browser must get the page, not a bodiless 304.
CONDITIONAL_HEADERS = (b"If-None-Match", b"If-Modified-Since")


def render_mode(settings: BaseSettings) -> str:
    """NEWSMON_RENDER, checked: "auto", "always" or "never"."""
    mode = str(settings.get("NEWSMON_RENDER", "auto")).strip().lower()
    if mode not in RENDER_MODES:
        raise NewsmonConfigError(
            f"NEWSMON_RENDER must be one of {', '.join(RENDER_MODES)}, "
            f"not {settings.get('NEWSMON_RENDER')!r}"
        )
    return mode


def has_app_marks(html: str) -> bool:
    """Tell whether a page's HTML shows the marks of a client-rendered app."""
    folded = html.casefold()
    if not any(hint in folded for hint in APP_HINTS):
        return False
    return APP_MARKS.search(html) is not None


def missing_content(
    kind: PageKind, response: HtmlResponse, request: Request, *, data_will_do: bool = True
) -> str | None:
    """What the page object needs and does not find in this HTML, or None if nothing.

    The page object is the response's own (see `newsmon.crawl.pages`): the spider reads what
    this check already found instead of reading the page again. A listing whose cards are
    behind its app's data endpoint lacks nothing a browser must add (`data_will_do`), unless
    the spider already found that data empty.
    """
    if kind == "listing":
        listing = listing_page(response)
        if listing.found().cards or (data_will_do and listing.data_url()):
            return None
        return "no article cards"
    page = article_page(response, request)
    if not page.title():
        return "no headline"
    body = page.body_content
    if not body.blocks:
        return "no body"
    # The site's body container is there but empty: the app fills it in after load, and what
    # the fallbacks found elsewhere (an author box, say) is not the body. A body read from the
    # first container tried has passed over no empty one, and the page's own data is what the
    # app fills in from: most pages skip the look (about 80 us); an empty container on a page
    # whose body came from anywhere else still sends it to the browser.
    trusted = body.source == "next-data" or (
        body.source in OWN_CONTAINER_SOURCES and not body.passed_over
    )
    if not trusted and any(
        _is_empty_body_container(element)
        for element in _BODY_CONTAINER_CANDIDATES(page.selector.root)
    ):
        return "an empty body container"
    return None


def _is_empty_body_container(element: etree._Element) -> bool:
    """A c-content (class token) or articleBody element with no text but whitespace."""
    is_container = element.get("itemprop") == "articleBody" or "c-content" in xml_tokens(
        element.get("class")
    )
    return is_container and not "".join(element.itertext()).strip(XML_WHITESPACE)


class RenderMiddleware:
    """Send pages that need JavaScript through the browser; every other page stays plain."""

    def __init__(self, crawler: Crawler, mode: str) -> None:
        self.crawler = crawler
        self.mode = mode
        # Waiting for cards or a body ends at the download timeout or CONTENT_WAIT_MS, which
        # comes first; the page is then taken as it is.
        self.wait_ms = min(
            crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 30) * 1000, CONTENT_WAIT_MS
        )
        self.unavailable: str | None = None
        # The browser names newsmon too, also where scrapy-playwright cannot set the header
        # (Chromium's own requests, such as the favicon); service workers would hide requests
        # from the abort rules.
        self.context_kwargs = {
            "user_agent": crawler.settings.get("USER_AGENT"),
            "service_workers": "block",
        }

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RenderMiddleware:
        """Read NEWSMON_RENDER; "never" switches the middleware off."""
        mode = render_mode(crawler.settings)
        if mode == "never":
            raise NotConfigured("NEWSMON_RENDER is never")
        return cls(crawler, mode)

    def process_request(self, request: Request) -> None:
        """Send to the browser every page ("always" mode), or the ones the spider asks for."""
        if request.meta.get("playwright") or self.unavailable:
            return
        wanted = self.mode == "always" or bool(request.meta.get(RENDER_WANTED_META))
        kind = page_kind(request.meta)
        if wanted and kind is not None:
            self._count("requested")
            request.meta.update(self._browser_meta(kind))

    def process_response(self, request: Request, response: Response) -> Request | Response:
        """Ask the browser again for a page that lacks its content and looks client-rendered."""
        if request.meta.get(RENDER_META):
            return self._rendered(request, response)
        kind = page_kind(request.meta)
        if (
            kind is None
            or self.mode != "auto"
            or response.status != 200
            or not isinstance(response, HtmlResponse)
        ):
            return response
        # What the page lacks first: the spider reads the same page object, so this costs
        # nothing for a page that has its content (nearly every one), and such a page is
        # never decoded to text and scanned for the marks of an app.
        missing = missing_content(kind, response, request)
        if missing is None or not has_app_marks(response.text):
            return response
        self._count("needed")
        if self.unavailable:
            self._count("unavailable")
            return response
        logger.debug("rendering %s (%s): %s", kind, missing, response.url)
        self._count("requested")
        headers = request.headers.copy()
        for name in CONDITIONAL_HEADERS:
            headers.pop(name, None)
        meta = {**request.meta, **self._browser_meta(kind), RENDER_FALLBACK_META: response}
        return request.replace(meta=meta, headers=headers, dont_filter=True)

    def process_exception(
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        """A page the browser could not render: fall back to its plain HTML."""
        kind = request.meta.get(RENDER_META)
        if not kind:
            return None
        if isinstance(exception, BrowserUnavailable):
            self._count("unavailable")
            self._browser_missing(exception.reason, request.url)
        else:
            self._count("failed")
            logger.warning("could not render %s: %s", request.url, first_line(exception))
        fallback = request.meta.get(RENDER_FALLBACK_META)
        if isinstance(fallback, Response):
            return fallback
        # "always" fetched nothing plain yet: fetch the page over HTTP instead.
        meta = {
            key: value
            for key, value in request.meta.items()
            if not key.startswith("playwright") and key not in (RENDER_META, RENDER_FALLBACK_META)
        }
        if RENDER_WANTED_META in meta:
            meta[RENDER_WANTED_META] = False  # asked for and failed: plain HTML, once
        return request.replace(meta=meta, dont_filter=True)

    def _rendered(self, request: Request, response: Response) -> Response:
        """Count a page the browser rendered; say so if it still lacks its content."""
        if "playwright" not in response.flags:
            return response  # the plain fallback, passed on by process_exception
        if response.status != 200 or not isinstance(response, HtmlResponse):
            return response
        self._count("rendered")
        kind: PageKind = request.meta[RENDER_META]
        missing = missing_content(
            kind, response, request, data_will_do=not request.meta.get(RENDER_WANTED_META)
        )
        if missing is not None:
            self._count("incomplete")
            logger.warning("rendered %s still has %s: %s", kind, missing, response.url)
        return response

    def _browser_meta(self, kind: PageKind) -> dict[str, Any]:
        """Meta that sends a request through scrapy-playwright and closes the page after."""
        selector = CARDS_SELECTOR if kind == "listing" else BODY_SELECTOR
        return {
            "playwright": True,
            "playwright_include_page": False,
            "playwright_context_kwargs": self.context_kwargs,
            # The app runs once the document is parsed; its data arrives after that.
            "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"},
            "playwright_page_methods": [PageMethod(wait_for_content, selector, self.wait_ms)],
            RENDER_META: kind,
        }

    def _browser_missing(self, reason: str, url: str) -> None:
        """Say once, clearly, that pages need a browser and how to install one."""
        if self.unavailable is not None:
            return
        self.unavailable = reason
        logger.error(
            "Pages of this site need JavaScript rendering (first: %s), but no browser could be "
            "started: %s. Install Chromium with `%s` (newsmon starts the executable_path of "
            "PLAYWRIGHT_LAUNCH_OPTIONS, /usr/bin/chromium by default). Until then those pages "
            "are crawled without rendering and counted in newsmon/render/unavailable.",
            url,
            reason,
            INSTALL_HINT,
        )

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsmon/render/{key}")
