"""Check every setting before a crawl starts, so a typo or a bad value stops it in one line.

Scrapy reads a setting when a component first needs it: `-s NEWSMON_MAX_PAGES=abc` ends in a
ValueError traceback, and a misspelt `-s NEWSMON_FEED_SZE=10` is silently ignored. An
unattended monitor should refuse both before any request. The check is generic, so it stays
in step with the settings other parts of newsmon add:

- a NEWSMON_* name that newsmon/settings.py does not define is refused (with the closest
  known name);
- a value given as text must parse as the type of its default: a boolean, a number, and for
  newsmon's own numbers 0 or more (Scrapy's numbers may be fractional where its default is
  a whole number: DOWNLOAD_DELAY=0.5 is fine);
- NEWSMON_BASE_URL may not carry a user name or password: they would end up in every request
  URL and log line (and Scrapy cannot send them that way); HTTPAUTH_* is the way.

Called as every crawl's crawler is built (ListingSpider.update_settings), before any component
reads a setting, and by the `python -m newsmon` commands.
"""

from __future__ import annotations

import difflib
import math
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings, default_settings

from newsmon import settings as project_settings
from newsmon.config import NewsmonConfigError
from newsmon.run.redact import redact_url

PREFIX = "NEWSMON_"


def defaults(module: ModuleType) -> dict[str, Any]:
    """The upper-case names a settings module defines, with their values."""
    return {name: getattr(module, name) for name in dir(module) if name.isupper()}


def raw_value(settings: BaseSettings, name: str) -> Any:
    """A setting's value as stored; unlike `get`, reading a deprecated name does not warn."""
    attribute = settings.attributes.get(name)
    return attribute.value if attribute is not None else None


def check_settings(settings: BaseSettings) -> None:
    """Raise NewsmonConfigError for the first unknown NEWSMON_* name or badly typed value."""
    own = defaults(project_settings)
    scrapy_defaults = defaults(default_settings)
    known = sorted(name for name in own if name.startswith(PREFIX))
    for name in sorted(settings):
        if name.startswith(PREFIX) and name not in own:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise NewsmonConfigError(f"unknown setting {name}{hint}")
        reference = own.get(name, scrapy_defaults.get(name))
        _check_type(settings, name, reference, own_number=name.startswith(PREFIX))
    _check_base_url(settings)


def _check_type(settings: BaseSettings, name: str, reference: Any, *, own_number: bool) -> None:
    """Check that a text value parses as the type of the setting's default."""
    raw = raw_value(settings, name)
    if not isinstance(raw, str) or reference is None or isinstance(reference, str):
        return
    if isinstance(reference, bool):
        try:
            settings.getbool(name)
        except ValueError:
            raise NewsmonConfigError(f"{name} must be True or False, not {raw!r}") from None
        return
    if not isinstance(reference, int | float):
        return
    whole = isinstance(reference, int) and own_number
    try:
        value = float(settings.getint(name)) if whole else settings.getfloat(name)
    except (TypeError, ValueError):
        kind = "a whole number" if whole else "a number"
        raise NewsmonConfigError(f"{name} must be {kind}, not {raw!r}") from None
    if own_number and not (math.isfinite(value) and value >= 0):
        raise NewsmonConfigError(f"{name} must be 0 or more, not {raw!r}")


def _check_base_url(settings: BaseSettings) -> None:
    """Refuse credentials in NEWSMON_BASE_URL without repeating them."""
    raw = str(settings.get("NEWSMON_BASE_URL") or "")
    try:
        parts = urlsplit(raw.strip())
        has_credentials = parts.username is not None or parts.password is not None
    except ValueError:
        return  # malformed: newsmon.config explains that
    if has_credentials:
        raise NewsmonConfigError(
            f"NEWSMON_BASE_URL must not hold a user name or password ({redact_url(raw)!r}): "
            "they would appear in every request and log line. Set HTTPAUTH_USER, "
            "HTTPAUTH_PASS and HTTPAUTH_DOMAIN instead."
        )
