"""The control mapping (``configs/controls.toml``): the requirements orgscan's results evidence.

The file is data shipped with orgscan: in a source checkout it is ``configs/controls.toml``; a
regular install puts it under ``<prefix>/share/orgscan/configs`` (see ``pyproject.toml``), as
it does the report templates.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class Control:
    """One framework requirement and the public document it was checked against."""

    id: str
    framework: str
    requirement: str
    title: str
    label: str
    applies_to: tuple[AppliesTo, ...]
    relation: Relation
    source: str
    note: str


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
        """The labels of ``evidenced_by(kind)``, for the exports."""
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
    )


def _text(table: dict[str, Any], key: str, where: Path | str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ControlsFileError(f"{where}: {key!r} must be a non-empty string")
    return value.strip()


def _strings(value: Any, where: str) -> Iterable[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ControlsFileError(f"{where}: applies_to must be a non-empty list")
    return value
