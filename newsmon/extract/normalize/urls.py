"""URL helpers: the canonical form that keys the store, and on-site checks."""

from __future__ import annotations

import functools
import re
from urllib.parse import SplitResult, unquote_plus, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from newsmon.site import is_http_url, is_slug, remembers_url_answers

__all__ = [
    "SITE_ROUTES",
    "article_slug",
    "canonical_url",
    "host_of",
    "is_article_path",
    "is_http_url",
    "is_on_site",
    "strip_tracking",
]

# Query parameters that only say where a click came from; the page is the same without them.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "igshid",
        "ref",
        "ref_src",
        "ref_url",
        "yclid",
        "twclid",
        "s_cid",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "_hsenc",
        "_hsmi",
    }
)
TRACKING_PREFIXES = ("utm_",)
# Query parameters a CDN or a cache-buster adds: Cloudflare's bot-challenge tokens
# (`__cf_chl_tk`, `__cf_chl_jschl_tk__`, `__cf_chl_captcha_tk__`, `__cf_chl_managed_tk__`,
# `__cf_chl_rt_tk`, `__cf_chl_f_tk`, ...; FACTS.md saw them in 2022 crawls) and the usual
# cache-busting names. The page behind them is the same.
CDN_PARAMS = frozenset({"_", "cb", "cachebust", "cachebuster", "cache_bust", "cache_buster"})
CDN_PREFIXES = ("__cf_chl_", "cf_chl_", "__cf_", "nocache", "no_cache")

# The site's own routes: the first path segment of every URL that is not an article. Ghost's
# routes (tag, author, page, p for previews, rss, ghost for the admin, content and assets for
# files, members, email, r and webmentions from its robots.txt), the Next.js front end's
# (_next), Cloudflare's (cdn-cgi), and the site's single-word pages (FACTS.md and the pages its
# menus link to).
GHOST_ROUTES = frozenset(
    {"tag", "author", "page", "p", "rss", "feed", "ghost", "content", "assets", "members"}
    | {"email", "r", "webmentions", "amp", "sitemap", "unsubscribe", "subscribe"}
)
FRONT_END_ROUTES = frozenset({"_next", "cdn-cgi", "api", "static", "search"})
SITE_PAGES = frozenset(
    {"news-archive", "membership", "about", "team", "contacts", "contact", "advertising"}
    | {"jobs", "careers", "store", "shop", "newsletters", "newsletter", "privacy-policy"}
    | {"terms-of-use", "editorial-guidelines", "support", "donate", "signin", "signup"}
    | {"account", "login", "events", "podcasts", "merch"}
)
SITE_ROUTES = GHOST_ROUTES | FRONT_END_ROUTES | SITE_PAGES
# Ghost's AMP version of an article is /<slug>/amp/.
AMP = "amp"

_DEFAULT_PORTS = {"http": 80, "https": 443}
_SLASHES = re.compile(r"/{2,}")


def _bare_host(host: str) -> str:
    """Return a lowercased host without its `www.` prefix."""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _is_tracking(raw_pair: str) -> bool:
    """Tell whether one raw `key=value` query pair is a tracking, CDN or cache-busting one."""
    key = unquote_plus(raw_pair.partition("=")[0]).lower()
    return (
        key in TRACKING_PARAMS
        or key in CDN_PARAMS
        or key.startswith(TRACKING_PREFIXES)
        or key.startswith(CDN_PREFIXES)
    )


def _drop_tracking(query: str) -> str:
    """Remove tracking pairs from a raw query string, leaving the others byte for byte."""
    # Splitting the raw string (not parse_qsl + urlencode) keeps each kept pair's encoding.
    return "&".join(pair for pair in query.split("&") if pair and not _is_tracking(pair))


def _netloc(host: str, port: int | None, scheme: str) -> str:
    """Build a netloc from host and port, dropping the scheme's default port."""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is None or _DEFAULT_PORTS.get(scheme) == port:
        return host
    return f"{host}:{port}"


