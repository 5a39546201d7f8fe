"""Bot protection in front of the replica (`--challenge site|articles|some-articles`), as hooks.

The site answers crawlers the way a CDN's bot protection does: a page that is not the page
asked for, a challenge to solve in a browser or a plain "access denied".

- `--challenge site`: every page (robots.txt aside, which CDNs usually let through);
  `articles`: every article page; `some-articles`: about a third of them, drawn per URL from
  `--seed` (always the same ones).
- `--challenge-status 403|503|429|200`: the status (Cloudflare's managed challenge is 403,
  its older JS challenge 503). Cloudflare's answers carry `cf-mitigated: challenge` except
  with 200: that variant must be recognised by its markup alone.
- `--challenge-vendor cloudflare|akamai|imperva|sucuri|datadome|perimeterx|plain`: whose
  page. The pages are written after what each vendor really sends (the marks a crawler can
  see: titles, scripts, reference numbers, headers), with made-up ids. `plain` is a bare
  "403 Forbidden" (or whatever the status) from a server that says nothing more.
- `--challenge-retry-after SECONDS`: a Retry-After header on every challenge.

Every challenge is logged in the request log with its status, like any answer.
"""

from __future__ import annotations

import argparse
import hashlib
import re

from tests.replica.content import Site
from tests.replica.faults import draw
from tests.replica.server import Hook, Request, Response

TARGETS = ("site", "articles", "some-articles")
VENDORS = ("cloudflare", "akamai", "imperva", "sucuri", "datadome", "perimeterx", "plain")
STATUSES = (403, 503, 429, 200)
SOME_SHARE = 1 / 3
NO_STORE = "private, max-age=0, no-store, no-cache, must-revalidate"


