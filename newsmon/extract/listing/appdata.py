"""A listing's cards as the app ships them: Next.js `__NEXT_DATA__` and `/_next/data/...json`.

A client-rendered listing carries its posts in the page's `__NEXT_DATA__` payload, or only
points to them: the app fetches `/_next/data/<buildId>/<page path>.json` after load. Reading
that data costs one small request, where a browser costs seconds.

Posts are recognised by shape, not by key names: objects with a title and a slug or article
URL (Ghost's Content API: `title`, `slug`, `url`, `published_at`, `primary_tag`,
`primary_author`, `excerpt`, `id`), in the longest such list that is no side box. Data that
carries ready-made card HTML instead is read with the HTML chain.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from newsmon.extract.listing.cards import article_url
from newsmon.extract.listing.headlines import SIDE_BOX_HINTS
from newsmon.extract.listing.model import CardsFound, ListingCard
from newsmon.extract.normalize.dates import parse_card_date
from newsmon.extract.normalize.jsondata import MAX_APP_DATA_CHARS, JsonRefused, load_json
from newsmon.extract.normalize.text import clean_text
from newsmon.extract.normalize.urls import host_of
from newsmon.extract.postid import GHOST_ID
from newsmon.site import is_slug

NEXT_DATA_XPATH = '//script[@id="__NEXT_DATA__"]/text()'
DATA_PATH = "/_next/data/"
# A Next.js build id as it appears in URLs (a guard: it is pasted into one).
_BUILD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_STATIC_BUILD = re.compile(
    r"/_next/static/([A-Za-z0-9_-]{1,64})/_(?:buildManifest|ssgManifest)\.js"
)
# Keys that hold a post's parts (Ghost's names first, then common ones).
TITLE_KEYS = ("title", "headline")
URL_KEYS = ("url", "href", "link", "canonical_url", "permalink")
DATE_KEYS = ("published_at", "publishedAt", "datePublished", "published", "publishDate", "date")
EXCERPT_KEYS = ("custom_excerpt", "excerpt", "description", "summary", "dek")
TAG_KEYS = ("primary_tag", "primaryTag", "tag", "category")
AUTHOR_KEYS = ("primary_author", "primaryAuthor", "author")
MAX_DEPTH = 12

HtmlReader = Callable[[Selector, str], CardsFound]


def page_data(selector: Selector) -> Any:
    """The page's `__NEXT_DATA__` payload, or None."""
    raw = selector.xpath(NEXT_DATA_XPATH).get()
    if not raw:
        return None
    try:
        return load_json(raw, max_chars=MAX_APP_DATA_CHARS)
    except JsonRefused:
        return None


def data_url(selector: Selector, page_url: str) -> str | None:
    """The `/_next/data/<build>/<page path>.json` URL of a page that only points to its data.

    A page links it (`<link rel="preload">`), or its `__NEXT_DATA__` shows the page's props
    are still to come: a fallback page (`isFallback`), empty props, or props left null for
    the app to fill. Props that are there (an empty list of posts included) are the data.
    """
    pointers = f"//link[contains(@href, '{DATA_PATH}')]/@href"
    pointers += f" | //script[contains(@src, '{DATA_PATH}')]/@src"
    for href in selector.xpath(pointers).getall():
        url = urljoin(page_url, href.strip())
        if host_of(url) == host_of(page_url) and url.split("?")[0].endswith(".json"):
            return url
    data = page_data(selector)
    if not isinstance(data, dict) or not _props_to_come(data):
        return None
    build = data.get("buildId")
    if not isinstance(build, str):
        scripts = " ".join(selector.xpath("//script/@src").getall())
        match = _STATIC_BUILD.search(scripts)
        build = match.group(1) if match else None
    if not isinstance(build, str) or not _BUILD_ID.fullmatch(build):
        return None
    path = urlsplit(page_url).path.rstrip("/") or "/index"
    return urljoin(page_url, f"{DATA_PATH}{build}{path}.json")


