"""Fault profiles of the replica (`--faults flaky|hostile|articles-down`), as server hooks.

`flaky`: the server misbehaves the way real ones do, deterministically by `--seed`. Which URL
gets which fault is drawn from a hash of the seed and the path; a per-path attempt counter
makes the fault hit the first answer(s) only, so a client that retries gets the page.

`articles-down`: every article page answers 503, every time (the listings are fine).

`hostile`: extra cards at the top of `/tag/news-feed/` and `/tag/russia/` lead to pages built
to break a crawler (see `HOSTILE_PAGES`). Redirects to another host land on a trap: a second
small server (127.0.0.2, and 127.0.0.1 on another port) that records every hit and answers
`GET /__trap__/hits.json` with them, so a test can prove it was never contacted.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.replica.chrome import attr, esc, iso_z
from tests.replica.content import Site
from tests.replica.server import Hook, Request, Response

HTML = "text/html; charset=utf-8"
NO_STORE = "no-cache, private, no-store, must-revalidate"

# --- flaky ----------------------------------------------------------------------------------

# Shares of article URLs per fault (drawn per path, so about these shares).
ERROR_SHARE = 0.10  # first answer 500, 502 or 503
RATE_LIMIT_SHARE = 0.05  # first answer 429 with Retry-After
SLOW_SHARE = 0.04  # first answer only after SLOW_SECONDS
TRUNCATED_SHARE = 0.04  # first answer is a 200 with the HTML cut short
PERSISTENT_SHARE = 0.02  # the first PERSISTENT_FAILURES answers are 503: beyond 2 retries
# Listing pages (/tag/...) fail now and then too.
LISTING_ERROR_SHARE = 0.15
LISTING_TRUNCATED_SHARE = 0.10

RETRY_AFTER_SECONDS = 2
# Longer than the download timeout the tests give the crawler (a few seconds); a crawler run
# with the 30 s default simply sees a slow page.
SLOW_SECONDS = 6.0
PERSISTENT_FAILURES = 3
# A truncated answer keeps this share of the page: the head and part of the body.
TRUNCATE_AT = 0.55
ERROR_STATUSES = (500, 502, 503)


def hooks(args: argparse.Namespace, site: Site) -> list[Hook]:
    """The hooks of the fault profile named by `--faults`."""
    if args.faults == "flaky":
        return [FlakyHook(site, args.seed)]
    if args.faults == "hostile":
        return [HostileHook(site, args.seed)]
    if args.faults == "articles-down":
        return [ArticlesDownHook(site)]
    if args.faults == "extreme":
        from tests.replica.extreme import ExtremeHook  # it builds on this module's pages

        return [ExtremeHook(site)]
    return []


def draw(seed: int, key: str) -> float:
    """A number in [0, 1) fixed by the seed and a key: the same URL always draws the same."""
    digest = hashlib.sha256(f"{seed}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Plan:
    """What happens to the answers for one path."""

    kind: str
    """none, error, rate_limit, slow, truncated or persistent."""
    status: int = 503


class FlakyHook(Hook):
    """Transient server faults on the first answer(s) for a URL; retries get the page."""

    def __init__(self, site: Site, seed: int) -> None:
        self.site = site
        self.seed = seed
        self._lock = threading.Lock()
        self._attempts: dict[str, int] = {}
        # Monotonic time until which a rate-limited path answers 429 again, as a real rate
        # limiter does: a client that ignores Retry-After keeps getting 429.
        self._limited_until: dict[str, float] = {}
        self._truncate: set[int] = set()

    def plan(self, path: str) -> Plan:
        """The fault planned for `path` (none for anything but articles and tag listings)."""
        if path.startswith("/tag/"):
            u = draw(self.seed, f"listing:{path}")
            if u < LISTING_ERROR_SHARE:
                return Plan("error", 503)
            if u < LISTING_ERROR_SHARE + LISTING_TRUNCATED_SHARE:
                return Plan("truncated")
            return Plan("none")
        match = re.fullmatch(r"/([^/]+)/", path)
        if not match or match.group(1) not in self.site.by_slug:
            return Plan("none")
        u = draw(self.seed, f"article:{path}")
        bounds: list[tuple[float, str]] = [
            (ERROR_SHARE, "error"),
            (RATE_LIMIT_SHARE, "rate_limit"),
            (SLOW_SHARE, "slow"),
            (TRUNCATED_SHARE, "truncated"),
            (PERSISTENT_SHARE, "persistent"),
        ]
        edge = 0.0
        for share, kind in bounds:
            edge += share
            if u < edge:
                status = ERROR_STATUSES[int(draw(self.seed, f"status:{path}") * 3)]
                return Plan(kind, status)
        return Plan("none")

    def before(self, request: Request) -> Response | None:
        """Count the attempt; answer with the planned fault while it lasts."""
        if request.method != "GET":
            return None
        path = request.path
        plan = self.plan(path)
        if plan.kind == "none":
            return None
        with self._lock:
            attempt = self._attempts.get(path, 0) + 1
            self._attempts[path] = attempt
            now = time.monotonic()
            if plan.kind == "rate_limit":
                until = self._limited_until.get(path)
                if until is None:
                    self._limited_until[path] = now + RETRY_AFTER_SECONDS
                    return _rate_limited(RETRY_AFTER_SECONDS)
                if now < until:
                    return _rate_limited(math.ceil(until - now))
                return None
            if plan.kind == "truncated" and attempt == 1:
                self._truncate.add(id(request))
                return None
        if plan.kind == "error" and attempt == 1:
            return _error(plan.status)
        if plan.kind == "persistent" and attempt <= PERSISTENT_FAILURES:
            return _error(503)
        if plan.kind == "slow" and attempt == 1:
            time.sleep(SLOW_SECONDS)  # this handler thread only; the others go on serving
        return None

    def after(self, request: Request, response: Response) -> Response:
        """Cut the page short when this answer was planned to be truncated."""
        with self._lock:
            truncate = id(request) in self._truncate
            self._truncate.discard(id(request))
        if truncate and response.status == 200 and response.body:
            response.body = response.body[: int(len(response.body) * TRUNCATE_AT)]
        return response


class ArticlesDownHook(Hook):
    """Every article page answers 503, however often it is asked; listings are fine."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def before(self, request: Request) -> Response | None:
        """503 for an article page."""
        match = re.fullmatch(r"/([^/]+)/", request.path)
        if request.method == "GET" and match and match.group(1) in self.site.by_slug:
            return _error(503)
        return None


