"""Real alert receivers on 127.0.0.1 for the tests: an SMTP server and a JSON webhook.

newsmon sends its alerts through apprise; these receive what apprise really sends, over real
sockets: `mailto://` to an aiosmtpd server, `json://` to a small HTTP server.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class JsonReceiver:
    """An HTTP endpoint that keeps every JSON body POSTed to it."""

    port: int
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The apprise URL that posts to it."""
        return f"json://127.0.0.1:{self.port}/hook"


@contextmanager
def json_receiver() -> Iterator[JsonReceiver]:
    """A JSON webhook on a free port of 127.0.0.1, until the block ends."""
    lock = threading.Lock()
    receiver = JsonReceiver(0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            with lock:
                receiver.received.append(body)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class SmtpReceiver:
    """An SMTP server that keeps every message it accepts."""

    port: int
    received: list[EmailMessage] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The apprise URL that mails ops@example.com through it (plain SMTP, no login)."""
        return (
            f"mailto://127.0.0.1:{self.port}?from=newsmon@example.com&to=ops@example.com"
            "&mode=insecure"
        )


class _Keep:
    """aiosmtpd handler: parse and keep each message."""

    def __init__(self, receiver: SmtpReceiver) -> None:
        self.receiver = receiver

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.receiver.received.append(message)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_receiver() -> Iterator[SmtpReceiver]:
    """An SMTP server on a free port of 127.0.0.1, until the block ends."""
    # aiosmtpd checks that its server is up by connecting to the port it was given: it needs
    # a real one, not 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver = SmtpReceiver(port)
    controller = Controller(_Keep(receiver), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()


def mail_text(message: EmailMessage) -> str:
    """A message's subject and plain-text body, as one string."""
    part = message.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""
    return f"{message['Subject']}\n{body}"
