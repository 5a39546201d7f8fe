"""`python -m newsmon COMMAND` (or `newsmon COMMAND`): newsmon's commands, beside `scrapy crawl`.

Each command is a module in this package with a module-level `command` object (see
`newsmon.cli.base.CliCommand`); add a command by writing its module and listing it in
COMMAND_MODULES. Every command takes Scrapy-style `-s NAME=VALUE` setting overrides.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from newsmon.cli.base import CliCommand, configure_logging, project_settings
from newsmon.config import NewsmonConfigError
from newsmon.run.outcome import CONFIG_ERROR
from newsmon.store import StateStoreError

DESCRIPTION = (
    "newsmon: monitor The Kyiv Independent. Crawls run with `scrapy crawl newsfeed` (or"
    " `tags`); these commands schedule them, serve the feeds and publish a shared crawl."
)

# One module per command, in the order `--help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "newsmon.cli.watch",
    "newsmon.cli.serve",
    "newsmon.cli.publish",
)


def load_commands() -> dict[str, CliCommand]:
    """The registered commands by name."""
    commands: dict[str, CliCommand] = {}
    for module_name in COMMAND_MODULES:
        command: CliCommand = importlib.import_module(module_name).command
        commands[command.name] = command
    return commands


def program_name() -> str:
    """`newsmon` when run as the console script, else `python -m newsmon`."""
    return "newsmon" if Path(sys.argv[0]).name == "newsmon" else "python -m newsmon"


def build_parser(commands: dict[str, CliCommand]) -> argparse.ArgumentParser:
    """The top-level parser with one subparser per command, each taking -s NAME=VALUE."""
    parser = argparse.ArgumentParser(prog=program_name(), description=DESCRIPTION)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in commands.values():
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help)
        sub.add_argument(
            "-s",
            "--set",
            dest="settings",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="override a setting, as with `scrapy crawl -s` (repeatable)",
        )
        command.add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, build the settings, run the command; return its exit code."""
    commands = load_commands()
    parser = build_parser(commands)
    args = parser.parse_args(argv)
    try:
        settings = project_settings(args.settings)
    except ValueError as error:
        parser.error(str(error))
    configure_logging(settings)
    try:
        return commands[args.command].run(args, settings)
    except (NewsmonConfigError, StateStoreError) as error:
        print(f"newsmon: {error}", file=sys.stderr)
        return CONFIG_ERROR
