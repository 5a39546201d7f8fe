"""Start-up costs a crawl does not need to pay: Scrapy extensions imported only when on.

Scrapy imports every extension its settings list, to compare their names, before a switched
off one says so. Scrapy 2.19's remote control (`scrapy.extensions.remote_control`) imports
aiohttp for its HTTP server: a tenth of a second of every crawl's start, for an extension
newsmon switches off (REMOTE_CONTROL_ENABLED = False). `RemoteControlWhenEnabled` takes its
place in EXTENSIONS_BASE, at its order: it imports and builds Scrapy's extension only for a
run that switches it on (`-s REMOTE_CONTROL_ENABLED=True`), which then works as in Scrapy.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler


class RemoteControlWhenEnabled:
    """Scrapy's RemoteControl extension, imported only when REMOTE_CONTROL_ENABLED is true."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        """Scrapy's extension for a run that switches it on; NotConfigured for any other."""
        if not crawler.settings.getbool("REMOTE_CONTROL_ENABLED"):
            raise NotConfigured  # switched off, as Scrapy's own would be: nothing to log
        from scrapy.extensions.remote_control import RemoteControl

        return build_from_crawler(RemoteControl, crawler)