def _error(status: int) -> Response:
    reasons = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    body = f"<html><body><h1>{status} {reasons[status]}</h1></body></html>".encode()
    return Response(status, body, {"Content-Type": HTML, "Cache-Control": NO_STORE})


def _rate_limited(seconds: int) -> Response:
    body = b"<html><body><h1>429 Too Many Requests</h1></body></html>"
    headers = {"Content-Type": HTML, "Retry-After": str(max(1, seconds)), "Cache-Control": NO_STORE}
    return Response(429, body, headers)


# --- hostile --------------------------------------------------------------------------------

# Listings that show the hostile cards at the top of their first page.
HOSTILE_LISTINGS = ("/tag/news-feed/", "/tag/russia/")
# Bigger than any sane news page, and than newsmon's DOWNLOAD_MAXSIZE.
HUGE_PAGE_BYTES = 24 * 1024 * 1024
# Text no page of the site ever carries; a test looks for it in newsmon's output.
PASSWD_MARKER = "root:x:0:0"


@dataclass(frozen=True)
class HostileCard:
    """A card injected at the top of the hostile listings."""

    href: str
    """Path (or absolute URL) the card links to; `{trap}` becomes the trap's origin and
    `{credentials}` the site's origin with a user name and PLANTED_PASSWORD in it."""
    title: str
    tag_href: str = "/tag/news-feed/"
    tag_name: str = "News Feed"
    stamp: str = ""


