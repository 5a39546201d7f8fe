"""Sanitise article HTML for feeds: an allow-list of tags, safe absolute URLs, XML-safe text."""

from __future__ import annotations

import re

import nh3

from newsmon.site import is_http_url

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p",
        "h2",
        "h3",
        "h4",
        "ul",
        "ol",
        "li",
        "blockquote",
        "strong",
        "em",
        "b",
        "i",
        "a",
        "code",
        "figure",
        "figcaption",
        "img",
        "br",
    }
)
"""Tags kept in feed content; every other tag is removed (its text kept, unless listed below)."""

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}, "img": {"src", "alt"}}
"""Attributes kept per tag; no style, class, id or on* handler survives."""

# Tags whose content is never article text: code, embeds, newsletter sign-up forms. Dropping
# only the tag would leave their text (scripts, "Enter your email") in the reader.
DROPPED_WITH_CONTENT: frozenset[str] = frozenset(
    {
        "script",
        "style",
        "iframe",
        "frame",
        "frameset",
        "object",
        "applet",
        "form",
        "button",
        "select",
        "textarea",
        "noscript",
        "template",
        "svg",
        "math",
        "head",
        "title",
    }
)

# javascript:, data:, vbscript: and every other scheme are removed by nh3 (allow-list).
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

# An href or src attribute whose value does not start with http(s):// or mailto: (a bare
# `href` with no value too), or anything that looks like one, even in text: such HTML may need
# its base. Searched in lower-cased HTML (three times faster than re.IGNORECASE; attribute
# names are ASCII case-insensitive). One pattern per name, each starting with its name and
# looking behind it after: a pattern that starts with a literal is searched for that literal
# in C, one that starts with a look-behind or an alternation is tried at every character
# (15 times slower on an article's body).
_MAYBE_RELATIVE_URL = tuple(
    re.compile(
        rf"{name}(?<![\w-]{name})(?![\w-])"
        r"(?!\s*=\s*[\"']?(?:https?://[^/?#\s\"'<>]|mailto:))"
    )
    for name in ("href", "src")
)


def _may_have_relative_url(lowered_html: str) -> bool:
    """Tell whether lower-cased HTML has an href or src that is not an absolute URL."""
    return any(pattern.search(lowered_html) for pattern in _MAYBE_RELATIVE_URL)


# The same rules for HTML whose URLs are all absolute already: no base to resolve against.
_ABSOLUTE_ONLY = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    url_schemes=set(URL_SCHEMES),
    link_rel="noopener noreferrer",
    strip_comments=True,
)

# Characters XML 1.0 forbids; lxml refuses them, so one stray control character in a scraped
# headline would otherwise make the whole feed unwritable.
_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# The C0 controls XML 1.0 refuses (all but tab, LF and CR), as bytes: no byte of a character
# above U+007F's UTF-8 is below 0x80, so these bytes in a text's UTF-8 are these characters.
_ILLEGAL_C0 = bytes(code for code in range(0x20) if code not in (0x09, 0x0A, 0x0D))
# The UTF-8 of U+FFFE and U+FFFF, and the lead byte of a surrogate's (U+D800-DFFF: ED A0-BF).
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")
_SURROGATE_LEAD = b"\xed"
_SURROGATE = re.compile("[\ud800-\udfff]")


def xml_safe(text: str) -> str:
    """Remove the characters that XML 1.0 does not allow (control characters, U+FFFE...)."""
    # Most texts have none: bytes.translate says so in C, where the regex tests a character
    # class at every character (3 us for a replica page's body HTML, against 17).
    encoded = text.encode("utf-8", "surrogatepass")
    if (
        len(encoded.translate(None, _ILLEGAL_C0)) == len(encoded)
        and not any(character in encoded for character in _NONCHARACTERS)
        and (_SURROGATE_LEAD not in encoded or not _SURROGATE.search(text))
    ):
        return text
    return _XML_ILLEGAL.sub("", text)


def sanitize_html(html: str, base_url: str) -> str:
    """Clean article HTML for a feed reader, resolving relative URLs against `base_url`."""
    if not is_http_url(base_url):
        raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
    # Searched after xml_safe, as nh3 sees it: a control character it deletes could hide
    # an "h\x01ref" that the cleaning then reads as href.
    safe = xml_safe(html)
    if not _may_have_relative_url(safe.lower()):
        # Every href and src is absolute (the usual case: extraction made them so), and nh3
        # leaves absolute URLs alone: the cleaner built once gives the same HTML, while
        # building one with this page's base costs as much as the cleaning.
        return _ABSOLUTE_ONLY.clean(safe).strip()
    return clean_against_base(safe, base_url)


def clean_against_base(html: str, base_url: str) -> str:
    """nh3's cleaning with `base_url` for relative URLs: `sanitize_html` for any HTML, slowly.

    `sanitize_html` takes this path only for HTML that may hold a relative URL; for the rest
    it gives the same HTML faster (tests/test_sanitize.py compares the two).
    """
    return nh3.clean(
        xml_safe(html),
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        url_schemes=set(URL_SCHEMES),
        url_relative=("rewrite_with_base", base_url),
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()
