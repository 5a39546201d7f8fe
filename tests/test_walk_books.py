"""A walk completes when every article its cards led to has its outcome, whenever it saw them.

An article shows in several listings. A card read after the article's request ended (stored,
say, under the URL its page names, so the card's URL is still unknown to the store) has
nothing left to wait for: the walk completes, unless that request failed. Before, such a card
registered a request that never came, the walk ended "in flight", and the next run walked the
listing in full (the benchmark's run with nothing new: 95 requests instead of 65).
"""

from __future__ import annotations

from scrapy import Spider
from scrapy.utils.test import get_crawler

from newsmon.crawl.keeper import WalkKeeper

ARTICLE = "https://kyivindependent.com/some-article/"


def keeper_with_walks(*slugs: str) -> WalkKeeper:
    """A keeper whose walks of `slugs` have started (full walks: no store is asked)."""
    keeper = WalkKeeper(get_crawler(Spider, {"NEWSMON_BASE_URL": "https://kyivindependent.com"}))
    for slug in slugs:
        keeper.ledger.start(slug, f"https://kyivindependent.com/tag/{slug}/", None, force_full=True)
    return keeper


def completed(keeper: WalkKeeper) -> dict[str, list[str]]:
    """Each walk's failures once the run finished normally ([]: it completed)."""
    keeper.ledger.finish(True, "finished")
    return {slug: walk.failures for slug, walk in keeper.ledger.walks.items()}


def test_a_card_read_after_its_article_was_handled_leaves_the_walk_complete() -> None:
    keeper = keeper_with_walks("war", "kharkiv")
    assert keeper.card_of_new_article(ARTICLE, "war", on_card=True)  # requested
    keeper.article_done(ARTICLE)
    assert not keeper.card_of_new_article(ARTICLE, "kharkiv", on_card=True)  # not again
    assert completed(keeper) == {"war": [], "kharkiv": []}


def test_a_card_read_while_its_article_is_in_flight_waits_for_it() -> None:
    keeper = keeper_with_walks("war", "kharkiv")
    assert keeper.card_of_new_article(ARTICLE, "war", on_card=True)
    assert not keeper.card_of_new_article(ARTICLE, "kharkiv", on_card=True)
    assert keeper.listings_of(ARTICLE) == ["kharkiv", "war"]  # the item names both
    assert completed(keeper) == {
        "war": [f"article {ARTICLE} was still in flight at the end"],
        "kharkiv": [f"article {ARTICLE} was still in flight at the end"],
    }


def test_a_failed_article_leaves_every_walk_that_shows_it_incomplete() -> None:
    keeper = keeper_with_walks("war", "kharkiv", "crimea")
    assert keeper.card_of_new_article(ARTICLE, "war", on_card=True)
    assert not keeper.card_of_new_article(ARTICLE, "kharkiv", on_card=True)
    keeper.article_failed(ARTICLE, "HTTP 500")
    # Shown again after its failure: this walk cannot vouch for it either.
    assert not keeper.card_of_new_article(ARTICLE, "crimea", on_card=True)
    assert completed(keeper) == {
        "war": ["HTTP 500"],
        "kharkiv": ["HTTP 500"],
        "crimea": ["HTTP 500"],
    }