# Every hostile card, in page order (what newsmon should make of each: tests/test_hostile.py).
HOSTILE_CARDS: tuple[HostileCard, ...] = (
    HostileCard("/hostile-huge-page/", "A page over any sane size"),
    HostileCard("/hostile-huge-chunked/", "A page over any sane size, sent in chunks"),
    HostileCard("/hostile-malformed-html/", "Malformed HTML"),
    HostileCard("/hostile-wrong-charset/", "Wrong charset declaration"),
    HostileCard("/hostile-redirect-loop/", "Redirect loop"),
    HostileCard("/hostile-redirect-offsite/", "Redirect to another host"),
    HostileCard("/hostile-redirect-other-port/", "Redirect to another port"),
    HostileCard("/hostile-redirect-file/", "Redirect to file:///etc/passwd"),
    HostileCard("/hostile-redirect-data/", "Redirect to a data: URL"),
    HostileCard("/hostile-report.pdf", "A PDF, not a page"),
    HostileCard("/hostile-broken-jsonld/", "Broken JSON-LD"),
    HostileCard("/hostile-no-title/", ""),
    HostileCard("/hostile-date-1970/", "Published in 1970", stamp="1970-01-01T00:00:00Z"),
    HostileCard("/hostile-date-2999/", "Published in 2999", stamp="2999-01-01T00:00:00Z"),
    HostileCard(
        "/hostile-bad-tag-slug/",
        "A tag slug that climbs folders",
        tag_href="/tag/../../x/",
        tag_name="../../x",
    ),
    HostileCard("/hostile-script-body/", "A body stuffed with scripts"),
    HostileCard("/hostile-xxe/", "XML with an external entity"),
    HostileCard("/hostile-meta-refresh/", "Meta refresh to another host"),
    HostileCard("/tag/war/", "A tag page linked as an article"),
    HostileCard("/hostile-missing-article/", "A link to a page that does not exist"),
    HostileCard("{trap}/offsite-card/", "A card linking another host"),
    HostileCard("{credentials}/hostile-credentials/", "A link that carries a password"),
)
# The password the credentials card plants; it must never reach a log line or a file.
PLANTED_PASSWORD = "hunter2-planted"


class Trap:
    """Servers standing in for other hosts: they record every hit a crawler should never make."""

    def __init__(self) -> None:
        self.hits: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self.servers: list[ThreadingHTTPServer] = []
        for host in ("127.0.0.2", "127.0.0.1"):
            try:
                server = ThreadingHTTPServer((host, 0), _trap_handler(self))
            except OSError:
                continue  # 127.0.0.2 is not bound everywhere; 127.0.0.1 on its own port is
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)

    def origin(self, index: int = 0) -> str:
        """`http://host:port` of one trap server (0: another host if possible)."""
        server = self.servers[min(index, len(self.servers) - 1)]
        host, port = server.server_address[:2]
        return f"http://{host}:{port}"

    def record(self, method: str, host: str, path: str) -> None:
        """Remember one hit."""
        with self._lock:
            self.hits.append({"method": method, "host": host, "path": path})

    def snapshot(self) -> list[dict[str, str]]:
        """A copy of the hits."""
        with self._lock:
            return list(self.hits)


def _trap_handler(trap: Trap) -> type[BaseHTTPRequestHandler]:
    class TrapHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def _serve(self) -> None:
            if self.path == "/__trap__/hits.json":
                body = json.dumps(trap.snapshot()).encode()
                content_type = "application/json"
            else:
                trap.record(self.command, self.headers.get("Host", ""), self.path)
                body = b"<html><body><h1>Trap</h1><p>Nothing to see.</p></body></html>"
                content_type = HTML
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_HEAD = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
            """Quiet."""

    return TrapHandler


