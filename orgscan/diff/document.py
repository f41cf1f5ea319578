"""``diff.json``: a diff written into the newer run folder, and read back for the reports."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orgscan.diff.model import (
    AccountDiffEntry,
    DiffClass,
    DiffEntry,
    FieldChange,
    JsonScalar,
    Presence,
    RunDiff,
    RunRef,
)
from orgscan.diff.weakeners import WeakenerClass, WeakenerDiffEntry, weakener_counts
from orgscan.errors import InputError
from orgscan.files import atomic_write
from orgscan.jsondoc import parse_json_text, read_regular_file, typed_value
from orgscan.model import Status
from orgscan.weakeners import weakener_from_dict

DIFF_FILE = "diff.json"
DIFF_SCHEMA_VERSION = 3
_READABLE_SCHEMA_VERSIONS = (1, 2, 3)


class DiffFileError(InputError):
    """``diff.json`` is unreadable or does not follow its schema."""


def diff_to_dict(diff: RunDiff) -> dict[str, Any]:
    """The ``diff.json`` document (plain JSON types)."""
    return {
        "schema_version": DIFF_SCHEMA_VERSION,
        "old": {"folder": diff.old.folder, "started_at": diff.old.started_at},
        "new": {"folder": diff.new.folder, "started_at": diff.new.started_at},
        "counts": {cls.value: count for cls, count in diff.counts().items()},
        "trails": [_entry_to_dict(entry) for entry in diff.entries],
        "accounts": [_account_entry_to_dict(entry) for entry in diff.accounts],
        "weakener_counts": {
            cls.value: count for cls, count in weakener_counts(diff.weakeners).items()
        },
        "weakeners": [_weakener_entry_to_dict(entry) for entry in diff.weakeners],
    }


def _weakener_entry_to_dict(entry: WeakenerDiffEntry) -> dict[str, Any]:
    return {
        "class": entry.diff_class.value,
        "row": entry.row.to_dict(),
        "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in entry.changes],
    }


def _account_entry_to_dict(entry: AccountDiffEntry) -> dict[str, Any]:
    return {
        "account_id": entry.account_id,
        "name": entry.name,
        "class": entry.diff_class.value,
        "contract_class": entry.contract_class.value,
        "verdict_old": entry.verdict_old.value if entry.verdict_old is not None else None,
        "verdict_new": entry.verdict_new.value if entry.verdict_new is not None else None,
        "verdict_code_old": entry.verdict_code_old,
        "verdict_code_new": entry.verdict_code_new,
        "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in entry.changes],
    }


def _entry_to_dict(entry: DiffEntry) -> dict[str, Any]:
    return {
        "trail_arn": entry.trail_arn,
        "account_id": entry.account_id,
        "trail_name": entry.trail_name,
        "class": entry.diff_class.value,
        "contract_class": entry.contract_class.value,
        "presence": entry.presence.value,
        "status_old": entry.status_old.value if entry.status_old is not None else None,
        "status_new": entry.status_new.value if entry.status_new is not None else None,
        "reason_code_old": entry.reason_code_old,
        "reason_code_new": entry.reason_code_new,
        "reason_old": entry.reason_old,
        "reason_new": entry.reason_new,
        "excepted": entry.excepted,
        "tamper_status_old": _value(entry.tamper_status_old),
        "tamper_status_new": _value(entry.tamper_status_new),
        "tamper_class": entry.tamper_class.value,
        "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in entry.changes],
    }


def dumps_diff(diff: RunDiff) -> str:
    """``diff.json`` as text."""
    return json.dumps(diff_to_dict(diff), indent=2, ensure_ascii=False) + "\n"


def write_diff(run_dir: Path, diff: RunDiff) -> Path:
    """Write ``run_dir/diff.json`` atomically and return its path."""
    path = run_dir / DIFF_FILE
    atomic_write(path, dumps_diff(diff))
    return path


def load_diff(run_dir: Path) -> RunDiff | None:
    """Read ``run_dir/diff.json``; None when the run has none (the first run of its folder)."""
    path = run_dir / DIFF_FILE
    try:
        text = read_regular_file(path)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise DiffFileError(f"{path}: cannot be read ({exc})") from None
    document = parse_json_text(text, str(path), DiffFileError)
    try:
        return diff_from_dict(document)
    except KeyError as exc:
        raise DiffFileError(f"{path}: not a valid diff.json (missing key {exc})") from None
    except (TypeError, ValueError) as exc:
        raise DiffFileError(f"{path}: not a valid diff.json ({exc})") from None


def diff_from_dict(document: Mapping[str, Any]) -> RunDiff:
    """Parse a ``diff.json`` document; raise KeyError/TypeError/ValueError on any defect."""
    if document["schema_version"] not in _READABLE_SCHEMA_VERSIONS:
        raise ValueError(f"schema_version {document['schema_version']!r} is not supported")
    # absent before schema 2
    accounts = typed_value(document, "accounts", list) if "accounts" in document else []
    # absent before schema 3
    weakeners = typed_value(document, "weakeners", list) if "weakeners" in document else []
    return RunDiff(
        old=_run_ref(document["old"]),
        new=_run_ref(document["new"]),
        entries=tuple(_entry_from_dict(raw) for raw in document["trails"]),
        accounts=tuple(_account_entry_from_dict(raw) for raw in accounts),
        weakeners=tuple(
            _weakener_entry_from_dict(raw, f"weakeners[{i}]") for i, raw in enumerate(weakeners)
        ),
    )


def _weakener_entry_from_dict(raw: Mapping[str, Any], where: str) -> WeakenerDiffEntry:
    return WeakenerDiffEntry(
        diff_class=WeakenerClass(raw["class"]),
        row=weakener_from_dict(raw["row"], f"{where}.row"),
        changes=_changes_from(raw),
    )


def _changes_from(raw: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(typed_value(c, "field", str), _scalar(c["old"]), _scalar(c["new"]))
        for c in typed_value(raw, "changes", list)
    )


def _value(status: Status | None) -> str | None:
    return status.value if status is not None else None


def _account_entry_from_dict(raw: Mapping[str, Any]) -> AccountDiffEntry:
    def verdict(key: str) -> Status | None:
        value = typed_value(raw, key, str, optional=True)
        return Status(value) if value is not None else None

    return AccountDiffEntry(
        account_id=typed_value(raw, "account_id", str),
        name=typed_value(raw, "name", str, optional=True),
        diff_class=DiffClass(raw["class"]),
        verdict_old=verdict("verdict_old"),
        verdict_new=verdict("verdict_new"),
        verdict_code_old=typed_value(raw, "verdict_code_old", str, optional=True),
        verdict_code_new=typed_value(raw, "verdict_code_new", str, optional=True),
        changes=_changes_from(raw),
    )


def _run_ref(raw: Mapping[str, Any]) -> RunRef:
    return RunRef(
        folder=typed_value(raw, "folder", str, optional=True),
        started_at=typed_value(raw, "started_at", str),
    )


def _entry_from_dict(raw: Mapping[str, Any]) -> DiffEntry:
    def status(key: str) -> Status | None:
        if key not in raw and key.startswith("tamper_"):
            return None  # absent before schema 3
        value = typed_value(raw, key, str, optional=True)
        return Status(value) if value is not None else None

    changes = _changes_from(raw)
    entry = DiffEntry(
        trail_arn=typed_value(raw, "trail_arn", str),
        account_id=typed_value(raw, "account_id", str),
        trail_name=typed_value(raw, "trail_name", str),
        diff_class=DiffClass(raw["class"]),
        presence=Presence(raw["presence"]),
        status_old=status("status_old"),
        status_new=status("status_new"),
        reason_code_old=typed_value(raw, "reason_code_old", str, optional=True),
        reason_code_new=typed_value(raw, "reason_code_new", str, optional=True),
        reason_old=typed_value(raw, "reason_old", str, optional=True),
        reason_new=typed_value(raw, "reason_new", str, optional=True),
        changes=changes,
        excepted=typed_value(raw, "excepted", bool),
        tamper_status_old=status("tamper_status_old"),
        tamper_status_new=status("tamper_status_new"),
        # absent before schema 3: the diff did not assess tamper paths
        tamper_class=DiffClass(raw.get("tamper_class", DiffClass.NOT_ASSESSED.value)),
    )
    return entry


def _scalar(value: Any) -> JsonScalar:
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"a change must hold a string, number, boolean or null, not {value!r:.40}")
