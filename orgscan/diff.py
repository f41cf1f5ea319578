"""What changed between two runs: every trail of either run, classified, and ``diff.json``.

Trails are matched by ``trail_arn`` over the union of both runs, so every trail of either run has
exactly one entry. "Failing" means WARN or FAIL; severity is PASS < WARN < FAIL, and ERROR ("could
not tell") stands apart. The classes, in the order they are listed:

``new_failure``
    Failing now and not failing at this level before: the trail is new, or was PASS or ERROR,
    or got worse (WARN → FAIL).
``resolved``
    Failing before and PASS now (the trail is in both runs).
``still_failing``
    Failing in both runs (FAIL → WARN is an improvement but still failing; the status change is
    listed among the changes).
``changed``
    Not failing in either run, but something about the trail changed: its facts (status PASS ↔
    ERROR, retention, mode, bucket, versioning, reason, exception …), or it appeared (presence
    ``added``, PASS or ERROR).
``unchanged``
    In both runs, not failing in either, every compared field equal.
``not_assessed``
    Missing from the new run because its account or home region was not scanned there (out of
    scope, closed, role or region failure): absence of evidence is not a fix.
``removed``
    Missing from the new run although its account and home region were scanned: the trail is
    gone. A trail that disappears is a risk to show, never counted as resolved.

Account verdicts are diffed the same way (``accounts`` in ``diff.json``): an account whose
verdict fails now and did not before is ``new_failure``, one that is no longer scanned is
``not_assessed``, one that left the organization is ``removed``.

Each entry also carries a ``contract_class`` in the v1 contract's four classes: ``new_failure`` →
new, ``resolved`` → resolved, ``changed``/``not_assessed``/``removed`` → changed, ``unchanged``
→ unchanged, and ``still_failing`` → changed when any field changed, unchanged otherwise.

``diff_results`` is pure. ``diff.json`` is written into the newer run folder by ``write_diff``;
the previous run of an output folder is found by ``orgscan.runs.history.diff_against_previous``
(this module imports nothing of ``runs``, so reports may import it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from orgscan.errors import InputError
from orgscan.exceptions_register import excepted_for_exit
from orgscan.files import atomic_write
from orgscan.jsondoc import parse_json_text, read_regular_file, typed_value
from orgscan.model import AccountCoverage, ErrorStage, Finding, ScanResult, Status

DIFF_FILE = "diff.json"
DIFF_SCHEMA_VERSION = 2
_READABLE_SCHEMA_VERSIONS = (1, 2)

JsonScalar = str | int | bool | None

#: Fields compared between two findings of one trail, in the order changes are listed.
DIFFED_FIELDS = (
    "status",
    "reason_code",
    "bucket_name",
    "bucket_account_id",
    "bucket_region",
    "object_lock_enabled",
    "lock_mode",
    "retention_days",
    "versioning",
    "reason",
    "trail_name",
    "home_region",
    "is_multi_region",
    "is_organization_trail",
    "account_id",
    "exception",
)
#: Error stages after which a trail may exist that the run could not see.
_BLINDING_STAGES = frozenset({ErrorStage.ASSUME_ROLE, ErrorStage.REGIONS, ErrorStage.TRAILS})


class DiffClass(StrEnum):
    """The class of one trail in a diff (module docstring)."""

    NEW_FAILURE = "new_failure"
    RESOLVED = "resolved"
    STILL_FAILING = "still_failing"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    NOT_ASSESSED = "not_assessed"
    REMOVED = "removed"


class Presence(StrEnum):
    """Whether the trail is in both runs, only the new one, or only the old one."""

    BOTH = "both"
    ADDED = "added"
    REMOVED = "removed"
    NOT_SEEN = "not_seen"  # missing from the new run, whose coverage of its account has a gap


class ContractClass(StrEnum):
    """The contract's four diff classes."""

    NEW = "new"
    RESOLVED = "resolved"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


class DiffFileError(InputError):
    """``diff.json`` is unreadable or does not follow its schema."""


