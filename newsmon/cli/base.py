"""What every `python -m newsmon` command shares: its shape, settings overrides, logging."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Sequence
from typing import Protocol

from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

SETTINGS_MODULE = "newsmon.settings"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CliCommand(Protocol):
    """One `python -m newsmon NAME` command."""

    name: str
    help: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the command's own options (`-s NAME=VALUE` is added for every command)."""

    def run(self, args: argparse.Namespace, settings: Settings) -> int:
        """Run the command with its parsed options and the merged settings; the exit code."""


def parse_overrides(pairs: Sequence[str]) -> dict[str, str]:
    """`NAME=VALUE` strings as a dict; ValueError names a malformed one."""
    overrides: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not _NAME.match(name):
            raise ValueError(f"-s expects NAME=VALUE, not {pair!r}")
        overrides[name] = value
    return overrides


def project_settings(pairs: Sequence[str]) -> Settings:
    """The project settings with the -s overrides on top, merged as `scrapy` merges them."""
    # The same settings wherever the command runs from, with or without a scrapy.cfg nearby.
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    settings = get_project_settings()
    settings.setdict(parse_overrides(pairs), priority="cmdline")
    return settings


LOG_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"


def configure_logging(settings: Settings) -> None:
    """Log to stderr at LOG_LEVEL, one line per event with time and component."""
    level = str(settings.get("LOG_LEVEL") or "INFO").upper()
    logging.basicConfig(level=getattr(logging, level, logging.INFO), format=LOG_FORMAT)


def console_logger(name: str) -> logging.Logger:
    """A command's own logger, shown at INFO whatever LOG_LEVEL says.

    For the lines a person starting the command reads (a watch's start and cycle lines, the
    server's address); LOG_LEVEL is for the crawls. Its own stderr handler and no
    propagation, so a line is never printed twice.
    """
    console = logging.getLogger(name)
    console.setLevel(logging.INFO)
    console.propagate = False
    if not console.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        console.addHandler(handler)
    return console
