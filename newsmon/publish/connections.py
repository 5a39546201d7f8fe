"""The connections of `serve`: at most N at once, and none held by a slow or silent client.

Twisted's web server (`twisted.web`, which Scrapy already brings) parses HTTP/1.1, keeps
connections alive and serves every connection from one event loop, so a connection costs no
thread. What it does not do, and this module adds:

- a cap on the connections held at once (NEWSMON_SERVE_MAX_CONNECTIONS): at the cap the
  server stops accepting, and the connections that arrive meanwhile wait in the listen queue
  until one ends; connections that are only waiting for a next request (keep-alive) are
  closed to make room when another waits, and failing those the oldest connection whose
  request has not arrived whole (after a short grace) is cut: a crowd of silent clients
  cannot keep a real one waiting in the queue for their timeouts (an answer under way is
  never cut);
- one deadline at a time per connection (NEWSMON_SERVE_TIMEOUT): its next request must have
  arrived whole that long after the connection opened or the previous answer was sent, so a
  client that sends nothing, or trickles a request byte by byte (which resets Twisted's own
  idle timeout at every byte), loses the connection; and an answer the client stops reading
  (the send buffer stays full) is dropped after as long.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import IO, Any

from twisted.internet import tcp
from twisted.internet.base import DelayedCall
from twisted.web.http import HTTPChannel
from twisted.web.server import Site

logger = logging.getLogger(__name__)

# A connection told to close that has not closed this much later (its client reads nothing
# of what is still to be sent) is cut.
ABORT_AFTER_SECONDS = 5.0
# At the cap, a connection whose request has not arrived this long after it was accepted may
# be cut to make room for one waiting to be accepted: time enough to send a request line.
ROOM_GRACE_SECONDS = 0.5


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
        # Told to close or cut: no longer a place to free.
        self.leaving = False
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
        return self.served > 0 and self.waiting() and self.heard == 0

    def waiting(self) -> bool:
        """Tell whether the connection waits for (the rest of) a request: no answer under way."""
        return not self._handlingRequest and not self.leaving

    def evict(self) -> None:
        """Cut the connection to make room for a newer one (the server is at its cap)."""
        self._cancel()
        self.leaving = True
        logger.debug("cut a connection waiting for its request: the server is at its cap")
        self._cut()

    def close(self) -> None:
        """Close gracefully, and cut the connection if it lingers."""
        self._cancel()
        self.leaving = True
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
    """The open connections, held under the cap; room is made only when another is waiting."""

    def __init__(self, most: int, reactor: Any) -> None:
        self.most = most
        self.reactor = reactor
        # In the order they were accepted (a dict keeps it): the oldest is cut first.
        self.open: dict[GuardedChannel, float] = {}
        self.evicted = 0
        self.peak = 0
        self.port: CappedPort | None = None
        self._retry: DelayedCall | None = None

    def free(self) -> int:
        """How many more connections may be accepted now."""
        return self.most - len(self.open)

    def opened(self, channel: GuardedChannel) -> None:
        """Count a new connection."""
        self.open[channel] = self.reactor.seconds()
        self.peak = max(self.peak, len(self.open))

    def closed(self, channel: GuardedChannel) -> None:
        """Forget a connection; accept again if the cap had stopped it."""
        self.open.pop(channel, None)
        self.resume()

    def resume(self) -> None:
        """Listen for connections again (if there is room, and the port is open)."""
        port = self.port
        if port is not None and self.free() > 0 and port.connected and not port.disconnecting:
            port.startReading()

    def make_room(self) -> None:
        """At the cap with a connection waiting to be accepted: free a place if one can go.

        Idle kept-alive connections are closed; failing those, the oldest connection whose
        request has not arrived whole, once it has had ROOM_GRACE_SECONDS to send it, is cut.
        An answer under way is never cut: then the newcomer waits until a place frees.
        """
        idle = [channel for channel in self.open if channel.idle()]
        for channel in idle:
            channel.close()
        if idle:
            return
        waiting = [(at, channel) for channel, at in self.open.items() if channel.waiting()]
        if not waiting:
            return  # closed() resumes accepting
        at, oldest = waiting[0]
        grace = min(ROOM_GRACE_SECONDS, oldest.site.limits.timeout)
        wait = at + grace - self.reactor.seconds()
        if wait > 0:
            if self._retry is None:
                self._retry = self.reactor.callLater(wait, self._room_later)
            return
        self.evicted += 1
        oldest.evict()

    def _room_later(self) -> None:
        self._retry = None
        if self.free() > 0:
            self.resume()
        else:
            self.make_room()


class CappedPort(tcp.Port):
    """A listening TCP port that accepts no more connections than its site's cap allows."""

    factory: GuardedSite  # type: ignore[assignment]

    def doRead(self) -> None:
        """Accept waiting connections, at most as many as there is room for."""
        connections = self.factory.connections
        room = connections.free()
        if room <= 0:
            # Someone waits to be accepted: stop listening until a place frees, making one.
            self.stopReading()
            connections.make_room()
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
        self.connections = Connections(limits.max_connections, reactor)

    def getContentFile(self, length: int | None) -> IO[bytes]:
        """Where a request's body goes: nowhere (the server is read-only; GET has none).

        Twisted would keep it in memory or a temporary file: a client could fill either.
        """
        return _Dropped()


class _Dropped(io.BytesIO):
    """A request body's file that keeps nothing written to it."""

    def write(self, data: Any) -> int:
        """Forget the bytes; say they were written."""
        return len(data)
