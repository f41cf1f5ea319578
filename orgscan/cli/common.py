"""Helpers shared by the typer commands: error mapping, output to the terminal, signals."""

from __future__ import annotations

import functools
import re
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import ParamSpec, TypeVar

import typer

from orgscan.cli.exitcodes import ExitCode
from orgscan.errors import (
    AwsUnavailableError,
    EvidenceWriteError,
    InputError,
    ScanNotStarted,
    UntrustedRunError,
)

P = ParamSpec("P")
R = TypeVar("R")

# C0 and C1 control characters except tab and newline; ESC starts terminal escape sequences.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_text(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``): names read from a
    findings.json must not drive the terminal (retitle, clear or rewrite the screen)."""
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], text)


# Every C0 and C1 control character, line breaks and tabs included, and Unicode's own line
# and paragraph separators.
_CELL_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def terminal_cell(text: str) -> str:
    """``text`` on one line, every control character shown as an escape (``\n``, ``\x1b``):
    a value read from a file fills one cell of a table and cannot start a forged row."""
    return _CELL_CONTROL.sub(lambda found: repr(found.group())[1:-1], text)


def fail(message: str, code: ExitCode = ExitCode.BAD_INPUT) -> typer.Exit:
    """Print ``orgscan: error: message`` on stderr and return the exit exception to raise
    (exit 2, bad input, unless ``code`` says otherwise). The message may quote AWS or a file
    (an error message, a bucket name): its control characters are shown as escapes."""
    one_line = terminal_text(" ".join(message.split()))
    typer.echo(f"orgscan: error: {one_line}", err=True)
    return typer.Exit(code)


def maps_input_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn ``InputError`` raised by the core into a one-line message and exit code 2,
    ``AwsUnavailableError`` (AWS did not answer before anything was scanned) and
    ``ScanNotStarted`` (interrupted before anything was scanned) into exit 3, and
    ``EvidenceWriteError`` (the run folder could not be written) into exit 4, and
    ``UntrustedRunError`` (a run folder that is not what the scan wrote) into exit 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except InputError as exc:
            raise fail(str(exc)) from None
        except (AwsUnavailableError, ScanNotStarted) as exc:  # not bad input: try again later
            raise fail(str(exc), code=ExitCode.INCOMPLETE) from None
        except EvidenceWriteError as exc:  # never 1: a scheduler must not read it as findings
            raise fail(str(exc), code=ExitCode.WRITE_FAILED) from None
        except UntrustedRunError as exc:  # names values from a file someone may have forged
            raise fail(terminal_cell(str(exc)), code=ExitCode.FINDINGS) from None

    return wrapper


def stderr_is_terminal() -> bool:
    """True when progress output would reach a person rather than a log file."""
    return sys.stderr.isatty()


@contextmanager
def signals_handled(
    handler: Callable[[int, FrameType | None], None], *signums: int
) -> Iterator[None]:
    """``handler`` answers ``signums`` while the block runs; the previous handlers are back
    after it. Outside the main thread (tests running a command in a worker) Python cannot set
    handlers, and nothing changes."""
    try:
        previous = {signum: signal.signal(signum, handler) for signum in signums}
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        for signum, before in previous.items():
            signal.signal(signum, before)
