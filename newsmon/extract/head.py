"""What a page says about itself in <head>: meta tags, canonical link and JSON-LD."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from newsmon.extract.index import CONTENT, TagIndex, xml_tokens
from newsmon.extract.normalize.jsondata import (
    MAX_APP_DATA_CHARS,
    MAX_JSONLD_CHARS,
    JsonRefused,
    load_json,
)

logger = logging.getLogger(__name__)

# Ghost emits "Article"; other schema.org article types are accepted in case a redesign
# switches to the more specific ones.
ARTICLE_TYPES = frozenset(
    {"Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting"}
    | {"OpinionNewsArticle", "LiveBlogPosting", "BackgroundNewsArticle", "Report"}
)


class PageHead:
    """Meta tags, canonical link and the JSON-LD article object of one page."""

    def __init__(self, index: TagIndex) -> None:
        self._index = index
        self._meta: dict[str, list[str]] = {}
        for node in self._index.elements("meta"):
            content = node.get(CONTENT)
            key = node.get(b"property") or node.get(b"name") or ""
            if key and content is not None:
                self._meta.setdefault(key.strip().lower(), []).append(content)
        self.jsonld_errors = 0
        # What was refused or cut while reading the page (counted by the crawl).
        self.cuts: list[str] = []
        self.article_ld: dict[str, Any] | None = self._find_article_ld()
        self._next_data: Any = _UNSET

    def meta(self, *keys: str) -> str | None:
        """Return the first non-empty content among meta tags named (or propertied) keys."""
        for key in keys:
            for value in self._meta.get(key.lower(), []):
                if value.strip():
                    return value
        return None

    def meta_all(self, key: str) -> list[str]:
        """Return every non-empty content of a repeated meta tag, such as article:tag."""
        return [value for value in self._meta.get(key.lower(), []) if value.strip()]

    def canonical(self) -> str | None:
        """Return the href of <link rel="canonical">, if any."""
        for link in self._index.elements("link"):
            href = link.get("href")
            if href is not None and "canonical" in xml_tokens(link.get("rel")):
                return href.strip() or None
        return None

    def ld(self, key: str) -> Any:
        """Return a field of the JSON-LD article object, or None."""
        return self.article_ld.get(key) if self.article_ld else None

    def next_data(self, *keys: str) -> str | None:
        """First string value under any of `keys` in the Next.js __NEXT_DATA__ payload."""
        if self._next_data is _UNSET:
            raw = next(self._script_texts(id="__NEXT_DATA__"), None)
            try:
                self._next_data = load_json(raw, max_chars=MAX_APP_DATA_CHARS) if raw else None
            except JsonRefused as refused:
                self.cuts.append(f"next_data_{refused.reason}")
                self._next_data = None
        wanted = set(keys)
        for obj in _walk_json(self._next_data):
            for key in wanted & obj.keys():
                value = obj[key]
                if isinstance(value, str) and value.strip():
                    return value
        return None

    def _script_texts(self, **attribute: str) -> Iterator[str]:
        """The text of every script whose one given attribute has exactly the given value."""
        ((name, wanted),) = attribute.items()
        for script in self._index.elements("script"):
            if script.get(name) == wanted and script.text is not None:
                yield script.text

    def _find_article_ld(self) -> dict[str, Any] | None:
        for raw in self._script_texts(type="application/ld+json"):
            try:
                data = load_json(raw, max_chars=MAX_JSONLD_CHARS)
            except JsonRefused as refused:
                # A broken or hostile JSON-LD block is counted; the other sources still get
                # their turn.
                self.jsonld_errors += 1
                self.cuts.append(f"jsonld_{refused.reason}")
                continue
            for obj in _walk_ld(data):
                types = obj.get("@type")
                type_set = set(types) if isinstance(types, list) else {types}
                if type_set & ARTICLE_TYPES:
                    return obj
        return None


_UNSET = object()


def _walk_json(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Yield every object of a JSON document, breadth of a page payload (bounded depth)."""
    if depth > 12:
        return
    if isinstance(data, dict):
        yield data
        for value in data.values():
            yield from _walk_json(value, depth + 1)
    elif isinstance(data, list):
        for element in data:
            yield from _walk_json(element, depth + 1)


def _walk_ld(data: Any) -> Iterator[dict[str, Any]]:
    """Yield every object of a JSON-LD document, looking into lists and @graph."""
    if isinstance(data, list):
        for element in data:
            yield from _walk_ld(element)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if graph is not None:
            yield from _walk_ld(graph)


def ld_names(value: Any) -> list[str]:
    """Names from a JSON-LD author value: a Person, a list of them, or plain strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        return [name for element in value for name in ld_names(element)]
    return []


def ld_url(value: Any) -> str | None:
    """A URL from a JSON-LD image/url value: a string, an ImageObject, or a list of them."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        return ld_url(value.get("url") or value.get("contentUrl") or value.get("@id"))
    if isinstance(value, list):
        for element in value:
            url = ld_url(element)
            if url:
                return url
    return None
