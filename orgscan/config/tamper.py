"""The tamper-path settings (contract 5.3), declared like every other setting.

Kept beside ``settings.py``, which holds the field: one line there, the declaration here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orgscan.config import validators as check
from orgscan.config.declaration import Setting, declare
from orgscan.errors import InputError


@dataclass(frozen=True)
class TamperSettings:
    """Who may weaken a trail's protection on purpose, and whether tamper paths fail a run."""

    break_glass_principals: tuple[str, ...] = ()
    enforce_tamper_paths: bool = False


def arn_patterns(value: Any, where: str) -> tuple[str, ...]:
    """IAM principal ARN patterns (``*`` and ``?`` wildcards), from a list or a string."""
    patterns = check.string_list(value, where)
    for pattern in patterns:
        if not pattern.startswith("arn:"):
            raise InputError(f"{where}: {pattern!r:.60} is not an ARN pattern (arn:...)")
    return tuple(dict.fromkeys(patterns))


TAMPER_FIELD: Any = field(
    default_factory=TamperSettings,
    metadata=declare(
        Setting(
            "break_glass_principals",
            arn_patterns,
            "ARN patterns of principals accepted to weaken trail protection (break-glass).",
            part="break_glass_principals",
        ),
        Setting(
            "enforce_tamper_paths",
            check.boolean,
            "Tamper statuses count for the exit code (false: reported only).",
            part="enforce_tamper_paths",
        ),
    ),
)
