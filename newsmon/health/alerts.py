"""Alerts to where people are: every health incident, reminder and recovery, through apprise.

NEWSMON_NOTIFY_URLS holds apprise URLs (e-mail, Telegram, Slack, Matrix, ntfy, Discord, a JSON
webhook, ...; https://github.com/caronc/apprise/wiki), separated by commas or spaces. Each
event the health feed gets is sent to each of them, with the reason and the run report's
path. apprise does the sending: every service's protocol and quirks are its business, not
newsmon's.

A receiver that cannot be reached is one WARNING line per run (naming it without its secrets)
and never fails the run: the health feed, the log and the exit code still say it. A URL
apprise does not understand stops the run before it starts (exit 2), like any bad setting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from scrapy.settings import BaseSettings

from newsmon.config import NewsmonConfigError
from newsmon.health.feed import HealthEvent, event_title, other_failures
from newsmon.run.redact import redact_url

logger = logging.getLogger(__name__)
APPRISE_LOGGER = "apprise"


def event_text(event: HealthEvent) -> str:
    """An alert's body: what happened, every failure of the incident, a page, the report."""
    failures = [
        f"- {f.get('check')} ({f.get('field')}): {f.get('message')}" for f in other_failures(event)
    ]
    example = [f"Example: {event.example_url}"] if event.example_url else []
    report = [f"Run report: {event.report}"] if event.report else []
    return "\n".join([event.message, *failures, *example, *report])


class Alerts:
    """The receivers of NEWSMON_NOTIFY_URLS, ready to be told of health events."""

    def __init__(self, urls: str) -> None:
        self.receivers: list[Any] = []
        self.kinds: dict[str, Any] = {}
        if not urls.strip():
            return
        # Imported only when alerts are asked for: apprise and what it pulls take a tenth of a
        # second to load, for every crawl.
        import apprise
        from apprise.utils.parse import parse_urls

        self.kinds = {"recovered": apprise.NotifyType.SUCCESS, "": apprise.NotifyType.FAILURE}
        found = apprise.Apprise()
        for url in parse_urls(urls):
            if not found.add(url):
                raise NewsmonConfigError(
                    f"NEWSMON_NOTIFY_URLS: {redact_url(url)!r} is not an apprise URL newsmon "
                    "can send to (see https://github.com/caronc/apprise/wiki for the schemes)"
                )
        self.receivers = list(found)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Alerts:
        """Read NEWSMON_NOTIFY_URLS (a string, or a list from a settings file)."""
        value = settings.get("NEWSMON_NOTIFY_URLS") or ""
        urls = " ".join(value) if isinstance(value, list | tuple) else str(value)
        return cls(urls)

    def __bool__(self) -> bool:
        return len(self.receivers) > 0

    def send(self, events: Sequence[HealthEvent]) -> int:
        """Send each event to each receiver; one WARNING per receiver that failed.

        Returns how many receivers got every event.
        """
        delivered = 0
        for receiver in self.receivers:
            failed_with = ""
            for event in events:
                kind = self.kinds.get(event.kind, self.kinds[""])
                with _captured() as said:
                    sent = receiver.notify(
                        body=event_text(event), title=event_title(event), notify_type=kind
                    )
                if not sent:
                    failed_with = said[0] if said else "it did not accept the message"
                    break
            if failed_with:
                logger.warning(
                    "alert not delivered to %s: %s (the health feed still has it)",
                    receiver_name(receiver),
                    failed_with,
                )
            elif events:
                delivered += 1
        return delivered


def receiver_name(receiver: Any) -> str:
    """A receiver by its service and address, without the tokens or passwords of its URL."""
    host = str(getattr(receiver, "host", "") or "")
    port = getattr(receiver, "port", None)
    where = f" at {host}{f':{port}' if port else ''}" if host else ""
    return f"the {receiver.service_name} receiver{where}"


@contextmanager
def _captured() -> Iterator[list[str]]:
    """Apprise's own warnings while it sends, kept for newsmon's one line instead of printed."""
    said: list[str] = []
    handler = _ListHandler(said)
    apprise_logger = logging.getLogger(APPRISE_LOGGER)
    propagate = apprise_logger.propagate
    apprise_logger.addHandler(handler)
    apprise_logger.propagate = False
    try:
        yield said
    finally:
        apprise_logger.removeHandler(handler)
        apprise_logger.propagate = propagate


class _ListHandler(logging.Handler):
    """Keeps the messages of WARNING and above."""

    def __init__(self, said: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.said = said

    def emit(self, record: logging.LogRecord) -> None:
        self.said.append(redact_url(record.getMessage()))