@dataclass(frozen=True)
class FieldChange:
    """One compared field whose value differs between the runs (JSON values)."""

    field: str
    old: JsonScalar
    new: JsonScalar

    def describe(self) -> str:
        """``retention_days 365 → 30 (shortened)``."""
        text = f"{self.field} {_show(self.old)} → {_show(self.new)}"
        if (
            self.field == "retention_days"
            and isinstance(self.old, int)
            and isinstance(self.new, int)
        ):
            text += " (shortened)" if self.new < self.old else " (lengthened)"
        return text


@dataclass(frozen=True)
class DiffEntry:
    """One trail of either run and how it changed."""

    trail_arn: str
    account_id: str
    trail_name: str
    diff_class: DiffClass
    presence: Presence
    status_old: Status | None
    status_new: Status | None
    reason_code_old: str | None
    reason_code_new: str | None
    reason_old: str | None
    reason_new: str | None
    changes: tuple[FieldChange, ...] = ()
    excepted: bool = False  # the new finding is excused from the exit code by the register

    @property
    def contract_class(self) -> ContractClass:
        """This entry in the contract's four classes."""
        if self.diff_class is DiffClass.NEW_FAILURE:
            return ContractClass.NEW
        return _contract_class(self.diff_class, bool(self.changes))

    def describe(self) -> str:
        """What happened to the trail, in a few words."""
        parts = {
            Presence.ADDED: ["trail added"],
            Presence.REMOVED: ["trail removed"],
            Presence.NOT_SEEN: ["not seen: its account or region was not scanned"],
            Presence.BOTH: [],
        }[self.presence]
        parts += [change.describe() for change in self.changes if change.field != "reason"]
        return "; ".join(parts)


@dataclass(frozen=True)
class AccountDiffEntry:
    """One account of either run and how its verdict changed."""

    account_id: str
    name: str | None
    diff_class: DiffClass
    verdict_old: Status | None
    verdict_new: Status | None
    verdict_code_old: str | None
    verdict_code_new: str | None
    changes: tuple[FieldChange, ...] = ()

    @property
    def contract_class(self) -> ContractClass:
        """This entry in the contract's four classes."""
        return _contract_class(self.diff_class, bool(self.changes))


def _contract_class(diff_class: DiffClass, changed: bool) -> ContractClass:
    if diff_class is DiffClass.NEW_FAILURE:
        return ContractClass.NEW
    if diff_class is DiffClass.STILL_FAILING:
        return ContractClass.CHANGED if changed else ContractClass.UNCHANGED
    if diff_class in (DiffClass.NOT_ASSESSED, DiffClass.REMOVED):
        return ContractClass.CHANGED
    return ContractClass(diff_class.value)


@dataclass(frozen=True)
class RunRef:
    """Which run a side of the diff is: its folder name (when known) and start time."""

    folder: str | None
    started_at: str


@dataclass(frozen=True)
class RunDiff:
    """Every trail of two runs, classified."""

    old: RunRef
    new: RunRef
    entries: tuple[DiffEntry, ...]
    accounts: tuple[AccountDiffEntry, ...] = ()

    def of_class(self, diff_class: DiffClass) -> tuple[DiffEntry, ...]:
        """The entries of one class."""
        return tuple(entry for entry in self.entries if entry.diff_class is diff_class)

    def counts(self) -> dict[DiffClass, int]:
        """How many trails fall in each class (every class present, possibly 0)."""
        return {cls: len(self.of_class(cls)) for cls in DiffClass}

    def headline(self) -> str:
        """``3 new failures, 1 resolved since 2026-11-20`` for report headers."""
        counts = self.counts()
        new = counts[DiffClass.NEW_FAILURE]
        return (
            f"{new} new failure{'' if new == 1 else 's'}, "
            f"{counts[DiffClass.RESOLVED]} resolved since {self.old.started_at[:10]}"
        )


# --------------------------------------------------------------------------- classifying


def diff_results(
    old: ScanResult,
    new: ScanResult,
    *,
    old_folder: str | None = None,
    new_folder: str | None = None,
) -> RunDiff:
    """Classify every trail of ``old`` and ``new`` (pure)."""
    old_by_arn = {finding.trail_arn: finding for finding in old.findings}
    new_by_arn = {finding.trail_arn: finding for finding in new.findings}
    entries = [
        _entry(old_by_arn.get(arn), new_by_arn.get(arn), new)
        for arn in old_by_arn.keys() | new_by_arn.keys()
    ]
    order = list(DiffClass)
    entries.sort(key=lambda e: (order.index(e.diff_class), e.account_id, e.trail_arn))
    return RunDiff(
        old=RunRef(old_folder, old.run.started_at),
        new=RunRef(new_folder, new.run.started_at),
        entries=tuple(entries),
        accounts=diff_accounts(old, new),
    )


