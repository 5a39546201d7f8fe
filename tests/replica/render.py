"""`--render client`: the site as a client-rendered Next.js app, for newsmon's rendering fallback.

- Every HTML page carries the marks of a Next.js app: its markup inside `<div id="__next">`, a
  `<script id="__NEXT_DATA__">` payload and a `/_next/static/chunks/...js` app script (served
  here).
- Listing pages (tags, authors, archive, home) come without their cards: the app script fetches
  them from `/_next/data/<build>/<page path>.json` and inserts them after load.
- Article pages come in three variants, fixed per slug (`article_variant`): server-rendered as
  before (half of them); "embedded", the body left out of the markup but carried in
  `__NEXT_DATA__` and inserted by the script (a quarter: a crawler can read the payload without a
  browser); "fetched", the body left out and fetched from `/_next/data/...json` by the script
  (a quarter: only a browser sees it).

Head tags (meta, JSON-LD, `rel="next"`) stay server-rendered, as Next.js does.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import zlib
from typing import Any, Literal

from tests.replica.content import Site
from tests.replica.server import Hook, Request, Response
from tests.replica.views import Views

BUILD_ID = "kR3pl1ca-bu1ld"
DATA_PREFIX = f"/_next/data/{BUILD_ID}/"
APP_SCRIPT = "/_next/static/chunks/pages/_app-4f2a9c1e.js"
JSON_TYPE = "application/json; charset=utf-8"
ArticleVariant = Literal["server", "embedded", "fetched"]

_BODY_TAG = re.compile(r'<body class="([\w-]+)">\n')
_CARDS = re.compile(
    r'(<div class="(?:archive__list|home__cards)">\n)(.*?)(</div>(?:<nav class="pagination">|'
    r"</section>))",
    re.DOTALL,
)
_ARTICLE_BODY = re.compile(
    r"(<div class='c-content '>)(.*?)(</div>\n<div id=\"reading-progress-end\">)", re.DOTALL
)
_POST_ID = re.compile(r'<article class="post" data-post-id="(\w+)">')

# The app: fill in what the server left out, from the payload or from the data endpoint.
APP_JS = """\
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("__NEXT_DATA__").textContent);
  var props = data.props.pageProps;
  function load(apply) {
    var path = location.pathname.replace(/\\/+$/, "") || "/index";
    fetch("/_next/data/" + data.buildId + path + ".json", { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (json) { apply(json.pageProps); })
      .catch(function (error) { console.error("page data", error); });
  }
  if (props.cards === null) {
    load(function (page) {
      document.querySelector(".archive__list, .home__cards").innerHTML = page.cards;
    });
  }
  if (props.post) {
    var body = document.querySelector(".c-content");
    if (props.post.html) {
      body.innerHTML = props.post.html;
    } else if (!body.firstElementChild) {
      load(function (page) { body.innerHTML = page.post.html; });
    }
  }
})();
"""


def hooks(args: argparse.Namespace, site: Site) -> list[Hook]:
    """The `--render client` hook."""
    return [ClientRendering(site)]


def article_variant(slug: str) -> ArticleVariant:
    """How an article page is rendered in client mode, fixed per slug."""
    bucket = zlib.crc32(slug.encode()) % 4
    return "embedded" if bucket == 2 else "fetched" if bucket == 3 else "server"


def next_data_script(page: str, props: dict[str, Any]) -> str:
    """The `__NEXT_DATA__` script element; `<`, `>` and `&` escaped as Next.js does."""
    payload = json.dumps(
        {"props": {"pageProps": props}, "page": page, "query": {}, "buildId": BUILD_ID},
        ensure_ascii=False,
    )
    for char, escape in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        payload = payload.replace(char, escape)
    return f'<script id="__NEXT_DATA__" type="application/json">{payload}</script>'


class ClientRendering(Hook):
    """Strip cards and some bodies from pages; serve the app script and the data endpoint."""

    def __init__(self, site: Site) -> None:
        # Data answers render the page they stand for with their own Views. The server's lock
        # is not reachable from a hook, so this one only keeps data answers apart; a publish
        # or update racing a data answer may see the site half-changed.
        self.views = Views(site)
        self.lock = threading.Lock()

    def before(self, request: Request) -> Response | None:
        """Answer the app script and `/_next/data/` requests."""
        if request.path == APP_SCRIPT:
            headers = {
                "Content-Type": "text/javascript; charset=utf-8",
                "Cache-Control": "public, max-age=31536000, immutable",
            }
            return Response(200, APP_JS.encode(), headers)
        if request.path.startswith("/_next/data/"):
            return self._data(request)
        return None

    def after(self, request: Request, response: Response) -> Response:
        """Turn a server-rendered HTML page into its client-rendered form."""
        if (
            response.status != 200
            or not response.headers.get("Content-Type", "").startswith("text/html")
            or not response.body
        ):
            return response
        html = response.body.decode("utf-8")
        match = _BODY_TAG.search(html)
        template = match.group(1) if match else ""
        if template in ("tag-template", "home-template"):
            html = _CARDS.sub(r"\1\3", html, count=1)
            html = _as_app(html, "/listing", {"cards": None})
        elif template == "post-template":
            html = self._article(request.path, html)
        else:
            html = _as_app(html, "/page", {})
        response.body = html.encode("utf-8")
        return response

    def _article(self, path: str, html: str) -> str:
        slug = path.strip("/")
        post_id = _POST_ID.search(html)
        post: dict[str, Any] = {"id": post_id.group(1) if post_id else "", "slug": slug}
        variant = article_variant(slug)
        if variant != "server":
            body = _ARTICLE_BODY.search(html)
            if body is not None:
                html = _ARTICLE_BODY.sub(r"\1\3", html, count=1)
                if variant == "embedded":
                    post["html"] = body.group(2)
        return _as_app(html, "/[slug]", {"post": post})

    def _data(self, request: Request) -> Response:
        """`/_next/data/<build>/<page path>.json`: what the app needs to fill the page in."""
        rest = request.path.removeprefix(DATA_PREFIX)
        if (
            rest == request.path
            or not rest.endswith(".json")
            or request.method not in ("GET", "HEAD")
        ):
            return _json(404, {"notFound": True})
        stem = rest.removesuffix(".json")
        page_path = "/" if stem == "index" else f"/{stem}/"
        origin = "http://" + (request.headers.get("Host") or "127.0.0.1")
        with self.lock:
            page = self.views.route(page_path, "", origin)
        html = page.body.decode("utf-8") if page.status == 200 else ""
        if cards := _CARDS.search(html):
            return _json(200, {"pageProps": {"cards": cards.group(2)}, "__N_SSG": True})
        if body := _ARTICLE_BODY.search(html):
            post = {"slug": stem, "html": body.group(2)}
            return _json(200, {"pageProps": {"post": post}, "__N_SSG": True})
        return _json(404, {"notFound": True})


def _as_app(html: str, page: str, props: dict[str, Any]) -> str:
    """Wrap the page's markup in `<div id="__next">` and add the payload and the app script."""
    html = html.replace("</head>", f'<script src="{APP_SCRIPT}" defer></script>\n</head>', 1)
    html = _BODY_TAG.sub(lambda m: m.group(0) + '<div id="__next">', html, count=1)
    tail = html.rfind("</body>")
    return html[:tail] + f"</div>\n{next_data_script(page, props)}\n" + html[tail:]


def _json(status: int, data: Any) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(status, body, {"Content-Type": JSON_TYPE, "Cache-Control": "no-cache"})
