"""Article bodies: Ghost blocks composed per kind of article from a per-article RNG."""

from __future__ import annotations

import math
import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from tests.replica import lexicon as lx
from tests.replica.blocks import (
    Block,
    Bookmark,
    Embed,
    Gallery,
    Heading,
    ImageCard,
    ListBlock,
    Paragraph,
    Promo,
    Span,
    block_texts,
    plain,
)
from tests.replica.writer import Writer

if TYPE_CHECKING:
    from tests.replica.content import Article

ASSETS = "https://assets.kyivindependent.com/content/images"
EXCERPT_CHARS = 500
WORDS_PER_MINUTE = 230


@dataclass(frozen=True)
class Detail:
    """The lazily generated part of an article: body blocks and hero caption."""

    blocks: tuple[Block, ...]
    caption: str

    @property
    def texts(self) -> list[str]:
        """Paragraph, heading and list-item texts in order (the truth's `body`)."""
        return [t for b in self.blocks for t in block_texts(b)]

    @property
    def excerpt(self) -> str:
        """The listing card excerpt: the body text cut at 500 characters, mid-word."""
        return " ".join(self.texts)[:EXCERPT_CHARS]

    @property
    def read_minutes(self) -> int:
        """Reading time as the "N min read" label shows it."""
        words = sum(len(t.split()) for t in self.texts)
        return max(1, math.ceil(words / WORDS_PER_MINUTE))


# A bookmark needs an older article to point at and that article's summary.
OlderPicker = Callable[[random.Random], "Article | None"]
SummaryOf = Callable[["Article"], str]


def slugify(text: str, limit: int = 80) -> str:
    """Ghost-like slug: lowercase ASCII words joined by hyphens, cut at a word boundary."""
    slug = "-".join(re.findall(r"[a-z0-9]+", text.lower().replace("'", "")))
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug


def asset_url(rng: random.Random, when: datetime, hint: str) -> str:
    """An image asset URL in Ghost's layout: `.../content/images/YYYY/MM/<file>.jpg`."""
    roll = rng.random()
    if roll < 0.4:
        name = f"GettyImages-{rng.randint(10**9, 10**10 - 1)}"
    elif roll < 0.7:
        name = f"photo_{when:%Y-%m-%d}_{rng.randint(0, 23):02d}-{rng.randint(0, 59):02d}-00"
    else:
        name = f"{slugify(hint, 30)}-{rng.randint(1, 999)}"
    return f"{ASSETS}/{when:%Y/%m}/{name}.jpg"


def compose(article: Article, older: OlderPicker, summary_of: SummaryOf, seed: int) -> Detail:
    """Generate an article's body and caption (fixed articles return their given text)."""
    if article.fixed is not None:
        return Detail(article.fixed.blocks, article.fixed.image_caption)
    rng = random.Random(f"{seed}|body|{article.seed_slug}")
    w = Writer(rng, article.published, article.context)
    caption = w.caption()
    blocks = _COMPOSERS[article.kind](w, article)
    blocks = _sprinkle(w, article, blocks, older, summary_of)
    return Detail(tuple(blocks), caption)


def revise(detail: Detail, article: Article, seed: int, revision: int) -> Detail:
    """Apply one update: bump the first number of the body and append a paragraph."""
    rng = random.Random(f"{seed}|revision|{article.seed_slug}|{revision}")
    w = Writer(rng, article.revisions[revision - 1], article.context)
    blocks = list(detail.blocks)
    for i, block in enumerate(blocks):
        if isinstance(block, Paragraph) and re.search(r"\d", block.text):
            blocks[i] = _bump_number(block, rng)
            break
    pool = lx.TOPICS[article.topic][2] if article.topic in lx.TOPICS else lx.OPINION_SENTENCES
    blocks.append(plain(f"Update {revision}: " + w.paragraph(pool, 1, 2)))
    return replace(detail, blocks=tuple(blocks))


def _bump_number(block: Paragraph, rng: random.Random) -> Paragraph:
    spans = list(block.spans)
    for i, span in enumerate(spans):
        match = re.search(r"\d+", span.text)
        if match:
            new = str(int(match.group()) + rng.randint(1, 9))
            spans[i] = replace(
                span, text=span.text[: match.start()] + new + span.text[match.end() :]
            )
            break
    return Paragraph(tuple(spans))


