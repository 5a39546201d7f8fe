"""newsmon.compat against the pinned Scrapy, scrapy-redis and scrapy-playwright.

Each entry of newsmon/compat.py relies on a private API of one of them. The tests here check
that what it relies on is still there, in the shape it expects, and where cheap that it still
behaves as the entry needs. A failure names the dependency that changed and the entry to
revisit: fix the entry (or drop it for a public API), then update `compat.PINNED`.
"""

from __future__ import annotations

import gzip
import inspect
import json
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler
from scrapy_redis.queue import Base as RedisQueue
from scrapy_redis.queue import PriorityQueue
from twisted.internet.defer import CancelledError

from newsmon import compat
from newsmon.crawl.middlewares.guard import RefusedRequest
from newsmon.crawl.middlewares.size import SizeLimitMiddleware

ROOT = Path(__file__).resolve().parents[1]


def changed(dependency: str, entry: str, what: str) -> str:
    """The failure message: which pinned dependency changed, and which entry to revisit."""
    return (
        f"newsmon.compat.{entry} relies on a private API of {dependency} "
        f"{compat.PINNED[dependency]} that differs in the installed {dependency} "
        f"{version(dependency)}: {what}. Revisit newsmon.compat.{entry}."
    )


def parameters(function: object) -> list[str]:
    """The parameter names of a function or method, `self` included."""
    assert callable(function)
    return list(inspect.signature(function).parameters)


# --- the pins -------------------------------------------------------------------------------


