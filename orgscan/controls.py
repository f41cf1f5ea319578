"""The control mapping (``configs/controls.toml``): the requirements orgscan's results evidence.

The file is data shipped with orgscan: in a source checkout it is ``configs/controls.toml``; a
regular install puts it under ``<prefix>/share/orgscan/configs`` (see ``pyproject.toml``), as
it does the report templates.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from orgscan.model import IntegrityCode
from orgscan.templates import data_dirs

CONTROLS_FILE = "controls.toml"
_FOLDER = "configs"


class Relation(StrEnum):
    """How a result relates to a requirement (see the file's header)."""

    DIRECT = "direct"
    SUPPORTING = "supporting"
    RELATED = "related"


class AppliesTo(StrEnum):
    """Which results evidence a requirement."""

    FINDING = "finding"
    ACCOUNT = "account"
    #: A trail's failing integrity check beside the lock (contract 5.2), exported on its own.
    INTEGRITY = "integrity"


class ConditionKind(StrEnum):
    """The closed vocabulary of ``evidenced_when``: what a run must meet for a label to hold.

    ``status = PASS``: the result (finding or account verdict) passed.
    ``require_mode = MODE``: the run's policy required at least MODE (GOVERNANCE or COMPLIANCE).
    ``min_retention_days >= N``: the run's policy required a default retention of N days or more.
    ``multi_region_protection``: a finding's trail is multi-region; an account is protected by
    at least one multi-region trail.
    ``all_enabled_regions_scanned``: the run scanned every enabled region (no ``--regions``).
    ``check = CODE``: the result is the integrity check CODE (``model.IntegrityCode``).
    """

    STATUS_PASS = "status = PASS"
    REQUIRE_MODE = "require_mode"
    MIN_RETENTION_DAYS = "min_retention_days"
    MULTI_REGION_PROTECTION = "multi_region_protection"
    ALL_ENABLED_REGIONS_SCANNED = "all_enabled_regions_scanned"
    CHECK = "check"


#: The modes ``require_mode = MODE`` accepts, weakest first.
CONDITION_MODES = ("GOVERNANCE", "COMPLIANCE")
_REQUIRE_MODE_RE = re.compile(r"^require_mode\s*=\s*([A-Z]+)\Z")
#: The vocabulary as a load error names it.
_VOCABULARY = (
    "status = PASS, require_mode = GOVERNANCE|COMPLIANCE, min_retention_days >= N, "
    "multi_region_protection, all_enabled_regions_scanned, check = CODE"
)
_CHECK_RE = re.compile(r"^check\s*=\s*([A-Z_]+)\Z")
_MIN_RETENTION_RE = re.compile(r"^min_retention_days\s*>=\s*([1-9][0-9]{0,5})\Z")


@dataclass(frozen=True)
class Condition:
    """One parsed ``evidenced_when`` entry; ``mode`` or ``days`` hold its argument."""

    kind: ConditionKind
    mode: str | None = None
    days: int | None = None
    check: str | None = None

    @property
    def text(self) -> str:
        """The condition as the file writes it (and the reports show it)."""
        if self.kind is ConditionKind.REQUIRE_MODE:
            return f"require_mode = {self.mode}"
        if self.kind is ConditionKind.MIN_RETENTION_DAYS:
            return f"min_retention_days >= {self.days}"
        if self.kind is ConditionKind.CHECK:
            return f"check = {self.check}"
        return self.kind.value


def parse_condition(text: str) -> Condition:
    """``text`` as a condition; ``ValueError`` naming it when it is not in the vocabulary."""
    words = " ".join(text.split())
    if words in (ConditionKind.STATUS_PASS, "status=PASS"):
        return Condition(ConditionKind.STATUS_PASS)
    if words in (
        ConditionKind.MULTI_REGION_PROTECTION,
        ConditionKind.ALL_ENABLED_REGIONS_SCANNED,
    ):
        return Condition(ConditionKind(words))
    mode = _REQUIRE_MODE_RE.match(words)
    if mode and mode.group(1) in CONDITION_MODES:
        return Condition(ConditionKind.REQUIRE_MODE, mode=mode.group(1))
    days = _MIN_RETENTION_RE.match(words)
    if days:
        return Condition(ConditionKind.MIN_RETENTION_DAYS, days=int(days.group(1)))
    check = _CHECK_RE.match(words)
    if check and check.group(1) in set(IntegrityCode):
        return Condition(ConditionKind.CHECK, check=check.group(1))
    raise ValueError(f"unknown condition {text!r}")


@dataclass(frozen=True)
class Control:
    """One framework requirement, the public document it was checked against, and the
    conditions (all of them) a result and its run must meet to carry its label."""

    id: str
    framework: str
    requirement: str
    title: str
    label: str
    applies_to: tuple[AppliesTo, ...]
    relation: Relation
    source: str
    note: str
    evidenced_when: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class ControlMapping:
    """The whole file: the check's title and severity, and every control."""

    title: str
    severity: str
    severity_source: str
    controls: tuple[Control, ...]

    def evidenced_by(self, kind: AppliesTo) -> tuple[Control, ...]:
        """The controls a result of ``kind`` is evidence for ("related" ones left out)."""
        return tuple(
            control
            for control in self.controls
            if kind in control.applies_to and control.relation is not Relation.RELATED
        )

    def labels(self, kind: AppliesTo) -> list[str]:
        """The labels of ``evidenced_by(kind)``: what a result of ``kind`` may carry when
        the run meets each one's ``evidenced_when`` (``orgscan.reports.claims`` decides)."""
        return [control.label for control in self.evidenced_by(kind)]


class ControlsFileError(ValueError):
    """The control mapping is missing or malformed (a broken installation)."""


def controls_paths() -> list[Path]:
    """Where the file may be, in the order tried: the source checkout, then the install."""
    return [folder / CONTROLS_FILE for folder in data_dirs(_FOLDER)]


@functools.cache
def load_controls(path: Path | None = None) -> ControlMapping:
    """The control mapping at ``path`` (default: the first of ``controls_paths()`` that exists)."""
    if path is None:
        found = [candidate for candidate in controls_paths() if candidate.is_file()]
        if not found:
            tried = ", ".join(str(candidate) for candidate in controls_paths())
            raise ControlsFileError(
                f"orgscan's {CONTROLS_FILE} is not installed (looked in {tried})"
            )
        path = found[0]
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ControlsFileError(f"{path}: cannot be read ({exc})") from None
    return _parse(document, path)


def _parse(document: dict[str, Any], path: Path) -> ControlMapping:
    check = document.get("check")
    entries = document.get("controls")
    if (
        document.get("version") != 1
        or not isinstance(check, dict)
        or not isinstance(entries, list)
        or not entries
    ):
        raise ControlsFileError(f"{path}: needs version = 1, a [check] table and [[controls]]")
    controls = tuple(_control(entry, path, number) for number, entry in enumerate(entries, 1))
    ids = [control.id for control in controls]
    if len(set(ids)) != len(ids):
        raise ControlsFileError(f"{path}: control ids must be unique")
    return ControlMapping(
        title=_text(check, "title", path),
        severity=_text(check, "severity", path),
        severity_source=_text(check, "severity_source", path),
        controls=controls,
    )


def _control(entry: Any, path: Path, number: int) -> Control:
    where = f"{path}: controls entry {number}"
    if not isinstance(entry, dict):
        raise ControlsFileError(f"{where}: not a table")
    applies = entry.get("applies_to")
    try:
        applies_to = tuple(AppliesTo(kind) for kind in _strings(applies, where))
        relation = Relation(str(entry.get("relation")))
    except ValueError:
        raise ControlsFileError(
            f"{where}: applies_to must list finding/account and relation "
            "be direct, supporting or related"
        ) from None
    return Control(
        id=_text(entry, "id", where),
        framework=_text(entry, "framework", where),
        requirement=_text(entry, "requirement", where),
        title=_text(entry, "title", where),
        label=_text(entry, "label", where),
        applies_to=applies_to,
        relation=relation,
        source=_text(entry, "source", where),
        note=_text(entry, "note", where),
        evidenced_when=_conditions(entry.get("evidenced_when"), where),
    )


def _conditions(value: Any, where: str) -> tuple[Condition, ...]:
    # Every entry states its condition, even "none" ([]): a label is never attached by
    # default because an entry forgot to say when it holds.
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ControlsFileError(f"{where}: evidenced_when must be a list of conditions")
    try:
        return tuple(parse_condition(text) for text in value)
    except ValueError as exc:
        raise ControlsFileError(f"{where}: {exc}; known: {_VOCABULARY}") from None


def _text(table: dict[str, Any], key: str, where: Path | str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ControlsFileError(f"{where}: {key!r} must be a non-empty string")
    return value.strip()


def _strings(value: Any, where: str) -> Iterable[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ControlsFileError(f"{where}: applies_to must be a non-empty list")
    return value
