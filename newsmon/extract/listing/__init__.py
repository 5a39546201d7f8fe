"""Listing pages: their article cards (a chain of sources, each named) and their next page.

Modules: `model` (the card and the names of its sources), `cards` (the 2025 markup, reading a
card's container, outline cards), `headlines` (the 2023 theme and markup-independent headline
links), `appdata` (the Next.js app's data), `pagination`, and `page` (ListingPage, which runs
the chain).
"""

from newsmon.extract.listing.model import (
    CARD_SOURCES,
    HEADLINES,
    MARKUP,
    NEXT_DATA,
    NEXT_DATA_ENDPOINT,
    NO_CARDS,
    SITE_RSS,
    THEME_2023,
    CardsFound,
    ListingCard,
)
from newsmon.extract.listing.page import ListingPage, endpoint_cards, endpoint_next_page

__all__ = [
    "CARD_SOURCES",
    "HEADLINES",
    "MARKUP",
    "NEXT_DATA",
    "NEXT_DATA_ENDPOINT",
    "NO_CARDS",
    "SITE_RSS",
    "THEME_2023",
    "CardsFound",
    "ListingCard",
    "ListingPage",
    "endpoint_cards",
    "endpoint_next_page",
]