def _styled(w: Writer, text: str) -> Paragraph:
    """A paragraph where, now and then, a few words are strong, em or a link."""
    words = text.split(" ")
    if len(words) < 6 or w.rng.random() > 0.3:
        return plain(text)
    start = w.rng.randint(0, len(words) - 3)
    end = start + w.rng.randint(2, 3)
    style = w.rng.choice(("strong", "em", "a", "a"))
    href = w.draw("channel") if style == "a" else ""
    spans = []
    if start:
        spans.append(Span(" ".join(words[:start]) + " "))
    spans.append(Span(" ".join(words[start:end]), style, href))
    if end < len(words):
        spans.append(Span(" " + " ".join(words[end:])))
    return Paragraph(tuple(spans))


def _paragraphs(w: Writer, pool: tuple[str, ...], count: int, hi: int = 3) -> list[Block]:
    return [_styled(w, w.paragraph(pool, 1, hi)) for _ in range(count)]


def _pool(article: Article) -> tuple[str, ...]:
    return lx.TOPICS[article.topic][2]


def _news(w: Writer, a: Article) -> list[Block]:
    blocks = _paragraphs(w, _pool(a), w.rng.randint(3, 8))
    if w.rng.random() < 0.5:
        blocks.insert(w.rng.randint(1, len(blocks)), plain(w.pick(lx.QUOTES)))
    if len(blocks) >= 5 and w.rng.random() < 0.25:
        blocks.insert(w.rng.randint(2, len(blocks) - 1), Heading(w.rng.choice(lx.HEADINGS)))
    if w.rng.random() < 0.12:
        items = tuple(w.fill(t) for t in w.rng.sample(_pool(a), 3))
        blocks.insert(w.rng.randint(1, len(blocks)), ListBlock(items))
    return blocks


def _short(w: Writer, a: Article) -> list[Block]:
    return _paragraphs(w, _pool(a), w.rng.randint(1, 2), hi=2)


def _roundup(w: Writer, a: Article) -> list[Block]:
    lead = w.fill(
        "Regional authorities reported {date} that Russian strikes over the past day left "
        "{killed} civilians dead and {injured} wounded."
    )
    drones = w.rng.randint(40, 160)
    air = (
        f"The Air Force said it downed {w.rng.randint(20, drones)} of {drones} drones launched "
        f"overnight, while {w.rng.randint(5, 40)} more were lost to electronic warfare."
    )
    regions = [plain(w.pick(lx.ROUNDUP_SENTENCES)) for _ in range(w.rng.randint(3, 6))]
    return [plain(lead), plain(air), *regions]


def _liveblog(w: Writer, a: Article) -> list[Block]:
    topics = ("strike", "frontline", "diplomacy", "aid", "europe")
    stories = [(a.topic, a.context["headline"])]
    for _ in range(w.rng.randint(3, 5)):
        topic = w.rng.choice(topics)
        stories.append((topic, w.pick(lx.TOPICS[topic][1])))
    blocks: list[Block] = [
        plain(w.pick(lx.LIVE_OPENERS)),
        ListBlock(tuple(headline for _, headline in stories)),
    ]
    for topic, headline in stories:
        blocks.append(Heading(headline, code=True, anchor=slugify(headline, 60)))
        blocks.extend(_paragraphs(w, lx.TOPICS[topic][2], w.rng.randint(2, 3)))
    return blocks


def _opinion(w: Writer, a: Article) -> list[Block]:
    note = Paragraph(
        (
            Span(
                "Editor's note: The views in this op-ed belong to the author and do not "
                "necessarily reflect the editorial position of the replica.",
                "em",
            ),
        )
    )
    pool = lx.OPINION_SENTENCES + _pool(a)
    blocks: list[Block] = [note, *_paragraphs(w, pool, w.rng.randint(6, 12))]
    if len(blocks) > 8:
        blocks.insert(5, Heading(w.rng.choice(lx.HEADINGS)))
    return blocks


def _editorial(w: Writer, a: Article) -> list[Block]:
    return _paragraphs(w, lx.OPINION_SENTENCES, w.rng.randint(6, 9))


