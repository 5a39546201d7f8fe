"""Crawling: spiders decide what to fetch; downloader middlewares and the browser fetch it."""