def _props_to_come(data: dict[str, Any]) -> bool:
    """Tell whether a `__NEXT_DATA__` payload leaves the page's props to a later fetch."""
    if data.get("isFallback") is True:
        return True
    props = data.get("props")
    page_props = props.get("pageProps") if isinstance(props, dict) else None
    if not isinstance(page_props, dict):
        return True
    return not page_props or any(value is None for value in page_props.values())


def cards_in_data(data: Any, page_url: str, read_html: HtmlReader) -> list[ListingCard]:
    """The cards of a listing's app data: its list of posts, else card HTML it carries."""
    best: list[ListingCard] = []
    for key, items in _lists(data, "", 0):
        if _side_box(key):
            continue
        cards = [card for item in items if (card := _post_card(item, page_url))]
        if len(cards) > len(best) and len(cards) * 2 >= len(items):
            best = cards
    if best:
        return best
    for text in _strings(data, 0):
        if "<a" in text and "href" in text:
            found = read_html(Selector(text=text), page_url)
            if found.cards:
                return found.cards
    return []


def next_page_number(data: Any) -> int | None:
    """The next page's number from the data's pagination (Ghost: meta.pagination.next)."""
    for key, value in _objects(data, "", 0):
        if key.lower() != "pagination" or not isinstance(value, dict):
            continue
        following = value.get("next", value.get("nextPage"))
        if isinstance(following, int) and not isinstance(following, bool) and following > 1:
            return following
    return None


def _post_card(item: Any, page_url: str) -> ListingCard | None:
    """A card from one post object, or None if it is no post of this site."""
    if isinstance(item, dict) and set(item) == {"node"}:
        item = item["node"]  # GraphQL edges
    if not isinstance(item, dict):
        return None
    title = next((clean_text(v) for k in TITLE_KEYS if isinstance(v := item.get(k), str)), "")
    if not title:
        return None
    url = None
    for key in URL_KEYS:
        value = item.get(key)
        if isinstance(value, str) and (url := article_url(value, page_url)):
            break
    slug = item.get("slug")
    if url is None and isinstance(slug, str) and is_slug(slug):
        url = article_url(f"/{slug}/", page_url)
    if url is None:
        return None
    ghost_id = item.get("id")
    return ListingCard(
        url=url,
        title=title,
        published=next(
            (
                d
                for k in DATE_KEYS
                if isinstance(v := item.get(k), str) and (d := parse_card_date(v))
            ),
            None,
        ),
        primary_tag=_name(next((item[k] for k in TAG_KEYS if k in item), None))
        or _name(_first(item.get("tags"))),
        author=_authors(item),
        excerpt=next(
            (clean_text(v) for k in EXCERPT_KEYS if isinstance(v := item.get(k), str)), ""
        ),
        ghost_id=ghost_id if isinstance(ghost_id, str) and GHOST_ID.fullmatch(ghost_id) else "",
    )


def _name(value: Any) -> str:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return clean_text(value["name"])
    return ""


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else None


def _authors(item: dict[str, Any]) -> str:
    names = [_name(author) for author in item.get("authors") or [] if _name(author)]
    if not names:
        names = [name for k in AUTHOR_KEYS if (name := _name(item.get(k)))][:1]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _side_box(key: str) -> bool:
    folded = key.lower()
    return any(hint.replace("-", "").replace("_", "") in folded for hint in SIDE_BOX_HINTS)


def _lists(data: Any, key: str, depth: int) -> Iterator[tuple[str, list[Any]]]:
    """Every list of objects in the data, with the key it sits under, in document order."""
    for parent_key, value in _objects(data, key, depth):
        if isinstance(value, list) and any(isinstance(element, dict) for element in value):
            yield parent_key, value


def _objects(data: Any, key: str, depth: int) -> Iterator[tuple[str, Any]]:
    """Every value of the data with the key it sits under (depth-first, bounded)."""
    if depth > MAX_DEPTH:
        return
    yield key, data
    if isinstance(data, dict):
        for child_key, value in data.items():
            yield from _objects(value, str(child_key), depth + 1)
    elif isinstance(data, list):
        for element in data:
            yield from _objects(element, key, depth + 1)


def _strings(data: Any, depth: int) -> Iterator[str]:
    for _, value in _objects(data, "", depth):
        if isinstance(value, str):
            yield value
