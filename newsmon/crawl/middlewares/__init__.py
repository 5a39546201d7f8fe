"""Downloader middlewares: conditional GET, retries, size and content checks, rendering."""
