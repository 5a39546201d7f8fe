"""Deterministic synthetic text: titles, sentences, captions filled from the lexicon."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.replica import lexicon as lx

KYIV = ZoneInfo("Europe/Kyiv")
AP_MONTHS = (
    "Jan.",
    "Feb.",
    "March",
    "April",
    "May",
    "June",
    "July",
    "Aug.",
    "Sept.",
    "Oct.",
    "Nov.",
    "Dec.",
)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def ap_date(when: datetime, with_year: bool = False) -> str:
    """Format a date in Kyiv time the AP way: "Nov. 25" or "Nov. 25, 2026"."""
    local = when.astimezone(KYIV)
    text = f"{AP_MONTHS[local.month - 1]} {local.day}"
    return f"{text}, {local.year}" if with_year else text


def kyiv_datetime_line(when: datetime) -> str:
    """Format the 2023 theme's visible date: "March 18, 2025 5:17 PM" in Kyiv time."""
    local = when.astimezone(KYIV)
    return f"{MONTHS[local.month - 1]} {local.day}, {local.year} {kyiv_clock(when)}"


def kyiv_clock(when: datetime) -> str:
    """Format a Kyiv-time clock reading like the News Feed box: "1:13 PM"."""
    local = when.astimezone(KYIV)
    return f"{(local.hour - 1) % 12 + 1}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def make_context(rng: random.Random) -> dict[str, str]:
    """Draw the places and people one article keeps talking about."""
    return {
        "city": rng.choice(lx.CITIES),
        "oblast": rng.choice(lx.OBLASTS),
        "village": rng.choice(lx.VILLAGES),
        "country": rng.choice(lx.COUNTRIES),
        "official": _official(rng),
        "venue": rng.choice(lx.VENUES),
    }


def _person(rng: random.Random) -> str:
    return f"{rng.choice(lx.FIRST_NAMES)} {rng.choice(lx.LAST_NAMES)}"


def _official(rng: random.Random) -> str:
    return f"{rng.choice(lx.TITLES)} {_person(rng)}"


class _Slots(dict[str, str]):
    """Template slots drawn on first use, so a template only consumes the draws it needs."""

    def __init__(self, writer: Writer) -> None:
        super().__init__(writer.context)
        self.writer = writer

    def __missing__(self, key: str) -> str:
        value = self.writer.draw(key)
        self[key] = value
        return value


class Writer:
    """Fills lexicon templates for one article from its RNG, date and context."""

    def __init__(self, rng: random.Random, when: datetime, context: dict[str, str]) -> None:
        self.rng = rng
        self.when = when
        self.context = context
        self._decks: dict[tuple[str, ...], list[str]] = {}

    def draw(self, key: str) -> str:
        """Draw a fresh value for one template slot."""
        rng = self.rng
        match key:
            case "n":
                return str(rng.randint(2, 15))
            case "m":
                return str(rng.randint(1, 30))
            case "k":
                return str(rng.randint(1, 9))
            case "age":
                return str(rng.randint(19, 88))
            case "big":
                return f"{rng.randint(1, 90) * rng.choice((10, 100, 1000)):,}"
            case "pct":
                return str(rng.randint(2, 40))
            case "date":
                return "on " + ap_date(self.when - timedelta(days=rng.choice((0, 0, 0, 1))))
            case "month":
                return rng.choice(MONTHS)
            case "person":
                return _person(rng)
            case "official":
                return _official(rng)
        pools = {
            "org": lx.ORGS,
            "weapon": lx.WEAPONS,
            "target": lx.TARGETS,
            "weekday": lx.WEEKDAYS,
            "brigade": lx.BRIGADES,
            "ordinal": lx.ORDINALS,
            "policy": lx.POLICIES,
            "agency": lx.AGENCY_NAMES,
            "city": lx.CITIES,
            "oblast": lx.OBLASTS,
            "region": lx.OBLASTS,
            "channel": lx.CHANNELS,
            "country": lx.COUNTRIES,
            "village": lx.VILLAGES,
            "venue": lx.VENUES,
        }
        return rng.choice(pools[key])

    def fill(self, template: str) -> str:
        """Fill one template; a sentence never starts with a lowercase letter."""
        text = template.format_map(_Slots(self))
        return text[0].upper() + text[1:] if text[0].islower() else text

    def pick(self, pool: tuple[str, ...]) -> str:
        """Fill a random template of `pool`."""
        return self.fill(self.rng.choice(pool))

    def deal(self, pool: tuple[str, ...]) -> str:
        """Fill the next template of a shuffled deck of `pool`: no repeats until it runs out."""
        deck = self._decks.get(pool)
        if not deck:
            deck = self._decks[pool] = self.rng.sample(pool, len(pool))
        return self.fill(deck.pop())

    def paragraph(self, pool: tuple[str, ...], lo: int = 2, hi: int = 3) -> str:
        """A paragraph of `lo`..`hi` sentences dealt from `pool`."""
        return " ".join(self.deal(pool) for _ in range(self.rng.randint(lo, hi)))

    def caption(self) -> str:
        """A photo caption with a date and a credit: "... on Nov. 25, 2026. (Photo: ...)"."""
        scene = self.pick(lx.CAPTION_SCENES)
        shot = ap_date(self.when - timedelta(days=self.rng.randint(0, 2)), with_year=True)
        credit = self.rng.choice(lx.AGENCIES)
        if self.rng.random() < 0.6:
            credit = f"{_person(self.rng)} / {credit}"
        return f"{scene}, on {shot}. (Photo: {credit})"
