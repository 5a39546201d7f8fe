"""The run's compact books: the 64-bit hash set, the duplicate filter, the listings' sightings.

The crawls that use them are tested end to end elsewhere (test_listings' RSS cross-check,
test_incremental's pending refetches, test_crawl's listing memberships); these tests pin the
parts' own contracts, including what a first run of 200,000 articles costs in memory.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from scrapy import Request

from newsmon.crawl.compact import HashSet64
from newsmon.crawl.dupefilter import CompactDupeFilter
from newsmon.crawl.sightings import MAX_UNDATED, Sightings


def test_the_hash_set_agrees_with_a_python_set_across_growth() -> None:
    rng = random.Random(7)
    values = [rng.getrandbits(64) - 2**63 for _ in range(30_000)] + [0, 1, -1, 2**63 - 1]
    compact = HashSet64()
    plain: set[int] = set()
    for value in values + values[:5000]:
        # 0 marks an empty slot, so it is held as 1: the two are one value.
        held = value or 1
        assert compact.add(value) == (held not in plain)
        plain.add(held)
    assert len(compact) == len(plain)
    assert all(value in compact for value in plain)
    absent = [rng.getrandbits(64) - 2**63 for _ in range(5000)]
    assert not any(value in compact for value in absent if value not in plain)
    assert "not an int" not in compact


def test_the_hash_set_takes_at_most_24_bytes_an_entry() -> None:
    compact = HashSet64()
    for number in range(200_000):
        compact.add(hash(f"https://kyivindependent.com/article-{number}/"))
    assert len(compact) == 200_000
    assert compact.memory_bytes() <= 24 * 200_000


def test_the_duplicate_filter_drops_a_repeated_request_only() -> None:
    seen = CompactDupeFilter()
    first = Request("https://kyivindependent.com/a/")
    assert not seen.request_seen(first)
    assert seen.request_seen(Request("https://kyivindependent.com/a/"))
    assert not seen.request_seen(Request("https://kyivindependent.com/b/"))
    assert not seen.request_seen(Request("https://kyivindependent.com/a/", method="POST"))


def test_the_duplicate_filter_keeps_scrapys_jobdir_file(tmp_path: Path) -> None:
    first = CompactDupeFilter(str(tmp_path))
    assert not first.request_seen(Request("https://kyivindependent.com/a/"))
    first.close("finished")
    # Scrapy's own filter reads what this one wrote, and the other way round.
    from scrapy.dupefilters import RFPDupeFilter

    scrapys = RFPDupeFilter(str(tmp_path))
    assert scrapys.request_seen(Request("https://kyivindependent.com/a/"))
    assert not scrapys.request_seen(Request("https://kyivindependent.com/b/"))
    scrapys.close("finished")
    resumed = CompactDupeFilter(str(tmp_path))
    assert resumed.request_seen(Request("https://kyivindependent.com/a/"))
    assert resumed.request_seen(Request("https://kyivindependent.com/b/"))
    assert not resumed.request_seen(Request("https://kyivindependent.com/c/"))
    resumed.close("finished")


def test_sightings_tell_a_listing_s_first_sight_of_an_article() -> None:
    books = Sightings()
    assert not books.seen("a")
    assert books.see("russia", "a", on_card=True)
    assert not books.see("russia", "a", on_card=True)
    assert books.see("war", "a", on_card=True)
    assert books.seen("a")
    # The RSS shows it under a listing whose walk read it already: no news.
    assert not books.see("russia", "a", on_card=False)
    # The RSS first, then the walk's card: the walk read it, but the listing showed it before.
    assert books.see("economy", "b", on_card=False)
    assert not books.walked("economy", "b")
    assert not books.see("economy", "b", on_card=True)
    assert books.walked("economy", "b")
    assert books.walked("war", "a") and not books.walked("economy", "a")


def test_sightings_keep_the_listings_of_an_article_in_flight_until_it_settles() -> None:
    books = Sightings()
    books.requested("a", "russia")
    books.requested("a", "war")
    books.requested("a", "russia")
    assert books.in_flight("a")
    assert books.listings_of("a") == ["russia", "war"]
    books.settle("a")
    assert not books.in_flight("a")
    assert books.listings_of("a") == []


def test_card_dates_keep_the_window_and_the_first_undated_cards() -> None:
    books = Sightings()
    dates = books.dates("russia")
    for day in (5, 3, 9):
        dates.add(f"k{day}", datetime(2026, 12, day, tzinfo=UTC))
    for number in range(MAX_UNDATED + 10):
        dates.add(f"undated-{number}", None)
    assert books.dates("russia") is dates
    assert (dates.oldest, dates.newest) == (
        datetime(2026, 12, 3, tzinfo=UTC),
        datetime(2026, 12, 9, tzinfo=UTC),
    )
    assert dates.undated[:2] == ["undated-0", "undated-1"]
    assert len(dates.undated) == MAX_UNDATED


def test_walked_pairs_are_kept_only_while_the_site_rss_may_ask_for_them() -> None:
    books = Sightings()
    books.see("news-feed", "a", on_card=True)
    books.see("news-feed", "b", on_card=True)
    # The RSS lists a (walked before it came) and c (walked after): only they are kept.
    books.keep_walked_only([("news-feed", "a"), ("news-feed", "c")])
    assert books.walked("news-feed", "a")
    assert not books.walked("news-feed", "b")
    assert not books.walked("news-feed", "c")
    books.see("news-feed", "c", on_card=True)
    books.see("news-feed", "d", on_card=True)
    assert books.walked("news-feed", "c")
    assert not books.walked("news-feed", "d")
    # A pair not kept is taken for new each time: its membership is written again.
    assert books.see("news-feed", "d", on_card=True)
    assert not books.see("news-feed", "c", on_card=True)


def test_a_run_without_the_site_rss_keeps_no_walked_pairs() -> None:
    books = Sightings()
    books.track_walked(False)
    assert books.see("russia", "a", on_card=True)
    assert books.see("russia", "a", on_card=True)
    assert not books.walked("russia", "a")
    assert books.seen("a")


def test_sightings_keep_the_listings_of_a_revisited_article() -> None:
    books = Sightings()
    books.revisiting(["known"])
    books.see("news-feed", "known", on_card=True)
    books.see("war", "known", on_card=False)
    books.see("news-feed", "other-known", on_card=True)
    assert books.listings_of("known") == ["news-feed", "war"]
    assert books.listings_of("other-known") == []
