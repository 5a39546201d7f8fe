"""`python -m newsmon serve --port 8080`: serve the output folder read-only until stopped.

The static files as they are; feed URLs with parameters (`?filter=`, `?limit=`, ...) rendered
from the store (`newsmon.publish.queries`).
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from types import FrameType

from scrapy.settings import Settings

from newsmon.cli.base import console_logger
from newsmon.config import NewsmonConfigError
from newsmon.publish.connections import Limits
from newsmon.publish.folder import refuse_system_folder
from newsmon.publish.queries import FeedQueries
from newsmon.publish.server import FeedServer, make_server

# The server's address and its stop, whatever LOG_LEVEL says (requests go to the access log).
CONSOLE = "newsmon.serve"


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """--host and --port, defaulting to NEWSMON_SERVE_HOST / NEWSMON_SERVE_PORT."""
    parser.add_argument(
        "--host", default=None, help="address to bind (default NEWSMON_SERVE_HOST, 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="port (default NEWSMON_SERVE_PORT, 8080; 0 picks a free one)",
    )


def serve_limits(settings: Settings) -> Limits:
    """NEWSMON_SERVE_MAX_CONNECTIONS and NEWSMON_SERVE_TIMEOUT, checked (one line if wrong)."""
    try:
        limits = Limits(
            max_connections=settings.getint("NEWSMON_SERVE_MAX_CONNECTIONS", 64),
            timeout=settings.getfloat("NEWSMON_SERVE_TIMEOUT", 15.0),
        )
    except ValueError as error:
        raise NewsmonConfigError(f"NEWSMON_SERVE_MAX_CONNECTIONS/TIMEOUT: {error}") from error
    if limits.max_connections < 1 or not 0 < limits.timeout < 86400:
        raise NewsmonConfigError(
            "NEWSMON_SERVE_MAX_CONNECTIONS must be at least 1 and NEWSMON_SERVE_TIMEOUT between"
            " 0 and 86400 seconds"
        )
    return limits


def start_server(args: argparse.Namespace, settings: Settings) -> FeedServer:
    """Bind the server for NEWSMON_OUTPUT_DIR and start it in a thread; log its address."""
    output = Path(settings.get("NEWSMON_OUTPUT_DIR") or "output")
    # Only newsmon's files are ever served, but a system folder is no place to serve from.
    refuse_system_folder(output)
    host = args.host if args.host is not None else str(settings.get("NEWSMON_SERVE_HOST"))
    port = args.port if args.port is not None else settings.getint("NEWSMON_SERVE_PORT", 8080)
    if not 0 <= port <= 65535:
        raise NewsmonConfigError(f"--port must be between 0 and 65535, not {port}")
    output.mkdir(parents=True, exist_ok=True)
    # Feed URLs with parameters (?filter=, ?limit=, ...) are read from the store; checked now,
    # so a bad NEWSMON_FILTER_FEEDS stops `serve` rather than every such request.
    limits = serve_limits(settings)
    queries = FeedQueries.from_settings(settings)
    try:
        server = make_server(output, host, port, queries, limits)
    except OSError as error:
        queries.close()
        reason = error.strerror or str(error)
        raise NewsmonConfigError(f"cannot serve on {host}:{port}: {reason}") from error
    server.start()
    # Tests and scripts read this line for the address (with --port 0 the port is chosen here).
    console_logger(CONSOLE).info("serving %s on %s", output.absolute(), server.url)
    return server


def stop_server(server: FeedServer) -> None:
    """Stop serving, free the port, close the store."""
    server.stop()
    if server.queries is not None:
        server.queries.close()


class ServeCommand:
    """Serve NEWSMON_OUTPUT_DIR over HTTP until SIGTERM or SIGINT."""

    name = "serve"
    help = "serve the output folder (feeds, archive) read-only over HTTP"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """--host, --port."""
        add_server_arguments(parser)

    def run(self, args: argparse.Namespace, settings: Settings) -> int:
        """Serve until stopped; exit 0."""
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            console_logger(CONSOLE).info("received %s: stopping", signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        server = start_server(args, settings)
        try:
            while not stop.wait(3600):
                pass
        finally:
            stop_server(server)
        console_logger(CONSOLE).info("stopped")
        return 0


command = ServeCommand()