def requirement_pins() -> dict[str, str]:
    """The `name==version` pins of requirements.txt."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", line)
        if match:
            pins[match[1].lower()] = match[2]
    return pins


@pytest.mark.parametrize("dependency", sorted(compat.PINNED))
def test_compat_names_the_pinned_version(dependency: str) -> None:
    pinned = requirement_pins().get(dependency)
    assert pinned == compat.PINNED[dependency], (
        f"requirements.txt pins {dependency}=={pinned}, newsmon.compat was written for "
        f"{compat.PINNED[dependency]}: run tests/test_compat.py against the new version, "
        f"revisit the entries marked {dependency} in newsmon/compat.py, then update PINNED."
    )


@pytest.mark.parametrize("dependency", sorted(compat.PINNED))
def test_the_pinned_version_is_installed(dependency: str) -> None:
    installed = version(dependency)
    assert installed == compat.PINNED[dependency], (
        f"{dependency} {installed} is installed, newsmon.compat was written for "
        f"{compat.PINNED[dependency]} (requirements.txt): revisit the entries marked "
        f"{dependency} in newsmon/compat.py."
    )


# --- Scrapy: HttpCompressionMiddleware's size limit -----------------------------------------

ENTRY_SIZE = "SizeHookCompressionMiddleware"
LIMIT = 10_000


def gzipped_response(size: int) -> tuple[Request, Response]:
    """A request and its gzip-encoded HTML answer that inflates to `size` bytes."""
    request = Request("https://example.org/page/")
    response = Response(
        request.url,
        body=gzip.compress(b"x" * size),
        headers={"Content-Encoding": "gzip", "Content-Type": "text/html"},
        request=request,
    )
    return request, response


def size_middleware(cls: type[HttpCompressionMiddleware]) -> HttpCompressionMiddleware:
    return cls.from_crawler(get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": LIMIT}))


def test_handle_encoding_is_still_there() -> None:
    method = getattr(HttpCompressionMiddleware, "_handle_encoding", None)
    assert method is not None, changed(
        "scrapy", ENTRY_SIZE, "HttpCompressionMiddleware._handle_encoding is gone"
    )
    assert parameters(method) == ["self", "body", "content_encoding", "max_size"], changed(
        "scrapy", ENTRY_SIZE, f"_handle_encoding takes {parameters(method)}"
    )


def test_the_decompression_limit_exception_is_still_there() -> None:
    try:
        from scrapy.utils._compression import _DecompressionMaxSizeExceeded
        from scrapy.utils.gz import gunzip
    except ImportError as error:
        pytest.fail(changed("scrapy", ENTRY_SIZE, f"cannot import it any more ({error})"))
    assert issubclass(_DecompressionMaxSizeExceeded, Exception)
    with pytest.raises(_DecompressionMaxSizeExceeded):
        gunzip(gzip.compress(b"x" * (LIMIT * 2)), max_size=LIMIT)


def test_a_body_inflating_past_the_limit_goes_to_the_hook() -> None:
    middleware = size_middleware(SizeLimitMiddleware)
    request, response = gzipped_response(LIMIT * 5)
    try:
        middleware.process_response(request, response)
    except RefusedRequest as refused:
        assert refused.reason == "too_large"
    except IgnoreRequest as ignored:
        pytest.fail(changed("scrapy", ENTRY_SIZE, f"the hook was not called ({ignored})"))
    else:
        pytest.fail(changed("scrapy", ENTRY_SIZE, "an over-size body was not refused"))
    assert middleware.stats is not None
    assert middleware.stats.get_value("newsmon/refused/too_large") == 1


def test_a_body_within_the_limit_is_decoded_as_before() -> None:
    middleware = size_middleware(SizeLimitMiddleware)
    request, response = gzipped_response(LIMIT // 2)
    decoded = middleware.process_response(request, response)
    assert isinstance(decoded, Response)
    assert len(decoded.body) == LIMIT // 2, changed("scrapy", ENTRY_SIZE, "decoding differs")
    assert "Content-Encoding" not in decoded.headers


def test_without_the_hook_scrapy_handles_it_its_way() -> None:
    middleware = size_middleware(compat.SizeHookCompressionMiddleware)
    request, response = gzipped_response(LIMIT * 5)
    with pytest.raises(IgnoreRequest) as raised:
        middleware.process_response(request, response)
    assert "exceeded DOWNLOAD_MAXSIZE" in str(raised.value), changed(
        "scrapy", ENTRY_SIZE, "Scrapy's own refusal changed"
    )


ENTRY_CANCEL = "cancelled_for_max_size"


def test_the_download_handler_still_cancels_with_the_same_words() -> None:
    try:
        from scrapy.core.downloader.handlers import http11
        from scrapy.utils._download_handlers import get_maxsize_msg
    except ImportError as error:
        pytest.fail(changed("scrapy", ENTRY_CANCEL, f"cannot import it any more ({error})"))
    # The HTTP/1.1 handler builds its cancel message with this helper, as a
    # DownloadCancelledError (scrapy/core/downloader/handlers/http11.py).
    assert getattr(http11, "get_maxsize_msg", None) is get_maxsize_msg, changed(
        "scrapy", ENTRY_CANCEL, "the HTTP/1.1 handler no longer uses get_maxsize_msg"
    )
    assert getattr(http11, "DownloadCancelledError", None) is DownloadCancelledError, changed(
        "scrapy", ENTRY_CANCEL, "the HTTP/1.1 handler no longer raises DownloadCancelledError"
    )
    message = get_maxsize_msg(LIMIT * 2, LIMIT, Request("https://example.org/"), expected=True)
    assert compat.cancelled_for_max_size(DownloadCancelledError(message)), changed(
        "scrapy", ENTRY_CANCEL, f"its message now reads {message!r}"
    )
    assert not compat.cancelled_for_max_size(DownloadCancelledError("cancelled"))
    assert not compat.cancelled_for_max_size(IgnoreRequest(message))
    # Past the limit while receiving (no Content-Length), the reader cancels its Deferred.
    assert compat.cancelled_for_max_size(DownloadCancelledError(""))
    assert compat.cancelled_for_max_size(CancelledError())
    assert "self._finished.cancel()" in inspect.getsource(http11._ResponseReader), changed(
        "scrapy", ENTRY_CANCEL, "the response reader no longer cancels a body past the limit"
    )


# --- a real crawl: Scrapy's engine slot, scrapy-playwright's launch --------------------------

ENTRY_IN_PROGRESS = "requests_in_progress"
ENTRY_NUDGE = "nudge_engine"
ENTRY_LAUNCH = "launch_playwright"

# A tiny crawl (one data: URL, no network) that records what the compat entries see of its
# engine, and starts scrapy-playwright's handler from its callback (as newsmon does on the
# first page to render) with a browser provider that only records its calls. It runs in a
# child process: a Twisted reactor cannot be restarted in this one.
PROBE_CRAWL = """
import json
import sys
import time

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import DontCloseSpider

import newsmon.crawl.browser
import newsmon.crawl.middlewares.size
from newsmon import compat

seen = {}
idles = []
pages = []
PLUGINS = ("playwright", "scrapy_playwright", "scrapy_redis")
seen["plugins_imported"] = sorted(m for m in sys.modules if m.split(".")[0] in PLUGINS)


class Probe(scrapy.Spider):
    name = "probe"

    async def start(self):
        yield scrapy.Request("data:text/html,<p>probe</p>", callback=self.parse)

    async def parse(self, response):
        pages.append(response.request)
        slot = getattr(self.crawler.engine, "_slot", None)
        seen["slot"] = {name: hasattr(slot, name) for name in ("inprogress", "nextcall", "closing")}
        in_progress = compat.requests_in_progress(self.crawler)
        seen["in_callback"] = in_progress is not None and response.request in in_progress
        await launch_browser(self.crawler)
        yield {"url": response.url}


class FakeBrowser:
    def on(self, event, callback):
        seen["browser_events"].append(event)

    async def close(self):
        seen["provider"].append("browser closed")


