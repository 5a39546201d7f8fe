"""The replica's site model: a deterministic timeline of articles, listings, publish/update.

Metadata (slug, title, authors, tags, dates, markup variant) is drawn eagerly from one RNG
stream; bodies are composed on demand from a per-article RNG (see `bodies.py`), so 20,000
articles start in well under a second.
"""

from __future__ import annotations

import hashlib
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.replica import lexicon as lx
from tests.replica.blocks import Bookmark
from tests.replica.bodies import Detail, OlderPicker, asset_url, compose, revise, slugify
from tests.replica.catalog import (
    AUTHORS,
    GUESTS,
    NEWS_DESK,
    ORGANIZATION,
    STAFF,
    TAGS,
    Author,
    Tag,
)
from tests.replica.seedpost import FIXED_ARTICLES, FixedArticle
from tests.replica.writer import KYIV, Writer, make_context

ROUNDUP_SLUG = "russian-attacks-against-ukraine-over-past-day"
LONG_READ_KINDS = frozenset({"opinion", "editorial", "explainer", "interview"})
_KIND_WEIGHTS = {
    "news": 62,
    "short": 8,
    "opinion": 10,
    "explainer": 10,
    "liveblog": 5,
    "editorial": 2,
    "interview": 3,
}
_NEWS_TOPICS = {
    "strike": 24,
    "frontline": 16,
    "diplomacy": 14,
    "aid": 10,
    "politics": 10,
    "business": 8,
    "europe": 8,
    "sanctions": 6,
    "occupation": 4,
}
_LONG_READ_PRIMARY = (
    "explainer",
    "war-analysis",
    "human-story",
    "field-report",
    "russias-war",
    "investigations",
)
_DETAIL_CACHE_SIZE = 4096


@dataclass(eq=False)
class Article:
    """One article: metadata and markup variant; `Site.detail` gives its body."""

    index: int
    slug: str
    title: str
    original_title: str
    kind: str
    topic: str
    context: dict[str, str]
    authors: tuple[Author, ...]
    tags: tuple[Tag, ...]
    published: datetime
    modified: datetime
    ghost_id: str
    image_url: str
    style: str
    """ "2025" (empty visible date, h1.post__title) or "2023" (date line, h1.c-topper__title)."""
    head: str
    """ "full" (JSON-LD + meta), "no-jsonld" (meta only) or "bare" (no JSON-LD, no date meta)."""
    quirks: frozenset[str]
    """JSON-LD quirks: "entities" (HTML-escaped strings), "whitespace" (padded strings)."""
    js_date: bool
    """Listing cards give data-archive-id in JavaScript Date.toString() form."""
    tracking: bool
    """Listing card links carry utm tracking parameters."""
    empty_updated: bool
    """A 2023-style page that was never updated shows an empty "(Updated: )"."""
    revisions: list[datetime] = field(default_factory=list)
    """Times of the updates made through the control API (each changes the body)."""
    fixed: FixedArticle | None = None
    first_slug: str = ""
    """The slug it was published under, when it was renamed since (its content is drawn from it)."""

    @property
    def seed_slug(self) -> str:
        """The slug its content is drawn from: the first one, whatever it is called now."""
        return self.first_slug or self.slug

    @property
    def tag_slugs(self) -> tuple[str, ...]:
        """Tag slugs, primary first."""
        return tuple(t.slug for t in self.tags)

    @property
    def primary_tag(self) -> Tag:
        """The first tag, shown above the headline and on cards."""
        return self.tags[0]

    @property
    def path(self) -> str:
        """The canonical path `/<slug>/`."""
        return f"/{self.slug}/"


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(tuple(weights), tuple(weights.values()))[0]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


