"""Secure defaults for an unattended service, checked on real crawls where they act.

- no listening socket: Scrapy's telnet console and remote-control port stay closed (a crawl
  with the console switched back on proves the probe sees one);
- secrets never reach the log: HTTPAUTH_PASS, AWS keys, URL credentials;
- only http(s) on the site: file://, data: and other hosts are refused (the requests
  themselves are exercised in test_hostile);
- a size limit fit for news pages;
- XML and HTML are parsed without entity expansion, external or internal.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, XmlResponse
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from newsmon.crawl.middlewares.guard import SiteOrigin
from newsmon.extract.article import ArticlePage, NotAnArticle
from newsmon.run.redact import REDACTED, Redactor, redact_record, redact_url, secret_values
from newsmon.run.startup import RemoteControlWhenEnabled
from tests.crawling import FAST, ROOT, run_crawl
from tests.replica.client import Replica

PASSWD = "root:x:0:0"
XXE = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
    '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>\n'
)


# --- no listening socket -------------------------------------------------------------------


def listening_inodes() -> set[str]:
    """Socket inodes in LISTEN state, system-wide (IPv4 and IPv6 TCP)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "0A":  # TCP_LISTEN
                inodes.add(fields[9])
    return inodes


def socket_inodes(pid: int) -> set[str]:
    """Inodes of the sockets a process holds open."""
    inodes = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if match := re.fullmatch(r"socket:\[(\d+)\]", target):
            inodes.add(match.group(1))
    return inodes


def listening_while_crawling(replica: Replica, tmp_path: Path, **settings: str) -> tuple[int, str]:
    """Run a crawl; return how many listening sockets it held once its engine ran, and its log."""
    merged = {
        **FAST,
        "NEWSMON_BASE_URL": replica.base_url,
        "NEWSMON_OUTPUT_DIR": str(tmp_path / "output"),
        "NEWSMON_STATE_PATH": str(tmp_path / "state.sqlite3"),
        "NEWSMON_MAX_PAGES": "1",
        **settings,
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "newsfeed"]
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    log_path = tmp_path / "crawl.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
    listening: set[str] = set()
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        # Scrapy opens its console and control port when the engine starts, which is logged.
        if b"Spider opened" in log_path.read_bytes():
            listening |= socket_inodes(process.pid) & listening_inodes()
        time.sleep(0.02)
    process.wait(timeout=60)
    return len(listening), log_path.read_text()


def test_a_crawl_opens_no_port(replica_small: Replica, tmp_path: Path) -> None:
    count, log = listening_while_crawling(replica_small, tmp_path)
    assert "Spider opened" in log and "Traceback" not in log
    assert count == 0, "the crawl listened on a socket"
    assert "Telnet console listening" not in log
    assert not re.search(r"remote.control.*listening", log, re.IGNORECASE)


def test_the_port_probe_sees_a_telnet_console(replica_small: Replica, tmp_path: Path) -> None:
    """The probe above can fail: with Scrapy's default telnet console it finds the port."""
    count, log = listening_while_crawling(replica_small, tmp_path, TELNETCONSOLE_ENABLED="True")
    assert "Telnet console listening" in log
    assert count >= 1


def test_the_remote_control_still_works_when_switched_on(
    replica_small: Replica, tmp_path: Path
) -> None:
    """newsmon does not even import Scrapy's remote control unless a run switches it on; a
    run that does gets it as in Scrapy: one server, on a port of its own."""
    jobs = tmp_path / "jobs"
    count, log = listening_while_crawling(
        replica_small, tmp_path, REMOTE_CONTROL_ENABLED="True", REMOTE_CONTROL_JOBS_DIR=str(jobs)
    )
    assert "Traceback" not in log
    assert log.count("Remote control HTTP server listening") == 1
    assert count >= 1


@pytest.mark.parametrize("order", [0, None])
def test_extensions_that_name_the_remote_control_have_the_last_word(order: int | None) -> None:
    """A run whose EXTENSIONS names Scrapy's RemoteControl (an order, or None to switch it
    off) gets Scrapy's own entry only: newsmon's stand-in steps aside."""
    settings = get_project_settings()
    settings.set("REMOTE_CONTROL_ENABLED", True)
    settings.set("EXTENSIONS", {"scrapy.extensions.remote_control.RemoteControl": order})
    with pytest.raises(NotConfigured):
        RemoteControlWhenEnabled.from_crawler(Crawler(Spider, settings))


# --- secrets ---------------------------------------------------------------------------------

SECRETS = {
    "HTTPAUTH_USER": "monitor",
    "HTTPAUTH_PASS": "pa55-word-never-logged",
    "HTTPAUTH_DOMAIN": "127.0.0.1",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-K7MDENG-bPxRfiCY",
}


def test_secret_settings_never_reach_the_log(replica_small: Replica, tmp_path: Path) -> None:
    result = run_crawl(
        "newsfeed",
        replica_small.base_url,
        tmp_path,
        settings={"NEWSMON_MAX_PAGES": "1", **SECRETS},
    )
    assert result.returncode == 0, result.log[-3000:]
    assert "Overridden settings" in result.log
    assert "pa55-word-never-logged" not in result.log
    assert "wJalrXUtnFEMI-K7MDENG-bPxRfiCY" not in result.log
    assert f"'HTTPAUTH_PASS': '{REDACTED}'" in result.log
    # Names that are not secrets stay readable.
    assert "'HTTPAUTH_USER': 'monitor'" in result.log


