"""Section 6, serving: what a crowd of slow clients and parallel gzip requests cost `serve`.

Each measure runs a fresh `python -m newsmon serve --port 0` process (its defaults:
NEWSMON_SERVE_MAX_CONNECTIONS=64, NEWSMON_SERVE_TIMEOUT=15) over a synthetic output folder,
and reads the server's own figures from /proc/<pid>/status:

- slow clients: hundreds of connections that send nothing or drip a request a byte at a
  time, held open while the server's thread count (`Threads`) is sampled; then one ordinary
  client asks for the News Feed and must be answered. Target: the peak thread count stays at
  the server's fixed threads (main, event loop, store reader, the pool of POOL_THREADS), not
  growing with the clients.
- parallel gzip: 8 clients at once ask for a large articles.jsonl with gzip, before any
  compressed copy exists; the server's peak RSS (`VmHWM`) is compared with a server that
  answered one such request. Target: at most MAX_RSS_RATIO times, or MAX_RSS_EXTRA_MIB more.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import json
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.process import BenchmarkError
from benchmarks.report import Row, SectionResult, fmt_num, fmt_ratio, judged, ratio
from newsmon.publish.server import POOL_THREADS

SECTION = "6 serving"
ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
PARALLEL = 8
# The threads a server has whatever its load: main, the event loop, the store's reader.
FIXED_THREADS = 3
MAX_THREADS = FIXED_THREADS + POOL_THREADS
MAX_RSS_RATIO = 1.3
MAX_RSS_EXTRA_MIB = 8.0
SERVING = re.compile(r"serving .+ on (http://[\d.]+:\d+/)")
FEED = (
    '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>News Feed'
    "</title><link>https://kyivindependent.com/</link><description>news</description>"
    "</channel></rss>\n"
)


@dataclass
class Server:
    """A running `serve` process."""

    process: subprocess.Popen[str]
    host: str
    port: int

    def status(self, field: str) -> int:
        """One figure of /proc/<pid>/status (kB fields in bytes)."""
        text = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(rf"^{field}:\s+(\d+)(\s+kB)?", text, re.MULTILINE)
        if match is None:
            raise BenchmarkError(f"no {field} in /proc/{self.process.pid}/status")
        return int(match.group(1)) * (1024 if match.group(2) else 1)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """(status, body) of one GET."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=300)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