def diff_accounts(old: ScanResult, new: ScanResult) -> tuple[AccountDiffEntry, ...]:
    """Classify the account verdicts of ``old`` and ``new`` like trails (pure)."""
    old_by_id = {account.account_id: account for account in old.accounts}
    new_by_id = {account.account_id: account for account in new.accounts}
    entries = [
        _account_entry(old_by_id.get(account_id), new_by_id.get(account_id))
        for account_id in old_by_id.keys() | new_by_id.keys()
    ]
    order = list(DiffClass)
    entries.sort(key=lambda e: (order.index(e.diff_class), e.account_id))
    return tuple(entries)


_DIFFED_ACCOUNT_FIELDS = ("verdict", "verdict_code", "gaps", "protected_by", "scanned", "state")


def _account_value(account: AccountCoverage, name: str) -> JsonScalar:
    if name == "gaps":
        return ", ".join(f"{gap.region} {gap.code.value}" for gap in account.gaps) or None
    if name == "protected_by":
        return ", ".join(account.protected_by) or None
    value = getattr(account, name)
    return value.value if hasattr(value, "value") else value  # type: ignore[no-any-return]


def _account_entry(old: AccountCoverage | None, new: AccountCoverage | None) -> AccountDiffEntry:
    either = new if new is not None else old
    assert either is not None  # the id came from one of the two runs
    verdict_old = old.verdict if old is not None else None
    verdict_new = new.verdict if new is not None else None
    changes: tuple[FieldChange, ...] = ()
    if old is not None and new is not None:
        changes = tuple(
            FieldChange(name, _account_value(old, name), _account_value(new, name))
            for name in _DIFFED_ACCOUNT_FIELDS
            if _account_value(old, name) != _account_value(new, name)
        )
    if new is None:
        diff_class = DiffClass.REMOVED  # no longer in the organization
    elif old is not None and old.verdict is not None and new.verdict is None:
        diff_class = DiffClass.NOT_ASSESSED  # there, but not scanned this time
    else:
        presence = Presence.BOTH if old is not None else Presence.ADDED
        diff_class = _classify(verdict_old, verdict_new, presence, changes)
    return AccountDiffEntry(
        account_id=either.account_id,
        name=either.name,
        diff_class=diff_class,
        verdict_old=verdict_old,
        verdict_new=verdict_new,
        verdict_code_old=old.verdict_code.value if old and old.verdict_code else None,
        verdict_code_new=new.verdict_code.value if new and new.verdict_code else None,
        changes=changes,
    )


def _failing(status: Status | None) -> bool:
    return status in (Status.WARN, Status.FAIL)


def _severity(status: Status | None) -> int:
    # "Absent" ranks below PASS, as ERROR does: from either, any failure is news.
    return status.severity if status is not None else -1


def _entry(old: Finding | None, new: Finding | None, new_run: ScanResult) -> DiffEntry:
    either = new if new is not None else old
    assert either is not None  # the ARN came from one of the two runs
    status_old = old.status if old is not None else None
    status_new = new.status if new is not None else None
    changes: tuple[FieldChange, ...] = ()
    if old is None:
        presence = Presence.ADDED
    elif new is None:
        presence = Presence.NOT_SEEN if _unseen(old, new_run) else Presence.REMOVED
    else:
        presence = Presence.BOTH
        changes = _changes(old, new)
    return DiffEntry(
        trail_arn=either.trail_arn,
        account_id=either.account_id,
        trail_name=either.trail_name,
        diff_class=_classify(status_old, status_new, presence, changes),
        presence=presence,
        status_old=status_old,
        status_new=status_new,
        reason_code_old=old.reason_code.value if old is not None else None,
        reason_code_new=new.reason_code.value if new is not None else None,
        reason_old=old.reason if old is not None else None,
        reason_new=new.reason if new is not None else None,
        changes=changes,
        excepted=new is not None and excepted_for_exit(new),
    )