class Site:
    """The whole replica: articles in publish order, listings, lazy bodies, control actions."""

    def __init__(self, seed: int, count: int, now: datetime | None = None) -> None:
        self.seed = seed
        self.fixed_now = now is not None
        end = (now or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
        self.clock = end
        self.articles: list[Article] = []
        self.by_slug: dict[str, Article] = {}
        # Renamed articles' old slugs (answered with a 301), and removed ones (404 or 410).
        self.moved: dict[str, str] = {}
        self.gone: dict[str, int] = {}
        self._taken_slugs: set[str] = set(_RESERVED)
        self._serial = {"publish": 0, "update": 0}
        self._listings: dict[tuple[str, str], list[Article]] = {}
        self._details: dict[tuple[str, int], Detail] = {}
        self._summaries: dict[str, str] = {}
        self._build(count, end)

    # -- timeline -------------------------------------------------------------------------
    def _build(self, count: int, end: datetime) -> None:
        fixed = [f for f in FIXED_ARTICLES if f.published <= end][:count]
        rng = random.Random(f"{self.seed}|timeline")
        when = end - timedelta(minutes=rng.randint(2, 9))
        roundup_days: set[date] = set()
        drafts: list[dict[str, Any]] = []
        for _ in range(count - len(fixed)):
            local = when.astimezone(KYIV)
            kind = _weighted(rng, _KIND_WEIGHTS)
            if 8 <= local.hour < 11 and local.date() not in roundup_days:
                roundup_days.add(local.date())
                kind = "roundup"
            drafts.append(self._draw(rng, kind, when, end))
            when -= timedelta(minutes=rng.randint(10, 60))
        drafts.reverse()
        for f in fixed:
            self._claim_slug(f.slug)
        merged = sorted(
            [*drafts, *({"fixed": f, "published": f.published} for f in fixed)],
            key=lambda d: d["published"],
        )
        for draft in merged:
            self._add(draft)

    def _draw(
        self, rng: random.Random, kind: str, when: datetime, end: datetime, feed: bool = False
    ) -> dict[str, Any]:
        """Draw one article's metadata (everything but its slug and position)."""
        context = make_context(rng)
        topic = _weighted(rng, _NEWS_TOPICS)
        if kind == "roundup":
            topic = "strike"
            context["killed"] = str(rng.randint(0, 14))
            context["injured"] = str(rng.randint(2, 60))
        elif kind == "liveblog":
            topic = rng.choice(("strike", "frontline", "diplomacy"))
        writer = Writer(rng, when, context)
        authors = self._draw_authors(rng, kind)
        title_template = self._title_template(rng, kind, topic)
        title = writer.fill(title_template)
        if kind == "liveblog":
            context["headline"] = title
            title = "Ukraine war latest: " + title
        elif kind == "opinion" and rng.random() < 0.4:
            title = f"{authors[0].name}: {title}"
        modified = when
        original_title = title
        if not feed and rng.random() < 0.15:
            modified = min(end, when + timedelta(minutes=rng.randint(15, 36 * 60)))
            if kind in ("news", "short") and modified > when and rng.random() < 0.35:
                title = "Update: " + writer.fill(title_template)
        style = "2023" if rng.random() < 0.2 else "2025"
        roll = rng.random()
        if style == "2023":
            head = "bare" if roll < 0.5 else "no-jsonld" if roll < 0.55 else "full"
        else:
            head = "no-jsonld" if roll < 0.06 else "full"
        quirks: frozenset[str] = frozenset()
        if head == "full" and rng.random() < 0.2:
            quirks = frozenset(
                rng.choice((("entities",), ("whitespace",), ("entities", "whitespace")))
            )
        return {
            "kind": kind,
            "topic": topic,
            "context": context,
            "title": title,
            "original_title": original_title,
            "authors": authors,
            "tags": self._draw_tags(rng, kind, topic, original_title, context, feed),
            "published": when,
            "modified": modified,
            "image_url": asset_url(rng, when, context["city"]),
            "style": style,
            "head": head,
            "quirks": quirks,
            "js_date": rng.random() < 0.3,
            "tracking": rng.random() < 0.1,
            "empty_updated": rng.random() < 0.5,
        }

    @staticmethod
    def _title_template(rng: random.Random, kind: str, topic: str) -> str:
        pools = {
            "opinion": lx.OPINION_TITLES,
            "editorial": lx.EDITORIAL_TITLES,
            "explainer": lx.EXPLAINER_TITLES,
            "interview": lx.INTERVIEW_TITLES,
        }
        if kind == "roundup":
            return lx.ROUNDUP_TITLE
        return rng.choice(pools.get(kind, lx.TOPICS[topic][1]))

    @staticmethod
    def _draw_authors(rng: random.Random, kind: str) -> tuple[Author, ...]:
        roll = rng.random()
        if kind == "editorial":
            return (ORGANIZATION,)
        if kind == "opinion":
            return tuple(rng.sample(GUESTS, 2 if roll < 0.1 else 1))
        if kind == "liveblog":
            if roll < 0.6:
                return (NEWS_DESK,)
            return (*rng.sample(STAFF, 2), NEWS_DESK) if roll < 0.8 else tuple(rng.sample(STAFF, 3))
        if kind in ("explainer", "interview"):
            return tuple(rng.sample(STAFF, 1 if roll < 0.7 else 2 if roll < 0.92 else 3))
        if kind == "roundup":
            return (rng.choice(STAFF),) if roll < 0.5 else (NEWS_DESK,)
        if roll < 0.45:
            return (rng.choice(STAFF),)
        if roll < 0.65:
            return (rng.choice(STAFF), NEWS_DESK)
        if roll < 0.82:
            return (NEWS_DESK,)
        return tuple(rng.sample(STAFF, 2 if roll < 0.94 else 3))

    @staticmethod
    def _draw_tags(
        rng: random.Random,
        kind: str,
        topic: str,
        title: str,
        context: dict[str, str],
        feed: bool,
    ) -> tuple[Tag, ...]:
        topical = list(lx.TOPICS[topic][0])
        if "Trump" in title:
            topical += ["donald-trump", "united-states"]
        if "Putin" in title:
            topical += ["vladimir-putin", "russia"]
        if "Belarus" in title:
            topical.append("belarus")
        if "Kharkiv" in title or context["city"] == "Kharkiv":
            topical.append("kharkiv-oblast")
        if kind in ("liveblog", "roundup"):
            topical = ["collaborators", "war", "ukraine"] if kind == "liveblog" else topical
        topical = _unique(topical)[: rng.randint(2, 5)]
        if kind in ("opinion", "editorial"):
            in_feed, slugs = rng.random() < 0.08, ["opinion", *topical[:2]]
        elif kind in ("explainer", "interview"):
            primary = "interview" if kind == "interview" else rng.choice(_LONG_READ_PRIMARY)
            in_feed, slugs = rng.random() < 0.15, [primary, *topical[:3]]
        else:
            in_feed, slugs = kind == "roundup" or rng.random() < 0.85, topical
        if in_feed or feed:
            slugs.insert(0 if rng.random() < 0.7 else 1, "news-feed")
        return tuple(TAGS[s] for s in _unique(slugs)[:6])

    def _claim_slug(self, base: str) -> str:
        slug, n = base, 1
        while slug in self._taken_slugs:
            n += 1
            slug = f"{base}-{n}"
        self._taken_slugs.add(slug)
        return slug

    def _add(self, draft: dict[str, Any]) -> Article:
        """Give a draft its slug (frozen at first publish) and position, and store it."""
        index = len(self.articles)
        fixed: FixedArticle | None = draft.get("fixed")
        if fixed is not None:
            article = Article(
                index=index,
                slug=fixed.slug,
                title=fixed.title,
                original_title=fixed.title,
                kind="news" if "news-feed" in fixed.tag_slugs else "explainer",
                topic="diplomacy",
                context=make_context(random.Random(fixed.slug)),
                authors=fixed.authors,
                tags=tuple(TAGS[s] for s in fixed.tag_slugs),
                published=fixed.published,
                modified=fixed.published,
                ghost_id="",
                image_url=fixed.image_url,
                style="2023",
                head="full",
                quirks=frozenset(),
                js_date=False,
                tracking=False,
                empty_updated=True,
                fixed=fixed,
            )
        else:
            base = ROUNDUP_SLUG if draft["kind"] == "roundup" else slugify(draft["original_title"])
            article = Article(index=index, slug=self._claim_slug(base), ghost_id="", **draft)
        digest = hashlib.sha1(f"{self.seed}|{article.slug}".encode()).hexdigest()
        article.ghost_id = f"{int(article.published.timestamp()):08x}{digest[:16]}"
        self.articles.append(article)
        self.by_slug[article.slug] = article
        return article

    # -- listings -------------------------------------------------------------------------
    def listing(self, kind: str, key: str = "") -> list[Article] | None:
        """Articles of a listing, newest first; None when the tag or author does not exist."""
        if (kind == "tag" and key not in TAGS) or (kind == "author" and key not in AUTHORS):
            return None
        cached = self._listings.get((kind, key))
        if cached is None:
            keep = {
                "tag": lambda a: key in a.tag_slugs,
                "author": lambda a: any(x.slug == key for x in a.authors),
                "archive": lambda a: True,
                "picks": lambda a: a.kind in LONG_READ_KINDS,
            }[kind]
            cached = [a for a in reversed(self.articles) if keep(a) and a.slug not in self.gone]
            self._listings[(kind, key)] = cached
        return cached

    def newest(self, kind: str, key: str, before: datetime, count: int) -> list[Article]:
        """The `count` newest articles of a listing published strictly before `before`."""
        items = self.listing(kind, key) or []
        start = bisect_right(items, -before.timestamp(), key=lambda a: -a.published.timestamp())
        return items[start : start + count]

    # -- lazy content ---------------------------------------------------------------------
    def summary(self, article: Article) -> str:
        """The meta description (never changes after publication)."""
        if article.fixed is not None:
            return article.fixed.summary
        text = self._summaries.get(article.seed_slug)
        if text is None:
            rng = random.Random(f"{self.seed}|summary|{article.seed_slug}")
            text = Writer(rng, article.published, article.context).pick(lx.SUMMARIES)
            self._summaries[article.seed_slug] = text
        return text

    def detail(self, article: Article) -> Detail:
        """The article's body and caption at its current revision (generated, then cached)."""
        key = (article.seed_slug, len(article.revisions))
        detail = self._details.get(key)
        if detail is None:
            detail = compose(article, self._older_picker(article), self.summary, self.seed)
            for n in range(1, len(article.revisions) + 1):
                detail = revise(detail, article, self.seed, n)
            if len(self._details) >= _DETAIL_CACHE_SIZE:
                self._details.clear()
            self._details[key] = detail
        return detail

    def _older_picker(self, article: Article) -> OlderPicker:
        def pick(rng: random.Random) -> Article | None:
            if article.index == 0:
                return None
            return self.articles[rng.randrange(max(0, article.index - 400), article.index)]

        return pick

    # -- control actions ------------------------------------------------------------------
    def _tick(self) -> datetime:
        """Advance the site clock by a minute (or to the wall clock when it is later)."""
        self.clock += timedelta(minutes=1)
        if not self.fixed_now:
            self.clock = max(self.clock, datetime.now(UTC).replace(second=0, microsecond=0))
        return self.clock

    def publish(self, count: int) -> list[Article]:
        """Publish `count` new news articles, each a minute after the previous event."""
        added = []
        for _ in range(count):
            rng = random.Random(f"{self.seed}|publish|{self._serial['publish']}")
            self._serial["publish"] += 1
            when = self._tick()
            kind = "short" if rng.random() < 0.1 else "news"
            added.append(self._add(self._draw(rng, kind, when, when, feed=True)))
        self._listings.clear()
        return added

    def update(self, count: int) -> list[Article]:
        """Update `count` articles published in the 24 hours before the clock."""
        horizon = self.clock - timedelta(hours=24)
        recent = []
        for article in reversed(self.articles):
            if article.published < horizon:
                break
            recent.append(article)
        rng = random.Random(f"{self.seed}|update|{self._serial['update']}")
        self._serial["update"] += 1
        chosen = sorted(rng.sample(recent, min(count, len(recent))), key=lambda a: a.index)
        for article in chosen:
            article.modified = self._tick()
            article.revisions.append(article.modified)
            if not article.title.startswith("Update: ") and rng.random() < 0.3:
                article.title = "Update: " + article.title
        return chosen

    def rename(self, slug: str, *, edit: bool) -> Article:
        """Give an article a new slug (its old URL answers 301 to it), editing it if asked."""
        article = self._known(slug)
        new_slug = self._claim_slug(f"{slug}-renamed")
        article.first_slug = article.first_slug or slug
        del self.by_slug[slug]
        article.slug = new_slug
        self.by_slug[new_slug] = article
        self.moved[slug] = new_slug
        if edit:
            article.modified = self._tick()
            article.revisions.append(article.modified)
        self._listings.clear()
        return article

    def remove(self, slug: str, status: int) -> Article:
        """Take an article down: its page answers `status` (404 or 410), no listing shows it."""
        if status not in (404, 410):
            raise ValueError("a removed article answers 404 or 410")
        article = self._known(slug)
        self.gone[slug] = status
        self._listings.clear()
        return article

    def restore(self, slug: str) -> Article:
        """Put a removed article back, as it was."""
        self.gone.pop(slug, None)
        self._listings.clear()
        return self._known(slug)

    def _known(self, slug: str) -> Article:
        article = self.by_slug.get(slug)
        if article is None:
            raise ValueError(f"no article {slug!r}")
        return article

    # -- ground truth ---------------------------------------------------------------------
    def truth(self, article: Article, origin: str) -> dict[str, Any]:
        """What a perfect crawler extracts from the article's page."""
        detail = self.detail(article)
        return {
            "url": origin + article.path,
            "slug": article.slug,
            "title": article.title,
            "authors": [a.name for a in article.authors],
            "published": article.published.isoformat(),
            "modified": article.modified.isoformat(),
            "tags": [t.name for t in article.tags],
            "tag_slugs": list(article.tag_slugs),
            "primary_tag": article.primary_tag.name,
            "summary": self.summary(article),
            "body": detail.texts,
            "image_url": article.image_url,
            "image_caption": detail.caption,
            "related": [origin + f"/{b.slug}/" for b in detail.blocks if isinstance(b, Bookmark)],
        }


# Paths a slug must never take: they are routes of their own.
_RESERVED = frozenset(
    {"tag", "author", "news-archive", "page", "rss", "feed", "ghost", "membership", "_next"}
)