def test_secret_values_are_found_by_name() -> None:
    settings = Settings(
        {
            "HTTPAUTH_PASS": "hunter22",
            "MY_API_TOKEN": "tok-12345",
            "AWS_ACCESS_KEY_ID": "AKIA1234",
            "NEWSMON_FEED_SIZE": 50,
            "HTTPAUTH_DOMAIN": "kyivindependent.com",
            "FTP_PASSIVE_MODE": "True",
        }
    )
    found = secret_values(settings)
    assert {"hunter22", "tok-12345", "AKIA1234"} <= set(found)
    assert "kyivindependent.com" not in found and "True" not in found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET http://user:pw@site.test/a/", "GET http://***@site.test/a/"),
        ("proxy https://token@proxy.test:3128", "proxy https://***@proxy.test:3128"),
        ("s3://AKIA:se%2Fcret@bucket/x", "s3://***@bucket/x"),
        ("mail me: editor@site.test", "mail me: editor@site.test"),
        ("http://site.test/a@b", "http://site.test/a@b"),
    ],
)
def test_credentials_in_urls_are_redacted(text: str, expected: str) -> None:
    assert redact_url(text) == expected


def test_a_log_record_is_redacted_with_its_traceback() -> None:
    redactor = Redactor(["sup3r-secret"])
    try:
        raise ValueError("failed with sup3r-secret at http://u:p@h.test/")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "token %s", ("sup3r-secret",), sys.exc_info()
        )
    redact_record(record, redactor)
    assert record.getMessage() == f"token {REDACTED}"
    assert "sup3r-secret" not in (record.exc_text or "")
    assert "u:p@" not in (record.exc_text or "")


# --- what is fetched -------------------------------------------------------------------------


def test_only_http_handlers_and_no_meta_refresh() -> None:
    settings = get_project_settings()
    handlers = settings.getdict("DOWNLOAD_HANDLERS")
    for scheme in ("file", "data", "ftp", "s3"):
        assert handlers.get(scheme, "missing") is None, scheme
    assert not settings.getbool("METAREFRESH_ENABLED")
    assert settings.getint("REDIRECT_MAX_TIMES") <= 5


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://kyivindependent.com/a/", None),
        ("https://www.kyivindependent.com/a/", None),
        ("http://kyivindependent.com/a/", None),
        ("http://kyivindependent.com:80/a/", None),
        ("file:///etc/passwd", "scheme"),
        ("data:text/html,<h1>x</h1>", "scheme"),
        ("ftp://kyivindependent.com/a", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("https://evil.test/a/", "offsite"),
        ("https://kyivindependent.com.evil.test/a/", "offsite"),
        ("https://assets.kyivindependent.com/x.jpg", "offsite"),
        ("https://kyivindependent.com:8443/a/", "offsite"),
        ("https://u:p@kyivindependent.com/a/", "credentials"),
    ],
)
def test_the_site_origin(url: str, reason: str | None) -> None:
    refusal = SiteOrigin("https://kyivindependent.com").refusal(url)
    assert (refusal[0] if refusal else None) == reason


def test_a_port_is_part_of_the_origin() -> None:
    origin = SiteOrigin("http://127.0.0.1:8080")
    assert origin.refusal("http://127.0.0.1:8080/a/") is None
    assert origin.refusal("http://127.0.0.1:8081/a/") == (
        "offsite",
        "another port of the site's host",
    )
    assert origin.refusal("http://127.0.0.1/a/") is not None


def test_download_size_limit_fits_news_pages() -> None:
    settings = get_project_settings()
    # A news page, scripts and inline data included, is a few hundred KB.
    assert 1 << 20 <= settings.getint("DOWNLOAD_MAXSIZE") <= 16 << 20
    assert settings.getint("DOWNLOAD_WARNSIZE") < settings.getint("DOWNLOAD_MAXSIZE")


# --- XML and HTML without entity expansion ---------------------------------------------------


def test_xml_is_parsed_without_entity_expansion() -> None:
    body = XXE + "<r><title>&xxe;</title><p>&d;</p></r>"
    response = XmlResponse("https://kyivindependent.com/feed.xml", body=body.encode())
    text = "".join(response.xpath("//text()").getall())
    assert PASSWD not in text
    assert "a" * 100 not in text, "internal entities were expanded"


def test_an_html_page_with_a_doctype_of_entities_expands_nothing() -> None:
    body = (
        XXE.replace("<!DOCTYPE r", "<!DOCTYPE html")
        + '<html><head><title>&xxe;</title></head><body><h1 class="post__title">&xxe; &d;</h1>'
        "<div class='c-content '><p>&xxe; &d; is all this page says.</p></div></body></html>"
    )
    response = HtmlResponse("https://kyivindependent.com/x/", body=body.encode())
    try:
        item = ArticlePage.from_response(response).to_item()
    except NotAnArticle:
        return
    assert PASSWD not in item.title + item.body + item.body_html
    assert "a" * 100 not in item.title + item.body
