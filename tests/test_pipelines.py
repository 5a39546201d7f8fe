import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from newsmon import settings as project_settings
from newsmon.config import NewsmonConfigError
from newsmon.items import ArticleItem
from newsmon.pipeline.clean import CleanPipeline, clean_article
from newsmon.pipeline.store import StorePipeline
from newsmon.pipeline.validate import ValidatePipeline
from newsmon.store import StateStore, close_store, get_store

SITE = "https://kyivindependent.com"
REPLICA = "http://127.0.0.1:8123"
T0 = datetime(2025, 3, 18, 15, 17, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


def body_of(topic: str) -> str:
    return "\n\n".join(
        f"Paragraph {n} on {topic}: officials in Kyiv met partners on Tuesday to talk."
        for n in range(1, 6)
    )


def make_item(slug: str, **overrides) -> ArticleItem:
    values = {
        "url": f"{SITE}/{slug}/",
        "title": f"Headline of {slug}",
        "authors": ["Kateryna Hodunova", "The Kyiv Independent news desk"],
        "published": T0,
        "modified": T0,
        "tags": ["News Feed", "United States", "Russia"],
        "tag_slugs": ["news-feed", "united-states", "russia"],
        "primary_tag": "News Feed",
        "summary": f"Summary of {slug}.",
        "body": body_of(slug),
        "listings": ["news-feed"],
    }
    values.update(overrides)
    return ArticleItem(**values)


def crawler_for(state_path: Path, site: str = SITE, **settings: str) -> Crawler:
    return get_crawler(
        settings_dict={
            "NEWSMON_BASE_URL": site,
            "NEWSMON_STATE_PATH": str(state_path),
            "ITEM_PIPELINES": project_settings.ITEM_PIPELINES,
            **settings,
        }
    )


class Run:
    """One "run" of the three pipelines on a real crawler, as Scrapy chains them."""

    def __init__(self, state_path: Path, site: str = SITE, **settings: str) -> None:
        self.crawler = crawler_for(state_path, site, **settings)
        self.pipes = [
            build_from_crawler(cls, self.crawler)
            for cls in (CleanPipeline, ValidatePipeline, StorePipeline)
        ]
        self.passed: list[ArticleItem] = []
        self.dropped: list[DropItem] = []

    def __enter__(self) -> "Run":
        for pipe in self.pipes:
            if hasattr(pipe, "open_spider"):
                pipe.open_spider()
        return self

    def feed(self, *items) -> "Run":
        for item in items:
            try:
                for pipe in self.pipes:
                    item = pipe.process_item(item)
            except DropItem as drop:
                self.dropped.append(drop)
            else:
                self.passed.append(item)
        return self

    def stat(self, key: str) -> int | None:
        return self.crawler.stats.get_value(key)

    def __exit__(self, *exc_info) -> None:
        for pipe in self.pipes:
            if hasattr(pipe, "close_spider"):
                pipe.close_spider()
        self.crawler.signals.send_catch_log(signal=signals.engine_stopped)


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "newsmon.sqlite3"


# --- settings ------------------------------------------------------------------------------------


def test_project_enables_the_pipelines_in_order() -> None:
    # The health quarantine (issue 8) sits between validate and store: a held item is never stored.
    assert project_settings.ITEM_PIPELINES == {
        "newsmon.pipeline.clean.CleanPipeline": 100,
        "newsmon.pipeline.validate.ValidatePipeline": 200,
        "newsmon.pipeline.quarantine.QuarantinePipeline": 250,
        "newsmon.pipeline.store.StorePipeline": 300,
    }


# --- clean ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"title": " Trump, Putin call &#x27;going well&#x27;\u00a0"},
            {"title": "Trump, Putin call 'going well'"},
        ),
        ({"title": "Zelen\u200bsky\x07 says"}, {"title": "Zelensky says"}),
        ({"title": "Kyi\u0308v"}, {"title": "Kyïv"}),
        (
            {"authors": ["Kateryna  Hodunova", "kateryna hodunova", " ", "Oleg&nbsp;Sukhov"]},
            {"authors": ["Kateryna Hodunova", "Oleg Sukhov"]},
        ),
        (
            {
                "tags": ["News Feed", "Russia", "news feed", "Russia-Ukraine War"],
                "tag_slugs": ["news-feed", "russia", "news-feed", "collaborators"],
            },
            {
                "tags": ["News Feed", "Russia", "Russia-Ukraine War"],
                "tag_slugs": ["news-feed", "russia", "collaborators"],
            },
        ),
        (  # misaligned lists: each cleaned on its own
            {"tags": ["Russia", "russia", "War"], "tag_slugs": ["russia"]},
            {"tags": ["Russia", "War"], "tag_slugs": ["russia"]},
        ),
        (
            {"body": "  First&nbsp;paragraph.\n\n\n\nSecond\nline.  \n\nRead more"},
            {"body": "First paragraph.\n\nSecond line.", "word_count": 4},
        ),
        (
            {"body": "One.\n\nTwo words.\n\nSupport us\n\nJoin our community"},
            {"body": "One.\n\nTwo words.", "word_count": 3},
        ),
        (
            {"summary": "The excerpt is cut mid-wo… Read more"},
            {"summary": "The excerpt is cut mid-wo…"},
        ),
        ({"body_html": "<p>R&amp;D\u200b</p>"}, {"body_html": "<p>R&amp;D</p>"}),
        (
            {"image_caption": " A caption\u00a0(Photo: Name) "},
            {"image_caption": "A caption (Photo: Name)"},
        ),
        ({"listings": ["news-feed", "russia", "news-feed"]}, {"listings": ["news-feed", "russia"]}),
        ({"related": [f"{SITE}/b/", f"{SITE}/b/"]}, {"related": [f"{SITE}/b/"]}),
        ({"url": f" {SITE}/a/\n"}, {"url": f"{SITE}/a/"}),
        ({"word_count": 999}, {"word_count": 65}),  # recomputed from the body
    ],
)
def test_clean_article(raw: dict, expected: dict) -> None:
    item = clean_article(make_item("a", **raw))
    assert {key: getattr(item, key) for key in expected} == expected


