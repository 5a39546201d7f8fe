"""Signals the spiders send, for the stages above the crawl (health) to listen to.

Sent with `crawler.signals.send_catch_log`; a listener's error is logged, never breaks the
crawl.
"""

from __future__ import annotations

# A listing page was read to its end: keyword arguments `url` (the listing page's URL) and
# `found` (`newsmon.extract.listing.CardsFound`: the cards and the source that gave them,
# after every step of the chain, the app's data endpoint and the site's RSS included).
listing_read = object()
