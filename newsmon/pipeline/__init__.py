"""Item pipelines, one job each: clean (100), validate (200), quarantine (250), store (300).

Each counts its outcomes in the crawl stats under `newsmon/`. Items that are not ArticleItems
pass through untouched: they belong to someone else.
"""