def _longread(w: Writer, a: Article) -> list[Block]:
    target = w.rng.randint(40, 55) if w.rng.random() < 0.3 else w.rng.randint(12, 22)
    pool = lx.EXPLAINER_SENTENCES + _pool(a)
    blocks = _paragraphs(w, pool, 2)
    section = 0
    while len(blocks) < target:
        section += 1
        heading = w.rng.choice(lx.HEADINGS)
        blocks.append(Heading(f"{section}. {heading}" if a.kind == "explainer" else heading))
        if a.kind == "interview":
            for _ in range(w.rng.randint(1, 3)):
                question = w.fill("What has changed in {city} since {month}?")
                blocks.append(Paragraph((Span("Kyiv Independent: ", "strong"), Span(question))))
                blocks.extend(_paragraphs(w, pool, 1))
        else:
            blocks.extend(_paragraphs(w, pool, w.rng.randint(2, 5)))
        if w.rng.random() < 0.2:
            items = tuple(w.fill(t) for t in w.rng.sample(pool, 3))
            blocks.append(ListBlock(items, ordered=w.rng.random() < 0.5))
    return blocks


_COMPOSERS: dict[str, Callable[[Writer, Article], list[Block]]] = {
    "news": _news,
    "short": _short,
    "roundup": _roundup,
    "liveblog": _liveblog,
    "opinion": _opinion,
    "editorial": _editorial,
    "explainer": _longread,
    "interview": _longread,
}

# kind -> (bookmarks (probability, max), image cards (p, max), gallery p, embed p, promo p)
_EXTRAS: dict[str, tuple[tuple[float, int], tuple[float, int], float, float, float]] = {
    "news": ((0.55, 1), (0.15, 1), 0.03, 0.05, 0.4),
    "short": ((0.3, 1), (0.0, 0), 0.0, 0.0, 0.1),
    "roundup": ((0.3, 1), (0.2, 1), 0.0, 0.0, 0.3),
    "liveblog": ((0.8, 2), (0.4, 1), 0.05, 0.15, 0.6),
    "opinion": ((0.5, 1), (0.1, 1), 0.0, 0.0, 0.5),
    "editorial": ((0.2, 1), (0.0, 0), 0.0, 0.0, 0.8),
    "explainer": ((0.9, 3), (0.8, 3), 0.35, 0.3, 0.7),
    "interview": ((0.7, 2), (0.7, 2), 0.2, 0.3, 0.7),
}


def _sprinkle(
    w: Writer,
    a: Article,
    blocks: list[Block],
    older: OlderPicker,
    summary_of: SummaryOf,
) -> list[Block]:
    """Insert embeds (bookmarks, images, gallery, video, promo) between the text blocks."""
    (p_book, max_book), (p_img, max_img), p_gallery, p_embed, p_promo = _EXTRAS[a.kind]
    extras: list[Block] = []
    if w.rng.random() < p_book:
        for _ in range(w.rng.randint(1, max_book)):
            target = older(w.rng)
            if target is not None:
                extras.append(_bookmark(target, summary_of))
    if w.rng.random() < p_img:
        for _ in range(w.rng.randint(1, max_img)):
            extras.append(ImageCard(asset_url(w.rng, a.published, a.seed_slug), w.caption()))
    if w.rng.random() < p_gallery:
        slides = tuple(
            (asset_url(w.rng, a.published, a.seed_slug), w.caption())
            for _ in range(w.rng.randint(3, 6))
        )
        extras.append(Gallery(slides))
    if w.rng.random() < p_embed:
        video = "".join(w.rng.choices(string.ascii_letters + string.digits + "-_", k=11))
        extras.append(Embed(video, "Video: " + a.original_title))
    for extra in extras:
        blocks.insert(w.rng.randint(1, len(blocks)), extra)
    if w.rng.random() < p_promo:
        blocks.insert(min(len(blocks), w.rng.randint(2, 4)), Promo())
    return blocks


def _bookmark(target: Article, summary_of: SummaryOf) -> Bookmark:
    """A bookmark card frozen with the target's metadata as it was first published."""
    return Bookmark(
        slug=target.slug,
        title=target.original_title,
        description=summary_of(target),
        publisher=target.authors[0].name,
        thumbnail=target.image_url,
    )
