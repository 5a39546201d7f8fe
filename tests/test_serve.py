"""`python -m newsmon serve`: the output folder over real HTTP, as feed readers see it.

The served folder is what a real crawl of the replica published; the server runs as the
command users run, and rss2email (Debian's `r2e`) polls it like a subscriber would.
"""

from __future__ import annotations

import gzip
import http.client
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

import feedparser
import pytest

from tests.crawling import ROOT, CrawlResult, run_crawl
from tests.replica.client import start_replica

SERVING = re.compile(r"serving (.+) on (http://[\d.]+:\d+/)")
ACCESS = re.compile(r"\[newsmon\.serve\] INFO: \S+ (\w+) '([^']*)' (\d{3}) ")
START_TIMEOUT = 30.0


@dataclass
class Server:
    """A running `python -m newsmon serve` and the lines it logged so far."""

    url: str
    host: str
    port: int
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def access_log(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request the server logged."""
        time.sleep(0.2)  # the log line is written after the response; let it land
        found = (ACCESS.search(line) for line in list(self.lines))
        return [(m.group(1), m.group(2), int(m.group(3))) for m in found if m]

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One raw request (the path is sent exactly as given); (status, headers, body)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            connection.close()


@contextmanager
def serving(output: Path, *args: str) -> Iterator[Server]:
    """Run `python -m newsmon serve --port 0` on `output` until the block ends."""
    command = [sys.executable, "-m", "newsmon", "serve", "--port", "0", *args]
    command += ["-s", f"NEWSMON_OUTPUT_DIR={output}"]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    ready: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if SERVING.search(line):
                ready.put(line)
        ready.put("")

    threading.Thread(target=pump, daemon=True).start()
    try:
        line = ready.get(timeout=START_TIMEOUT)
        match = SERVING.search(line)
        assert match, f"serve did not start: {''.join(lines)}"
        url = match.group(2)
        host, port = url.removeprefix("http://").rstrip("/").split(":")
        yield Server(url, host, int(port), process, lines)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.returncode == 0, "".join(lines)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrawlResult]:
    """A workdir where a real crawl left output/ (served) and state/ (its neighbour)."""
    workdir = tmp_path_factory.mktemp("serve")
    with start_replica("--articles", "60") as replica:
        result = run_crawl("newsfeed", replica.base_url, workdir)
    assert result.returncode == 0, result.log[-3000:]
    yield result


@pytest.fixture(scope="module")
def server(published: CrawlResult) -> Iterator[Server]:
    output = published.output_dir
    # Things that must never be served: a dot file, and symlinks that lead out of output/.
    (output / ".newsfeed.xml.abc123.tmp").write_text("half-written")
    (output / "state-link").symlink_to(published.state_path.parent, target_is_directory=True)
    (output / "passwd-link").symlink_to("/etc/passwd")
    with serving(output) as running:
        yield running


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/newsfeed.xml", "application/rss+xml; charset=utf-8"),
        ("/newsfeed.atom", "application/atom+xml; charset=utf-8"),
        ("/tags/russia.xml", "application/rss+xml; charset=utf-8"),
        ("/tags/united-states.atom", "application/atom+xml; charset=utf-8"),
        ("/articles.jsonl", "application/x-ndjson; charset=utf-8"),
    ],
)
def test_files_are_served_with_their_media_types(
    server: Server, published: CrawlResult, path: str, media_type: str
) -> None:
    status, headers, body = server.request("GET", path)
    assert status == 200
    assert headers["content-type"] == media_type
    assert body == (published.output_dir / path.lstrip("/")).read_bytes()
    assert int(headers["content-length"]) == len(body)
    assert headers["x-content-type-options"] == "nosniff"


def test_a_served_feed_parses_with_its_entries(server: Server, published: CrawlResult) -> None:
    _, _, body = server.request("GET", "/newsfeed.xml")
    parsed = feedparser.parse(body)
    assert not parsed.bozo
    assert len(parsed.entries) == len(published.items)


def test_conditional_requests_get_304(server: Server) -> None:
    status, headers, _ = server.request("GET", "/newsfeed.xml")
    etag, last_modified = headers["etag"], headers["last-modified"]
    assert status == 200 and etag.startswith('"') and last_modified.endswith("GMT")
    for conditional in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"nope", W/{etag}'},  # weak comparison, several tags
        {"If-Modified-Since": last_modified},
        {"If-Modified-Since": formatdate(time.time() + 3600, usegmt=True)},
    ):
        status, headers, body = server.request("GET", "/newsfeed.xml", conditional)
        assert (status, body) == (304, b""), conditional
        assert headers["etag"] == etag
    for stale in (
        {"If-None-Match": '"an-older-version"'},
        {"If-Modified-Since": "Thu, 01 Jan 2015 00:00:00 GMT"},
        # If-None-Match wins over If-Modified-Since.
        {"If-None-Match": '"an-older-version"', "If-Modified-Since": last_modified},
    ):
        status, _, body = server.request("GET", "/newsfeed.xml", stale)
        assert status == 200 and body, stale


def test_gzip_when_asked(server: Server, published: CrawlResult) -> None:
    plain = (published.output_dir / "newsfeed.xml").read_bytes()
    status, headers, body = server.request(
        "GET", "/newsfeed.xml", {"Accept-Encoding": "br, gzip;q=0.8"}
    )
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in headers["vary"]
    assert gzip.decompress(body) == plain
    assert len(body) < len(plain) / 2
    _, identity, _ = server.request("GET", "/newsfeed.xml")
    assert headers["etag"] != identity["etag"], "two encodings must not share a strong ETag"
    status, _, _ = server.request(
        "GET", "/newsfeed.xml", {"Accept-Encoding": "gzip", "If-None-Match": headers["etag"]}
    )
    assert status == 304
    _, refused, body = server.request("GET", "/newsfeed.xml", {"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused and body == plain


def test_head_sends_the_headers_of_get_and_no_body(server: Server) -> None:
    _, get_headers, _ = server.request("GET", "/newsfeed.atom")
    status, head_headers, body = server.request("HEAD", "/newsfeed.atom")
    assert (status, body) == (200, b"")
    for name in ("content-type", "content-length", "etag", "last-modified"):
        assert head_headers[name] == get_headers[name]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"])
def test_only_get_and_head_are_allowed(server: Server, published: CrawlResult, method: str) -> None:
    before = (published.output_dir / "newsfeed.xml").read_bytes()
    status, headers, _ = server.request(method, "/newsfeed.xml", {"Content-Length": "0"})
    assert status == 405
    assert headers["allow"] == "GET, HEAD"
    assert (published.output_dir / "newsfeed.xml").read_bytes() == before


@pytest.mark.parametrize(
    "path",
    [
        "/../state/newsmon.sqlite3",
        "/tags/../../state/newsmon.sqlite3",
        "/%2e%2e/state/newsmon.sqlite3",
        "/..%2fstate%2fnewsmon.sqlite3",
        "/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/..\\state\\newsmon.sqlite3",
        "//etc/passwd",
        "/etc/passwd",
        "/state-link/newsmon.sqlite3",
        "/state-link/",
        "/passwd-link",
        "/.newsfeed.xml.abc123.tmp",
        "/.gitkeep",
        "/newsfeed.xml%00.txt",
        "/%ff%fe",
    ],
)
def test_nothing_outside_output_is_served(server: Server, path: str) -> None:
    status, _, body = server.request("GET", path)
    assert status == 404
    assert b"SQLite format" not in body and b"root:" not in body and b"half-written" not in body


def test_folder_index_lists_only_what_is_inside(server: Server) -> None:
    status, headers, body = server.request("GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    page = body.decode()
    for name in ("newsfeed.xml", "newsfeed.atom", "articles.jsonl", "tags/"):
        assert f'href="{name}"' in page
    for hidden in ("state-link", "passwd-link", ".newsfeed", ".gitkeep", "state/"):
        assert hidden not in page
    status, headers, _ = server.request("GET", "/tags")
    assert status == 301 and headers["location"] == "/tags/"
    status, _, body = server.request("GET", "/tags/")
    assert status == 200 and b'href="russia.xml"' in body


def test_unchanged_store_leaves_feeds_byte_identical_and_their_etags(tmp_path: Path) -> None:
    with start_replica("--articles", "60") as replica:
        first = run_crawl("newsfeed", replica.base_url, tmp_path)
        assert first.returncode == 0, first.log[-3000:]
        # The listing feeds: the News Feed and the monitored tags.
        output = first.output_dir
        feeds = [output / "newsfeed.xml", output / "newsfeed.atom"]
        feeds += sorted((output / "tags").glob("*.xml")) + sorted((output / "tags").glob("*.atom"))
        before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in feeds}
        with serving(first.output_dir) as server:
            _, headers, _ = server.request("GET", "/newsfeed.xml")
            etag = headers["etag"]

            again = run_crawl("newsfeed", replica.base_url, tmp_path)
            assert again.returncode == 0 and again.items == []
            after = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in feeds}
            assert after == before, "a run with nothing new rewrote a feed"
            status, headers, _ = server.request("GET", "/newsfeed.xml", {"If-None-Match": etag})
            assert status == 304 and headers["etag"] == etag

            replica.post("/__replica__/publish?count=1")
            third = run_crawl("newsfeed", replica.base_url, tmp_path)
            assert third.returncode == 0 and len(third.items) == 1
            status, headers, body = server.request("GET", "/newsfeed.xml", {"If-None-Match": etag})
            assert status == 200 and headers["etag"] != etag
            assert third.items[0]["url"].encode() in body


needs_r2e = pytest.mark.skipif(
    shutil.which("r2e") is None, reason="rss2email (Debian package rss2email) is not installed"
)


@needs_r2e
def test_rss2email_polls_twice_and_the_second_poll_is_a_304(
    server: Server, published: CrawlResult, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    mailbox = home / "mailbox"
    sendmail = home / "sendmail"
    # rss2email hands each message to "sendmail"; this one files it where the test can count.
    sendmail.write_text(f"#!/bin/sh\ncat >> {mailbox}\nprintf '\\n=== end ===\\n' >> {mailbox}\n")
    sendmail.chmod(0o755)
    config = home / "rss2email.cfg"
    config.write_text(
        "[DEFAULT]\nto = reader@example.invalid\nfrom = newsmon@example.invalid\n"
        f"email-protocol = sendmail\nsendmail = {sendmail}\n"
    )
    data = home / "rss2email.json"
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}

    def r2e(*args: str) -> None:
        command = ["r2e", "-c", str(config), "-d", str(data), *args]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    def delivered() -> int:
        return mailbox.read_text().count("=== end ===") if mailbox.exists() else 0

    r2e("add", "kyiv", server.url + "newsfeed.xml")
    r2e("run")
    first = delivered()
    assert first == len(published.items)
    r2e("run")
    assert delivered() == first, "the second poll delivered something again"
    polls = [entry for entry in server.access_log() if entry[1] == "/newsfeed.xml"]
    assert [status for _, _, status in polls[-2:]] == [200, 304]
