"""Spiders: decide what to fetch; page objects do the extracting."""
