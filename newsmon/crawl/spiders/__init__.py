"""Spiders: which listing pages and articles to fetch, and nothing else."""
