"""The diff's values: the classes a trail or account falls in, its entries and the whole diff.

What each class means is in ``orgscan.diff``'s docstring; ``orgscan.diff.classify`` builds these
values from two results, ``orgscan.diff.document`` reads and writes them as ``diff.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from orgscan.model import Status

if TYPE_CHECKING:
    from orgscan.diff.weakeners import WeakenerDiffEntry

JsonScalar = str | int | bool | None


class DiffClass(StrEnum):
    """The class of one trail or account in a diff (``orgscan.diff``'s docstring)."""

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
    #: ``tamper_status`` in each run (None: absent or not assessed), classified like ``status``.
    tamper_status_old: Status | None = None
    tamper_status_new: Status | None = None
    tamper_class: DiffClass = DiffClass.NOT_ASSESSED

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
        if self.tamper_moved:
            parts.append(f"tamper {self.tamper_status_old} → {self.tamper_status_new}")
        return "; ".join(parts)

    @property
    def tamper_moved(self) -> bool:
        """True when both runs assessed the trail's tamper paths and its status moved."""
        return (
            self.tamper_status_old is not None
            and self.tamper_status_new is not None
            and self.tamper_status_old is not self.tamper_status_new
        )


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
    #: The ``weakeners[]`` rows of either run, classified (``orgscan.diff.weakeners``).
    weakeners: tuple[WeakenerDiffEntry, ...] = ()

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


def _show(value: JsonScalar) -> str:
    if value is None:
        return "none"
    return str(value).lower() if isinstance(value, bool) else str(value)
