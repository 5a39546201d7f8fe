"""Recognise bot challenges and block pages, whatever their status; never retry into one.

A CDN's bot protection answers a crawler with a page that is not the page asked for: a
challenge to solve in a browser, or a plain "access denied". It may come with status 403 or
503, and sometimes 200, so a status alone says nothing: each of them is recognised by what
the CDN really sends (`recognise`):

- Cloudflare: the `cf-mitigated: challenge` header; the challenge page's own marks (the
  "Just a moment..." title, the `window._cf_chl_opt` settings, the challenge platform's
  `.../orchestrate/...` script) and its block page ("Attention Required! | Cloudflare",
  "Sorry, you have been blocked"). A normal page may carry Cloudflare's bot-detection
  script (`/cdn-cgi/challenge-platform/h/g/scripts/jsd/.../main.js`, injected into pages
  that pass) and is not a challenge.
- Akamai: its "Access Denied ... Reference #18.x" page, which links errors.edgesuite.net.
- Imperva (Incapsula): "Incapsula incident ID", or the `_Incapsula_Resource` frame of its
  challenge page.
- Sucuri: its "Access Denied - Sucuri Website Firewall" page, or the X-Sucuri-Block header.
- DataDome: a page that loads its captcha from captcha-delivery.com.
- PerimeterX (HUMAN): "Access to this page has been denied" with its `px-captcha` element.

Two middlewares share the crawl's `newsmon.crawl.blocks.BlockWatch`:

- `ChallengeMiddleware` (587, above the browser (585) and the retries (550)): a challenge ends
  its request with `BlockedRequest` at once, so it is never retried and never handed to the
  browser; and a request for a host that stopped answering is not sent.
- `RefusalMiddleware` (545, below the retries): the final answer of every request; a bare
  401, 403 or 429 (once any retries gave up) counts toward a run of refusals, any other
  answer ends it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from newsmon.crawl.blocks import REFUSAL_STATUSES, BlockedRequest, BlockWatch, block_watch
from newsmon.crawl.middlewares.retry import retry_after_seconds

# Challenge and block pages are small and say what they are near their start: the first
# 64 KB of a page are read for their marks (a 300 KB article costs one lower-casing of that).
SCAN_BYTES = 64 * 1024
# Statuses a challenge or block page comes with (a 404 or a 500 is the site's own answer).
CHALLENGE_STATUSES = frozenset({200, 401, 403, 405, 406, 429, 503})

# (vendor, marks): a page is that vendor's challenge or block page if it contains every mark
# of one of the tuples (compared in lower case, after HTML entities are decoded).
PAGE_MARKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Cloudflare", ("<title>just a moment...</title>",)),
    ("Cloudflare", ("<title>just a moment\u2026</title>",)),
    ("Cloudflare", ("window._cf_chl_opt",)),
    ("Cloudflare", ("/cdn-cgi/challenge-platform/", "/orchestrate/")),
    ("Cloudflare", ("cf-browser-verification",)),
    ("Cloudflare", ("<title>attention required! | cloudflare</title>",)),
    ("Cloudflare", ("cf-error-details", "you have been blocked")),
    ("Akamai", ("errors.edgesuite.net",)),
    ("Akamai", ("<title>access denied</title>", "permission to access", "reference #")),
    ("Imperva", ("incapsula incident id",)),
    ("Imperva", ("_incapsula_resource", "main-iframe")),
    ("Sucuri", ("sucuri website firewall", "access denied")),
    ("Sucuri", ("cloudproxy@sucuri.net",)),
    ("DataDome", ("captcha-delivery.com",)),
    ("PerimeterX", ("access to this page has been denied", "px-captcha")),
    ("PerimeterX", ("captcha.px-cdn.net",)),
)
# Every tuple above is looked for through one of its marks that holds one of these (nine
# scans of the page instead of sixteen), then a startswith where one was found. A long needle
# is found faster (str.find skips by its length): a mark is its own anchor unless several share.
ANCHORS = (
    "<title>",
    "window._cf_chl_opt",
    "/cdn-cgi/challenge-platform/",
    "cf-browser-verification",
    "cf-error-details",
    "errors.edgesuite.net",
    "incapsula",
    "sucuri",
    "captcha",
)
# The only characters outside ASCII whose lower case holds an ASCII letter (KELVIN SIGN -> "k",
# LATIN CAPITAL LETTER I WITH DOT ABOVE -> "i" + a dot).
_LOWER_TO_ASCII = ("\u212a", "\u0130")
# Entities that stand for characters no mark holds (see `scan_text`), and an "&" that starts
# no entity at all (html.unescape reads none after a tab, newline, form feed, space, "<", "&"
# or ";", nor at the end: "Trump & Putin"); any other "&" on a page has its entities decoded
# before the marks are looked for (90 us on a replica page, most of the whole check).
_ENTITY_THAT_MAY_SPELL_A_MARK = re.compile(rb"&(?!amp;|#x27;|#39;|quot;|[\t\n\f <&;]|\Z)")
# (header, value in lower case or "" for any): headers only a challenge or block carries.
HEADER_MARKS: tuple[tuple[str, str, str], ...] = (
    ("Cloudflare", "cf-mitigated", "challenge"),
    ("Sucuri", "x-sucuri-block", ""),
    ("DataDome", "x-dd-b", ""),
)
# Headers that name the CDN in front of a site (for a block page no mark names).
CDN_HEADERS: tuple[tuple[str, str, str], ...] = (
    ("Cloudflare", "cf-ray", ""),
    ("Cloudflare", "server", "cloudflare"),
    ("Akamai", "server", "akamaighost"),
    ("Akamai", "x-akamai-transformed", ""),
    ("Imperva", "x-iinfo", ""),
    ("Imperva", "x-cdn", "incapsula"),
    ("Imperva", "x-cdn", "imperva"),
    ("Sucuri", "x-sucuri-id", ""),
    ("Sucuri", "server", "sucuri"),
    ("DataDome", "x-datadome", ""),
    ("Fastly", "x-served-by", "cache-"),
    ("CloudFront", "x-amz-cf-id", ""),
)
UNKNOWN_CDN = "CDN unknown"

Headers = Mapping[str, str]


def recognise(status: int, headers: Headers, body: bytes) -> str | None:
    """The vendor whose challenge or block page this answer is, or None for a real page.

    `headers` maps lower-case names to their (first) value.
    """
    for vendor, name, value in HEADER_MARKS:
        found = headers.get(name)
        if found is not None and value in found.lower():
            return vendor
    if status not in CHALLENGE_STATUSES or not body:
        return None
    text = scan_text(body)
    present = _anchored_marks_in(text)
    for vendor, anchored, others in _PLAN:
        if anchored in present and all(mark in text for mark in others):
            return vendor
    return None


def scan_text(body: bytes) -> bytes:
    """The start of a page, lower-cased, in which the marks are looked for (UTF-8).

    It holds a mark exactly when `html.unescape(body[:SCAN_BYTES].decode()).lower()` does,
    at a fraction of the cost:

    - The marks are ASCII (and a caseless "..."): bytes' ASCII lower-casing finds what
      str.lower() finds, except for the two characters that lower to an ASCII letter, looked
      for first. (str.lower() cost 60 us on a page with any character outside ASCII.)
    - Entities are decoded only when one may spell part of a mark: "&amp;", "&#x27;",
      "&#39;" and "&quot;" (most pages' only ones) stand for characters no mark holds, and no
      mark holds "&" or ";", so no mark can be found across one, decoded or not.
    """
    raw = body[:SCAN_BYTES]
    if b"&" in raw and _ENTITY_THAT_MAY_SPELL_A_MARK.search(raw):
        return html.unescape(raw.decode("utf-8", "replace")).lower().encode("utf-8")
    if raw.isascii():
        return raw.lower()
    text = raw.decode("utf-8", "replace")
    if any(character in text for character in _LOWER_TO_ASCII):
        return text.lower().encode("utf-8")
    return raw.lower()


def _anchored_marks_in(text: bytes) -> set[bytes]:
    """The anchored marks (`_PLAN`) the text holds, from one scan per anchor."""
    found: set[bytes] = set()
    for anchor, marks in _BY_ANCHOR:
        at = text.find(anchor)
        while at != -1:
            for mark, offset in marks:
                if at >= offset and text.startswith(mark, at - offset):
                    found.add(mark)
            at = text.find(anchor, at + 1)
    return found


Plan = list[tuple[str, bytes, tuple[bytes, ...]]]
AnchorPlan = list[tuple[bytes, list[tuple[bytes, int]]]]


def _plan() -> tuple[Plan, AnchorPlan]:
    """How the marks are looked for: per tuple, per anchor (refusing marks it cannot find).

    Per tuple of PAGE_MARKS, (vendor, its anchored mark, its other marks); per anchor, the
    marks it finds and where in them it sits.
    """
    plan: Plan = []
    by_anchor: dict[bytes, list[tuple[bytes, int]]] = {}
    for vendor, marks in PAGE_MARKS:
        for mark in marks:
            if (
                mark != mark.lower()
                or len(mark) < 5
                or any(character in mark for character in "&;'\"")
                or not mark.replace("\u2026", "").isascii()
            ):
                # Lower case, ASCII, no "&", ";" or quote: what scan_text's shortcuts rely on.
                raise ValueError(f"scan_text cannot look for the page mark {mark!r}")
        encoded = [mark.encode("utf-8") for mark in marks]
        found = [(a.encode(), mark) for mark in encoded for a in ANCHORS if a.encode() in mark]
        if not found:
            raise ValueError(f"no mark of {vendor}'s {marks!r} holds one of ANCHORS")
        anchor, anchored = found[0]
        by_anchor.setdefault(anchor, []).append((anchored, anchored.index(anchor)))
        plan.append((vendor, anchored, tuple(mark for mark in encoded if mark != anchored)))
    return plan, list(by_anchor.items())


_PLAN, _BY_ANCHOR = _plan()


def cdn_of(headers: Headers) -> str:
    """The CDN the answer's headers name, or "CDN unknown"."""
    for vendor, name, value in CDN_HEADERS:
        found = headers.get(name)
        if found is not None and value in found.lower():
            return vendor
    return UNKNOWN_CDN


def header_map(response: Response) -> dict[str, str]:
    """A response's headers as {lower-case name: first value}."""
    found = {}
    for name, values in response.headers.items():
        if values:
            key = name.decode("latin-1").lower()
            found[key] = values[0].decode("latin-1")
    return found


class ChallengeMiddleware:
    """End a challenged request at once (no retry, no browser); skip a host that blocks."""

    def __init__(self, watch: BlockWatch) -> None:
        self.watch = watch

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ChallengeMiddleware:
        """Share the crawl's BlockWatch."""
        return cls(block_watch(crawler))

    def process_request(self, request: Request) -> None:
        """Do not send a request to a host that has blocked every recent one."""
        if self.watch.stopped(request.url):
            raise self.watch.skipped(request.url)

    def process_response(self, request: Request, response: Response) -> Response:
        """A challenge or block page ends its request; anything else goes on."""
        headers = header_map(response)
        vendor = recognise(response.status, headers, response.body)
        if vendor is None:
            return response
        cdn = cdn_of(headers)
        named = vendor if cdn in (vendor, UNKNOWN_CDN) else f"{vendor} via {cdn}"
        self.watch.challenged(
            request.url,
            response.status,
            named,
            retry_after_seconds(headers.get("retry-after")),
        )
        raise BlockedRequest(
            f"blocked by a bot challenge (HTTP {response.status}, {named}) at {request.url}"
        )


class RefusalMiddleware:
    """Count final bare 401/403/429 answers in a row; any other answer ends the run of them."""

    def __init__(self, watch: BlockWatch) -> None:
        self.watch = watch

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RefusalMiddleware:
        """Share the crawl's BlockWatch."""
        return cls(block_watch(crawler))

    def process_response(self, request: Request, response: Response) -> Response:
        """Tell the watch how the site answered, after every retry."""
        if response.status in REFUSAL_STATUSES:
            headers = header_map(response)
            self.watch.refused(
                request.url,
                response.status,
                cdn_of(headers),
                retry_after_seconds(headers.get("retry-after")),
            )
        else:
            self.watch.answered(request.url)
        return response
