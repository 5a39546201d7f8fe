"""Body blocks of an article, as data: what the page renders and what the truth reports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A run of paragraph text; `style` is "", "strong", "em" or "a" (with `href`)."""

    text: str
    style: str = ""
    href: str = ""


@dataclass(frozen=True)
class Paragraph:
    """A `<p>` made of spans."""

    spans: tuple[Span, ...]

    @property
    def text(self) -> str:
        """The paragraph's plain text."""
        return "".join(s.text for s in self.spans)


@dataclass(frozen=True)
class Heading:
    """An `<h3>`; live blogs wrap the text in `<code>` and give it an id."""

    text: str
    code: bool = False
    anchor: str = ""


@dataclass(frozen=True)
class ListBlock:
    """A `<ul>` or `<ol>` of plain items."""

    items: tuple[str, ...]
    ordered: bool = False


@dataclass(frozen=True)
class Bookmark:
    """A Ghost bookmark card pointing at another replica article (metadata frozen at embed)."""

    slug: str
    title: str
    description: str
    publisher: str
    thumbnail: str


@dataclass(frozen=True)
class ImageCard:
    """A Ghost image card with a caption."""

    src: str
    caption: str


@dataclass(frozen=True)
class Gallery:
    """A Ghost gallery card: (src, caption) slides in a swiper."""

    slides: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Embed:
    """A YouTube embed card."""

    video_id: str
    title: str


@dataclass(frozen=True)
class Promo:
    """The membership promo HTML card, between kg-card-begin/end comments."""


Block = Paragraph | Heading | ListBlock | Bookmark | ImageCard | Gallery | Embed | Promo


def plain(text: str) -> Paragraph:
    """A paragraph of unstyled text."""
    return Paragraph((Span(text),))


def block_texts(block: Block) -> list[str]:
    """The body texts of a block as the truth lists them (embeds and promo have none)."""
    match block:
        case Paragraph():
            return [block.text]
        case Heading():
            return [block.text]
        case ListBlock():
            return list(block.items)
    return []
