"""`serve` answers only newsmon's own files, compresses once per version, and bounds clients.

Against a real `python -m newsmon serve` over HTTP on 127.0.0.1: files planted in the output
folder are not found; a large archive asked for gzip by several clients at once comes back
as a valid gzip of the file to each of them, with one ETag and 304s; and silent, dripping or
too many clients lose their connection while a real client is still answered. (How far memory
and threads stay flat under hundreds of such clients is measured by `python -m benchmarks
--sections serving`, not asserted here.)
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crawling import ROOT
from tests.test_serve import Server, serving

FEED = '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{}</title>'
FEED += "<link>http://127.0.0.1/</link><description>d</description></channel></rss>\n"


def archive_lines(count: int) -> bytes:
    """JSON lines that look like newsmon's archive (varied text, so gzip has work to do)."""
    lines = []
    for number in range(count):
        words = " ".join(
            hashlib.sha256(f"{number}-{i}".encode()).hexdigest()[:7] for i in range(40)
        )
        record = {"url": f"https://kyivindependent.com/a-{number}/", "title": f"n {number}"}
        lines.append(json.dumps({**record, "body": words, "change": "new"}))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder as publishing leaves it, and things planted beside newsmon's files."""
    folder = tmp_path_factory.mktemp("served") / "output"
    (folder / "tags").mkdir(parents=True)
    (folder / "newsfeed.xml").write_text(FEED.format("News Feed"))
    (folder / "tags" / "war.xml").write_text(FEED.format("war"))
    (folder / "articles.jsonl").write_bytes(archive_lines(6_000))  # about 2.5 MB
    # Planted: not newsmon's, whatever their names and wherever they lead.
    (folder / "secret.txt").write_text("planted secret")
    (folder / "tags" / "notes.txt").write_text("planted secret")
    (folder / ".env").write_text("TOKEN=planted secret")
    (folder / "tags" / ".hidden.xml").write_text("planted secret")
    (folder / "stuff").mkdir()
    (folder / "stuff" / "newsfeed.xml").write_text("planted secret")
    (folder / "passwd.xml").symlink_to("/etc/passwd")
    (folder / "tags" / "passwd.xml").symlink_to("/etc/passwd")
    # Named like a feed, inside the folder, but leading to a planted file.
    (folder / "tags" / "secret.xml").symlink_to(folder / "secret.txt")
    (folder / "authors").symlink_to("/etc", target_is_directory=True)
    return folder


@pytest.fixture(scope="module")
def server(output: Path) -> Iterator[Server]:
    # A small cap and a short timeout, so the limits show within a test's time.
    settings = ["NEWSMON_SERVE_MAX_CONNECTIONS=4", "NEWSMON_SERVE_TIMEOUT=1"]
    with serving(output, *(arg for value in settings for arg in ("-s", value))) as running:
        yield running


@pytest.mark.parametrize(
    "path",
    [
        "/secret.txt",
        "/tags/notes.txt",
        "/.env",
        "/tags/.hidden.xml",
        "/stuff/newsfeed.xml",
        "/stuff/",
        "/passwd.xml",
        "/tags/passwd.xml",
        "/tags/secret.xml",
        "/authors/passwd",
        "/authors/",
        "/../etc/passwd",
        "/tags/../secret.txt",
        "/tags/%2e%2e/secret.txt",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/newsfeed.xml/",
    ],
)
def test_a_planted_file_is_not_found(server: Server, path: str) -> None:
    status, _, body = server.request("GET", path)
    assert status == 404, path
    assert b"planted" not in body and b"root:" not in body


def test_newsmons_files_are_served_and_listed_without_the_planted_ones(
    server: Server, output: Path
) -> None:
    for path in ("/newsfeed.xml", "/tags/war.xml", "/articles.jsonl"):
        status, _, body = server.request("GET", path)
        assert status == 200 and body == (output / path.lstrip("/")).read_bytes()
    _, _, root = server.request("GET", "/")
    _, _, tags = server.request("GET", "/tags/")
    assert b'href="newsfeed.xml"' in root and b'href="tags/"' in root
    assert b'href="war.xml"' in tags
    for planted in (b"secret", b".env", b"stuff", b"passwd", b"authors", b"notes"):
        assert planted not in root + tags, planted


