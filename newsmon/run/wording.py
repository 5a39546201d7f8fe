"""How a run's lines put counts into words ("1 listing page", "2 listing pages")."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """A count with its noun, singular for exactly one: "1 listing page", "2 listing pages"."""
    noun = singular if count == 1 else (plural or singular + "s")
    return f"{count} {noun}"
