"""Keep secrets out of the logs: credentials in URLs, and the values of secret-looking settings.

Scrapy logs every overridden setting at start-up ("Overridden settings: {...}"), including
HTTPAUTH_PASS or AWS_SECRET_ACCESS_KEY given with `-s`, and any URL it logs keeps its
`user:password@`. The `RedactSecrets` extension, built before that dump, makes every log
record from then on be rewritten as it is created (message, arguments and traceback alike):

- the `user:password@` (or `token@`) part of any URL becomes `***@`;
- the value of any setting whose name says it is secret (PASS, PASSWORD, SECRET, TOKEN, KEY,
  CREDENTIAL) or holds secrets (NEWSMON_NOTIFY_URLS: apprise URLs carry tokens) becomes `***`
  wherever it appears.

The final stats dump is a log record too, so it is covered.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

REDACTED = "***"
# NOTIFY_URLS: apprise URLs carry tokens and passwords (tgram://TOKEN/..., mailto://u:p@...).
SECRET_NAME = re.compile(
    r"PASS(WORD)?$|PASSWORD|SECRET|TOKEN|(^|_)(API_?)?KEY(_ID)?$|CREDENTIAL|NOTIFY_URLS$"
)
# scheme://userinfo@ : everything between "//" and "@" with no "/", whitespace or quote.
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@'\"<>]+@")
# Shorter values ("1", "True") are not secrets and would blank out half the log.
MIN_SECRET_LENGTH = 4


def redact_url(text: str) -> str:
    """Replace the credentials of every URL in `text` with ***."""
    return _USERINFO.sub(rf"\g<scheme>{REDACTED}@", text)


def secret_values(settings: BaseSettings) -> list[str]:
    """Values of the settings whose names say they are secret."""
    values = []
    for name, attribute in settings.attributes.items():
        # The stored value: `settings.get` would warn about every deprecated name it reads.
        value = attribute.value
        if SECRET_NAME.search(name) and isinstance(value, str) and value.strip():
            values.append(value.strip())
    return values


class Redactor:
    """Rewrites text without the known secret values and URL credentials."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Also redact these values from now on."""
        self.secrets.update(s for s in secrets if len(s) >= MIN_SECRET_LENGTH)

    def __call__(self, text: str) -> str:
        """`text` with every secret value and URL credential replaced by ***."""
        # Longest first: a secret that contains another is replaced whole.
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return redact_url(text)


def redact_record(record: logging.LogRecord, redactor: Redactor) -> None:
    """Rewrite a log record's message and traceback text in place."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is logging's problem, not a secret
        return
    clean = redactor(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redactor(record.exc_text)


# One redactor for the process: a second crawl in the same process adds its secrets to it.
_REDACTOR = Redactor()
_installed = False


def install(settings: BaseSettings) -> Redactor:
    """Redact this crawl's secrets (and URL credentials) in every log record from now on.

    A record factory, not a handler filter: Scrapy replaces its root handler once the
    settings are applied, and a LOG_FILE handler or any other one is covered all the same.
    """
    global _installed
    _REDACTOR.add(secret_values(settings))
    if not _installed:
        make_record = logging.getLogRecordFactory()

        def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            redact_record(record, _REDACTOR)
            return record

        logging.setLogRecordFactory(redacting_factory)
        _installed = True
    return _REDACTOR


class RedactSecrets:
    """Extension: install the redacting log filter before Scrapy logs the settings."""

    def __init__(self, crawler: Crawler) -> None:
        self.redactor = install(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedactSecrets:
        """Install the filter for this crawl's settings."""
        return cls(crawler)
