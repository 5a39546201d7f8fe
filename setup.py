"""Build shim for `scrapyd-deploy`, which runs `python setup.py bdist_egg`.

Everything is declared in pyproject.toml ([project], its `scrapy` entry point, packages and
package data); this file only lets the legacy egg build find it.
"""

from setuptools import setup

setup()
