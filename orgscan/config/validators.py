"""The checks every setting's value passes, whether it comes from a config file or an option.

Each takes the value and ``where`` it came from (``config file x.toml: key 'workers'``, ``option
--workers``) and returns the value the settings hold, or raises ``InputError`` with one line
naming ``where`` and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any

from orgscan.config.evidence_bucket import EvidenceBucket, parse_evidence_bucket
from orgscan.errors import InputError
from orgscan.exceptions_register import (
    ExceptionRegister,
    ExceptionsFileError,
    load_register,
    parse_register,
)
from orgscan.formats import OutputFormat
from orgscan.identifiers import ACCOUNT_ID_RE, OU_ID_RE, REGION_RE
from orgscan.model import MAX_RETENTION_DAYS, LockMode
from orgscan.remediation.plan_model import RemediationSettings, Strategy

#: Checks a value from ``where``; returns what the settings hold.
Validator = Callable[[Any, str], Any]

REMEDIATION_KEYS = ("strategy", "mode", "days", "priority_accounts")
DAYS_PER_YEAR = 365  # a retention Year, as the scan counts an Object Lock rule in Years


def string_list(value: Any, where: str) -> list[str]:
    """A list of strings from a TOML array or a comma-separated string."""
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",")]
    elif isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise InputError(f"{where}: expected a list of strings or a comma-separated string")
    return [item for item in items if item]


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def account_ids(value: Any, where: str) -> tuple[str, ...]:
    """12-digit account ids, from a list or a comma-separated string; an empty string is refused."""
    ids = string_list(value, where)
    if isinstance(value, str) and not ids:
        # `--accounts ""` (an unset variable in a cron line) must not quietly mean "all".
        raise InputError(f"{where}: no account id given")
    for account_id in ids:
        if not ACCOUNT_ID_RE.match(account_id):
            raise InputError(f"{where}: {account_id!r:.40} is not a 12-digit AWS account id")
    return _unique(ids)


def ou_ids(value: Any, where: str) -> tuple[str, ...]:
    """OU or root ids, from one id or a list."""
    ids = string_list([value] if isinstance(value, str) else value, where)
    for ou_id in ids:
        if not OU_ID_RE.match(ou_id):
            raise InputError(
                f"{where}: {ou_id!r:.40} is not an OU id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)"
            )
    return _unique(ids)


def region_names(value: Any, where: str) -> tuple[str, ...]:
    """AWS region names (possibly none), from a list or a comma-separated string."""
    regions = string_list(value, where)
    for region in regions:
        if not REGION_RE.match(region):
            raise InputError(f"{where}: {region!r:.40} is not an AWS region name")
    return _unique(regions)


def regions(value: Any, where: str) -> tuple[str, ...]:
    """At least one AWS region name."""
    regions = region_names(value, where)
    if not regions:
        raise InputError(f"{where}: needs at least one region")
    return _unique(regions)


def boolean(value: Any, where: str) -> bool:
    """true or false, nothing that merely reads as one."""
    if not isinstance(value, bool):
        raise InputError(f"{where}: expected true or false")
    return value


def int_between(low: int, high: int) -> Validator:
    """A check for a whole number from ``low`` to ``high``."""

    def check(value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            # A string is refused even when it reads as a number ("8", " 16 ", "١٦"): a
            # quoted number in a config file is a type mistake, and the documented answer
            # to a wrong type is exit 2, not a guess.
            given = f" (got the string {value!r:.40})" if isinstance(value, str) else ""
            raise InputError(f"{where}: expected a whole number from {low} to {high}{given}")
        if not low <= value <= high:
            raise InputError(f"{where}: {value} is out of range ({low} to {high})")
        return int(value)

    return check


def years_in_days(value: Any, where: str) -> int:
    """A whole number of retention years, returned in days (365 each)."""
    years: int = int_between(1, MAX_RETENTION_DAYS // DAYS_PER_YEAR)(value, where)
    return years * DAYS_PER_YEAR


def matching(pattern: re.Pattern[str], what: str) -> Validator:
    """A check for a string matching ``pattern``; ``what`` says what was expected."""

    def check(value: Any, where: str) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise InputError(f"{where}: expected {what}")
        return value

    return check


def choice(enum: type[StrEnum]) -> Validator:
    """A check for one of ``enum``'s values, in any case."""

    def check(value: Any, where: str) -> StrEnum:
        if isinstance(value, str):
            for member in enum:
                if member.value.lower() == value.strip().lower():
                    return member
        choices = ", ".join(member.value for member in enum)
        raise InputError(f"{where}: expected one of {choices}")

    return check


def output_formats(value: Any, where: str) -> tuple[OutputFormat, ...]:
    """``--format`` names, in the order given, each once."""
    names = [name.lower() for name in string_list(value, where)]
    known = [fmt.value for fmt in OutputFormat]
    if not names or any(name not in known for name in names):
        raise InputError(f"{where}: expected any of {', '.join(known)}")
    return tuple(OutputFormat(name) for name in _unique(names))


def folder(value: Any, where: str) -> Path:
    """A folder path that is not an existing file."""
    if not isinstance(value, str | Path) or not str(value).strip() or "\x00" in str(value):
        raise InputError(f"{where}: expected a folder path")
    path = Path(value).expanduser()
    try:
        is_other = path.exists() and not path.is_dir()
    except OSError as exc:  # a name too long, a folder that may not be read
        raise InputError(f"{where}: {path!s:.80} cannot be used ({exc.strerror})") from None
    if is_other:
        raise InputError(f"{where}: {path} exists and is not a folder")
    return path


def register(value: Any, where: str) -> ExceptionRegister:
    """A register: a path to an exceptions file, or the entries inline (``[[exceptions]]``)."""
    if isinstance(value, str | Path) and str(value).strip():
        try:
            return load_register(Path(value).expanduser())
        except ExceptionsFileError as exc:
            raise InputError(f"{where}: {exc}") from None
    if isinstance(value, list):
        return parse_register(value, where)
    raise InputError(f"{where}: expected the path of an exceptions file or [[exceptions]] tables")


def remediation(value: Any, where: str) -> RemediationSettings:
    """The ``[remediation]`` table: strategy, mode, days and priority accounts."""
    if not isinstance(value, dict):
        raise InputError(
            f"{where}: expected a table ([remediation]) with any of {', '.join(REMEDIATION_KEYS)}"
        )
    unknown = sorted(set(value) - set(REMEDIATION_KEYS))
    if unknown:
        raise InputError(
            f"{where}: unknown key {unknown[0]!r} (known keys: {', '.join(REMEDIATION_KEYS)})"
        )
    inner = {key: f"{where}: key {key!r}" for key in value}
    return RemediationSettings(
        strategy=(
            choice(Strategy)(value["strategy"], inner["strategy"])
            if "strategy" in value
            else Strategy.ENABLE_IN_PLACE
        ),
        mode=choice(LockMode)(value["mode"], inner["mode"]) if "mode" in value else None,
        days=(
            int_between(1, MAX_RETENTION_DAYS)(value["days"], inner["days"])
            if "days" in value
            else None
        ),
        priority_accounts=(
            _unique(string_list(value["priority_accounts"], inner["priority_accounts"]))
            if "priority_accounts" in value
            else ()
        ),
    )


def evidence_bucket(value: Any, where: str) -> EvidenceBucket:
    """An ``s3://BUCKET/PREFIX`` for the evidence copy."""
    if not isinstance(value, str):
        raise InputError(f"{where}: expected s3://BUCKET/PREFIX")
    try:
        return parse_evidence_bucket(value)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
