"""URL helpers: the canonical form that keys the store, and on-site checks."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from newsmon.site import is_http_url

__all__ = ["article_slug", "canonical_url", "is_http_url", "is_on_site", "strip_tracking"]

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

# WordPress-era (2021-22) section permalinks; the site still serves them as the bare /<slug>/.
LEGACY_SECTIONS = frozenset({"news-feed", "uncategorized", "national", "regional", "hot-topic"})

# First path segments that are listings or site pages, never an article slug.
NON_ARTICLE_ROOTS = frozenset(
    {"tag", "author", "page", "news-archive", "membership", "rss", "feed", "_next", "content"}
)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_SLASHES = re.compile(r"/{2,}")


def _bare_host(host: str) -> str:
    """Return a lowercased host without its `www.` prefix."""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _is_tracking(raw_pair: str) -> bool:
    """Tell whether one raw `key=value` query pair is a tracking parameter."""
    key = unquote_plus(raw_pair.partition("=")[0]).lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


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


def _split_absolute(url: str) -> SplitResult:
    """Split an absolute http(s) URL, raising ValueError for anything else."""
    if not is_http_url(url):
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    return urlsplit(url.strip())


def _canonical_path(path: str, *, on_site: bool) -> str:
    """Collapse slashes, map legacy section permalinks, and end with exactly one slash."""
    path = _SLASHES.sub("/", path or "/")
    segments = [s for s in path.split("/") if s]
    if on_site and len(segments) == 2 and segments[0] in LEGACY_SECTIONS:
        segments = segments[1:]
    if not segments:
        return "/"
    joined = "/" + "/".join(segments)
    # A last segment with an extension is a file (robots.txt, an image): a slash would break it.
    if "." in segments[-1]:
        return joined
    return joined + "/"


def canonical_url(url: str, site: str) -> str:
    """Return the dedupe key of an absolute URL: one spelling per page of `site`."""
    parts = _split_absolute(url)
    # w3lib sorts the query, normalises percent-escapes, lowercases the host, drops the fragment.
    parts = urlsplit(canonicalize_url(urlunsplit(parts)))
    scheme = parts.scheme.lower()
    host = _bare_host(parts.hostname or "")
    netloc = _netloc(host, parts.port, scheme)
    site_parts = _split_absolute(site)
    on_site = host == _bare_host(site_parts.hostname or "")
    if on_site:
        # The configured origin wins: http or www. links to the real site become its https
        # origin, while the offline replica keeps http and its port.
        scheme = site_parts.scheme.lower()
        netloc = _netloc(_bare_host(site_parts.hostname or ""), site_parts.port, scheme)
    path = _canonical_path(parts.path, on_site=on_site)
    return urlunsplit((scheme, netloc, path, _drop_tracking(parts.query), ""))


def strip_tracking(url: str) -> str:
    """Remove tracking parameters and the fragment, leaving the rest of the URL untouched."""
    parts = urlsplit(url.strip())
    return urlunsplit(parts._replace(query=_drop_tracking(parts.query), fragment=""))


def is_on_site(url: str, site: str) -> bool:
    """Tell whether `url` is an http(s) URL on the host of `site`, with or without `www.`."""
    try:
        parts = _split_absolute(url)
        site_parts = _split_absolute(site)
    except ValueError:
        return False
    return _bare_host(parts.hostname or "") == _bare_host(site_parts.hostname or "")


def article_slug(url: str, site: str) -> str | None:
    """Return the slug of an on-site article URL (`/<slug>/`, legacy forms too), else None."""
    if not is_on_site(url, site):
        return None
    segments = [s for s in urlsplit(canonical_url(url, site)).path.split("/") if s]
    if len(segments) != 1 or segments[0] in NON_ARTICLE_ROOTS or "." in segments[0]:
        return None
    return segments[0]
