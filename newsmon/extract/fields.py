"""Declared fields: one method per item field; the item, provenance and coverage follow from it.

This is web-poet's idea (`@field` methods, `to_item()` built from them) in a few lines. web-poet
itself is not used: its `to_item()` is a coroutine that awaits every field, which would make
each extraction an event-loop hop inside Scrapy's synchronous callbacks, and it brings `andi`
and `url-matcher` for dependency injection and URL rules newsmon does not need. What it gives
is kept: adding a field is writing one method.

A field method takes no argument, is computed once per page object (later calls return the
cached value), and returns either the value or a `Sourced` value that says which link of its
fallback chain gave it and, for cross-checked fields, what the page's own metadata and its
visible markup say.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar, overload

from parsel import Selector

T = TypeVar("T")
M = TypeVar("M", bound=Callable[..., Any])
P = TypeVar("P", bound="FieldPage")


class PageSource(Protocol):
    """What a page object reads from a response: its parsed HTML and its URL."""

    @property
    def selector(self) -> Selector:
        """The parsed page."""

    @property
    def url(self) -> str:
        """The page's URL, after redirects."""


@dataclass(frozen=True)
class Sourced(Generic[T]):
    """A field value with where it came from."""

    value: T
    """The value (blank when no source had one)."""

    source: str = ""
    """Which link of the fallback chain gave it ("jsonld", "h1", "c-content", ...; "" none)."""

    declared: T | None = None
    """What the page declares itself (JSON-LD, meta tags), for cross-checks; None: silent."""

    markup: T | None = None
    """What the page's visible markup says (headline, byline, date line); None if silent."""


@dataclass(frozen=True)
class FieldSpec:
    """One declared field of a page object."""

    name: str
    """The item field it fills."""

    method: str
    """The page object's method that computes it."""

    coverage: bool
    """Counted in the health checks' coverage figures (a field a page may lack)."""

    tracked: bool
    """Its source is recorded in the item's provenance (it has a fallback chain)."""

    cross_checked: bool
    """Its declared and visible values are compared (drift between metadata and markup)."""


def computed_once(method: M) -> M:
    """Cache a page object's helper like a field (forgotten with the fields), undeclared."""

    @functools.wraps(method)
    def once(page: FieldPage) -> Any:
        values = page.field_values
        if method.__name__ not in values:
            values[method.__name__] = method(page)
        return values[method.__name__]

    return once  # type: ignore[return-value]


class _Declare(Protocol):
    """The decorator `field(...)` returns: a method's value type, without its Sourced wrapper."""

    @overload
    def __call__(self, method: Callable[[P], Sourced[T]]) -> Callable[[P], T]: ...

    @overload
    def __call__(self, method: Callable[[P], T]) -> Callable[[P], T]: ...


def field(
    *,
    name: str | None = None,
    coverage: bool = True,
    tracked: bool = False,
    cross_checked: bool = False,
) -> _Declare:
    """Declare a method as the extractor of an item field (its own name unless `name`).

    Calling the method gives the value; `FieldPage.sourced` gives it with its source.
    """

    def declare(method: Callable[[Any], Any]) -> Callable[[Any], Any]:
        spec = FieldSpec(
            name=name or method.__name__,
            method=method.__name__,
            coverage=coverage,
            tracked=tracked or cross_checked,
            cross_checked=cross_checked,
        )
        raw = computed_once(method)

        @functools.wraps(method)
        def value(page: FieldPage) -> Any:
            result = raw(page)
            return result.value if isinstance(result, Sourced) else result

        value.field_spec = spec  # type: ignore[attr-defined]
        value.raw = raw  # type: ignore[attr-defined]
        return value

    return declare  # type: ignore[return-value]


class FieldPage:
    """Base of page objects made of declared fields (see `field`)."""

    fields: ClassVar[tuple[FieldSpec, ...]] = ()
    # The fields by name, built with `fields` (every field read looks its spec up).
    field_specs: ClassVar[dict[str, FieldSpec]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Declaration order: the item's field order, and the order coverage is reported in.
        found: dict[str, FieldSpec] = {spec.name: spec for spec in cls.fields}
        for attribute in vars(cls).values():
            spec = getattr(attribute, "field_spec", None)
            if isinstance(spec, FieldSpec):
                found[spec.name] = spec
        cls.fields = tuple(found.values())
        cls.field_specs = dict(found)

    def __init__(self) -> None:
        self.field_values: dict[str, Any] = {}

    def forget_fields(self) -> None:
        """Drop the cached field values (after an input of the page object changed)."""
        self.field_values.clear()

    def sourced(self, name: str) -> Sourced[Any]:
        """A declared field with its source (a field without a chain has none)."""
        spec = self.field_specs[name]
        result = getattr(type(self), spec.method).raw(self)
        return result if isinstance(result, Sourced) else Sourced(result)

    def extract(self) -> dict[str, Any]:
        """Every declared field's value, computed once (`sourced` gives one with its source)."""
        cls = type(self)
        values = {}
        for spec in self.fields:
            result = getattr(cls, spec.method).raw(self)
            values[spec.name] = result.value if isinstance(result, Sourced) else result
        return values

    @classmethod
    def names(cls, *, coverage: bool = False, tracked: bool = False) -> tuple[str, ...]:
        """Names of the declared fields, all or only those counted in coverage or tracked."""
        return tuple(
            spec.name
            for spec in cls.fields
            if (not coverage or spec.coverage) and (not tracked or spec.tracked)
        )

    @classmethod
    def cross_checked(cls) -> tuple[str, ...]:
        """Names of the fields whose declared and visible values are compared."""
        return tuple(spec.name for spec in cls.fields if spec.cross_checked)
