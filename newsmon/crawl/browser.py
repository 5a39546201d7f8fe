"""The browser behind NEWSMON_RENDER: started only for a page that must be rendered.

scrapy-playwright's download handler starts its Playwright driver (a Node.js process of about
120 MB) as soon as the crawl starts, whether or not any page is ever rendered. This handler
serves every request over plain HTTP/1.1 and builds scrapy-playwright's handler, and launches
the browser, on the first request with `meta={"playwright": True}`: a run that renders nothing
starts neither the driver nor a browser.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings

from newsmon.compat import launch_playwright
from newsmon.crawl.blocks import block_watch

if TYPE_CHECKING:
    from playwright.async_api import Page
    from playwright.async_api import Request as BrowserRequest
    from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

logger = logging.getLogger(__name__)

# What the browser never loads: none of it changes the text of a page.
ABORTED_RESOURCE_TYPES = frozenset({"image", "media", "font", "stylesheet", "texttrack"})
# Scripts of bot challenges: newsmon never runs one (the page is recognised as a challenge and
# reported, `newsmon.crawl.middlewares.challenge`), so the browser does not fetch them either.
CHALLENGE_SCRIPTS = (
    "/cdn-cgi/challenge-platform/",
    "challenges.cloudflare.com/",
    "captcha-delivery.com/",
    "captcha.px-cdn.net/",
    "/_incapsula_resource",
)


class BrowserUnavailable(Exception):
    """No browser could be started; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def missing_browser(settings: BaseSettings) -> str | None:
    """Why the configured browser cannot run (its executable is missing), or None."""
    if settings.get("PLAYWRIGHT_CDP_URL") or settings.get("PLAYWRIGHT_CONNECT_URL"):
        return None  # a remote browser: only connecting tells
    path = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS").get("executable_path")
    if path and not os.access(str(path), os.X_OK):
        return f"no browser executable at {path}"
    return None


def abort_request(request: BrowserRequest) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: skip media, styles, embedded frames and challenge scripts."""
    if request.resource_type in ABORTED_RESOURCE_TYPES:
        return True
    if any(mark in request.url.lower() for mark in CHALLENGE_SCRIPTS):
        return True
    # Iframes (video players, social embeds) are other sites' pages, not this page's text.
    return request.is_navigation_request() and request.frame.parent_frame is not None


async def wait_for_content(page: Page, selector: str, timeout_ms: float) -> bool:
    """Wait until `selector` is in the page; after `timeout_ms`, keep what the page shows."""
    from playwright.async_api import TimeoutError as BrowserTimeout

    try:
        await page.wait_for_selector(selector, state="attached", timeout=timeout_ms)
    except BrowserTimeout:
        return False
    return True


class RenderingDownloadHandler(HTTP11DownloadHandler):
    """HTTP/1.1 for every request; scrapy-playwright for requests with meta playwright=True.

    A request for a host that blocks the run (`newsmon.crawl.blocks`) is not sent: it may have
    waited in the downloader's queue since before the block was clear.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._browser_handler: ScrapyPlaywrightDownloadHandler | None = None
        self._unavailable: str | None = None
        self._starting = asyncio.Lock()
        self._blocks = block_watch(crawler)

    async def download_request(self, request: Request) -> Response:
        """Download over HTTP, or through the browser when the request asks for it."""
        if self._blocks.stopped(request.url):
            raise self._blocks.skipped(request.url)
        if not request.meta.get("playwright"):
            return await super().download_request(request)
        handler = await self._started()
        return await handler.download_request(request)

    async def _started(self) -> ScrapyPlaywrightDownloadHandler:
        """scrapy-playwright's handler with a running browser; BrowserUnavailable if none."""
        async with self._starting:
            if self._unavailable is not None:
                raise BrowserUnavailable(self._unavailable)
            if self._browser_handler is not None:
                return self._browser_handler
            reason = missing_browser(self.crawler.settings)
            if reason is not None:
                self._unavailable = reason
                raise BrowserUnavailable(reason)
            from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

            handler = ScrapyPlaywrightDownloadHandler.from_crawler(self.crawler)
            try:
                await launch_playwright(handler)
            except Exception as error:
                self._unavailable = first_line(error)
                await _close_quietly(handler)
                raise BrowserUnavailable(self._unavailable) from error
            self._browser_handler = handler
            return handler

    async def close(self) -> None:
        """Close the browser (its pages and contexts) and the Playwright driver, if started."""
        if self._browser_handler is not None:
            await self._browser_handler.close()
            self._browser_handler = None
        await super().close()


def first_line(error: BaseException) -> str:
    """The first line of an error: Playwright appends a long call log to its messages."""
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:300]


async def _close_quietly(handler: ScrapyPlaywrightDownloadHandler) -> None:
    try:
        await handler.close()
    except Exception:  # a half-started driver may fail to stop; the run goes on regardless
        logger.debug("closing a browser that did not start failed", exc_info=True)