class HostileHook(Hook):
    """Hostile cards on two listings, and the hostile pages they lead to."""

    def __init__(self, site: Site, seed: int) -> None:
        self.site = site
        self.seed = seed
        self.trap = Trap()
        # Dated just before the newest article, so kept pages sit at the top of the feeds.
        self.published = site.clock - timedelta(minutes=1)
        self._huge: bytes | None = None
        self._huge_lock = threading.Lock()
        self.pages: dict[str, Callable[[str], Response]] = {
            "/hostile-huge-page/": self._huge_page,
            "/hostile-huge-chunked/": self._huge_chunked,
            "/hostile-malformed-html/": self._malformed,
            "/hostile-wrong-charset/": self._wrong_charset,
            "/hostile-redirect-loop/": lambda o: _redirect(o + "/hostile-redirect-loop-b/"),
            "/hostile-redirect-loop-b/": lambda o: _redirect(o + "/hostile-redirect-loop/"),
            "/hostile-redirect-offsite/": lambda o: _redirect(self.trap.origin(0) + "/stolen/"),
            "/hostile-redirect-other-port/": lambda o: _redirect(self.trap.origin(1) + "/stolen/"),
            "/hostile-redirect-file/": lambda o: _redirect("file:///etc/passwd"),
            "/hostile-redirect-data/": lambda o: _redirect(
                "data:text/html;base64,"
                + base64.b64encode(b"<h1>Injected</h1><p>from a data: URL</p>").decode()
            ),
            "/hostile-report.pdf": self._pdf,
            "/hostile-broken-jsonld/": self._broken_jsonld,
            "/hostile-no-title/": self._no_title,
            "/hostile-date-1970/": lambda o: self._dated(o, "/hostile-date-1970/", "1970"),
            "/hostile-date-2999/": lambda o: self._dated(o, "/hostile-date-2999/", "2999"),
            "/hostile-bad-tag-slug/": self._bad_tag_slug,
            "/hostile-script-body/": self._script_body,
            "/hostile-xxe/": self._xxe,
            "/hostile-meta-refresh/": self._meta_refresh,
        }

    # -- hook points ----------------------------------------------------------------------
    def before(self, request: Request) -> Response | None:
        """Answer the hostile pages; leave everything else to the site."""
        if request.method not in ("GET", "HEAD"):
            return None
        page = self.pages.get(request.path)
        return page(_origin(request)) if page else None

    def after(self, request: Request, response: Response) -> Response:
        """Put the hostile cards at the top of the hostile listings."""
        if request.path in HOSTILE_LISTINGS and response.status == 200 and response.body:
            cards = self.cards_html(_origin(request)).encode()
            marker = b'<article class="js-card'
            at = response.body.find(marker)
            if at >= 0:
                response.body = response.body[:at] + cards + response.body[at:]
        return response

    def cards_html(self, origin: str) -> str:
        """The hostile cards, newest-looking first."""
        stamp = iso_z(self.site.clock)
        with_credentials = origin.replace("://", f"://editor:{PLANTED_PASSWORD}@", 1)
        parts = []
        for card in HOSTILE_CARDS:
            href = card.href.replace("{trap}", self.trap.origin(0))
            href = href.replace("{credentials}", with_credentials)
            parts.append(
                f'<article class="js-card archiveCard" data-archive-id="{card.stamp or stamp}">'
                '<div class="archiveCard__content">'
                f'<a class="archiveCard__tag" href="{attr(card.tag_href)}">{esc(card.tag_name)}</a>'
                f'<h3 class="archiveCard__title"><a class="archiveCard__link" href="{attr(href)}">'
                f"{esc(card.title)}</a></h3>"
                f'<div class="archiveCard__description">{esc(card.title)}</div></div></article>\n'
            )
        return "".join(parts)

    # -- pages ----------------------------------------------------------------------------
    def _huge_page(self, origin: str) -> Response:
        with self._huge_lock:
            if self._huge is None:
                head = _article(
                    origin, "/hostile-huge-page/", "A page over any sane size", [], self.published
                )
                filler = b"<p>" + b"All work and no play makes a huge page. " * 50 + b"</p>\n"
                body = bytearray(head.split("</body>")[0].encode())
                while len(body) < HUGE_PAGE_BYTES:
                    body += filler
                body += b"</body></html>"
                self._huge = bytes(body)
        return Response(200, self._huge, {"Content-Type": HTML})

    def _huge_chunked(self, origin: str) -> Response:
        """The huge page, uncompressed and with no Content-Length: chunked transfer encoding."""
        page = self._huge_page(origin)
        return Response(200, page.body, {"Content-Type": HTML, "Transfer-Encoding": "chunked"})

    def _malformed(self, origin: str) -> Response:
        # Broken nesting, stray end tags, NUL and invalid UTF-8 bytes, nesting deeper than
        # libxml2 allows, and a comment that never ends and swallows the article's content:
        # what is left is no article (the card's headline, no body).
        body = (
            b"<!DOCTYPE html><html><head><meta charset=utf-8><title></title>"
            b'<script type="application/ld+json">{"@type": "Article", "headline": </script>'
            b"</head><body><table><tr><td><p><b><i>unclosed</p></b></table></span></div>"
            b"<p>\x00\xff\xfe\xc3\x28 bytes that are not UTF-8</p>"
            + b"<div>" * 5000
            + b"<span>deep</span>"
            + b"</div>" * 10
            + b"<h1 class=post__title <<>>= ></h1><!-- the comment never ends "
            + b'<div class="c-content"><p>The article that the comment swallowed.</p></div>'
            + b"</body></html>"
        )
        return Response(200, body, {"Content-Type": HTML})

    def _wrong_charset(self, origin: str) -> Response:
        # UTF-8 bytes, declared as Latin-1 by the server and as windows-1251 by the page.
        html = _article(
            origin,
            "/hostile-wrong-charset/",
            "Kyiv café reopens — “we stayed” says owner of Київ bakery",
            [
                "The owner of a café in Kyiv\u2019s Podil district said on Nov. 27 that the bakery "
                "would stay open through the winter — “we stayed, and we will stay,” she said.",
                "Customers queued from early morning. The bakery, known locally as «Київська "
                "випічка», lost power twice last week but kept baking with a generator.",
            ],
            self.published,
            charset="windows-1251",
        )
        return Response(
            200, html.encode("utf-8"), {"Content-Type": "text/html; charset=iso-8859-1"}
        )

    def _pdf(self, origin: str) -> Response:
        body = (
            b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
            b"trailer << /Root 1 0 R >>\n%%EOF\n"
        )
        return Response(200, body, {"Content-Type": "application/pdf"})

    def _broken_jsonld(self, origin: str) -> Response:
        broken = '{"@context": "https://schema.org", "@type": "Article", "headline": "Half,,, }'
        html = _article(
            origin,
            "/hostile-broken-jsonld/",
            "Rada passes budget after night session, JSON-LD broken",
            [
                "Ukraine's parliament passed next year's budget on Nov. 27 after a session that "
                "ran through the night, lawmakers said.",
                "The vote came after weeks of talks over defense spending and local budgets, "
                "and the bill now goes to the president for signature.",
            ],
            self.published,
            jsonld=broken,
        )
        return Response(200, html.encode(), {"Content-Type": HTML})

    def _no_title(self, origin: str) -> Response:
        html = _article(
            origin,
            "/hostile-no-title/",
            "",
            [
                "A page with a body and a date but no headline anywhere: not in the head, not "
                "in the page, not in JSON-LD, not on the card that links to it.",
            ],
            self.published,
        )
        return Response(200, html.encode(), {"Content-Type": HTML})

    def _dated(self, origin: str, path: str, year: str) -> Response:
        when = datetime(int(year), 1, 1, tzinfo=self.published.tzinfo)
        html = _article(
            origin,
            path,
            f"Published in {year}",
            [
                f"This page says it was published on Jan. 1, {year}, a date no article of the "
                "site can have: before the site existed, or far in the future.",
            ],
            when,
        )
        return Response(200, html.encode(), {"Content-Type": HTML})

    def _bad_tag_slug(self, origin: str) -> Response:
        html = _article(
            origin,
            "/hostile-bad-tag-slug/",
            "Tag slug climbs folders in hostile page",
            [
                "The tags of this page point at /tag/../../x/ and an escaped twin of it; a "
                "crawler that builds file names from tag slugs would write outside its folder.",
            ],
            self.published,
            tags=[("../../x", "/tag/..%2F..%2Fx/"), ("News Feed", "/tag/news-feed/")],
        )
        return Response(200, html.encode(), {"Content-Type": HTML})

    def _script_body(self, origin: str) -> Response:
        body = (
            "<p>Officials said on Nov. 27 that the <b>evacuation</b> of frontline villages "
            'would continue.<script>document.title="owned"</script></p>'
            '<p><img src="x" onerror="alert(1)">Residents were asked to leave within two '
            'days.<a href="javascript:alert(2)" onclick="alert(3)">Read more</a></p>'
            '<p onmouseover="alert(4)">Buses will run twice a day from the central square.'
            '<svg onload="alert(5)"><script>alert(6)</script></svg>'
            '<iframe src="javascript:alert(7)"></iframe></p>'
            "<script>fetch('/steal?c='+document.cookie)</script>"
        )
        html = _article(
            origin,
            "/hostile-script-body/",
            "Evacuation continues in frontline villages, page stuffed with scripts",
            [],
            self.published,
            raw_body=body,
        )
        return Response(200, html.encode(), {"Content-Type": HTML})

    def _xxe(self, origin: str) -> Response:
        body = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
            '<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
            '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>&xxe;</title></head>'
            '<body><h1 class="post__title">&xxe;</h1>'
            '<div class="c-content"><p>&xxe;</p><p>&lol3;</p></div></body></html>'
        )
        return Response(200, body.encode(), {"Content-Type": "application/xml; charset=utf-8"})

    def _meta_refresh(self, origin: str) -> Response:
        target = self.trap.origin(0) + "/refreshed/"
        body = (
            "<!DOCTYPE html><html><head>"
            f'<meta http-equiv="refresh" content="0; url={attr(target)}">'
            "</head><body><p>Redirecting...</p></body></html>"
        )
        return Response(200, body.encode(), {"Content-Type": HTML})


