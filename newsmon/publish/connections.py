"""The connections of `serve`: at most N at once, and none held by a slow or silent client.

Twisted's web server (`twisted.web`, which Scrapy already brings) parses HTTP/1.1, keeps
connections alive and serves every connection from one event loop, so a connection costs no
thread. What it does not do, and this module adds:

- a cap on the connections held at once (NEWSMON_SERVE_MAX_CONNECTIONS): at the cap the
  server stops accepting, and the connections that arrive meanwhile wait in the listen queue
  until one ends; connections that are only waiting for a next request (keep-alive) are
  closed at once to make room;
- one deadline at a time per connection (NEWSMON_SERVE_TIMEOUT): its next request must have
  arrived whole that long after the connection opened or the previous answer was sent, so a
  client that sends nothing, or trickles a request byte by byte (which resets Twisted's own
  idle timeout at every byte), loses the connection; and an answer the client stops reading
  (the send buffer stays full) is dropped after as long.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from twisted.internet import tcp
from twisted.internet.base import DelayedCall
from twisted.web.http import HTTPChannel
from twisted.web.server import Site

logger = logging.getLogger(__name__)

# A connection told to close that has not closed this much later (its client reads nothing
# of what is still to be sent) is cut.
ABORT_AFTER_SECONDS = 5.0


@dataclass(frozen=True)
class Limits:
    """What one client may take of the server."""

    max_connections: int
    """Connections held at once; more wait to be accepted."""

    timeout: float
    """Seconds to send a whole request, or for a stalled answer to move again."""


class GuardedChannel(HTTPChannel):
    """An HTTP/1.1 connection with a deadline for each request and for a stalled answer."""

    site: GuardedSite

    def connectionMade(self) -> None:
        """Count the connection and give the client its time to send a request."""
        super().connectionMade()
        self.served = 0
        # Bytes of a next request received since the last answer (0: an idle keep-alive).
        self.heard = 0
        self._deadline: DelayedCall | None = None
        self._cutting: DelayedCall | None = None
        self.site.connections.opened(self)
        self._expect("no whole request")

    def dataReceived(self, data: bytes) -> None:
        """Note that a request is under way; parse as Twisted does."""
        if not self._handlingRequest:
            self.heard += len(data)
        super().dataReceived(data)

    def allContentReceived(self) -> None:
        """The request arrived whole: its deadline is met."""
        self._cancel()
        super().allContentReceived()

    def requestDone(self, request: Any) -> None:
        """An answer was sent: the next request has its own time."""
        self.served += 1
        self.heard = sum(map(len, self._dataBuffer))
        # Set before Twisted parses a pipelined request, whose arrival cancels it again.
        self._expect("no next request")
        super().requestDone(request)
        if not self.persistent:
            self.close()  # Twisted closes it; cut it if the client does not read the end

    def pauseProducing(self) -> None:
        """The send buffer is full: the answer must move again within the timeout."""
        super().pauseProducing()
        if self._handlingRequest and self._deadline is None:
            self._deadline = self.callLater(  # type: ignore[call-arg]
                self.site.limits.timeout, self._expired, "the answer was not read"
            )

    def resumeProducing(self) -> None:
        """The client reads again."""
        super().resumeProducing()
        if self._handlingRequest:
            self._cancel()

    def connectionLost(self, reason: Any = None) -> None:
        """Free the connection's place."""
        self._cancel()
        if self._cutting is not None and self._cutting.active():
            self._cutting.cancel()
        super().connectionLost(reason)
        self.site.connections.closed(self)

    def idle(self) -> bool:
        """Tell whether the connection only waits for a next request (kept alive)."""
        return self.served > 0 and not self._handlingRequest and self.heard == 0

    def close(self) -> None:
        """Close gracefully, and cut the connection if it lingers."""
        self._cancel()
        self.loseConnection()
        if self._cutting is None:
            self._cutting = self.callLater(ABORT_AFTER_SECONDS, self._cut)

    def _expect(self, what: str) -> None:
        self._cancel()
        later: Any = self.callLater  # the factory's reactor's (zope typing confuses mypy)
        self._deadline = later(self.site.limits.timeout, self._expired, what)

    def _cancel(self) -> None:
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        self._deadline = None

    def _expired(self, what: str) -> None:
        self._deadline = None
        transport: Any = self.transport
        peer = transport.getPeer() if transport is not None else None
        # A kept-alive connection that is not used again is ordinary; a slow client is not.
        logger.log(
            logging.DEBUG if self.idle() else logging.INFO,
            "closed the connection of %s: %s within %g s",
            getattr(peer, "host", "?"),
            what,
            self.site.limits.timeout,
        )
        if what == "the answer was not read":
            self._cut()
        else:
            self.close()

    def _cut(self) -> None:
        self._cutting = None
        if self.transport is not None:
            self.transport.abortConnection()


class Connections:
    """The open connections, held under the cap by pausing the listening port."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.open: set[GuardedChannel] = set()
        self.peak = 0
        self.port: CappedPort | None = None

    def free(self) -> int:
        """How many more connections may be accepted now."""
        return self.most - len(self.open)

    def opened(self, channel: GuardedChannel) -> None:
        """Count a new connection; at the cap, close the idle ones to make room."""
        self.open.add(channel)
        self.peak = max(self.peak, len(self.open))
        if self.free() <= 0:
            if self.port is not None:
                self.port.stopReading()
            for other in [c for c in self.open if c is not channel and c.idle()]:
                other.close()

    def closed(self, channel: GuardedChannel) -> None:
        """Forget a connection; accept again if the cap had stopped it."""
        self.open.discard(channel)
        port = self.port
        if port is not None and self.free() > 0 and port.connected and not port.disconnecting:
            port.startReading()


class CappedPort(tcp.Port):
    """A listening TCP port that accepts no more connections than its site's cap allows."""

    factory: GuardedSite  # type: ignore[assignment]

    def doRead(self) -> None:
        """Accept waiting connections, at most as many as there is room for."""
        room = self.factory.connections.free()
        if room <= 0:
            self.stopReading()
            return
        # Twisted accepts up to numberAccepts connections per wake-up: never past the cap.
        self.numberAccepts = min(self.numberAccepts, room)
        super().doRead()


class GuardedSite(Site):
    """A twisted.web Site whose connections are GuardedChannels under one cap."""

    protocol = GuardedChannel  # type: ignore[assignment]
    noisy = False

    def __init__(self, resource: Any, *, limits: Limits, reactor: Any) -> None:
        # timeout=None: the channels' own deadlines replace Twisted's idle timeout.
        super().__init__(resource, reactor=reactor, timeout=None)
        self.limits = limits
        self.connections = Connections(limits.max_connections)
