"""Keep every request on the monitored site: http(s) on the origin of NEWSMON_BASE_URL, no other.

Scrapy's own defences leave gaps a hostile page can use. OffsiteMiddleware compares host
names only (another port of the same host passes), lets every `dont_filter` request through
(every listing request is one), and drops an off-site redirect in the scheduler with a debug
line. With the file:// and data: download handlers off, a redirect to them ends as an
unexplained "HTTP 302" error. The duplicate filter drops the second hop of a redirect loop
without a word. This middleware refuses each of these with a reason that says what happened,
counted under `newsmon/refused/<reason>`:

- `offsite`: a request, or a redirect target, on another host or port;
- `scheme`: a redirect (or request) to anything but http(s): file://, data:, ftp:, ...;
- `credentials`: a URL with a `user:password@` part (a planted link, say);
- `redirect_loop`: a redirect back to a URL already visited in the same chain.

It sits just above RedirectMiddleware (600), so it sees a redirect before it is followed.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from w3lib.url import safe_url_string

from newsmon.config import base_url_from_settings
from newsmon.run.redact import redact_url

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}


class RefusedRequest(IgnoreRequest):
    """A request newsmon will not make; the message says why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class SiteOrigin:
    """The origin newsmon may fetch from: the base URL's host (and its www twin) and port."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        host = (parts.hostname or "").lower()
        bare = host.removeprefix("www.")
        self.hosts = frozenset({bare, f"www.{bare}"})
        self.port = parts.port  # None: the scheme's default port, for http and https alike

    def refusal(self, url: str) -> tuple[str, str] | None:
        """Why `url` may not be fetched, as (stat reason, words), or None if it may."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return "scheme", "a malformed URL"
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            return "scheme", f"a {scheme or 'relative'}: URL, not http(s)"
        if parts.username is not None or parts.password is not None:
            # Credentials would be sent to whoever planted the link, and land in every log.
            return "credentials", "a URL carrying a user name or password"
        if (parts.hostname or "").lower() not in self.hosts:
            return "offsite", "another site"
        if self.port is None:
            # A default-port site: http:80 and https:443 are both the site, anything else not.
            if port not in (None, *DEFAULT_PORTS.values()):
                return "offsite", "another port of the site's host"
        elif (port or DEFAULT_PORTS[scheme]) != self.port:
            return "offsite", "another port of the site's host"
        return None


class SiteGuardMiddleware:
    """Refuse requests and redirects that leave the site, change scheme or loop."""

    def __init__(self, crawler: Crawler, origin: SiteOrigin) -> None:
        self.crawler = crawler
        self.origin = origin

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteGuardMiddleware:
        """Guard the origin of NEWSMON_BASE_URL."""
        return cls(crawler, SiteOrigin(base_url_from_settings(crawler.settings)))

    def process_request(self, request: Request) -> None:
        """Refuse a request for anything but the site's own origin."""
        refusal = self.origin.refusal(request.url)
        if refusal is not None:
            reason, words = refusal
            self._refuse(request, reason, f"refused a request for {words}: {request.url}")

    def process_response(self, request: Request, response: Response) -> Response:
        """Refuse a redirect that leaves the site, changes scheme or goes round in a loop."""
        if response.status not in REDIRECT_STATUSES or request.meta.get("dont_redirect"):
            return response
        location = response.headers.get("Location")
        if not location:
            return response
        target = urljoin(request.url, safe_url_string(location.decode("latin-1").strip()))
        refusal = self.origin.refusal(target)
        if refusal is not None:
            reason, words = refusal
            self._refuse(request, reason, f"refused a redirect to {words}: {target}")
        visited = {_without_fragment(url) for url in request.meta.get("redirect_urls", [])}
        visited.add(_without_fragment(request.url))
        if _without_fragment(target) in visited:
            self._refuse(request, "redirect_loop", f"refused a redirect loop back to {target}")
        return response

    def _refuse(self, request: Request, reason: str, message: str) -> None:
        """Count the refusal and end the request; its errback, if any, reports it."""
        # The message travels on (errback, run report): no credentials a planted URL carried.
        message = redact_url(message)
        # RobotsTxtMiddleware asks for the robots.txt of every origin a page request names;
        # that refusal goes with the page's own, so it is counted apart and not logged.
        robots = bool(request.meta.get("dont_obey_robotstxt"))
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value(f"newsmon/refused/{'robots/' if robots else ''}{reason}")
        # The spider's errback logs the failure in one line with the page it was fetching.
        # A request nobody will report gets its line here.
        level = logging.DEBUG if robots or request.errback is not None else logging.WARNING
        logger.log(level, "%s (while fetching %s)", message, redact_url(request.url))
        raise RefusedRequest(reason, message)


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]
