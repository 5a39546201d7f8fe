"""A real feed reader for tests: newsboat, run non-interactively against feeds on 127.0.0.1."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files; conditional GET off, so a rewrite within the same second is re-read."""

    def send_head(self):  # type: ignore[no-untyped-def]
        del self.headers["If-Modified-Since"]
        return super().send_head()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serving(directory: Path) -> Iterator[str]:
    """Serve a directory over HTTP on 127.0.0.1 in a thread; yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Newsboat:
    """newsboat run non-interactively (-x) with its own HOME, url file, config and cache."""

    def __init__(self, home: Path, feed_url: str) -> None:
        home.mkdir()
        self.home = home
        self.feed_url = feed_url
        self.urls = home / "urls"
        self.urls.write_text(feed_url + "\n")
        self.config = home / "config"
        self.config.write_text("auto-reload no\nreload-threads 1\ndownload-timeout 20\n")
        self.cache = home / "cache.db"

    def run(self, *commands: str) -> str:
        """Run newsboat -x <commands>; return its stdout."""
        return self._newsboat("-x", *commands)

    def import_opml(self, path: Path) -> str:
        """`newsboat -i FILE`: add the OPML's feeds to the url file; return its stdout."""
        return self._newsboat("-i", str(path))

    def _newsboat(self, *options: str) -> str:
        """Run newsboat with its own HOME, url file, cache and config; return its stdout."""
        env = {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TERM": "dumb",
        }
        args = ["newsboat", "-u", self.urls, "-c", self.cache, "-C", self.config, *options]
        result = subprocess.run(
            [str(a) for a in args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert result.returncode == 0, f"newsboat failed: {result.stdout}\n{result.stderr}"
        return result.stdout

    def reload(self) -> int:
        """Fetch the feed; return the number of unread articles newsboat reports."""
        out = self.run("reload", "print-unread")
        match = re.search(r"(\d+) unread articles?", out)
        assert match, f"unexpected newsboat output: {out!r}"
        return int(match.group(1))

    def items(self) -> list[tuple[str, str]]:
        """(guid, title) of every article newsboat has cached for the feed."""
        with sqlite3.connect(self.cache) as db:
            rows = db.execute(
                "SELECT guid, title FROM rss_item WHERE feedurl = ? AND deleted = 0 ORDER BY guid",
                (self.feed_url,),
            ).fetchall()
        return [(str(g), str(t)) for g, t in rows]


needs_newsboat = pytest.mark.skipif(
    shutil.which("newsboat") is None, reason="newsboat not installed (apt-get install newsboat)"
)
