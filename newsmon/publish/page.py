"""Render the front door: output/index.html (Jinja2, escaping on) and output/feeds.opml.

Pure writers: they take what `frontdoor` gathered and know nothing of the store. The page is
plain semantic HTML with a small inline stylesheet and an inline SVG chart: no script, no
external asset, readable on a phone. Nothing on it depends on the clock, so publishing an
unchanged state leaves it byte for byte as it was.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from xml.etree import ElementTree

import jinja2

from newsmon.site import SITE_NAME

TEMPLATE = "index.html.jinja"
CHART_DAYS = 30
# The chart's drawing box (the SVG scales to the page's width).
CHART_WIDTH, CHART_HEIGHT, CHART_TOP = 420, 120, 16


@dataclass(frozen=True)
class FeedLink:
    """One format of a feed: its label, relative href and media type."""

    label: str
    href: str
    media_type: str


@dataclass(frozen=True)
class FeedCard:
    """A published feed as the page lists it."""

    title: str
    kind: str
    items: int
    newest: datetime | None
    links: list[FeedLink]
    site_link: str
    url: str
    """The absolute URL of its RSS document (OPML's xmlUrl)."""


@dataclass(frozen=True)
class RunRow:
    """One recent run: when, which crawl, what it stored, how long, how it ended."""

    finished: datetime
    spider: str
    new: int
    updated: int
    seconds: float
    healthy: bool
    failed_checks: list[str]


@dataclass(frozen=True)
class Headline:
    """One of the latest articles."""

    title: str
    url: str
    published: datetime | None
    byline: str


@dataclass(frozen=True)
class Bar:
    """One day of the chart, placed."""

    day: date
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class FrontPage:
    """Everything the index page shows."""

    feeds: list[FeedCard]
    runs: list[RunRow]
    per_day: dict[date, int]
    chart_end: date
    latest: list[Headline]
    article_count: int
    files: list[FeedLink]
    """Other things in the folder worth a link: the archive, the health feed, the OPML."""

    health_feed: FeedLink | None


def render_index(page: FrontPage) -> bytes:
    """The index page as UTF-8 bytes."""
    template = _environment().get_template(TEMPLATE)
    bars, peak = chart_bars(page.per_day, page.chart_end)
    latest_runs: dict[str, RunRow] = {}
    for run in page.runs:
        latest_runs.setdefault(run.spider, run)
    failing = [run for run in latest_runs.values() if not run.healthy]
    text = template.render(
        site_name=SITE_NAME,
        page=page,
        bars=bars,
        peak=peak,
        chart=(CHART_WIDTH, CHART_HEIGHT),
        chart_start=page.chart_end - timedelta(days=CHART_DAYS - 1),
        latest_runs=latest_runs,
        failing=failing,
        shown=_shown,
        duration=_duration,
    )
    return text.encode("utf-8")


def chart_bars(per_day: dict[date, int], end: date) -> tuple[list[Bar], int]:
    """The last CHART_DAYS days up to `end` as bars (zero days too), and the highest count."""
    days = [end - timedelta(days=offset) for offset in range(CHART_DAYS - 1, -1, -1)]
    peak = max((per_day.get(day, 0) for day in days), default=0)
    step = CHART_WIDTH / CHART_DAYS
    drawable = CHART_HEIGHT - CHART_TOP
    bars = []
    for index, day in enumerate(days):
        count = per_day.get(day, 0)
        height = round(drawable * count / peak, 1) if peak else 0.0
        bars.append(
            Bar(day, count, round(index * step + 1, 1), CHART_HEIGHT - height, step - 2, height)
        )
    return bars, peak


def render_opml(feeds: list[FeedCard], *, title: str) -> bytes:
    """OPML 2.0 with one outline per feed (its RSS URL), for readers' "import" buttons."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = title
    body = ElementTree.SubElement(root, "body")
    for feed in feeds:
        ElementTree.SubElement(
            body,
            "outline",
            type="rss",
            text=feed.title,
            title=feed.title,
            xmlUrl=feed.url,
            htmlUrl=feed.site_link,
        )
    ElementTree.indent(root)
    data: bytes = ElementTree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return data + b"\n"


@functools.cache
def _environment() -> jinja2.Environment:
    """Templates from the package (also inside a zipped egg), every value escaped.

    Built once per process: compiling the template costs more than rendering it.
    """
    folder = resources.files("newsmon.publish").joinpath("templates")
    source = folder.joinpath(TEMPLATE).read_text("utf-8")
    return jinja2.Environment(
        loader=jinja2.DictLoader({TEMPLATE: source}),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _shown(moment: datetime | None) -> str:
    """A time as the page prints it: UTC, to the minute."""
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _duration(seconds: float) -> str:
    """A run's length in words: "42 s", "3 min 5 s", "1 h 2 min"."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