def _origin(request: Request) -> str:
    """The origin the client used, from its Host header."""
    return "http://" + (request.headers.get("Host") or "127.0.0.1")


def _redirect(location: str) -> Response:
    body = f"Moved. Redirecting to {location}".encode()
    return Response(302, body, {"Content-Type": "text/plain; charset=utf-8", "Location": location})


def _article(
    origin: str,
    path: str,
    title: str,
    paragraphs: list[str],
    published: datetime,
    *,
    jsonld: str | None = None,
    head_extra: str = "",
    tags: list[tuple[str, str]] | None = None,
    raw_body: str | None = None,
    charset: str = "utf-8",
) -> str:
    """A Ghost-like article page, small and self-contained, for the hostile variants."""
    url = origin + path
    tags = tags or [("News Feed", "/tag/news-feed/")]
    stamp = iso_z(published)
    if jsonld is None and title:
        jsonld = json.dumps(
            {
                "@context": "https://schema.org",
                "@type": "Article",
                "headline": title,
                "url": url,
                "datePublished": stamp,
                "dateModified": stamp,
                "author": {"@type": "Person", "name": "The Kyiv Independent news desk"},
            },
            ensure_ascii=False,
        )
    head = [
        f"<title>{esc(title)} | The Kyiv Independent</title>" if title else "",
        f'<link rel="canonical" href="{attr(url)}">',
        f'<meta property="og:title" content="{attr(title)}">' if title else "",
        f'<meta property="article:published_time" content="{stamp}">',
        f'<meta property="article:modified_time" content="{stamp}">',
        *(f'<meta property="article:tag" content="{attr(name)}">' for name, _ in tags),
        f'<script type="application/ld+json">{jsonld}</script>' if jsonld else "",
        head_extra,
    ]
    tag_links = ", ".join(f'<a href="{attr(href)}">{esc(name)}</a>' for name, href in tags)
    content = raw_body if raw_body is not None else "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    headline = f'<h1 class="post__title">{esc(title)}</h1>' if title else ""
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="{charset}">\n'
        + "\n".join(part for part in head if part)
        + '\n</head>\n<body class="post-template">\n<main id="main" class="main">\n'
        f'<article class="post"><div class="post__tags">{tag_links}</div>\n'
        f'<header class="post__header">{headline}<div class="post__byline">by '
        '<a href="/author/news-desk/">The Kyiv Independent news desk</a></div></header>\n'
        f"<div class='c-content '>{content}</div>\n"
        '<div id="reading-progress-end"></div></article>\n</main>\n</body>\n</html>\n'
    )
