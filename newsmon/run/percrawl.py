"""One object per crawl, shared by the components of that crawl and forgotten with it."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

T = TypeVar("T")


class PerCrawl(Generic[T]):
    """`PerCrawl(make)(crawler)`: the crawl's object, made by `make(crawler)` on first use.

    Weak keys: a finished crawler is not kept alive by it.
    """

    def __init__(self, make: Callable[[Crawler], T]) -> None:
        self.make = make
        self._made: weakref.WeakKeyDictionary[Crawler, T] = weakref.WeakKeyDictionary()

    def __call__(self, crawler: Crawler) -> T:
        """The crawl's object, made now if it is the first call for this crawl."""
        found = self._made.get(crawler)
        if found is None:
            found = self._made[crawler] = self.make(crawler)
        return found
