"""The article extractors compared in section 2, each behind the same small interface.

newsmon's page objects are always there; trafilatura and newspaper4k come from
requirements-bench.txt and are skipped, with the reason, when they are not installed.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from newsmon.extract.article import ArticlePage
from newsmon.extract.normalize.urls import canonical_url

INSTALL_HINT = "not installed (pip install -r requirements-bench.txt)"


@dataclass(frozen=True)
class Extracted:
    """The fields an extractor found on one article page (None: not reported)."""

    title: str | None
    body: str
    authors: list[str] | None
    published: datetime | date | None


@dataclass(frozen=True)
class Extractor:
    """A named extraction function over (html, url)."""

    name: str
    version: str
    settings: str
    """How it is called, for the record."""
    extract: Callable[[str, str], Extracted]


def newsmon_extractor() -> Extractor:
    """The newsmon page object, exactly as the spider uses it (minus the listing card)."""

    def extract(html: str, url: str) -> Extracted:
        # Every page as if seen for the first time: the timed passes come after a warm-up pass,
        # and the URLs it canonicalised must not be answered from memory.
        canonical_url.cache_clear()
        item = ArticlePage.from_html(html, url).to_item()
        return Extracted(item.title, item.body, item.authors, item.published)

    return Extractor(
        "newsmon",
        importlib.metadata.version("newsmon") if _installed("newsmon") else "working tree",
        "ArticlePage.from_html(html, url).to_item()",
        extract,
    )


def trafilatura_extractor() -> Extractor:
    """The trafilatura bare_extraction with its defaults plus metadata, as its README shows."""
    import trafilatura

    def extract(html: str, url: str) -> Extracted:
        document: Any = trafilatura.bare_extraction(html, url=url, with_metadata=True)
        if document is None:
            return Extracted(None, "", None, None)
        authors = [name.strip() for name in (document.author or "").split(";") if name.strip()]
        return Extracted(
            document.title,
            document.text or "",
            authors,
            date.fromisoformat(document.date) if document.date else None,
        )

    return Extractor(
        "trafilatura",
        importlib.metadata.version("trafilatura"),
        "bare_extraction(html, url=url, with_metadata=True), defaults otherwise",
        extract,
    )


def newspaper_extractor() -> Extractor:
    """newspaper4k's Article on the given HTML, without downloading images."""
    import newspaper

    config = newspaper.Config()
    # With fetch_images on, parse() downloads the page's images over the network to pick a
    # top image: network time, not extraction time (and these machines are offline).
    config.fetch_images = False

    def extract(html: str, url: str) -> Extracted:
        article = newspaper.Article(url, config=config)
        article.download(input_html=html)
        article.parse()
        return Extracted(
            article.title, article.text or "", list(article.authors), article.publish_date
        )

    return Extractor(
        "newspaper4k",
        importlib.metadata.version("newspaper4k"),
        "Article(url, config).download(input_html=html); parse(), fetch_images=False",
        extract,
    )


# The generic extractors a user would pick instead, in the order the table shows them.
BASELINES: dict[str, Callable[[], Extractor]] = {
    "trafilatura": trafilatura_extractor,
    "newspaper4k": newspaper_extractor,
}


def load_baselines() -> tuple[list[Extractor], dict[str, str]]:
    """The baseline extractors that can be imported, and why the others cannot."""
    loaded: list[Extractor] = []
    missing: dict[str, str] = {}
    for name, factory in BASELINES.items():
        try:
            loaded.append(factory())
        except ImportError:
            missing[name] = INSTALL_HINT
    return loaded, missing


def _installed(distribution: str) -> bool:
    """Tell whether a distribution is installed (newsmon usually runs from its work tree)."""
    try:
        importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True
