"""Date parsing for every form the site uses; every result is timezone-aware UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

from newsmon.extract.normalize.text import DELETED_CHARACTERS

# Visible dates on the site are Kyiv local time (UTC+2 in winter, UTC+3 in summer).
KYIV = ZoneInfo("Europe/Kyiv")

# Dates before the site existed or far in the future are extraction errors, not news.
EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)

_JS_DATE = re.compile(
    r"^\s*(?:[A-Za-z]{3}\s+)?(?P<date>[A-Za-z]{3}\s+\d{1,2}\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?)"
    r"\s+GMT(?P<offset>[+-]\d{4})?"
)
_MONTHS = (
    "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|January|February|March|April|June|"
    "July|August|September|October|November|December"
)
# A digit, invisible characters, a colon: where a cleaned text can show a "5:17".
RAW_CLOCK = re.compile(r"\d[" + re.escape(DELETED_CHARACTERS) + r"]*:")
_DIGIT = re.compile(r"\d")
# More than one colon in this many characters: the regex's scan is cheaper than the loop's.
COLONS_FOR_THE_REGEX = 32
_DELETED = frozenset(DELETED_CHARACTERS)
_TIME_OF_DAY = re.compile(r"\d:\d\d\s*[AaPp]")
_MONTH_NUMBERS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
# "March 18, 2025 5:17 PM" or "Jan. 18, 2023, 7:27 p.m." as printed under a headline.
_VISIBLE_DATE = re.compile(
    rf"\b(?P<month>{_MONTHS})\.?\s+(?P<day>\d{{1,2}}),?\s+(?P<year>\d{{4}}),?\s+"
    r"(?P<time>\d{1,2}:\d{2})\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)"
)


def to_utc(value: datetime) -> datetime | None:
    """Convert to UTC (a naive time is taken to be UTC already); None if UTC cannot hold it.

    `9999-12-31T23:59:59-12:00` or `0001-01-01T00:00:00+14:00` are valid ISO 8601 but fall
    outside the years Python can represent once moved to UTC: such a value from a page is no
    date at all, never an exception that takes the page (or its whole listing) down.
    """
    if value.tzinfo is None:
        # Ghost writes UTC timestamps; a missing offset means the "Z" was dropped, not local time.
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def parse_iso(text: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp ("2025-06-03T13:43:00.000Z") into UTC, or None."""
    if not text or not text.strip():
        return None
    raw = text.strip()
    try:
        return to_utc(datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        pass
    if not re.match(r"^\d{4}-\d{2}-\d{2}", raw):
        return None
    try:
        return to_utc(dateutil_parser.isoparse(raw))
    except (ValueError, OverflowError):
        return None


def parse_js_date(text: str | None) -> datetime | None:
    """Parse JavaScript's Date.toString() form ("Tue Jun 03 2025 13:18:00 GMT+0000 (...)")."""
    if not text:
        return None
    match = _JS_DATE.match(text)
    if not match:
        return None
    # By hand, not strptime (ten times the cost, once per listing card), and not dateutil,
    # which reads the year "0001" as 2001 (two-digit year logic), turning an absurd date into a
    # plausible one. The rules are strptime's ("%b %d %Y %H:%M[:%S] %z").
    month_name, day, year, clock = match.group("date").split()
    offset = match.group("offset") or "+0000"
    if not match.group("date").isascii():
        # Digits of other scripts: strptime's own rules for them, however odd.
        return _strptime_js_date(" ".join(match.group("date").split()), offset)
    month = _MONTH_NUMBERS.get(month_name.capitalize())
    numbers = clock.split(":")
    if month is None:
        return None
    hour, minute = int(numbers[0]), int(numbers[1])
    second = int(numbers[2]) if len(numbers) == 3 else 0
    offset_minutes = int(offset[3:])
    if hour > 23 or minute > 59 or second > 61 or offset_minutes > 59:
        return None
    try:
        zone = timezone(
            (-1 if offset[0] == "-" else 1)
            * timedelta(hours=int(offset[1:3]), minutes=offset_minutes)
        )
        return to_utc(datetime(int(year), month, int(day), hour, minute, second, tzinfo=zone))
    except ValueError:
        return None


def _strptime_js_date(stamp: str, offset: str) -> datetime | None:
    """`parse_js_date` by strptime (the slow way, for digits beyond ASCII)."""
    for layout in ("%b %d %Y %H:%M:%S %z", "%b %d %Y %H:%M %z"):
        try:
            return to_utc(datetime.strptime(f"{stamp} {offset}", layout))
        except ValueError:
            continue
    return None


# A card's date is read in every listing that shows the card (3.4 listings an article on the
# replica) and parsing one took 6 to 8 us: the answers are remembered, a few thousand of them.
@lru_cache(maxsize=4096)
def parse_card_date(text: str | None) -> datetime | None:
    """Parse a listing card's data-archive-id, which holds either ISO or Date.toString()."""
    if text and text.strip()[:1].isascii() and text.strip()[:1].isalpha():
        # Date.toString() starts with a letter, which no ISO date does: parse_iso would fail.
        return parse_js_date(text)
    return parse_iso(text) or parse_js_date(text)


def may_show_clock_time(raw: str) -> bool:
    """Tell whether raw page text can still hold a "5:17" once `clean_text` has cleaned it.

    False means no visible date (every one has a time of day): a reader can skip cleaning and
    searching the text. Only an entity ("&#58;") or a deleted invisible character can put a
    colon right after a digit; NFC composition and space collapsing cannot.
    """
    if "&" in raw:
        return True
    # RAW_CLOCK's search, from each colon backwards: a regex tries `\d` (a Unicode category
    # lookup) at every character of a kilobyte or two, and a date line has few colons. No
    # deleted character is a digit, so skipping them all before the test is the same. Text
    # dense with colons (an inline style or script among the date line's nodes) costs the
    # loop more than the regex (about 0.7 us a colon against 0.02 us a character).
    if raw.count(":") > len(raw) // COLONS_FOR_THE_REGEX:
        return RAW_CLOCK.search(raw) is not None
    colon = raw.find(":")
    while colon >= 0:
        before = colon - 1
        while before >= 0 and raw[before] in _DELETED:
            before -= 1
        if before >= 0 and _DIGIT.match(raw, before):
            return True
        colon = raw.find(":", colon + 1)
    return False


def parse_visible_date(text: str | None, zone: ZoneInfo = KYIV) -> datetime | None:
    """Find the first "March 18, 2025 5:17 PM" date in text, read it as Kyiv time, give UTC."""
    # Most date lines show no time of day at all: this plain scan says so at a fraction of the
    # month alternation's cost (every visible date holds a "5:17 P").
    if not text or not _TIME_OF_DAY.search(text):
        return None
    match = _VISIBLE_DATE.search(text)
    if not match:
        return None
    if not match.group(0).isascii():
        # Digits of other scripts: strptime's own rules for them, however odd.
        return _strptime_visible_date(match, zone)
    # By hand, not strptime: this runs for every article page and strptime costs ten times
    # as much; the rules are strptime's ("%b %d %Y %I:%M %p"): hour 1-12, a real calendar day.
    hour_text, minute_text = match.group("time").split(":")
    hour, minute = int(hour_text), int(minute_text)
    if not 1 <= hour <= 12 or minute > 59:
        return None
    if match.group("ampm")[0] in "Pp":
        hour = hour % 12 + 12
    else:
        hour %= 12
    month = _MONTH_NUMBERS[match.group("month")[:3]]
    try:
        local = datetime(int(match.group("year")), month, int(match.group("day")), hour, minute)
    except ValueError:
        return None
    return to_utc(local.replace(tzinfo=zone))


def _strptime_visible_date(match: re.Match[str], zone: ZoneInfo) -> datetime | None:
    """`parse_visible_date` of one match by strptime (the slow way, for digits beyond ASCII)."""
    ampm = match.group("ampm").replace(".", "").replace(" ", "").upper()
    month = match.group("month")[:3]
    stamp = f"{month} {match.group('day')} {match.group('year')} {match.group('time')} {ampm}"
    try:
        local = datetime.strptime(stamp, "%b %d %Y %I:%M %p")
    except ValueError:
        return None
    return to_utc(local.replace(tzinfo=zone))


def is_plausible(value: datetime | None, now: datetime | None = None) -> bool:
    """Tell whether a publication date could be real: not before 2000, not a day in the future."""
    if value is None:
        return False
    now = now or datetime.now(UTC)
    return EARLIEST_PLAUSIBLE <= value <= now + timedelta(days=1)
