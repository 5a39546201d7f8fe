"""Feed filters: `filter`, `filterout`, `author`, `tag` and `limit`, parsed and matched.

The same parameters narrow a served feed (`/newsfeed.xml?filter=kharkiv&limit=5`) and define
a named filter feed (NEWSMON_FILTER_FEEDS). What they mean:

- `filter=WORDS`: keep articles where WORDS stand as whole words (a word, or a phrase of
  several words in a row) in the title, the summary or the body, in any case. Several
  alternatives: repeat the parameter or separate them with `|` (any of them matches).
- `filterout=WORDS`: drop the articles where any of them stands so.
- `author=NAME`: an author's name ("Martin Dvorak"), its slug form ("martin-dvorak"), or the
  slug of their page on the site ("martin", when the `authors` crawl walked it).
- `tag=SLUG`: a tag's slug ("kharkiv-oblast") or name; the article carries it or was found
  in its listing.
- `limit=N`: at most N articles (1 to NEWSMON_FEED_SIZE).

An empty parameter (`filter=`) is ignored, as HTML forms send their empty fields.

Parameters of different names must all hold; values of one name are alternatives. The words
are the user's, never a pattern: each is escaped before it goes into the one regular
expression newsmon builds, so `a.b` matches the text "a.b" only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Protocol
from urllib.parse import parse_qsl, urlencode

from newsmon.site import author_key, slugify

PARAMETERS: tuple[str, ...] = ("filter", "filterout", "author", "tag", "limit")
# Bounds on what one URL may ask for: matching stays a small regular expression.
MAX_VALUES = 20
MAX_VALUE_CHARS = 200
# Curly apostrophes are what the site prints; a user types the straight one.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


class FilterError(ValueError):
    """A query a feed cannot answer; the message is one line for the reader."""


class Candidate(Protocol):
    """What a filter reads of an article (the store's FeedCandidate has it)."""

    @property
    def title(self) -> str: ...  # noqa: D102
    @property
    def summary(self) -> str: ...  # noqa: D102
    @property
    def body(self) -> str: ...  # noqa: D102
    @property
    def authors(self) -> list[str]: ...  # noqa: D102
    @property
    def tag_slugs(self) -> list[str]: ...  # noqa: D102
    @property
    def tag_names(self) -> list[str]: ...  # noqa: D102
    @property
    def listings(self) -> list[str]: ...  # noqa: D102


@dataclass(frozen=True)
class FeedFilter:
    """A parsed query: phrases to keep and drop, authors, tags, a limit."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    limit: int | None = None
    _compiled: dict[str, re.Pattern[str] | None] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def parse(cls, query: str, *, max_limit: int) -> FeedFilter:
        """Parse a query string; raise FilterError (one line) for anything it cannot mean."""
        try:
            pairs = parse_qsl(
                query,
                keep_blank_values=True,
                strict_parsing=True,
                errors="strict",
                max_num_fields=4 * MAX_VALUES,
            )
        except ValueError as error:
            raise FilterError(f"the query string cannot be read: {error}") from None
        values: dict[str, list[str]] = {name: [] for name in PARAMETERS}
        for name, value in pairs:
            if name not in values:
                raise FilterError(
                    f"unknown parameter {_shown(name)}: a feed takes "
                    + ", ".join(PARAMETERS[:-1])
                    + f" and {PARAMETERS[-1]}"
                )
            if len(value) > MAX_VALUE_CHARS:
                raise FilterError(f"{name} is longer than {MAX_VALUE_CHARS} characters")
            values[name].append(value)
        limit = _limit(values.pop("limit"), max_limit)
        found = {name: _alternatives(name, raw) for name, raw in values.items()}
        return cls(
            include=found["filter"],
            exclude=found["filterout"],
            authors=found["author"],
            tags=found["tag"],
            limit=limit,
        )

    def merged(self, other: FeedFilter) -> FeedFilter:
        """The filter narrowed by `other` (a named feed's, then a URL's); its limit wins."""
        return replace(
            self,
            include=self.include + other.include,
            exclude=self.exclude + other.exclude,
            authors=self.authors + other.authors,
            tags=self.tags + other.tags,
            limit=other.limit if other.limit is not None else self.limit,
            _compiled={},
        )

    @property
    def selects_all(self) -> bool:
        """Tell whether the filter keeps every article (a limit at most)."""
        return not (self.include or self.exclude or self.authors or self.tags)

    def query(self) -> str:
        """The filter as one canonical query string (same filter, same string)."""
        pairs = [("filter", value) for value in self.include]
        pairs += [("filterout", value) for value in self.exclude]
        pairs += [("author", value) for value in self.authors]
        pairs += [("tag", value) for value in self.tags]
        if self.limit is not None:
            pairs.append(("limit", str(self.limit)))
        return urlencode(pairs)

    def describe(self) -> str:
        """The filter in words, for a feed's title and description."""
        parts = []
        if self.include:
            parts.append("with " + " or ".join(f"“{one}”" for one in self.include))
        if self.exclude:
            parts.append("without " + " or ".join(f"“{one}”" for one in self.exclude))
        if self.authors:
            parts.append("by " + " or ".join(self.authors))
        if self.tags:
            parts.append("tagged " + " or ".join(self.tags))
        return ", ".join(parts) or "all articles"

    def accepts(self, article: Candidate) -> bool:
        """Tell whether an article passes every part of the filter."""
        if self.authors and not any(_by(article, one) for one in self.authors):
            return False
        if self.tags and not any(_tagged(article, one) for one in self.tags):
            return False
        if not (self.include or self.exclude):
            return True
        text = f"{article.title}\n{article.summary}\n{article.body}".translate(_APOSTROPHES)
        keep = self._pattern("include")
        if keep is not None and keep.search(text) is None:
            return False
        drop = self._pattern("exclude")
        return drop is None or drop.search(text) is None

    def _pattern(self, which: str) -> re.Pattern[str] | None:
        """One case-insensitive pattern for the phrases of `which`, each escaped."""
        if which not in self._compiled:
            phrases = self.include if which == "include" else self.exclude
            self._compiled[which] = phrase_pattern(phrases) if phrases else None
        return self._compiled[which]


def phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """A pattern that finds any of the phrases as whole words, in any case, any spacing."""
    alternatives = [
        r"\s+".join(re.escape(word) for word in phrase.translate(_APOSTROPHES).split())
        for phrase in phrases
    ]
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


def _alternatives(name: str, raw: list[str]) -> tuple[str, ...]:
    """The alternatives of one parameter: each value, split at "|", spaces tidied."""
    found: list[str] = []
    for value in raw:
        # An empty value says nothing (an HTML form sends its empty fields): it is ignored.
        found.extend(part for part in (" ".join(one.split()) for one in value.split("|")) if part)
    if len(found) > MAX_VALUES:
        raise FilterError(f"{name} takes at most {MAX_VALUES} alternatives")
    return tuple(dict.fromkeys(found))


def _limit(raw: list[str], max_limit: int) -> int | None:
    """The one `limit` value, checked."""
    given = [value.strip() for value in raw if value.strip()]
    if not given:
        return None
    if len(given) > 1:
        raise FilterError("limit is given more than once")
    text = given[0]
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= max_limit:
        raise FilterError(f"limit must be a whole number from 1 to {max_limit}, not {_shown(text)}")
    return int(text)


def _by(article: Candidate, wanted: str) -> bool:
    """The article is by this author: name, its slug form, or the author page's slug."""
    folded = wanted.casefold()
    if author_key(wanted.lower()) in article.listings:
        return True
    return any(name.casefold() == folded or slugify(name) == folded for name in article.authors)


def _tagged(article: Candidate, wanted: str) -> bool:
    """The article carries this tag (slug or name) or was found in its listing."""
    slug = slugify(wanted)
    return (
        slug in article.tag_slugs
        or slug in article.listings
        or wanted.casefold() in (name.casefold() for name in article.tag_names)
    )


def _shown(text: str) -> str:
    """A user's value in a message: quoted, and cut short if long."""
    return repr(text if len(text) <= 40 else text[:40] + "...")
