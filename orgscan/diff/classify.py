"""Classifying every trail and account verdict of two results (pure); the classes are described
in ``orgscan.diff``'s docstring."""

from __future__ import annotations

from collections.abc import Sequence

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
from orgscan.diff.weakeners import diff_weakeners
from orgscan.exceptions_register import excepted_for_exit
from orgscan.model import AccountCoverage, ErrorStage, Finding, ScanResult, Status

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
        weakeners=diff_weakeners(old.weakeners, new.weakeners, entries, new.findings),
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
    diff_class = _classify(status_old, status_new, presence, changes)
    return DiffEntry(
        trail_arn=either.trail_arn,
        account_id=either.account_id,
        trail_name=either.trail_name,
        diff_class=diff_class,
        presence=presence,
        status_old=status_old,
        status_new=status_new,
        reason_code_old=old.reason_code.value if old is not None else None,
        reason_code_new=new.reason_code.value if new is not None else None,
        reason_old=old.reason if old is not None else None,
        reason_new=new.reason if new is not None else None,
        changes=changes,
        excepted=new is not None and excepted_for_exit(new),
        tamper_status_old=old.tamper_status if old is not None else None,
        tamper_status_new=new.tamper_status if new is not None else None,
        tamper_class=_tamper_class(old, new, presence, diff_class),
    )


def _tamper_class(
    old: Finding | None, new: Finding | None, presence: Presence, trail_class: DiffClass
) -> DiffClass:
    """The class of a finding's ``tamper_status``, classified like its status; a run that did
    not assess it (null) makes it ``not_assessed``, never resolved or new."""
    if trail_class in (DiffClass.NOT_ASSESSED, DiffClass.REMOVED):
        return trail_class  # the trail itself is unseen or gone
    if new is None or new.tamper_status is None:
        return DiffClass.NOT_ASSESSED
    if old is not None and old.tamper_status is None:
        return DiffClass.NOT_ASSESSED
    before = old.tamper_status if old is not None else None
    moved = (
        ()
        if before is new.tamper_status
        else (FieldChange("tamper_status", before and before.value, new.tamper_status.value),)
    )
    return _classify(before, new.tamper_status, presence, moved)


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