def test_clean_pipeline_counts_and_passes_other_items(state_path: Path) -> None:
    crawler = crawler_for(state_path)
    pipe = build_from_crawler(CleanPipeline, crawler)
    other = {"title": "  not ours  "}
    assert pipe.process_item(other) == {"title": "  not ours  "}
    pipe.process_item(make_item("a"))
    assert crawler.stats.get_value("newsmon/items/cleaned") == 1


# --- validate ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"url": ""}, "missing_url"),
        ({"url": "/relative-slug/"}, "invalid_url"),
        ({"url": "mailto:desk@kyivindependent.com"}, "invalid_url"),
        ({"title": ""}, "missing_title"),
        ({"title": "\u200b&nbsp;"}, "missing_title"),  # empty once cleaned
        ({"published": None}, "missing_published"),
        ({"published": datetime(2025, 3, 18, 17, 17)}, "naive_published"),
        ({"modified": datetime(2025, 3, 18, 17, 17)}, "naive_modified"),
        ({"body": ""}, "missing_body"),
        ({"body": "\n\nRead more\n\n"}, "missing_body"),  # only chrome
    ],
)
def test_incomplete_items_are_dropped_with_a_counted_reason(
    state_path: Path, overrides: dict, reason: str
) -> None:
    with Run(state_path) as run:
        run.feed(make_item("a", **overrides), make_item("b"))
        [drop] = run.dropped
        assert str(drop) == reason.replace("_", " ")
        assert drop.log_level is None  # a broken extraction deserves the default WARNING
        assert run.stat(f"newsmon/dropped/{reason}") == 1
        assert run.stat("newsmon/items/valid") == 1
        assert [item.url for item in run.passed] == [f"{SITE}/b/"]


