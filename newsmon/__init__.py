"""newsmon: a news-feed monitor for The Kyiv Independent."""