# A PLAYWRIGHT_BROWSER_PROVIDER that records its calls instead of starting Chromium.
class FakeProvider:
    def __init__(self, config):
        seen["provider"] = []
        seen["browser_events"] = []

    async def start(self):
        seen["provider"].append("start")

    async def launch_browser(self):
        seen["provider"].append("launch_browser")
        return FakeBrowser()

    async def close(self):
        seen["provider"].append("close")


# What newsmon.crawl.browser does on the first page to render, after engine start.
async def launch_browser(crawler):
    from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

    handler = ScrapyPlaywrightDownloadHandler.from_crawler(crawler)
    try:
        await compat.launch_playwright(handler)
        seen["launched"] = list(seen.get("provider", []))
        seen["has_browser"] = isinstance(getattr(handler, "browser", None), FakeBrowser)
    except Exception as error:
        seen["launch_error"] = repr(error)
    await handler.close()


class ProbePipeline:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        in_progress = compat.requests_in_progress(self.crawler)
        seen["in_pipeline"] = in_progress is not None and pages[0] in in_progress
        return item


def spider_idle(spider):
    idles.append(time.monotonic())
    if len(idles) == 1:
        in_progress = compat.requests_in_progress(crawler)
        seen["when_idle"] = None if in_progress is None else len(in_progress)
        compat.nudge_engine(crawler)
        raise DontCloseSpider
    seen["idle_gap"] = idles[1] - idles[0]


def spider_closed(spider, reason):
    slot = getattr(crawler.engine, "_slot", None)
    seen["closing_at_close"] = getattr(slot, "closing", None) is not None
    compat.nudge_engine(crawler)
    seen["reason"] = reason


process = CrawlerProcess(
    {
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "ITEM_PIPELINES": {ProbePipeline: 100},
        "PLAYWRIGHT_BROWSER_PROVIDER": FakeProvider,
    }
)
crawler = process.create_crawler(Probe)
crawler.signals.connect(spider_idle, signal=signals.spider_idle)
crawler.signals.connect(spider_closed, signal=signals.spider_closed)
process.crawl(crawler)
process.start()
seen["after_close"] = compat.requests_in_progress(crawler)
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the compat entries saw of the tiny crawl."""
    script = tmp_path_factory.mktemp("compat") / "probe_crawl.py"
    script.write_text(PROBE_CRAWL)
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"the probe crawl failed:\n{done.stderr[-3000:]}"
    seen: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen.get("reason") == "finished", f"the probe crawl did not finish: {done.stderr}"
    return seen


def test_the_engine_slot_still_has_what_compat_reads(probe: dict[str, Any]) -> None:
    for name, present in probe["slot"].items():
        assert present, changed(
            "scrapy", f"{ENTRY_IN_PROGRESS} and {ENTRY_NUDGE}", f"ExecutionEngine._slot.{name}"
        )


def test_a_request_is_in_progress_until_its_items_went_through(probe: dict[str, Any]) -> None:
    assert probe["in_callback"], changed(
        "scrapy", ENTRY_IN_PROGRESS, "the request is not in progress during its callback"
    )
    assert probe["in_pipeline"], changed(
        "scrapy", ENTRY_IN_PROGRESS, "the request leaves before its items reach the pipelines"
    )
    assert probe["when_idle"] == 0, changed(
        "scrapy", ENTRY_IN_PROGRESS, f"an idle engine has {probe['when_idle']} in progress"
    )
    assert probe["after_close"] is None


def test_a_nudge_wakes_the_idle_engine_before_its_heartbeat(probe: dict[str, Any]) -> None:
    # Unnudged, the next spider_idle comes with the slot's heartbeat, 5 s later.
    assert probe["idle_gap"] < 2.5, changed(
        "scrapy", ENTRY_NUDGE, f"the next idle came {probe['idle_gap']:.1f} s after the nudge"
    )
    assert probe["closing_at_close"], changed(
        "scrapy", ENTRY_NUDGE, "a closing slot no longer sets `closing`"
    )


# --- scrapy-redis: the queue's request encoding ---------------------------------------------

ENTRY_ENCODE = "encode_request"
ENTRY_DECODE = "decode_request"


class QueueSpider(scrapy.Spider):
    name = "queue"

    def parse_page(self, response: Response) -> None:
        pass

    def page_failed(self, failure: object) -> None:
        pass


class RecordingRedis:
    """Just what scrapy-redis's PriorityQueue calls to push and pop: it keeps one entry."""

    def __init__(self) -> None:
        self.entry: bytes | None = None

    def execute_command(self, command: str, key: str, score: int, data: bytes) -> None:
        assert command == "ZADD"
        self.entry = data

    def pipeline(self) -> RecordingRedis:
        return self

    def multi(self) -> None:
        pass

    def zrange(self, key: str, start: int, end: int) -> RecordingRedis:
        return self

    def zremrangebyrank(self, key: str, start: int, end: int) -> RecordingRedis:
        return self

    def execute(self) -> list[object]:
        return [[self.entry], 1]