def test_modified_may_be_missing(state_path: Path) -> None:
    with Run(state_path) as run:
        run.feed(make_item("a", modified=None))
        assert [item.change for item in run.passed] == ["new"]


def test_validate_passes_other_items(state_path: Path) -> None:
    pipe = build_from_crawler(ValidatePipeline, crawler_for(state_path))
    assert pipe.process_item({"no": "title"}) == {"no": "title"}


# --- dedupe and store ----------------------------------------------------------------------------


def test_second_run_passes_nothing_on(state_path: Path) -> None:
    with Run(state_path) as first:
        first.feed(make_item("a"), make_item("b"), make_item("c"))
        assert [(i.change, i.version) for i in first.passed] == [("new", 1)] * 3
        assert all(i.first_seen and i.crawled_at for i in first.passed)
        assert first.stat("newsmon/items/new") == 3
    with Run(state_path) as second:
        second.feed(make_item("a"), make_item("b"), make_item("c"))
        assert second.passed == []
        assert [str(d) for d in second.dropped] == ["unchanged"] * 3
        # normal for a monitor, so logged at DEBUG, not WARNING
        assert {d.log_level for d in second.dropped} == {"DEBUG"}
        assert second.stat("newsmon/items/unchanged") == 3
        assert second.stat("newsmon/items/new") is None


def test_a_changed_body_gives_exactly_one_update(state_path: Path) -> None:
    with Run(state_path) as first:
        first.feed(make_item("a"), make_item("b"))
    with Run(state_path) as second:
        changed = make_item("b", body=body_of("b") + "\n\nUpdate: a paragraph was added.")
        second.feed(make_item("a"), changed)
        [updated] = second.passed
        assert (updated.url, updated.change, updated.version) == (f"{SITE}/b/", "updated", 2)
        assert updated.first_seen == first.passed[1].first_seen
        assert second.stat("newsmon/items/updated") == 1
        assert second.stat("newsmon/items/unchanged") == 1
    with Run(state_path) as third:
        third.feed(make_item("a"), changed)
        assert third.passed == []


def test_a_headline_only_change_is_not_an_update(state_path: Path) -> None:
    with Run(state_path) as first:
        first.feed(make_item("a"))
    with Run(state_path) as second:
        second.feed(make_item("a", title="Update: a sharper headline"))
        assert second.passed == []


def test_one_article_through_every_door_is_stored_once(state_path: Path) -> None:
    slug = "trump-putin-call-going-well"
    doors = [
        make_item(slug, url=f"{SITE}/{slug}/", listings=["news-feed"]),
        make_item(slug, url=f"https://www.kyivindependent.com/{slug}", listings=["united-states"]),
        make_item(slug, url=f"{SITE}/{slug}/?utm_source=tag", listings=["russia"]),
        make_item(slug, url=f"http://kyivindependent.com/news-feed/{slug}", listings=[]),
        make_item(slug, url=f"{SITE}/{slug}/?fbclid=x&utm_medium=social#top", listings=[]),
    ]
    with Run(state_path) as run:
        run.feed(*doors)
        [stored] = run.passed
        assert stored.url == f"{SITE}/{slug}/"
        assert run.stat("newsmon/items/new") == 1
        assert run.stat("newsmon/items/unchanged") == 4
        store = get_store(run.crawler)
        assert store.listings_of(stored.url) == ["news-feed", "russia", "united-states"]
        for feed in ("news-feed", "united-states", "russia"):
            assert [v.canonical for v in store.latest_for_feed(feed, 10)] == [stored.url]


def test_same_body_at_a_second_url_and_round_ups(state_path: Path) -> None:
    round_up = "Russia has lost about {n} troops since the start of the full-scale war, "
    with Run(state_path) as run:
        run.feed(
            make_item("a"),
            make_item("a-renamed", body=body_of("a")),  # same body: the same article
            *(
                make_item(
                    f"general-staff-losses{suffix}", body=round_up.format(n=n) + body_of("war")
                )
                for n, suffix in [(1000, ""), (1100, "-2"), (1200, "-3")]
            ),
        )
        assert [i.url.rsplit("/", 2)[-2] for i in run.passed] == [
            "a",
            "general-staff-losses",
            "general-staff-losses-2",
            "general-staff-losses-3",
        ]