def _classify(
    old: Status | None, new: Status | None, presence: Presence, changes: Sequence[FieldChange]
) -> DiffClass:
    # Missing from the new run is never "resolved": either it could not be seen, or it is gone.
    if presence is Presence.NOT_SEEN:
        return DiffClass.NOT_ASSESSED
    if presence is Presence.REMOVED:
        return DiffClass.REMOVED
    if _failing(new) and _severity(new) > _severity(old):
        return DiffClass.NEW_FAILURE
    if _failing(old) and new is Status.PASS:
        return DiffClass.RESOLVED
    if _failing(old) and _failing(new):
        return DiffClass.STILL_FAILING
    # Here neither run fails the trail, or it failed and is now ERROR (a status change).
    if changes or presence is not Presence.BOTH:
        return DiffClass.CHANGED
    return DiffClass.UNCHANGED


def _unseen(old: Finding, new_run: ScanResult) -> bool:
    """True when the new run may have missed the trail: its account was not scanned (out of
    scope, closed, role failure), or its home region was not scanned for it."""
    account = next((a for a in new_run.accounts if a.account_id == old.account_id), None)
    if account is None or not account.scanned:
        return True
    if not old.is_multi_region and old.home_region not in new_run.run.regions:
        return True  # a single-region trail is seen only from its home region
    return any(
        error.account_id == old.account_id
        and error.stage in _BLINDING_STAGES
        and error.region in (None, old.home_region)
        for error in new_run.errors
    )


def _changes(old: Finding, new: Finding) -> tuple[FieldChange, ...]:
    changes = []
    for name in DIFFED_FIELDS:
        before, after = _field_value(old, name), _field_value(new, name)
        if before != after:
            changes.append(FieldChange(name, before, after))
    return tuple(changes)


def _field_value(finding: Finding, name: str) -> JsonScalar:
    if name == "exception":
        mark = finding.exception
        if mark is None:
            return None
        expired = " (expired)" if mark.expired else ""
        return f"{mark.owner} until {mark.expires.isoformat()}{expired}"
    value = getattr(finding, name)
    return value.value if hasattr(value, "value") else value  # type: ignore[no-any-return]


def _show(value: JsonScalar) -> str:
    if value is None:
        return "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


# --------------------------------------------------------------------------- diff.json


def diff_to_dict(diff: RunDiff) -> dict[str, Any]:
    """The ``diff.json`` document (plain JSON types)."""
    return {
        "schema_version": DIFF_SCHEMA_VERSION,
        "old": {"folder": diff.old.folder, "started_at": diff.old.started_at},
        "new": {"folder": diff.new.folder, "started_at": diff.new.started_at},
        "counts": {cls.value: count for cls, count in diff.counts().items()},
        "trails": [_entry_to_dict(entry) for entry in diff.entries],
        "accounts": [_account_entry_to_dict(entry) for entry in diff.accounts],
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
    return RunDiff(
        old=_run_ref(document["old"]),
        new=_run_ref(document["new"]),
        entries=tuple(_entry_from_dict(raw) for raw in document["trails"]),
        accounts=tuple(_account_entry_from_dict(raw) for raw in accounts),
    )


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
        changes=tuple(
            FieldChange(typed_value(c, "field", str), _scalar(c["old"]), _scalar(c["new"]))
            for c in typed_value(raw, "changes", list)
        ),
    )


def _run_ref(raw: Mapping[str, Any]) -> RunRef:
    return RunRef(
        folder=typed_value(raw, "folder", str, optional=True),
        started_at=typed_value(raw, "started_at", str),
    )


def _entry_from_dict(raw: Mapping[str, Any]) -> DiffEntry:
    def status(key: str) -> Status | None:
        value = typed_value(raw, key, str, optional=True)
        return Status(value) if value is not None else None

    changes = tuple(
        FieldChange(typed_value(c, "field", str), _scalar(c["old"]), _scalar(c["new"]))
        for c in raw["changes"]
    )
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
    )
    return entry


def _scalar(value: Any) -> JsonScalar:
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"a change must hold a string, number, boolean or null, not {value!r:.40}")
