"""Extraction: page objects that turn a page's HTML into data, knowing nothing of the crawl."""
