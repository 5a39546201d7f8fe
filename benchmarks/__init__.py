"""Benchmarks: newsmon against bare Scrapy, trafilatura and newspaper4k on the offline replica.

`python -m benchmarks` starts its own replicas, runs every section and prints one table
(`--json PATH` writes the same figures as JSON, `--quick` uses tiny sizes). BENCHMARKS.md
holds the latest table and what limits each row. Every figure that is compared is measured in
the same run as its baseline, because absolute times drift on a shared machine.
"""