def test_replica_origin_keeps_http_and_port(state_path: Path) -> None:
    with Run(state_path, site=REPLICA) as run:
        run.feed(make_item("a", url="http://127.0.0.1:8123/news-feed/a?utm_source=x"))
        assert [i.url for i in run.passed] == ["http://127.0.0.1:8123/a/"]


def test_stored_item_is_the_item_passed_on(state_path: Path) -> None:
    with Run(state_path) as run:
        run.feed(make_item("a", title="Kyiv&nbsp;&amp; partners", url=f"{SITE}/a?ref=x"))
        [item] = run.passed
        [pending] = list(get_store(run.crawler).pending_exports())
        assert pending.article_item() == item
        assert pending.item["title"] == "Kyiv & partners"


def test_store_pipeline_passes_other_items(state_path: Path) -> None:
    with Run(state_path) as run:
        run.feed({"kind": "not an article"})
        assert run.passed == [{"kind": "not an article"}]


@pytest.mark.parametrize("site", ["", "kyivindependent.com", "ftp://kyivindependent.com"])
def test_store_pipeline_needs_a_base_url(state_path: Path, site: str) -> None:
    with pytest.raises(NewsmonConfigError, match="NEWSMON_BASE_URL"):
        build_from_crawler(StorePipeline, crawler_for(state_path, site=site))


# --- one store per crawl, shared, closed when the engine stops ---------------------------------


def test_get_store_is_one_store_per_crawler(state_path: Path) -> None:
    crawler = crawler_for(state_path)
    store = get_store(crawler)
    assert get_store(crawler) is store
    other = crawler_for(state_path)
    assert get_store(other) is not store
    close_store(crawler)
    close_store(other)


def test_store_outlives_pipelines_until_engine_stops(state_path: Path) -> None:
    run = Run(state_path)
    with run:
        run.feed(make_item("a"))
        store = get_store(run.crawler)
        for pipe in run.pipes:
            if hasattr(pipe, "close_spider"):
                pipe.close_spider()
        # a publishing extension reading the store at spider_closed still can
        assert [v.canonical for v in store.latest_for_feed(None, 5)] == [f"{SITE}/a/"]
    assert store._conn is None  # closed by engine_stopped
    assert get_store(run.crawler) is not store  # a later use opens it afresh
    close_store(run.crawler)


def test_newsfeed_and_tags_crawls_share_one_state(state_path: Path) -> None:
    # Interleaved item by item in one thread, the two take turns at each write: no batches
    # (a batch holds the write lock up to a second; RunLock keeps real runs apart anyway).
    unbatched = {"NEWSMON_STORE_BATCH_WRITES": "1"}
    with Run(state_path, **unbatched) as newsfeed, Run(state_path, **unbatched) as tags:
        newsfeed.feed(make_item("a", listings=["news-feed"]))
        tags.feed(make_item("a", listings=["russia"]), make_item("b", listings=["russia"]))
        assert [i.url for i in newsfeed.passed] == [f"{SITE}/a/"]
        assert [i.url for i in tags.passed] == [f"{SITE}/b/"]
    with StateStore(state_path) as store:
        assert store.listings_of(f"{SITE}/a/") == ["news-feed", "russia"]


def test_store_error_surfaces_when_the_pipeline_is_built(state_path: Path) -> None:
    # Before the engine starts: no spider_opened/spider_closed handler runs for a crawl that
    # cannot have a store (issue 7).
    state_path.parent.mkdir(parents=True)
    state_path.write_text("not a database")
    with pytest.raises(Exception, match="not a SQLite database"):
        build_from_crawler(StorePipeline, crawler_for(state_path))


