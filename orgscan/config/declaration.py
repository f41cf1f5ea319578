"""How a setting is declared: its config key, check, help and command-line option.

A ``ScanSettings`` field carries its ``Setting`` (or, for a field made of parts, several) in
its metadata; ``orgscan.config.settings`` reads the table of every setting from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from orgscan.config.choices import Panel
from orgscan.config.evidence_bucket import EvidenceBucket
from orgscan.config.validators import Validator

METADATA = "orgscan.settings"


def plain(value: Any) -> Any:
    """``value`` as a config file (TOML) and JSON hold it: words, numbers, lists, tables."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Path | EvidenceBucket):
        return str(value)
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    return value


@dataclass(frozen=True)
class Option:
    """How a setting is given on the command line: ``--`` and its config key, ``_`` as ``-``."""

    panel: Panel
    #: What the option parses; a StrEnum is offered as its choices, in any case.
    type: Any = str
    metavar: str = ""
    #: A flag takes no value (``--serial``), or its declaration says both (``--org/--no-org``).
    flag: bool = False
    declaration: str = ""
    short: str = ""
    #: The default ``--help`` shows when the field's own would not say it.
    default: str | None = None


@dataclass(frozen=True)
class Setting:
    """One config key: how its value is checked, shown and described."""

    key: str
    validate: Validator
    help: str
    option: Option | None = None
    #: The attribute it sets of a field made of several settings (``policy``).
    part: str | None = None
    #: The value as a config file holds it; None: another spelling, never written back.
    show: Callable[[Any], Any] | None = plain
    #: The value as the log records it, where a config file's would say too much.
    log: Callable[[Any], Any] | None = None


def declare(*settings: Setting) -> dict[str, tuple[Setting, ...]]:
    """A field's metadata: the settings it holds (several for a field made of parts)."""
    return {METADATA: settings}