# A URL that w3lib's canonicalize_url returns unchanged: lower-case host, a path of unreserved
# characters with no dot segments, no query, no fragment.
# Possessive quantifiers: a near miss ("/a/b?x") fails at once instead of backtracking.
PLAIN_URL = re.compile(
    r"https?://[a-z0-9.-]++(?::\d{1,5})?+(?:/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*+)?+)++\Z"
)
# A root-relative path with no dot segment, query, fragment or escape ("/tag/kharkiv/").
PLAIN_PATH = re.compile(r"/(?!/)(?:[A-Za-z0-9_~-]++/?+)*+\Z")
# An http(s) origin as urljoin keeps it: a lower-case scheme (urljoin lowers it) and no tab,
# CR or LF anywhere (urlsplit deletes those).
_ORIGIN = re.compile(r"https?://[^/?#\t\r\n]+")
_TAB_OR_NEWLINE = re.compile(r"[\t\r\n]")


def join_url(base: str, href: str) -> str:
    """`urljoin(base, href)`, with the plain cases (most links of a page) answered directly."""
    if PLAIN_URL.match(href):
        return href
    if PLAIN_PATH.match(href) and (origin := http_origin(base)):
        return origin + href
    return urljoin(base, href)


def http_origin(url: str) -> str | None:
    """The "scheme://host[:port]" of an http(s) URL as written (what urljoin keeps of a base)."""
    origin = _ORIGIN.match(url)
    return origin.group(0) if origin and not _TAB_OR_NEWLINE.search(url) else None


def _split_absolute(url: str) -> SplitResult:
    """Split an absolute http(s) URL, raising ValueError for anything else."""
    if not is_http_url(url):
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    return urlsplit(url.strip())


# The site's own URL is split for every link compared with it: once per site is enough (a few
# sites, so a page's URL passed as the site is not remembered for long either).
_site_parts = functools.lru_cache(maxsize=64)(_split_absolute)


def is_article_path(path: str) -> bool:
    """Tell whether a path of the site is an article's: one slug segment, not a site route."""
    segments = [s for s in path.split("/") if s]
    return len(segments) == 1 and _is_article_slug(segments[0])


def _is_article_slug(segment: str) -> bool:
    """A path segment that can be an article's slug: a Ghost slug that names no site route."""
    return is_slug(segment) and segment not in SITE_ROUTES


def _article_segments(segments: list[str]) -> list[str]:
    """Map the legacy two-segment forms of an article URL of the site to its one segment.

    `/<section>/<slug>/` whose first segment is not a route of the site is a legacy
    (WordPress-era, 2021-22) section permalink of `<slug>`: the site had more sections than
    anyone listed, and still serves them all as `/<slug>/`. `/<slug>/amp/` is Ghost's AMP copy.
    """
    if len(segments) != 2:
        return segments
    first, second = segments
    if second == AMP and _is_article_slug(first):
        return [first]
    if is_slug(first.lower()) and first.lower() not in SITE_ROUTES and _is_article_slug(second):
        return [second]
    return segments


def _canonical_path(path: str, *, on_site: bool) -> str:
    """Collapse slashes, map legacy section permalinks, and end with exactly one slash."""
    path = _SLASHES.sub("/", path or "/")
    segments = [s for s in path.split("/") if s]
    if on_site:
        segments = _article_segments(segments)
    if not segments:
        return "/"
    joined = "/" + "/".join(segments)
    # A last segment with an extension is a file (robots.txt, an image): a slash would break it.
    if "." in segments[-1]:
        return joined
    return joined + "/"


# "scheme://host[:port]/<segment>[/]" and nothing else, in the characters PLAIN_URL leaves
# alone (no dot: a segment with one is a file, which keeps no trailing slash). ASCII digits
# only in the port: `\d` takes "\u0661" too, which `int()` reads and is_http_url refuses.
_ONE_SEGMENT_URL = re.compile(r"https?://([a-z0-9.-]++)(?::([0-9]{1,5}))?+/([A-Za-z0-9_~-]++)/?+")
# A larger port is refused (ValueError), as the parts below refuse it.
_MAX_PORT = 65535


@functools.lru_cache(maxsize=64)
def _site_origin(site: str) -> tuple[str, str]:
    """The bare host of `site`, and the origin its pages' keys start with."""
    parts = _site_parts(site)
    scheme = parts.scheme.lower()
    host = _bare_host(parts.hostname or "")
    # Joined as the parts below join a key, then without its path's "/" (an empty host too).
    return host, urlunsplit((scheme, _netloc(host, parts.port, scheme), "/", "", ""))[:-1]


