"""The registry of ``flightdeck`` subcommands (each module defines its command; cli.py registers them)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """A subcommand of ``flightdeck``.

    :param name: the word on the command line.
    :param help: one line shown by ``flightdeck --help``.
    :param configure: adds the subcommand's arguments to its parser.
    :param run: does the work with the parsed arguments; returns the exit status.
    """

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {}


def register(command: Command) -> Command:
    """Add a subcommand; ``main`` offers every registered one."""
    if command.name in COMMANDS:
        raise ValueError(f"subcommand {command.name!r} is already registered")
    COMMANDS[command.name] = command
    return command
