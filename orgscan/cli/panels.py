"""How the command line talks: the help panels options are grouped in, each command's
examples, no type noise (``<bool>``) after flags, and usage errors in one line.

One place, so every command groups the same kind of option under the same heading, and a bad
flag value reads like bad input found by the core: ``orgscan: error: ...``, exit 2.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

import typer.core
from typer._click.exceptions import (
    BadParameter,
    MissingParameter,
    NoArgsIsHelpError,
    UsageError,
)

from orgscan.cli.common import fail
from orgscan.config.choices import Panel

SCOPE = Panel.SCOPE.value
ACCESS = Panel.ACCESS.value
POLICY = Panel.POLICY.value
OUTPUT = Panel.OUTPUT.value
LOGGING = Panel.LOGGING.value

# typer's wording of a value that is not among the choices: "'bogus' is not one of ..."
_GIVEN = re.compile(r"'(.*)' is not one of")


def examples(*lines: str) -> str:
    """An epilog listing example command lines (rich markup: ``[`` escaped)."""
    body = "\n".join("  " + line.replace("[", "\\[") for line in lines)
    return f"[b]Examples[/b]\n\n{body}"


def choices(enum: type[StrEnum]) -> str:
    """The metavar of an option taking one of ``enum``'s values, spelled as they are
    (typer would show them lower-cased when the option is case-insensitive)."""
    return "|".join(member.value for member in enum)


def usage_error_line(error: UsageError) -> str:
    """A usage error as one line, naming the option: ``option --workers: 0 is out of range``."""
    if (
        isinstance(error, MissingParameter)
        or not isinstance(error, BadParameter)
        or error.param is None
    ):
        return error.format_message()
    param = error.param
    opts = [name for name in getattr(param, "opts", ()) if name.startswith("--")]
    where = f"option {opts[0]}" if opts else f"argument {param.metavar or param.name}"
    message = error.message.removeprefix("Value error, ")
    choice = getattr(param, "metavar", None) or ""
    if "|" in choice:  # one of an enum's values: name them as they are spelled
        given = _GIVEN.search(message)
        value = f"{given.group(1)!r} is not" if given else "expected"
        return f"{where}: {value} one of {', '.join(choice.split('|'))}"
    if message.startswith("Input should be a valid integer"):  # typer's wording for "x"
        return f"{where}: expected a whole number"
    return f"{where}: {message}"


class _FlagHelp:
    """``--help`` is a flag: no ``<bool>`` after it; usage errors are one plain line."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        """Parse ``args``; a usage error ends the process with one line and exit 2 (typer
        would draw a box of several lines around it)."""
        try:
            return super().make_context(info_name, args, parent, **extra)  # type: ignore[misc]
        except NoArgsIsHelpError:
            raise  # `orgscan` alone: the help is the answer (typer prints it, exit 2)
        except UsageError as error:
            raise fail(usage_error_line(error)) from None

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """The subcommand named in ``args``; an unknown one is a one-line usage error."""
        try:
            return super().resolve_command(ctx, args)  # type: ignore[misc]
        except UsageError as error:
            raise fail(usage_error_line(error)) from None

    def get_help_option(self, ctx: Any) -> Any:
        """The help option, without a type shown."""
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.metavar = ""
        return option


class Command(_FlagHelp, typer.core.TyperCommand):
    """A command whose ``--help`` shows no type."""


class Group(_FlagHelp, typer.core.TyperGroup):
    """A group whose ``--help`` shows no type."""
