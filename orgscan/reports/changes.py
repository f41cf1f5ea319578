"""What changed since the previous run, and the exceptions register's marks, for the reports.

``summarise_changes`` turns the run's ``RunDiff`` (or its absence: the first run of an output
folder) into the headline, the counts per class and one row per account, per trail and per
``weakeners[]`` row that did not stay unchanged. The verdict is per account, so the headline
counts accounts first and names trails separately. ``exception_counts`` and ``exception_text``
describe the register's marks on the findings. The workbook and the page both call these, so
they can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from orgscan.diff import DiffClass, DiffEntry, RunDiff
from orgscan.diff.model import AccountDiffEntry
from orgscan.diff.weakeners import WeakenerClass, WeakenerDiffEntry, weakener_counts
from orgscan.exceptions_register import ExceptionLabel, exception_label
from orgscan.model import Finding
from orgscan.reports.summary import ReportSummary, display_time, parse_timestamp
from orgscan.wording import plural

#: The headline of a run with nothing to compare with.
FIRST_RUN = "first run in this folder"

#: What a changed-trail row says when only its class speaks (still failing, nothing moved).
NOTHING_CHANGED = "no field changed"

#: How each diff class is named in the reports, in the order they are listed.
CLASS_LABELS: dict[DiffClass, str] = {
    DiffClass.NEW_FAILURE: "new failure",
    DiffClass.RESOLVED: "resolved",
    DiffClass.STILL_FAILING: "still failing",
    DiffClass.CHANGED: "changed",
    DiffClass.UNCHANGED: "unchanged",
    DiffClass.NOT_ASSESSED: "not assessed",
    DiffClass.REMOVED: "removed",
}


@dataclass(frozen=True)
class ChangeRow:
    """One trail whose class is not ``unchanged``."""

    diff_class: DiffClass
    label: str
    trail_name: str
    trail_arn: str
    account_id: str
    account_name: str | None
    status_old: str | None
    status_new: str | None
    reason_code_old: str | None
    reason_code_new: str | None
    #: The changed fields and presence in a few words (``retention_days 120 → 30 (shortened)``).
    what_changed: str
    excepted: bool
    #: Who can weaken the trail: its ``tamper_status`` before and now (None: not assessed).
    tamper_old: str | None = None
    tamper_new: str | None = None


@dataclass(frozen=True)
class WeakenerChangeRow:
    """One ``weakeners[]`` row whose class is not ``unchanged``."""

    label: str
    trail_arn: str
    principal_arn: str
    action: str
    target_arn: str
    #: Whether the row weakens protection as things stand (unblocked, not break-glass).
    open: bool
    #: What moved, or how the row stands (``blocked_by p-1#Deny → none``, ``conditional``).
    how: str


@dataclass(frozen=True)
class AccountChangeRow:
    """One account whose verdict class is not ``unchanged``."""

    diff_class: DiffClass
    label: str
    account_id: str
    account_name: str | None
    verdict_old: str | None
    verdict_new: str | None
    verdict_code_old: str | None
    verdict_code_new: str | None
    #: The changed fields in a few words (``gaps eu-west-1 → none``).
    what_changed: str


@dataclass(frozen=True)
class ChangesSummary:
    """The "since the previous run" block: headline, previous run, counts and changed trails."""

    headline: str
    first_run: bool
    previous_folder: str | None
    previous_started_at: str | None
    #: ``previous_started_at`` as a naive UTC datetime, for a real Excel date.
    previous_started: datetime | None
    counts: tuple[tuple[str, int], ...]
    rows: tuple[ChangeRow, ...]
    #: Accounts per class (every class, possibly 0) and the accounts that did not stay unchanged;
    #: empty when the diff holds no accounts (a run before account verdicts).
    account_counts: tuple[tuple[str, int], ...] = ()
    account_rows: tuple[AccountChangeRow, ...] = ()
    #: Who can weaken a trail: rows per class and those not unchanged; empty when neither run
    #: assessed tamper paths.
    weakener_counts: tuple[tuple[str, int], ...] = ()
    weakener_rows: tuple[WeakenerChangeRow, ...] = ()


def summarise_changes(diff: RunDiff | None, summary: ReportSummary) -> ChangesSummary:
    """The reports' view of ``diff``; ``FIRST_RUN`` as headline when there is none."""
    if diff is None:
        return ChangesSummary(
            headline=FIRST_RUN,
            first_run=True,
            previous_folder=None,
            previous_started_at=None,
            previous_started=None,
            counts=(),
            rows=(),
        )
    counts = diff.counts()
    return ChangesSummary(
        headline=_headline(diff),
        first_run=False,
        previous_folder=diff.old.folder,
        previous_started_at=diff.old.started_at,
        previous_started=parse_timestamp(diff.old.started_at),
        counts=tuple((class_label(cls), counts[cls]) for cls in DiffClass),
        rows=tuple(
            _row(entry, summary)
            for entry in diff.entries
            if entry.diff_class is not DiffClass.UNCHANGED or entry.tamper_moved
        ),
        account_counts=(
            tuple((class_label(cls), n) for cls, n in _account_counts(diff).items())
            if diff.accounts
            else ()
        ),
        account_rows=tuple(
            _account_row(entry)
            for entry in diff.accounts
            if entry.diff_class is not DiffClass.UNCHANGED
        ),
        weakener_counts=tuple(
            (cls.value.replace("_", " "), n) for cls, n in weakener_counts(diff.weakeners).items()
        )
        if diff.weakeners
        else (),
        weakener_rows=tuple(
            _weakener_row(entry)
            for entry in diff.weakeners
            if entry.diff_class is not WeakenerClass.UNCHANGED
        ),
    )


