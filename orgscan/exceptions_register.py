"""The exceptions register: trails or buckets accepted as known exceptions, until an expiry date.

The register is a TOML array of tables, either in its own file (``exceptions.toml``) or as the
``exceptions`` key of the main config file::

    [[exceptions]]
    trail_arn = "arn:aws:cloudtrail:us-east-1:111111111111:trail/legacy"
    owner = "security@example.com"
    reason = "Bucket replaced in Q1; see CHG-1234"
    expires = 2027-03-31

Each entry names exactly one of ``trail_arn`` or ``bucket_name`` (a bucket entry covers every
trail that logs into that bucket) and has ``owner``, ``reason`` and ``expires`` (an unquoted TOML
date). Unknown keys, wrong types and duplicates are rejected with the file, the entry index and
the key (``InputError``: exit 2).

Choices:

- ``expires`` is the last day the exception applies; it is expired from the next day on. "Today"
  is passed in by the caller (the scan's UTC date), so applying a register is reproducible.
- When a trail entry and a bucket entry both match a finding, the trail entry wins: it is the more
  specific statement.
- ``apply_exceptions`` records a mark on every finding an entry matches, whatever its status, so
  the reports show the whole register (an exception on a PASS trail can be retired). The finding's
  status never changes: the mark says "accepted", not "compliant".
- A mark excuses the finding from the exit code (``excepted_for_exit``) only while it has not
  expired and only for WARN and FAIL: an exception accepts a known gap, whereas an ERROR means the
  bucket could not be read at all, and that still makes the evidence incomplete (exit 3).
- An expired exception stays on the finding with ``expired = true`` so the reports can say
  "exception expired on ..."; it excuses nothing.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from orgscan.errors import InputError
from orgscan.jsondoc import typed_value
from orgscan.model import ExceptionMark, Finding, ScanResult, Status

REGISTER_KEY = "exceptions"
_TARGET_KEYS = ("trail_arn", "bucket_name")
_TEXT_KEYS = ("owner", "reason")
_ALLOWED_KEYS = frozenset((*_TARGET_KEYS, *_TEXT_KEYS, "expires"))
_TRAIL_ARN_RE = re.compile(r"^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail/[A-Za-z0-9._-]+$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
#: The statuses an exception can excuse from the exit code.
_EXCUSABLE = frozenset({Status.WARN, Status.FAIL})


class ExceptionsFileError(InputError):
    """The exceptions register cannot be read or does not follow its schema."""


class ExceptionLabel(StrEnum):
    """How a finding stands against the register, as the reports show it."""

    EXCEPTED = "EXCEPTED"
    EXPIRED = "EXCEPTION EXPIRED"


@dataclass(frozen=True)
class ExceptionEntry:
    """One accepted exception: a trail (by ARN) or a bucket (by name), with its owner and expiry."""

    trail_arn: str | None
    bucket_name: str | None
    owner: str
    reason: str
    expires: date

    def is_expired(self, today: date) -> bool:
        """True from the day after ``expires`` on."""
        return today > self.expires

    def mark(self, today: date) -> ExceptionMark:
        """The mark this entry leaves on a finding it matches, as of ``today``."""
        return ExceptionMark(
            owner=self.owner,
            reason=self.reason,
            expires=self.expires,
            expired=self.is_expired(today),
        )


@dataclass(frozen=True)
class ExceptionRegister:
    """The validated register; ``source`` names where it came from for messages."""

    entries: tuple[ExceptionEntry, ...] = ()
    source: str = ""

    def match(self, finding: Finding) -> ExceptionEntry | None:
        """The entry covering ``finding``: its trail's entry, else its bucket's, else None."""
        by_bucket: ExceptionEntry | None = None
        for entry in self.entries:
            if entry.trail_arn == finding.trail_arn:
                return entry
            if entry.bucket_name is not None and entry.bucket_name == finding.bucket_name:
                by_bucket = entry
        return by_bucket


# --------------------------------------------------------------------------- loading


def load_register(path: Path) -> ExceptionRegister:
    """Read an ``exceptions.toml``: a top-level ``[[exceptions]]`` array and nothing else."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ExceptionsFileError(f"{path}: exceptions file not found") from None
    except OSError as exc:
        raise ExceptionsFileError(f"{path}: cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ExceptionsFileError(f"{path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise ExceptionsFileError(f"{path}: not UTF-8 text") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ExceptionsFileError(f"{path}: not valid TOML (nested too deeply)") from None
    unknown = sorted(set(document) - {REGISTER_KEY})
    if unknown:
        raise ExceptionsFileError(
            f"{path}: unknown key {unknown[0]!r}; expected only [[{REGISTER_KEY}]] entries"
        )
    return parse_register(document.get(REGISTER_KEY, []), str(path))


def parse_register(raw: Any, source: str) -> ExceptionRegister:
    """Validate the ``exceptions`` array of a parsed TOML document (``source`` names the file)."""
    if not isinstance(raw, list):
        raise ExceptionsFileError(
            f"{source}: {REGISTER_KEY!r} must be an array of tables "
            f"([[{REGISTER_KEY}]]), not {type(raw).__name__}"
        )
    entries = tuple(_parse_entry(item, _where(source, index)) for index, item in enumerate(raw))
    _reject_duplicates(entries, source)
    return ExceptionRegister(entries=entries, source=source)


def _where(source: str, index: int) -> str:
    # The array index for tools, the 1-based position for a person counting [[exceptions]].
    return f"{source}: {REGISTER_KEY}[{index}] (entry {index + 1})"


def _parse_entry(raw: Any, where: str) -> ExceptionEntry:
    if not isinstance(raw, dict):
        raise ExceptionsFileError(f"{where}: must be a table with owner, reason and expires")
    unknown = sorted(set(raw) - _ALLOWED_KEYS)
    if unknown:
        raise ExceptionsFileError(
            f"{where}: unknown key {unknown[0]!r}; expected {', '.join(sorted(_ALLOWED_KEYS))}"
        )
    targets = [key for key in _TARGET_KEYS if key in raw]
    if len(targets) != 1:
        raise ExceptionsFileError(
            f"{where}: needs exactly one of 'trail_arn' or 'bucket_name'"
            f"{' (both given)' if targets else ''}"
        )
    target = targets[0]
    value = _text(raw, target, where)
    pattern = _TRAIL_ARN_RE if target == "trail_arn" else _BUCKET_RE
    if not pattern.match(value):
        expected = (
            "a CloudTrail trail ARN (arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME)"
            if target == "trail_arn"
            else "an S3 bucket name"
        )
        raise ExceptionsFileError(f"{where}: {target!r} must be {expected}, not {value!r:.80}")
    return ExceptionEntry(
        trail_arn=value if target == "trail_arn" else None,
        bucket_name=value if target == "bucket_name" else None,
        owner=_text(raw, "owner", where),
        reason=_text(raw, "reason", where),
        expires=_expiry(raw, where),
    )


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    if key not in raw:
        raise ExceptionsFileError(f"{where}: missing key {key!r}")
    try:
        value: str = typed_value(raw, key, str, expected="a non-empty string")
    except TypeError as exc:
        raise ExceptionsFileError(f"{where}: {exc}") from None
    if not value.strip():
        raise ExceptionsFileError(f"{where}: {key!r} must be a non-empty string, not {value!r:.60}")
    return value.strip()


def _expiry(raw: Mapping[str, Any], where: str) -> date:
    if "expires" not in raw:
        raise ExceptionsFileError(f"{where}: missing key 'expires'")
    value = raw["expires"]
    # tomllib gives datetime for 2027-03-31T00:00:00; datetime is a date subclass, so test it first.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ExceptionsFileError(
            f"{where}: 'expires' must be a TOML date such as 2027-03-31 "
            f"(unquoted, no time), not {value!r:.60}"
        )
    return value


def _reject_duplicates(entries: Iterable[ExceptionEntry], source: str) -> None:
    # Two entries for one target would make the owner and expiry ambiguous.
    seen: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(entries):
        key = (
            ("trail_arn", entry.trail_arn)
            if entry.trail_arn is not None
            else ("bucket_name", entry.bucket_name or "")
        )
        if key in seen:
            raise ExceptionsFileError(
                f"{_where(source, index)}: {key[0]!r} {key[1]!r} is "
                f"already excepted by {REGISTER_KEY}[{seen[key]}]"
            )
        seen[key] = index


# --------------------------------------------------------------------------- applying


def apply_exceptions(result: ScanResult, register: ExceptionRegister, today: date) -> ScanResult:
    """``result`` with every finding the register matches marked (statuses unchanged)."""
    findings = tuple(_marked(finding, register, today) for finding in result.findings)
    return replace(result, findings=findings)


def _marked(finding: Finding, register: ExceptionRegister, today: date) -> Finding:
    entry = register.match(finding)
    return replace(finding, exception=entry.mark(today) if entry is not None else None)


def excepted_for_exit(finding: Finding) -> bool:
    """True when an unexpired exception excuses this WARN or FAIL finding from the exit code."""
    mark = finding.exception
    return mark is not None and not mark.expired and finding.status in _EXCUSABLE


def exception_label(finding: Finding) -> ExceptionLabel | None:
    """``EXCEPTED``, ``EXCEPTION EXPIRED`` or None, for the reports' exception column."""
    if finding.exception is None:
        return None
    return ExceptionLabel.EXPIRED if finding.exception.expired else ExceptionLabel.EXCEPTED


def unused_entries(register: ExceptionRegister, result: ScanResult) -> tuple[ExceptionEntry, ...]:
    """Entries that matched no finding of ``result``: stale, mistyped, or out of scope."""
    used = {register.match(finding) for finding in result.findings}
    return tuple(entry for entry in register.entries if entry not in used)
