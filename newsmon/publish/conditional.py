"""Validators and conditional requests: ETags, Last-Modified, 304s, gzip negotiation.

What the feed server needs to let readers poll cheaply, for files and for feeds rendered
from the store alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime


@dataclass(frozen=True)
class Validators:
    """What identifies one version of a file: its content hash and modification time."""

    digest: str
    """sha256 of the content (hex)."""

    mtime: float
    """Modification time (seconds since the epoch)."""

    @property
    def etag(self) -> str:
        """Strong ETag of the file as stored."""
        return f'"{self.digest[:32]}"'

    @property
    def gzip_etag(self) -> str:
        """Strong ETag of the gzip-encoded representation (a different byte sequence)."""
        return f'"{self.digest[:32]}-gzip"'

    @property
    def last_modified(self) -> str:
        """Last-Modified header value (HTTP date)."""
        return formatdate(self.mtime, usegmt=True)


def accepts_gzip(header: str | None) -> bool:
    """Tell whether an Accept-Encoding header admits gzip (q=0 refuses it)."""
    if not header:
        return False
    for part in header.split(","):
        token, _, params = part.strip().partition(";")
        if token.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        quality = params.strip().lower()
        if quality.startswith("q="):
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def validator_headers(validators: Validators, *, compress: bool) -> dict[str, str]:
    """ETag (of the representation sent), Last-Modified, Cache-Control and Vary."""
    return {
        "ETag": validators.gzip_etag if compress else validators.etag,
        "Last-Modified": validators.last_modified,
        # Readers may keep a copy but must ask (cheaply, with a 304) before using it.
        "Cache-Control": "no-cache",
        "Vary": "Accept-Encoding",
    }


def etag_matches(header: str, tags: tuple[str, ...]) -> bool:
    """If-None-Match: "*" or any listed tag equal to one of ours (weak comparison)."""
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in wanted or any(tag in wanted for tag in tags)


def not_modified_since(header: str, mtime: float) -> bool:
    """If-Modified-Since: the file is not newer than the date the client holds."""
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        return False
    return int(mtime) <= since.timestamp()