@contextmanager
def serve(output: Path) -> Iterator[Server]:
    """`python -m newsmon serve --port 0` on `output`, stopped at the end of the block."""
    command = [sys.executable, "-m", "newsmon", "serve", "--port", "0"]
    command += ["-s", f"NEWSMON_OUTPUT_DIR={output}"]
    command += ["-s", f"NEWSMON_STATE_PATH={output.parent / 'state.sqlite3'}"]
    process = subprocess.Popen(
        command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    ready: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if SERVING.search(line):
                ready.put(line)
        ready.put("")

    threading.Thread(target=pump, daemon=True).start()
    try:
        match = SERVING.search(ready.get(timeout=60))
        if match is None:
            raise BenchmarkError("`newsmon serve` did not start")
        host, port = match.group(1).removeprefix("http://").rstrip("/").split(":")
        yield Server(process, host, int(port))
    finally:
        process.terminate()
        process.wait(timeout=60)


def write_output(folder: Path, archive_bytes: int) -> bytes:
    """A served folder: a News Feed and an archive of about `archive_bytes`; the archive."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "newsfeed.xml").write_text(FEED)
    lines, size, number = [], 0, 0
    while size < archive_bytes:
        # Varied words, as article text is: gzip does real work on them.
        words = " ".join(hashlib.md5(f"{number}.{i}".encode()).hexdigest()[:6] for i in range(60))
        line = json.dumps({"url": f"https://kyivindependent.com/a-{number}/", "body": words})
        lines.append(line)
        size += len(line) + 1
        number += 1
    archive = ("\n".join(lines) + "\n").encode()
    (folder / "articles.jsonl").write_bytes(archive)
    return archive


def slow_clients(server: Server, count: int, hold: float) -> dict[str, Any]:
    """Hold `count` slow connections; sample threads; time an ordinary client among them."""
    stop = threading.Event()
    peak = [server.status("Threads")]
    start_threads = peak[0]

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], server.status("Threads"))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    crowd = [socket.create_connection((server.host, server.port), timeout=30) for _ in range(count)]
    drippers = crowd[::2]  # half drip a request a byte at a time, half send nothing
    request = b"GET /newsfeed.xml HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000

    def drip() -> None:
        sent = 0
        while not stop.is_set() and sent < len(request):
            for client in drippers:
                with contextlib.suppress(OSError):  # cut by the server
                    client.send(request[sent : sent + 1])
            sent += 1
            time.sleep(0.5)

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    began = time.perf_counter()
    status, body = server.get("/newsfeed.xml")
    answered = time.perf_counter() - began
    time.sleep(max(0.0, hold - answered))
    stop.set()
    sampler.join()
    dripper.join()
    cut = 0
    for client in crowd:
        client.setblocking(False)
        try:
            cut += client.recv(1) == b""
        except BlockingIOError:
            pass
        except OSError:
            cut += 1
        client.close()
    return {
        "slow_clients": count,
        "threads_at_start": start_threads,
        "peak_threads": peak[0],
        "normal_client_status": status,
        "normal_client_answered": status == 200 and body == FEED.encode(),
        "normal_client_seconds": answered,
        "slow_clients_cut_by_server": cut,
        "hold_seconds": hold,
    }


def gzip_peak(output: Path, archive: bytes, clients: int) -> dict[str, Any]:
    """A fresh server's peak RSS after `clients` parallel gzip requests for the archive."""
    digest = hashlib.sha256(archive).hexdigest()
    with serve(output) as server:
        server.get("/newsfeed.xml", {"Accept-Encoding": "gzip"})  # warm: code paths loaded
        before = server.status("VmRSS")
        valid: list[bool] = []

        def fetch() -> None:
            status, body = server.get("/articles.jsonl", {"Accept-Encoding": "gzip"})
            valid.append(
                status == 200 and hashlib.sha256(gzip.decompress(body)).hexdigest() == digest
            )

        began = time.perf_counter()
        threads = [threading.Thread(target=fetch) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return {
            "clients": clients,
            "rss_before_bytes": before,
            "peak_rss_bytes": server.status("VmHWM"),
            "valid_gzip_bodies": sum(valid),
            "seconds": time.perf_counter() - began,
        }


def serving(workdir: Path, slow: int, archive_mib: float, hold: float) -> SectionResult:
    """Both measures, on a fresh output folder under `workdir`."""
    output = workdir / "serving" / "output"
    archive = write_output(output, int(archive_mib * MIB))
    with serve(output) as server:
        crowd = slow_clients(server, slow, hold)
    # Two fresh servers: neither has a compressed copy of the archive yet.
    one = gzip_peak(output, archive, 1)
    many = gzip_peak(output, archive, PARALLEL)
    one_mib, many_mib = one["peak_rss_bytes"] / MIB, many["peak_rss_bytes"] / MIB
    growth = ratio(many_mib, one_mib)
    flat = growth is not None and (
        growth <= MAX_RSS_RATIO or many_mib - one_mib <= MAX_RSS_EXTRA_MIB
    )
    figures = {
        "slow_clients": crowd,
        "archive_bytes": len(archive),
        "gzip_one": one,
        "gzip_parallel": many,
        "cap": 64,
        "pool_threads": POOL_THREADS,
    }
    answered = crowd["normal_client_answered"]
    rows = [
        Row(
            SECTION,
            f"server threads, peak, {slow} slow clients (cap 64)",
            str(crowd["peak_threads"]),
            f"at start: {crowd['threads_at_start']}",
            f"+{crowd['peak_threads'] - crowd['threads_at_start']}",
            f"<= {MAX_THREADS}",
            judged(crowd["peak_threads"] <= MAX_THREADS),
        ),
        Row(
            SECTION,
            f"ordinary client among {slow} slow ones: answered, s",
            f"{'200' if answered else crowd['normal_client_status']} in "
            f"{crowd['normal_client_seconds']:.2f}",
            f"slow ones cut: {crowd['slow_clients_cut_by_server']}",
            "",
            "answered",
            judged(answered),
        ),
        Row(
            SECTION,
            f"server peak RSS MiB, {PARALLEL} parallel gzip of a "
            f"{len(archive) / MIB:.0f} MiB archive",
            fmt_num(many_mib),
            f"1 request: {fmt_num(one_mib)}",
            fmt_ratio(growth),
            f"<= {MAX_RSS_RATIO:g}x or +{MAX_RSS_EXTRA_MIB:g} MiB",
            judged(flat and many["valid_gzip_bodies"] == PARALLEL),
        ),
    ]
    return SectionResult("serving", "Serving", figures, rows)