def test_clock_sets_first_seen(state_path: Path) -> None:
    crawler = crawler_for(state_path)
    pipe = StorePipeline(crawler, SITE, clock=lambda: T0 + timedelta(days=1))
    pipe.open_spider()
    item = pipe.process_item(make_item("a"))
    assert (item.first_seen, item.crawled_at) == (T0 + timedelta(days=1),) * 2
    close_store(crawler)


# --- a real crawl, twice, through Scrapy's engine ---------------------------------------------

CRAWL_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from datetime import UTC, datetime

    import scrapy
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from newsmon.items import ArticleItem
    from newsmon.store import _CRAWL_STORES, get_store

    state_path, output_dir, body_suffix = sys.argv[1], sys.argv[2], sys.argv[3]
    T0 = datetime(2025, 3, 18, 15, 17, tzinfo=UTC)
    BODY = "\\n\\n".join(f"Paragraph {n} of the story, with enough words." for n in range(5))


    class FakeFeed(scrapy.Spider):
        name = "fake"

        async def start(self):
            for slug in ("a", "b", "c"):
                body = f"The story of {slug}.\\n\\n" + BODY + (body_suffix if slug == "b" else "")
                doors = (
                    f"https://kyivindependent.com/{slug}/",
                    f"https://www.kyivindependent.com/news-feed/{slug}?utm_source=x",
                )
                for url in doors:
                    yield ArticleItem(
                        url=url, title=slug, published=T0, modified=T0, body=body,
                        listings=["news-feed"],
                    )


    settings = Settings()
    settings.setmodule("newsmon.settings")
    settings.setdict(
        {
            "SPIDER_MODULES": [],
            "NEWSMON_STATE_PATH": state_path,
            "NEWSMON_OUTPUT_DIR": output_dir,
            "LOG_LEVEL": "INFO",
            "REMOTE_CONTROL_ENABLED": False,
        }
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(FakeFeed)
    seen_at_close = []

    def spider_closed(spider, reason):
        seen_at_close.extend(v.version for v in get_store(crawler).latest_for_feed("news-feed", 10))

    crawler.signals.connect(spider_closed, signal=signals.spider_closed)
    process.crawl(crawler)
    process.start()
    stats = {k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, int)}
    closed = crawler not in _CRAWL_STORES
    print(json.dumps({"stats": stats, "seen_at_close": seen_at_close, "closed": closed}))
    """
)


def crawl(tmp_path: Path, state_path: Path, body_suffix: str = "") -> tuple[dict, str]:
    script = tmp_path / "crawl.py"
    script.write_text(CRAWL_SCRIPT)
    done = subprocess.run(
        # Feeds into the test's own folder: the default, output/, is a user's real one.
        [sys.executable, str(script), str(state_path), str(tmp_path / "output"), body_suffix],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def test_two_real_crawls_with_one_state(tmp_path: Path, state_path: Path) -> None:
    first, log = crawl(tmp_path, state_path)
    assert first["stats"]["item_scraped_count"] == 3
    assert first["stats"]["newsmon/items/new"] == 3
    assert first["stats"]["newsmon/items/unchanged"] == 3  # the www/legacy/tracking copies
    assert first["seen_at_close"] == [1, 1, 1]  # the store is still open at spider_closed
    assert first["closed"]  # and closed once the engine stopped
    assert "Deprecat" not in log
    assert "WARNING" not in log  # "unchanged" drops are DEBUG

    second, _ = crawl(tmp_path, state_path)
    assert "item_scraped_count" not in second["stats"]
    assert second["stats"]["newsmon/items/unchanged"] == 6

    third, _ = crawl(tmp_path, state_path, body_suffix="\n\nA new paragraph.")
    assert third["stats"]["item_scraped_count"] == 1
    assert third["stats"]["newsmon/items/updated"] == 1
    assert sorted(third["seen_at_close"]) == [1, 1, 2]