def redis_queue() -> tuple[PriorityQueue, RecordingRedis, QueueSpider]:
    spider = QueueSpider()
    server = RecordingRedis()
    return PriorityQueue(server=server, spider=spider, key="%(spider)s:requests"), server, spider


@pytest.mark.parametrize(
    ("entry", "method", "expected"),
    [
        (ENTRY_ENCODE, "_encode_request", ["self", "request"]),
        (ENTRY_DECODE, "_decode_request", ["self", "encoded_request"]),
    ],
)
def test_the_queue_still_has_its_encoding_methods(
    entry: str, method: str, expected: list[str]
) -> None:
    found = getattr(RedisQueue, method, None)
    assert found is not None, changed("scrapy-redis", entry, f"queue.Base.{method} is gone")
    assert parameters(found) == expected, changed(
        "scrapy-redis", entry, f"queue.Base.{method} takes {parameters(found)}"
    )


def test_a_request_survives_the_round_trip() -> None:
    queue, _, spider = redis_queue()
    request = scrapy.Request(
        "https://example.org/news/a/",
        callback=spider.parse_page,
        errback=spider.page_failed,
        meta={"listing": "news-feed", "retry_times": 1},
        priority=7,
        dont_filter=True,
    )
    data = compat.encode_request(queue, request)
    assert isinstance(data, bytes), changed("scrapy-redis", ENTRY_ENCODE, f"it gives {data!r}")
    back = compat.decode_request(queue, data)
    assert (back.url, back.meta, back.priority, back.dont_filter) == (
        request.url,
        request.meta,
        request.priority,
        request.dont_filter,
    ), changed("scrapy-redis", ENTRY_DECODE, "a request comes back different")
    assert back.callback == spider.parse_page and back.errback == spider.page_failed, changed(
        "scrapy-redis", ENTRY_DECODE, "a request comes back with other callbacks"
    )


def test_the_lua_scripts_store_what_scrapy_redis_reads() -> None:
    # newsmon's scripts push and pop the shared queue themselves: their entries must be
    # exactly what scrapy-redis's own PriorityQueue pushes and pops.
    queue, server, spider = redis_queue()
    request = scrapy.Request("https://example.org/news/b/", callback=spider.parse_page)
    queue.push(request)
    assert server.entry == compat.encode_request(queue, request), changed(
        "scrapy-redis", ENTRY_ENCODE, "PriorityQueue.push stores something else"
    )
    popped = queue.pop()
    assert popped is not None and popped.url == request.url, changed(
        "scrapy-redis", ENTRY_DECODE, "PriorityQueue.pop reads something else"
    )


# --- scrapy-playwright: starting the browser ------------------------------------------------


def test_compat_imports_neither_plugin(probe: dict[str, Any]) -> None:
    # compat, the browser handler and the size middleware load in every crawl; Playwright
    # only where a page is rendered, scrapy-redis only in a worker.
    assert probe["plugins_imported"] == [], probe["plugins_imported"]


@pytest.mark.parametrize("method", ["_maybe_launch_in_thread", "_maybe_launch_browser"])
def test_the_handler_still_has_its_launch_methods(method: str) -> None:
    from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

    found = getattr(ScrapyPlaywrightDownloadHandler, method, None)
    assert found is not None, changed(
        "scrapy-playwright", ENTRY_LAUNCH, f"ScrapyPlaywrightDownloadHandler.{method} is gone"
    )
    assert inspect.iscoroutinefunction(found), changed(
        "scrapy-playwright", ENTRY_LAUNCH, f"{method} is no longer a coroutine function"
    )
    assert parameters(found) == ["self"], changed(
        "scrapy-playwright", ENTRY_LAUNCH, f"{method} takes {parameters(found)}"
    )


def test_launching_starts_the_driver_and_the_browser(probe: dict[str, Any]) -> None:
    assert "launch_error" not in probe, changed(
        "scrapy-playwright", ENTRY_LAUNCH, f"launching failed: {probe.get('launch_error')}"
    )
    assert probe["launched"] == ["start", "launch_browser"], changed(
        "scrapy-playwright", ENTRY_LAUNCH, f"the browser provider saw {probe['launched']}"
    )
    assert probe["has_browser"], changed(
        "scrapy-playwright", ENTRY_LAUNCH, "the handler keeps no `browser` after launching"
    )
    assert probe["browser_events"] == ["disconnected"]
    # The public close() closes what the launch opened.
    assert probe["provider"] == ["start", "launch_browser", "browser closed", "close"]