def _weakener_row(entry: WeakenerDiffEntry) -> WeakenerChangeRow:
    return WeakenerChangeRow(
        label=entry.diff_class.value.replace("_", " "),
        trail_arn=entry.row.trail_arn,
        principal_arn=entry.row.principal_arn,
        action=entry.row.action,
        target_arn=entry.row.target_arn,
        open=entry.row.is_open,
        how=entry.describe(),
    )


def class_label(diff_class: DiffClass) -> str:
    """How ``diff_class`` is named in the reports (a class added later reads from its value)."""
    return CLASS_LABELS.get(diff_class) or diff_class.value.replace("_", " ")


def _headline(diff: RunDiff) -> str:
    """``accounts: 1 new failure, 0 resolved; trails: 2 new failures, 1 resolved; since
    2026-11-20 09:00 UTC`` (two runs of one day differ); trails alone for a diff without
    accounts."""
    parts = [] if not diff.accounts else [f"accounts: {_moves(_account_counts(diff))}"]
    parts.append(f"trails: {_moves(diff.counts())}")
    return "; ".join(parts) + f"; since {display_time(diff.old.started_at, seconds=False)}"


def _moves(counts: dict[DiffClass, int]) -> str:
    return (
        f"{plural(counts[DiffClass.NEW_FAILURE], 'new failure')}, "
        f"{counts[DiffClass.RESOLVED]} resolved"
    )


def _account_counts(diff: RunDiff) -> dict[DiffClass, int]:
    counts = dict.fromkeys(DiffClass, 0)
    for entry in diff.accounts:
        counts[entry.diff_class] += 1
    return counts


def _account_row(entry: AccountDiffEntry) -> AccountChangeRow:
    return AccountChangeRow(
        diff_class=entry.diff_class,
        label=class_label(entry.diff_class),
        account_id=entry.account_id,
        account_name=entry.name,
        verdict_old=entry.verdict_old.value if entry.verdict_old is not None else None,
        verdict_new=entry.verdict_new.value if entry.verdict_new is not None else None,
        verdict_code_old=entry.verdict_code_old,
        verdict_code_new=entry.verdict_code_new,
        what_changed="; ".join(change.describe() for change in entry.changes)
        or _ACCOUNT_PRESENCE.get(entry.diff_class)
        or ("no verdict in the previous run" if entry.verdict_old is None else NOTHING_CHANGED),
    )


#: What an account row says when no compared field moved: why it is listed.
_ACCOUNT_PRESENCE = {
    DiffClass.REMOVED: "account no longer in the organization",
    DiffClass.NOT_ASSESSED: "not scanned in this run",
}


def _row(entry: DiffEntry, summary: ReportSummary) -> ChangeRow:
    return ChangeRow(
        diff_class=entry.diff_class,
        label=class_label(entry.diff_class),
        trail_name=entry.trail_name,
        trail_arn=entry.trail_arn,
        account_id=entry.account_id,
        account_name=summary.account_name(entry.account_id),
        status_old=entry.status_old.value if entry.status_old is not None else None,
        status_new=entry.status_new.value if entry.status_new is not None else None,
        reason_code_old=entry.reason_code_old,
        reason_code_new=entry.reason_code_new,
        what_changed=entry.describe() or NOTHING_CHANGED,
        excepted=entry.excepted,
        tamper_old=entry.tamper_status_old.value if entry.tamper_status_old else None,
        tamper_new=entry.tamper_status_new.value if entry.tamper_status_new else None,
    )


# --------------------------------------------------------------------------- exceptions


@dataclass(frozen=True)
class ExceptionCounts:
    """How many findings the register excepts, and how many of its marks have expired."""

    excepted: int
    expired: int

    def text(self) -> str:
        """``2 findings excepted, 1 exception expired``, or ``none`` without any mark."""
        if not self.excepted and not self.expired:
            return "none"
        return (
            f"{self.excepted} finding{'' if self.excepted == 1 else 's'} excepted, "
            f"{self.expired} exception{'' if self.expired == 1 else 's'} expired"
        )


def exception_counts(findings: Iterable[Finding]) -> ExceptionCounts:
    """Count the findings by their exception label (a finding keeps its status either way)."""
    labels = [exception_label(finding) for finding in findings]
    return ExceptionCounts(
        excepted=labels.count(ExceptionLabel.EXCEPTED), expired=labels.count(ExceptionLabel.EXPIRED)
    )


def exception_text(finding: Finding) -> str | None:
    """``owner security@example.com, until 2027-03-31: reason`` for a marked finding, else None."""
    mark = finding.exception
    if mark is None:
        return None
    until = ("expired after" if mark.expired else "until") + f" {mark.expires.isoformat()}"
    return f"owner {mark.owner}, {until}: {mark.reason}"
