"""No spider callback is a generator that returns a value (Scrapy would drop the value).

Scrapy can warn about this per response (WARN_ON_GENERATOR_RETURN_VALUE), parsing the
callback's source each time; newsmon turns that off and checks every spider method here once.
"""

from __future__ import annotations

import inspect

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.misc import is_generator_with_return_value


def _spider_loader() -> SpiderLoader:
    # Not get_project_settings(): it sets SCRAPY_SETTINGS_MODULE in this process's
    # environment, and every later subprocess (a bare Scrapy run too) would inherit newsmon's.
    settings = Settings()
    settings.setmodule("newsmon.settings", priority="project")
    return SpiderLoader.from_settings(settings)


SPIDERS = _spider_loader()


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
