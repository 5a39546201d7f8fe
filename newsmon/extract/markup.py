"""What an article page shows a reader: headline, byline, date line, tag links, hero figure.

The visible page is the fallback of every field whose metadata (JSON-LD, meta tags) is
missing, and the other half of the cross-checks: markup that disagrees with the page's own
metadata has drifted. Each reader here is computed once per page.
"""

from __future__ import annotations

import re
from functools import cached_property
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from newsmon.extract.normalize.authors import split_byline
from newsmon.extract.normalize.images import first_srcset_url, unwrap_image_url
from newsmon.extract.normalize.text import clean_text

# Headline elements of the 2025 front end and the 2023 theme (long reads used an h2).
TITLE_XPATHS = (
    "//h1[contains(@class, 'title')]",
    "//h1[contains(@class, 'c-topper__title')]",
    "//h2[contains(@class, 'bigPictureTopper__title')]",
    "//main//h1",
    "//h1",
)
UPDATED = re.compile(r"\(\s*Updated:?\s*(?P<when>[^)]*)\)", re.IGNORECASE)
# Page parts whose links, times and names belong to other articles.
OUTSIDE_ARTICLE = "ancestor::aside or ancestor::nav or ancestor::footer"
# Caption elements when a theme does not use <figcaption>.
CAPTION_XPATH = ".//figcaption | .//*[contains(translate(@class, 'CAPTION', 'caption'), 'caption')]"
# The date and reading time follow the names on a byline.
_AFTER_NAMES = re.compile(
    r"\s(?:January|February|March|April|May|June|July|August|September|"
    r"October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|"
    r"Nov|Dec)\.?\s+\d|\s\d+\s+min read"
)
_TAG_PATH = re.compile(r"^/tag/([^/]+)/?$")


def text_of(node: Selector) -> str:
    """The clean one-line text of an element and its descendants."""
    return clean_text(" ".join(node.xpath(".//text()").getall()))


class ArticleMarkup:
    """The visible parts of one article page."""

    def __init__(self, selector: Selector, url: str) -> None:
        self._selector = selector
        self.url = url

    @cached_property
    def headline(self) -> str:
        """The headline as shown (h1, or the 2023 theme's title elements)."""
        for xpath in TITLE_XPATHS:
            text = clean_text(" ".join(self._selector.xpath(f"({xpath})[1]//text()").getall()))
            if text:
                return text
        return ""

    @cached_property
    def title_tag(self) -> str:
        """The text of <title>."""
        return self._selector.xpath("//title/text()").get("")

    @cached_property
    def byline_names(self) -> list[str]:
        """Names from the "by A, B and C" line under the headline."""
        byline = self._byline_node()
        if byline is None:
            return []
        linked = [text_of(link) for link in byline.xpath(".//a[contains(@href, '/author/')]")]
        if any(linked):
            return [name for name in linked if name]
        return split_byline(_AFTER_NAMES.split(text_of(byline))[0])

    def _byline_node(self) -> Selector | None:
        for node in self._selector.xpath(
            "//*[contains(@class, 'byline') or contains(@class, 'post__author')"
            " or contains(@class, 'c-topper__author')]"
            f"[not({OUTSIDE_ARTICLE})]"
        ):
            if text_of(node).lower().startswith("by "):
                return node
        # Unknown markup: the first short element after the headline whose text starts "by ".
        for node in self._selector.xpath(
            "(//h1)[1]/following::*[self::p or self::div or self::span][position() <= 12]"
        ):
            text = text_of(node)
            if text.lower().startswith("by ") and len(text) < 300:
                return node
        return None

    @cached_property
    def authors_line_names(self) -> list[str]:
        """Names from an "Authors: A, B" line (after the body on the site's pages)."""
        for text in self._selector.xpath(
            f"//*[not(self::script)][not({OUTSIDE_ARTICLE})]/text()"
        ).getall():
            clean = clean_text(text)
            if clean.lower().startswith(("authors:", "author:")):
                return split_byline(clean.split(":", 1)[1])
        return []

    @cached_property
    def time_datetime(self) -> str | None:
        """The first <time datetime> of the article header (not of side boxes)."""
        return self._selector.xpath(
            f"(//h1)[1]/following::time[normalize-space(@datetime)][not({OUTSIDE_ARTICLE})]"
            "[1]/@datetime"
        ).get()

    @cached_property
    def date_line(self) -> str:
        """The text right after the headline, where the byline and the date line sit."""
        texts = self._selector.xpath(
            f"(//h1)[1]/following::text()[not({OUTSIDE_ARTICLE})][position() <= 40]"
        ).getall()
        return clean_text(" ".join(texts))

    def tag_links(self, *, before_title: bool = False) -> list[tuple[str, str]]:
        """(text, slug) of links to /tag/<slug>/ outside navigation and side boxes."""
        result = []
        scope = "(//h1)[1]/preceding::a" if before_title else "//a"
        for link in self._selector.xpath(
            f"{scope}[contains(@href, '/tag/')][not({OUTSIDE_ARTICLE} or ancestor::header)]"
        ):
            path = urlsplit(urljoin(self.url, link.attrib.get("href", ""))).path
            match = _TAG_PATH.match(path)
            name = text_of(link)
            if match and name:
                result.append((name, match.group(1).lower()))
        return result

    @cached_property
    def hero_figure(self) -> Selector | None:
        """The first figure after the headline that is not inside the body or a card."""
        for figure in self._selector.xpath(
            f"(//h1)[1]/following::figure[not({OUTSIDE_ARTICLE})]"
            "[not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' c-content ')])]"
            "[not(contains(@class, 'kg-card'))]"
        ):
            return figure
        return None

    def caption_of_image(self, image_url: str) -> str:
        """Caption of the img showing `image_url` (by file name), else of the hero figure."""
        name = urlsplit(image_url).path.rsplit("/", 1)[-1] if image_url else ""
        if name:
            for img in self._selector.xpath(f"//img[not({OUTSIDE_ARTICLE})]"):
                src = self.img_src(img)
                if not src or src.rsplit("/", 1)[-1] != name:
                    continue
                # The caption sits in the img's figure, or beside the img in its wrapper.
                for step in ("ancestor::figure[1]", "parent::*", "parent::*/parent::*"):
                    for holder in img.xpath(step):
                        caption = caption_text(holder)
                        if caption:
                            return caption
        hero = self.hero_figure
        return caption_text(hero) if hero is not None else ""

    def img_src(self, node: Selector) -> str | None:
        """The asset URL of an img, or of the first img inside a figure."""
        img = node if node.root.tag == "img" else node.xpath(".//img[1]")
        src = img.attrib.get("src") if img else None
        if not src and img:
            src = first_srcset_url(img.attrib.get("srcset"))
        return unwrap_image_url(src, self.url)


def caption_text(holder: Selector) -> str:
    """Text of the first caption element (figcaption or a *caption* class) inside holder."""
    for caption in holder.xpath(CAPTION_XPATH):
        text = text_of(caption)
        if text:
            return text
    return ""
