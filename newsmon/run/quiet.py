"""Quiet by default, complete on demand: what a crawl's log says at INFO.

At INFO a crawl says what a person watching it needs: its start line and progress lines
(`newsmon.run.progress`), warnings and errors, and the run summary last. Scrapy's own
start-up dumps (versions, add-ons, enabled components, overridden settings), its LogStats
lines, its engine lines ("Spider opened", "Spider closed") and the final stats dump are moved
to DEBUG; a network error (refused, timed out, host unknown, connection lost) is one line with
the URL and the reason, without the two tracebacks that add nothing to it. `-s
NEWSMON_VERBOSE=True` (or LOG_LEVEL=DEBUG) logs all of it, tracebacks included.

A log record factory, like `newsmon.run.redact`: Scrapy replaces its root handler once the
settings are applied, and a record rewritten as it is made reaches every handler (LOG_FILE,
stderr, Scrapy's LogCount) the same.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import exceptions
from scrapy.settings import BaseSettings
from twisted.internet import error as twisted_errors

# Logger -> the INFO messages moved to DEBUG (their format strings' beginnings; None: all).
DUMPS: dict[str, tuple[str, ...] | None] = {
    "scrapy.utils.log": None,  # "Scrapy 2.19.0 started", "Versions: {...}"
    "scrapy.addons": None,  # "Enabled addons: [...]"
    "scrapy.middleware": None,  # "Enabled extensions / ... middlewares / item pipelines"
    "scrapy.crawler": ("Overridden settings",),  # not "Received SIGINT, shutting down ..."
    "scrapy.statscollectors": None,  # "Dumping Scrapy stats: {...}"
    # "Crawled N pages (at N pages/min)" every minute: newsmon's progress line says more.
    "scrapy.extensions.logstats": None,
    "scrapy.core.engine": ("Spider opened", "Closing spider", "Spider closed"),
}

# Failures of the network, not of newsmon: their traceback shows only Twisted's internals.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    exceptions.CannotResolveHostError,
    exceptions.DownloadConnectionRefusedError,
    exceptions.DownloadFailedError,
    exceptions.DownloadTimeoutError,
    exceptions.DownloadCancelledError,
    exceptions.ResponseDataLossError,
    twisted_errors.ConnectError,
    twisted_errors.DNSLookupError,
    twisted_errors.TimeoutError,
    twisted_errors.ConnectionLost,
    ConnectionError,
    TimeoutError,
)
ROBOTS_LOGGER = "scrapy.downloadermiddlewares.robotstxt"


def is_verbose(settings: BaseSettings) -> bool:
    """NEWSMON_VERBOSE is true or LOG_LEVEL is DEBUG.

    A bad value counts as false here: the settings check refuses it in one line a moment later.
    """
    try:
        verbose = settings.getbool("NEWSMON_VERBOSE", False)
    except ValueError:
        verbose = False
    return verbose or str(settings.get("LOG_LEVEL") or "").upper() == "DEBUG"


def quieten(record: logging.LogRecord) -> None:
    """Move a dump to DEBUG; make a network error one line without its traceback."""
    if record.levelno == logging.INFO and record.name in DUMPS:
        starts = DUMPS[record.name]
        if starts is None or str(record.msg).startswith(starts):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return
    exc_info = record.exc_info
    if not exc_info or not isinstance(exc_info[1], NETWORK_ERRORS):
        return
    if record.name == ROBOTS_LOGGER:
        # Scrapy names the request that waited for robots.txt, not robots.txt itself.
        _name_robots_txt(record, exc_info[1])
    record.exc_info, record.exc_text = None, None


def _name_robots_txt(record: logging.LogRecord, error: BaseException) -> None:
    """'robots.txt of http://host could not be fetched (reason); ...' instead."""
    args = record.args if isinstance(record.args, dict) else {}
    request = args.get("request")
    url = str(getattr(request, "url", "") or "")
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else "the site"
    record.msg = "robots.txt of %s could not be fetched (%s); crawling without it"
    record.args = (origin, error)


_state = {"installed": False, "verbose": False}


def install(settings: BaseSettings) -> None:
    """Quiet every log record from now on, unless the settings ask for everything."""
    _state["verbose"] = is_verbose(settings)
    if _state["installed"]:
        return
    make_record = logging.getLogRecordFactory()

    def quiet_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if not _state["verbose"]:
            quieten(record)
        return record

    logging.setLogRecordFactory(quiet_factory)
    _state["installed"] = True