def test_parallel_gzip_requests_each_get_a_valid_gzip_of_the_file(
    server: Server, output: Path
) -> None:
    archive = (output / "articles.jsonl").read_bytes()
    answers: list[tuple[int, dict[str, str], bytes]] = []

    def fetch() -> None:
        answers.append(server.request("GET", "/articles.jsonl", {"Accept-Encoding": "gzip"}))

    # Not compressed yet: the clients wait for one compression, then each reads its copy.
    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == 4
    etags = set()
    for status, headers, body in answers:
        assert status == 200 and headers["content-encoding"] == "gzip"
        assert int(headers["content-length"]) == len(body) < len(archive)
        assert gzip.decompress(body) == archive
        etags.add(headers["etag"])
    (etag,) = etags
    assert etag.endswith('-gzip"')
    status, headers, body = server.request(
        "GET", "/articles.jsonl", {"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert (status, body, headers["etag"]) == (304, b"", etag)
    # The plain file keeps its own ETag and its 304.
    status, plain, body = server.request("GET", "/articles.jsonl")
    assert status == 200 and body == archive and plain["etag"] != etag
    status, _, _ = server.request("GET", "/articles.jsonl", {"If-None-Match": plain["etag"]})
    assert status == 304


def test_a_new_version_of_a_file_gets_a_new_etag_and_a_new_gzip(
    server: Server, output: Path
) -> None:
    feed = output / "tags" / "war.xml"
    _, before, _ = server.request("GET", "/tags/war.xml", {"Accept-Encoding": "gzip"})
    changed = FEED.format("war, changed").encode()
    feed.write_bytes(changed)
    status, after, body = server.request(
        "GET", "/tags/war.xml", {"Accept-Encoding": "gzip", "If-None-Match": before["etag"]}
    )
    assert status == 200 and after["etag"] != before["etag"]
    assert gzip.decompress(body) == changed


def connect(server: Server) -> socket.socket:
    """A raw connection to the server."""
    return socket.create_connection((server.host, server.port), timeout=30)


def closed_by_server(client: socket.socket) -> bool:
    """Tell whether the server closed (or cut) the connection: reading ends or is refused."""
    try:
        return client.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_a_silent_client_loses_its_connection(server: Server) -> None:
    with connect(server) as client:
        # NEWSMON_SERVE_TIMEOUT=1: long before the socket's own 30 s.
        assert closed_by_server(client)


def test_a_client_that_drips_its_request_loses_its_connection(server: Server) -> None:
    request = b"GET /newsfeed.xml HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
    with connect(server) as client:
        sent = 0
        try:
            # A byte every 0.1 s: each one would reset a plain idle timeout.
            while sent < len(request):
                client.sendall(request[sent : sent + 1])
                sent += 1
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert sent < len(request), "the whole request trickled in over 20 s"
        client.settimeout(5)
        answer = b""
        with contextlib.suppress(ConnectionResetError, TimeoutError):
            answer = client.recv(1024)
        assert not answer.startswith(b"HTTP/1.1 200")


def test_more_silent_clients_than_the_cap_do_not_keep_a_client_waiting(server: Server) -> None:
    # Four times the cap (NEWSMON_SERVE_MAX_CONNECTIONS=4) of clients that send nothing.
    crowd = [connect(server) for _ in range(16)]
    try:
        status, _, body = server.request("GET", "/newsfeed.xml")
        assert status == 200 and b"News Feed" in body
        # Every silent one was closed: pushed out for newer ones, or timed out.
        assert all(closed_by_server(client) for client in crowd)
    finally:
        for client in crowd:
            client.close()
    # And the server goes on serving.
    assert server.request("GET", "/tags/war.xml")[0] == 200


@pytest.mark.parametrize(
    "setting",
    [
        "NEWSMON_SERVE_MAX_CONNECTIONS=0",
        "NEWSMON_SERVE_MAX_CONNECTIONS=many",
        "NEWSMON_SERVE_TIMEOUT=-1",
        "NEWSMON_SERVE_TIMEOUT=soon",
    ],
)
def test_a_bad_limit_stops_serve_with_one_line(output: Path, setting: str) -> None:
    command = [sys.executable, "-m", "newsmon", "serve", "--port", "0"]
    command += ["-s", f"NEWSMON_OUTPUT_DIR={output}", "-s", setting]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    name = setting.split("=")[0].removeprefix("NEWSMON_SERVE_")  # MAX_CONNECTIONS, TIMEOUT
    assert len(lines) == 1 and name in lines[0], done.stderr
