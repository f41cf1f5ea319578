"""Classifying the ``weakeners[]`` rows of two runs (pure): who can now weaken a trail's
protection that could not before, who no longer can, and who still can.

A row is keyed by (trail_arn, target_arn, action, principal_arn). The classes:

``new``
    The principal can now take the action on the target and could not before (the row is only in
    the new run). Rows that weaken protection as things stand (unblocked, not break-glass) are
    listed first.
``resolved``
    The row is only in the old run, and the new run assessed that trail's tamper paths.
``changed``
    In both runs, with its grant, condition, block or break-glass mark changed.
``unchanged``
    In both runs, every field equal.
``not_assessed``
    One run did not assess it: a run without ``weakeners`` (written before tamper paths, or not
    assessed), a trail the new run did not see, or a trail whose tamper sources could not be read
    (``tamper_status`` ERROR or null). Absence of evidence is never a resolved row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from orgscan.diff.model import DiffClass, DiffEntry, FieldChange, JsonScalar
from orgscan.model import Finding, Status
from orgscan.weakeners import Weakener

#: A row's identity across runs.
WeakenerKey = tuple[str, str, str, str]

#: The fields of a row compared when it is in both runs.
_COMPARED = ("granted_by", "conditional", "blocked_by", "break_glass", "management_account")


class WeakenerClass(StrEnum):
    """The class of one ``weakeners[]`` row in a diff (this module's docstring)."""

    NEW = "new"
    RESOLVED = "resolved"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    NOT_ASSESSED = "not_assessed"


@dataclass(frozen=True)
class WeakenerDiffEntry:
    """One row of either run, and how it changed."""

    diff_class: WeakenerClass
    #: The row as the new run has it, else as the old run had it.
    row: Weakener
    changes: tuple[FieldChange, ...] = ()

    @property
    def key(self) -> WeakenerKey:
        """(trail_arn, target_arn, action, principal_arn)."""
        return weakener_key(self.row)

    def describe(self) -> str:
        """``blocked_by scp-1#Deny → none``, or how the row stands when nothing moved."""
        if self.changes:
            return "; ".join(change.describe() for change in self.changes)
        if self.row.blocked_by is not None:
            return f"blocked by {self.row.blocked_by}"
        if self.row.break_glass:
            return "break-glass principal"
        return "conditional" if self.row.conditional else "unconditional"


def weakener_key(row: Weakener) -> WeakenerKey:
    """The key a row is matched by across runs."""
    return (row.trail_arn, row.target_arn, row.action, row.principal_arn)


def diff_weakeners(
    old: Iterable[Weakener] | None,
    new: Iterable[Weakener] | None,
    trails: Iterable[DiffEntry],
    new_findings: Iterable[Finding],
) -> tuple[WeakenerDiffEntry, ...]:
    """Classify every row of ``old`` and ``new`` (None: that run did not assess tamper paths),
    given the trail entries of the same diff and the new run's findings (pure)."""
    old_rows = {weakener_key(row): row for row in old or ()}
    new_rows = {weakener_key(row): row for row in new or ()}
    assessed = _assessed_trails(trails, new_findings) if old is not None and new is not None else {}
    entries = [
        _entry(old_rows.get(key), new_rows.get(key), assessed.get(key[0], False))
        for key in old_rows.keys() | new_rows.keys()
    ]
    order = list(WeakenerClass)
    entries.sort(key=lambda e: (order.index(e.diff_class), not e.row.is_open, e.key))
    return tuple(entries)


def _assessed_trails(
    trails: Iterable[DiffEntry], new_findings: Iterable[Finding]
) -> dict[str, bool]:
    """Per trail of the new run: whether its tamper paths were read in full, so a row gone from
    it is resolved rather than unseen."""
    seen = {entry.trail_arn for entry in trails if entry.diff_class is not DiffClass.NOT_ASSESSED}
    return {
        finding.trail_arn: finding.trail_arn in seen
        and finding.tamper_status not in (None, Status.ERROR)
        for finding in new_findings
    }


def _entry(old: Weakener | None, new: Weakener | None, trail_assessed: bool) -> WeakenerDiffEntry:
    if new is None:
        assert old is not None  # the key came from one of the two runs
        resolved = WeakenerClass.RESOLVED if trail_assessed else WeakenerClass.NOT_ASSESSED
        return WeakenerDiffEntry(resolved, old)
    if old is None:
        return WeakenerDiffEntry(
            WeakenerClass.NEW if trail_assessed else WeakenerClass.NOT_ASSESSED, new
        )
    changes = tuple(
        FieldChange(name, _value(old, name), _value(new, name))
        for name in _COMPARED
        if _value(old, name) != _value(new, name)
    )
    return WeakenerDiffEntry(
        WeakenerClass.CHANGED if changes else WeakenerClass.UNCHANGED, new, changes
    )


def _value(row: Weakener, name: str) -> JsonScalar:
    value = getattr(row, name)
    assert value is None or isinstance(value, str | bool)  # the compared fields are plain
    return value


def weakener_counts(entries: Iterable[WeakenerDiffEntry]) -> dict[WeakenerClass, int]:
    """How many rows fall in each class (every class present, possibly 0)."""
    counts = dict.fromkeys(WeakenerClass, 0)
    for entry in entries:
        counts[entry.diff_class] += 1
    return counts