# An article's URL is canonicalised by its card, its page, the pipelines and the keeper (about
# 17 us each time): the recent answers are remembered (a pure function; 4,096 take ~1.5 MB).
@functools.lru_cache(maxsize=4096)
def canonical_url(url: str, site: str) -> str:
    """Return the dedupe key of an absolute URL: one spelling per page of `site`."""
    # The usual link to a page of the site ("https://kyivindependent.com/<slug>/"): its key
    # is the site's origin and the segment, which is what the parts below work out in four
    # times the time (tests/test_urls.py compares the two on every combination it builds).
    usual = _ONE_SEGMENT_URL.fullmatch(url)
    if usual and (usual.group(2) is None or int(usual.group(2)) <= _MAX_PORT):
        site_host, site_origin = _site_origin(site)
        if _bare_host(usual.group(1)) == site_host:
            return f"{site_origin}/{usual.group(3)}/"
    return canonical_url_by_parts(url, site)


def site_of(page_url: str) -> str:
    """The site of a page's URL for `canonical_url`: its origin, the same for every page.

    `canonical_url` reads only a site's scheme, host and port: the origin gives the answers the
    page's own URL gives, and is worked out once per site instead of once per page.
    """
    # Stripped first, as `canonical_url` strips the site it is given: a space after the host
    # would otherwise sit inside the origin.
    origin = http_origin(page_url.strip())
    return f"{origin}/" if origin else page_url


def canonical_url_by_parts(url: str, site: str) -> str:
    """`canonical_url` for any URL, from its parts (the usual one has a shorter way)."""
    parts = _split_absolute(url)
    joined = urlunsplit(parts)
    if not PLAIN_URL.match(joined):
        # w3lib sorts the query, normalises percent-escapes and dot segments, lowercases the
        # host, drops the fragment; a plain URL (most links) is already its own result.
        parts = urlsplit(canonicalize_url(joined))
    scheme = parts.scheme.lower()
    host = _bare_host(parts.hostname or "")
    netloc = _netloc(host, parts.port, scheme)
    site_parts = _site_parts(site)
    on_site = host == _bare_host(site_parts.hostname or "")
    if on_site:
        # The configured origin wins: http or www. links to the real site become its https
        # origin, while the offline replica keeps http and its port.
        scheme = site_parts.scheme.lower()
        netloc = _netloc(_bare_host(site_parts.hostname or ""), site_parts.port, scheme)
    path = _canonical_path(parts.path, on_site=on_site)
    # A Ghost article page has no query of its own: whatever follows "?" on one (tracking,
    # CDN tokens, names nobody listed yet) is not part of its identity.
    query = "" if on_site and is_article_path(path) else _drop_tracking(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


# "http(s)://host[:port]" followed by the path, query or fragment, or nothing: the usual URL,
# whose host urlsplit would give as it is written.
_PLAIN_HOST = re.compile(r"https?://([A-Za-z0-9.-]+)(?::[0-9]*)?(?:[/?#]|\Z)")


def host_of(url: str) -> str:
    """The host of a URL, lower-cased, without `www.` ("" for a URL urlsplit refuses)."""
    # The usual URL by one regex; anything else by urlsplit, which also deletes tabs and
    # newlines and reads user info and IPv6 literals.
    plain = _PLAIN_HOST.match(url)
    if plain:
        host = plain.group(1)
    else:
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            return ""
    return host.lower().removeprefix("www.")


def strip_tracking(url: str) -> str:
    """Remove tracking parameters and the fragment, leaving the rest of the URL untouched."""
    if PLAIN_URL.match(url):
        return url  # no query, no fragment, nothing urlsplit would change
    parts = urlsplit(url.strip())
    return urlunsplit(parts._replace(query=_drop_tracking(parts.query), fragment=""))


# A card's URL is asked about in every listing that shows it, and again by the store: 2.3 us
# a call worked out, 0.2 remembered.
@remembers_url_answers
def is_on_site(url: str, site: str) -> bool:
    """Tell whether `url` is an http(s) URL on the host of `site`, with or without `www.`."""
    try:
        parts = _split_absolute(url)
        site_parts = _site_parts(site)
    except ValueError:
        return False
    return _bare_host(parts.hostname or "") == _bare_host(site_parts.hostname or "")


def article_slug(url: str, site: str) -> str | None:
    """Return the slug of an on-site article URL (`/<slug>/`, legacy forms too), else None."""
    if not is_on_site(url, site):
        return None
    path = urlsplit(canonical_url(url, site)).path
    return path.strip("/") if is_article_path(path) else None
