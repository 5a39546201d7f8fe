"""Start-up costs a crawl does not need to pay: Scrapy extensions imported only when on.

Scrapy imports every extension its settings list, to compare their names, before a switched
off one says so. Scrapy 2.19's remote control (`scrapy.extensions.remote_control`) imports
aiohttp for its HTTP server: a tenth of a second of every crawl's start, for an extension
newsmon switches off (REMOTE_CONTROL_ENABLED = False). `RemoteControlWhenEnabled` takes its
place in EXTENSIONS_BASE, at its order: it imports and builds Scrapy's extension only for a
run that switches it on (`-s REMOTE_CONTROL_ENABLED=True`), which then works as in Scrapy; a
run whose EXTENSIONS names RemoteControl itself (an order, or None) gets Scrapy's own entry.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler

REMOTE_CONTROL = "scrapy.extensions.remote_control.RemoteControl"


class RemoteControlWhenEnabled:
    """Scrapy's RemoteControl extension, imported only when REMOTE_CONTROL_ENABLED is true."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        """Scrapy's extension for a run that switches it on; NotConfigured for any other."""
        if not crawler.settings.getbool("REMOTE_CONTROL_ENABLED"):
            raise NotConfigured  # switched off, as Scrapy's own would be: nothing to log
        if any(_names_remote_control(name) for name in crawler.settings.getdict("EXTENSIONS")):
            # The run's EXTENSIONS has its say (an order, or None to switch it off): Scrapy's
            # own entry does what it says, and a second server would be one too many.
            raise NotConfigured
        from scrapy.extensions.remote_control import RemoteControl

        return build_from_crawler(RemoteControl, crawler)


def _names_remote_control(name: Any) -> bool:
    """Tell whether an EXTENSIONS key (a dotted path or a class) is Scrapy's RemoteControl."""
    path = name if isinstance(name, str) else f"{name.__module__}.{name.__qualname__}"
    return bool(path == REMOTE_CONTROL)
