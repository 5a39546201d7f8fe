"""Command line: `python -m tests.replica --port PORT [--host H] [--articles N] [--seed S]`.

Also `--now ISO-TIME` (end of the timeline, for reproducible runs), `--verbose`, and the modes
(`--faults`, `--render`, `--drift`, `--listing`, `--hide-card`, `--site-rss`, `--challenge`):
see README.md.
"""

from __future__ import annotations

import argparse
import signal
import sys
from datetime import datetime
from types import FrameType

from tests.replica import challenge
from tests.replica.content import Site
from tests.replica.server import Hook, ReplicaServer


def parse_now(text: str) -> datetime:
    """Parse `--now` (ISO 8601, `Z` allowed); a time without offset is taken as UTC."""
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError(f"--now needs a UTC offset or Z: {text!r}")
    return when


def listing_modes() -> tuple[str, ...]:
    """The `--listing` modes (listings.py, imported only for its names)."""
    from tests.replica.listings import MODES

    return MODES


def build_parser() -> argparse.ArgumentParser:
    """The replica's command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.replica",
        description="Serve an offline replica of kyivindependent.com on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, required=True, help="port to bind; 0 picks one")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--articles", type=int, default=240, help="articles in the timeline")
    parser.add_argument("--seed", type=int, default=1, help="seed of all generated content")
    parser.add_argument(
        "--now",
        type=parse_now,
        default=None,
        help="end of the timeline, e.g. 2026-11-27T12:00:00Z (default: the start time)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument(
        "--faults",
        choices=("none", "flaky", "hostile", "articles-down", "extreme"),
        default="none",
        help="fault profile: flaky server errors and slowness, hostile pages, every article "
        "answering 503 (faults.py), or cards and pages past every limit (extreme.py)",
    )
    parser.add_argument(
        "--render",
        choices=("server", "client"),
        default="server",
        help="client: listing cards (and some bodies) are filled in by JavaScript (render.py)",
    )
    parser.add_argument(
        "--drift", action="store_true", help="markup changed as by a redesign (drift.py)"
    )
    parser.add_argument(
        "--listing",
        choices=listing_modes(),
        default="server",
        help="listing pages redesigned: plain list, grid, CSS-module soup, cards only in the "
        "app's data or behind its data endpoint, or no cards at all (listings.py)",
    )
    parser.add_argument(
        "--hide-card",
        action="store_true",
        help="listings drop the third-newest News Feed article; the RSS still lists it",
    )
    parser.add_argument(
        "--site-rss",
        choices=("ok", "missing"),
        default="ok",
        help="missing: /news-archive/rss/ answers 404",
    )
    parser.add_argument(
        "--no-post-ids",
        action="store_true",
        help="article pages without the Ghost post id: no data-post-id, no edit link (postids.py)",
    )
    challenge.add_arguments(parser)
    return parser


def build_hooks(args: argparse.Namespace, site: Site) -> list[Hook]:
    """Per-request hooks chosen on the command line: --challenge, --faults, --render, --drift,
    --listing, --no-post-ids.

    Each mode lives in its own module with a `hooks(args, site) -> list[Hook]` function,
    imported only when the mode is asked for.
    """
    # Bot protection answers before the site (and its faults) are asked.
    hooks: list[Hook] = challenge.hooks(args, site)
    if args.faults != "none":
        from tests.replica import faults

        hooks += faults.hooks(args, site)
    if args.render != "server":
        from tests.replica import render

        hooks += render.hooks(args, site)
    if args.drift:
        from tests.replica import drift

        hooks += drift.hooks(args, site)
    if args.listing != "server" or args.hide_card or args.site_rss != "ok":
        from tests.replica import listings

        hooks += listings.hooks(args, site)
    if args.no_post_ids:
        from tests.replica import postids

        hooks += postids.hooks(args, site)
    return hooks


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Build the site, bind, print the ready line, serve until interrupted."""
    args = build_parser().parse_args(argv)
    if args.articles < 1:
        build_parser().error("--articles must be at least 1")
    site = Site(seed=args.seed, count=args.articles, now=args.now)
    server = ReplicaServer((args.host, args.port), site, build_hooks(args, site), args.verbose)
    signal.signal(signal.SIGTERM, _stop)
    print(f"replica listening on {server.origin}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
