"""Image URLs: unwrap the Next.js image proxy to the asset it serves."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from newsmon.extract.normalize.urls import PLAIN_URL, http_origin, join_url

# "/_next/image?url=<escaped asset>&w=..": the proxy path with the asset as its first parameter.
# No tab, CR or LF anywhere: urlsplit deletes those before parse_qs sees the value.
_NEXT_IMAGE = re.compile(r"/_next/image\?url=([^&#;+=\t\r\n]+)(?:&[^#\t\r\n]*)?\Z")


def unwrap_image_url(src: str | None, base_url: str) -> str | None:
    """Turn "/_next/image?url=<encoded asset>&w=1536&q=75" (or a plain src) into the asset URL."""
    if not src or not src.strip():
        return None
    src = src.strip()
    if PLAIN_URL.match(src) and not src.rstrip("/").endswith("/_next/image"):
        return src  # an absolute http(s) asset URL already (most images): nothing to resolve
    proxied = _NEXT_IMAGE.match(src)
    if proxied and (origin := http_origin(base_url)):
        # The site's own form (every image of its pages): what the general path below gives,
        # without urljoin, urlsplit and parse_qs.
        return join_url(origin + src, unquote(proxied.group(1)))
    absolute = urljoin(base_url, src)
    parts = urlsplit(absolute)
    if parts.path.rstrip("/").endswith("/_next/image"):
        inner = parse_qs(parts.query).get("url")
        if not inner:
            return None
        # The proxied URL may itself be relative to the site.
        return urljoin(absolute, inner[0])
    if parts.scheme not in ("http", "https"):
        return None
    return absolute


def first_srcset_url(srcset: str | None) -> str | None:
    """Return the first URL of a srcset attribute."""
    if not srcset:
        return None
    first = srcset.strip().split(",")[0].strip()
    return first.split()[0] if first else None