def hooks(args: argparse.Namespace, site: Site) -> list[Hook]:
    """The challenge hook, if `--challenge` asks for one."""
    if args.challenge == "none":
        return []
    return [
        ChallengeHook(
            site,
            args.seed,
            args.challenge,
            vendor=args.challenge_vendor,
            status=args.challenge_status,
            retry_after=args.challenge_retry_after,
        )
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The --challenge options."""
    parser.add_argument(
        "--challenge",
        choices=("none", *TARGETS),
        default="none",
        help="bot protection answers every page, every article, or a third of the articles",
    )
    parser.add_argument("--challenge-vendor", choices=VENDORS, default="cloudflare")
    parser.add_argument("--challenge-status", type=int, choices=STATUSES, default=403)
    parser.add_argument("--challenge-retry-after", type=int, default=None, metavar="SECONDS")


class ChallengeHook(Hook):
    """Answer the chosen pages with a vendor's challenge or block page."""

    def __init__(
        self,
        site: Site,
        seed: int,
        target: str,
        *,
        vendor: str = "cloudflare",
        status: int = 403,
        retry_after: int | None = None,
    ) -> None:
        self.site = site
        self.seed = seed
        self.target = target
        self.vendor = vendor
        self.status = status
        self.retry_after = retry_after

    def challenged(self, path: str) -> bool:
        """Whether bot protection stands in front of `path`."""
        if path == "/robots.txt":
            return False
        if self.target == "site":
            return True
        match = re.fullmatch(r"/([^/]+)/?", path)
        if not match or match.group(1) not in self.site.by_slug:
            return False
        return self.target == "articles" or draw(self.seed, f"challenge:{path}") < SOME_SHARE

    def before(self, request: Request) -> Response | None:
        """The challenge instead of the page."""
        if request.method not in ("GET", "HEAD") or not self.challenged(request.path):
            return None
        host = request.headers.get("Host") or "127.0.0.1"
        body, headers = challenge_page(self.vendor, host, request.path, self.status)
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return Response(self.status, body, headers)


def challenge_page(vendor: str, host: str, path: str, status: int) -> tuple[bytes, dict[str, str]]:
    """A vendor's challenge or block page for `path`, and the headers it comes with."""
    ray = hashlib.sha1(f"{host}{path}".encode()).hexdigest()[:16]
    headers = {"Content-Type": "text/html; charset=UTF-8", "Cache-Control": NO_STORE}
    if vendor == "cloudflare":
        headers.update({"Server": "cloudflare", "CF-RAY": f"{ray}-KBP"})
        if status != 200:
            headers["cf-mitigated"] = "challenge"
        return cloudflare_page(host, ray).encode(), headers
    pages = {
        "akamai": (akamai_page, {"Server": "AkamaiGHost"}),
        "imperva": (imperva_page, {"X-CDN": "Imperva", "X-Iinfo": f"9-{int(ray[:6], 16)}-0 0NNN"}),
        "sucuri": (sucuri_page, {"Server": "Sucuri/Cloudproxy", "X-Sucuri-Block": "BNP005"}),
        "datadome": (datadome_page, {"X-DataDome": "protected", "X-DD-B": "2"}),
        "perimeterx": (perimeterx_page, {}),
        "plain": (lambda host, path, ray: plain_page(status), {"Server": "nginx"}),
    }
    render, extra = pages[vendor]
    headers.update(extra)
    return render(host, path, ray).encode(), headers


def cloudflare_page(host: str, ray: str) -> str:
    """Cloudflare's managed challenge ("Just a moment..."), as a crawler receives it."""
    return (
        '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
        '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
        '<meta http-equiv="X-UA-Compatible" content="IE=Edge">'
        '<meta name="robots" content="noindex,nofollow">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<style>*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15}"
        "body{display:flex;flex-direction:column;height:100vh;min-height:100vh}</style>"
        '</head><body><div class="main-wrapper" role="main"><div class="main-content">'
        f'<h1 class="zone-name-title h1">{host.split(":")[0]}</h1>'
        '<p id="Truv1" class="h2 spacer-bottom">Verifying you are human. This may take a '
        'few seconds.</p><noscript><div class="h2"><span id="challenge-error-text">Enable '
        "JavaScript and cookies to continue</span></div></noscript></div></div>"
        "<script>(function(){window._cf_chl_opt={cvId: '3',cZone: "
        f"\"{host.split(':')[0]}\",cType: 'managed',cRay: '{ray}',cH: 'x0Yz',"
        "cUPMDTk: \"\\/?__cf_chl_tk=AbC.dEf-1700000000-0-gaNycGzNCz0\",cFPWv: 'g',"
        "cITimeS: '1700000000'};var cpo=document.createElement('script');"
        f"cpo.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray={ray}';"
        "window._cf_chl_opt.cOgUHash=location.hash;"
        "var a=document.getElementsByTagName('head')[0];a.appendChild(cpo);}());</script>"
        '<div class="footer" role="contentinfo"><div class="footer-inner">'
        f'<div class="clearfix diagnostic-wrapper"><div class="ray-id">Ray ID: <code>{ray}'
        '</code></div></div><div class="text-center" id="footer-text">Performance &amp; '
        "security by Cloudflare</div></div></div></body></html>"
    )


def akamai_page(host: str, path: str, ray: str) -> str:
    """Akamai's "Access Denied" page: every character of the URL an HTML entity."""
    url = "".join(f"&#{ord(c)};" if not c.isalnum() else c for c in f"http://{host}{path}")
    reference = f"18&#46;{ray[:8]}&#46;1700000000&#46;{ray[8:]}"
    return (
        "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \n"
        f'You don\'t have permission to access "{url}" on this server.<P>\n'
        f"Reference&#32;&#35;{reference}\n"
        f"<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;{reference}</P>\n"
        "</BODY>\n</HTML>\n"
    )


def imperva_page(host: str, path: str, ray: str) -> str:
    """Imperva's (Incapsula's) challenge frame."""
    info, incident = int(ray[:6], 16), int(ray[6:12], 16)
    return (
        '<html style="height:100%"><head><META NAME="ROBOTS" CONTENT="NOINDEX, NOFOLLOW">'
        '<meta name="format-detection" content="telephone=no">'
        '<meta name="viewport" content="initial-scale=1.0">'
        '<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1"></head>'
        '<body style="margin:0px;height:100%"><iframe id="main-iframe" '
        f'src="/_Incapsula_Resource?CWUDNSAI=24&xinfo=9-{info}-0%200NNN%20RT'
        f'&incident_id=0-{incident}&edet=12" frameborder=0 width="100%" height="100%" '
        'marginheight="0px" marginwidth="0px">'
        f"Request unsuccessful. Incapsula incident ID: 0-{incident}</iframe></body></html>"
    )


def sucuri_page(host: str, path: str, ray: str) -> str:
    """Sucuri's firewall block page."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Sucuri WebSite Firewall - Access Denied</title>"
        '<link rel="stylesheet" href="https://cdn.sucuri.net/sucuri-firewall-block.css">'
        '</head><body><div id="main-container"><h1>Access Denied - Sucuri Website Firewall</h1>'
        "<p>If you are the site owner (or you manage this site), please whitelist your IP or "
        "if you think this block is an error please open a support ticket and make sure to "
        f"include the block details (displayed in the box below).</p><table><tr><td>URL:</td>"
        f"<td>{host}{path}</td></tr><tr><td>Block ID:</td><td>BNP005</td></tr><tr><td>Block "
        "reason:</td><td>Bad bot access attempt.</td></tr></table><p>Questions? "
        "cloudproxy@sucuri.net</p></div></body></html>"
    )


def datadome_page(host: str, path: str, ray: str) -> str:
    """DataDome's captcha page: the captcha comes from captcha-delivery.com."""
    return (
        f"<html><head><title>{host.split(':')[0]}</title><style>#cmsg{{animation: A 1.5s;}}"
        "@keyframes A{0%{opacity:0;}99%{opacity:0;}100%{opacity:1;}}</style></head>"
        '<body style="margin:0"><p id="cmsg">Please enable JS and disable any ad blocker</p>'
        "<script data-cfasync=\"false\">var dd={'rt':'c','cid':'AHrlqAAAAAMA"
        f"{ray.upper()}==','hsh':'2211F522B61E269B869FA6EAFFB5E1','t':'fe','s':43337,"
        f"'e':'{ray}','host':'geo.captcha-delivery.com','cookie':'{ray}'}}</script>"
        '<script data-cfasync="false" src="https://ct.captcha-delivery.com/c.js"></script>'
        "</body></html>"
    )


def perimeterx_page(host: str, path: str, ray: str) -> str:
    """PerimeterX's (HUMAN's) "press and hold" block page."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Access to this page has been denied.</title></head><body>"
        '<section class="container"><div class="page-title-wrapper"><div class="page-title">'
        "<h1>Please verify you are a human</h1></div></div>"
        '<div class="content-wrapper"><div class="content"><div id="px-captcha"></div>'
        "<p>Access to this page has been denied because we believe you are using automation "
        "tools to browse the website.</p>"
        f"<p>Reference ID: {ray}</p></div></div></section>"
        "<script>window._pxAppId = 'PXa1b2c3d4';window._pxJsClientSrc = "
        "'/a1b2c3d4/init.js';window._pxFirstPartyEnabled = true;</script>"
        '<script src="https://captcha.px-cdn.net/PXa1b2c3d4/captcha.js?a=c&m=0"></script>'
        "</body></html>"
    )


def plain_page(status: int) -> str:
    """A bare error page that names no one."""
    words = {403: "Forbidden", 503: "Service Unavailable", 429: "Too Many Requests", 200: "OK"}
    title = f"{status} {words.get(status, '')}".strip()
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
