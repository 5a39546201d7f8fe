"""Downloader middlewares: conditional requests, Retry-After, rendering fallback (one job each)."""
