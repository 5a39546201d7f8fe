"""Redis key names of a shared crawl and of the item queue, and the connection to Redis."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from newsmon.config import NewsmonConfigError
from newsmon.run.redact import redact_url

if TYPE_CHECKING:
    import redis

# The URL schemes redis-py understands: TCP, TLS, and a Unix socket.
REDIS_SCHEMES = ("redis", "rediss", "unix")
# Plain key characters: no spaces, no "%" (scrapy-redis formats its key names with %).
_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
# Long enough for a Redis on another machine under load; a crawl's calls are all small.
SOCKET_TIMEOUT_SECONDS = 30.0


def check_redis_url(url: str) -> str:
    """The URL, stripped; NewsmonConfigError (credentials redacted) if it is not a Redis URL."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        valid = parts.scheme in REDIS_SCHEMES and bool(
            parts.hostname if parts.scheme != "unix" else parts.path
        )
        if valid and parts.scheme != "unix":
            _ = parts.port  # a port that is not a number raises here
    except ValueError:
        valid = False
    if not valid:
        raise NewsmonConfigError(
            "a Redis URL looks like redis://host:6379/0 (or rediss://, unix://), "
            f"not {redact_url(url)!r}"
        )
    return url


def redis_url_from_settings(settings: BaseSettings) -> str:
    """NEWSMON_REDIS_URL, checked; "" when the crawl runs on one machine."""
    raw = str(settings.get("NEWSMON_REDIS_URL") or "").strip()
    return check_redis_url(raw) if raw else ""


def prefix_from_settings(settings: BaseSettings) -> str:
    """NEWSMON_REDIS_PREFIX, checked: the start of every key, so monitors can share a Redis."""
    prefix = str(settings.get("NEWSMON_REDIS_PREFIX") or "").strip()
    if not _PREFIX.match(prefix):
        raise NewsmonConfigError(
            "NEWSMON_REDIS_PREFIX must be letters, digits and . _ : - (such as 'newsmon'), "
            f"not {prefix!r}"
        )
    return prefix


def positive_seconds(settings: BaseSettings, name: str, default: float) -> float:
    """A setting that is a number of seconds above 0; NewsmonConfigError otherwise."""
    try:
        value = settings.getfloat(name, default)
    except (TypeError, ValueError):
        value = 0.0
    if not value > 0:  # also refuses NaN
        raise NewsmonConfigError(
            f"{name} must be a number of seconds above 0, not {settings.get(name)!r}"
        )
    return value


def connect(url: str) -> redis.Redis:
    """A client for `url` that answered PING; NewsmonConfigError (redacted) if it did not."""
    # Imported here: the add-on reads this module in every crawl, Redis or not.
    import redis

    try:
        client = redis.Redis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            retry_on_timeout=True,
        )
        client.ping()
    except (redis.RedisError, ValueError) as error:
        raise NewsmonConfigError(
            f"cannot use Redis at {redact_url(url)}: {redact_url(str(error))}"
        ) from error
    return client


@dataclass(frozen=True)
class ItemKeys:
    """Keys of the item queue that workers fill and the publisher empties."""

    prefix: str

    @property
    def items(self) -> str:
        """List of item envelopes; workers push on the left, the publisher takes the right."""
        return f"{self.prefix}:items"

    @property
    def processing(self) -> str:
        """The publisher's batch in progress: emptied only once the store holds it."""
        return f"{self.prefix}:items:processing"

    @property
    def rejected(self) -> str:
        """Payloads the publisher could not read, kept for inspection (never dropped)."""
        return f"{self.prefix}:items:rejected"

    @property
    def listings(self) -> str:
        """Set of the listing slugs the crawls walked: the publisher writes their feeds."""
        return f"{self.prefix}:listings"

    @property
    def publisher(self) -> str:
        """Lock key: one publisher consumes at a time."""
        return f"{self.prefix}:publisher"


@dataclass(frozen=True)
class CrawlKeys:
    """Keys of one spider's shared crawl."""

    prefix: str
    spider: str

    @property
    def base(self) -> str:
        """Start of every key of this crawl; the Lua scripts build per-worker keys from it."""
        return f"{self.prefix}:{self.spider}:"

    @property
    def requests(self) -> str:
        """scrapy-redis's priority queue (a sorted set of serialized requests)."""
        return f"{self.base}requests"

    @property
    def dupefilter(self) -> str:
        """scrapy-redis's duplicate filter (a set of request fingerprints)."""
        return f"{self.base}dupefilter"

    @property
    def crawl(self) -> str:
        """Hash: state (seeding, seeded, finished), seeder, generation, times, page count."""
        return f"{self.base}crawl"

    @property
    def workers(self) -> str:
        """Set of the workers that joined (dead ones are swept out)."""
        return f"{self.base}workers"

    def alive(self, worker: str) -> str:
        """A worker's heartbeat key; it expires when the worker stops renewing it."""
        return f"{self.base}alive:{worker}"

    def leases(self, worker: str) -> str:
        """Hash of the requests a worker took from the queue and has not finished."""
        return f"{self.base}leases:{worker}"

    @property
    def walk_counts(self) -> str:
        """Hash: per listing walk, its article requests queued or leased and not finished."""
        return f"{self.base}walks:outstanding"

    @property
    def held_pages(self) -> str:
        """Hash: per listing walk, its next page held back while its count is at the bound."""
        return f"{self.base}walks:held"
