"""No spider callback is a generator that returns a value (Scrapy would drop the value).

Scrapy can warn about this per response (WARN_ON_GENERATOR_RETURN_VALUE), parsing the
callback's source each time; newsmon turns that off and checks every spider method here once.
"""

from __future__ import annotations

import inspect

import pytest
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.misc import is_generator_with_return_value
from scrapy.utils.project import get_project_settings

SPIDERS = SpiderLoader.from_settings(get_project_settings())


@pytest.mark.parametrize("name", SPIDERS.list())
def test_no_spider_method_is_a_generator_returning_a_value(name: str) -> None:
    """Every generator method of every spider ends with a bare return at most."""
    spider_class = SPIDERS.load(name)
    generators = [
        method
        for _, method in inspect.getmembers(spider_class, inspect.isfunction)
        if inspect.isgeneratorfunction(method) and method.__module__.startswith("newsmon.")
    ]
    assert generators, f"{name} has no generator callbacks to check"
    returning = [m.__qualname__ for m in generators if is_generator_with_return_value(m)]
    assert returning == []
