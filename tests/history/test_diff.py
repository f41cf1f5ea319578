"""Diff classes, field changes and diff.json, on hand-built scan results."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from orgscan.diff import (
    DIFF_FILE,
    ContractClass,
    DiffClass,
    DiffEntry,
    DiffFileError,
    FieldChange,
    Presence,
    RunDiff,
    diff_from_dict,
    diff_results,
    diff_to_dict,
    dumps_diff,
    load_diff,
    write_diff,
)
from orgscan.model import (
    AccountCoverage,
    AccountVerdictCode,
    ErrorStage,
    ExceptionMark,
    Finding,
    LockMode,
    ReasonCode,
    ScanError,
    Status,
    Versioning,
)

from .builders import MEMBER, finding, result, trail_arn

NEW_DAY = "2026-11-27T09:00:00Z"


def only_entry(
    old_findings: tuple[Finding, ...],
    new_findings: tuple[Finding, ...],
    accounts: tuple[AccountCoverage, ...] | None = None,
    errors: tuple[ScanError, ...] = (),
) -> DiffEntry:
    diff = diff_results(
        result(*old_findings),
        result(*new_findings, started_at=NEW_DAY, accounts=accounts, errors=errors),
    )
    assert len(diff.entries) == 1
    return diff.entries[0]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (ReasonCode.COMPLIANT, ReasonCode.LOCK_NOT_CONFIGURED, DiffClass.NEW_FAILURE),
        (ReasonCode.COMPLIANT, ReasonCode.NO_DEFAULT_RETENTION, DiffClass.NEW_FAILURE),
        (ReasonCode.NO_DEFAULT_RETENTION, ReasonCode.LOCK_NOT_CONFIGURED, DiffClass.NEW_FAILURE),
        (ReasonCode.ACCESS_DENIED, ReasonCode.BUCKET_MISSING, DiffClass.NEW_FAILURE),
        (ReasonCode.LOCK_NOT_CONFIGURED, ReasonCode.COMPLIANT, DiffClass.RESOLVED),
        (ReasonCode.NO_DEFAULT_RETENTION, ReasonCode.COMPLIANT, DiffClass.RESOLVED),
        (ReasonCode.LOCK_NOT_CONFIGURED, ReasonCode.NO_DEFAULT_RETENTION, DiffClass.STILL_FAILING),
        (ReasonCode.BUCKET_MISSING, ReasonCode.LOCK_NOT_CONFIGURED, DiffClass.STILL_FAILING),
        (ReasonCode.LOCK_NOT_CONFIGURED, ReasonCode.ACCESS_DENIED, DiffClass.CHANGED),
        (ReasonCode.COMPLIANT, ReasonCode.API_ERROR, DiffClass.CHANGED),
        (ReasonCode.ACCESS_DENIED, ReasonCode.COMPLIANT, DiffClass.CHANGED),
    ],
)
def test_status_transitions(old: ReasonCode, new: ReasonCode, expected: DiffClass) -> None:
    entry = only_entry((finding("t", old),), (finding("t", new),))
    assert entry.diff_class is expected
    assert entry.presence is Presence.BOTH
    assert (entry.status_old, entry.status_new) == (
        finding("t", old).status,
        finding("t", new).status,
    )
    assert (entry.reason_code_old, entry.reason_code_new) == (old.value, new.value)
    assert FieldChange("reason_code", old.value, new.value) in entry.changes


def test_identical_trails_are_unchanged_even_when_failing_unchanged_for_the_contract() -> None:
    passing = only_entry((finding("t"),), (finding("t"),))
    assert passing.diff_class is DiffClass.UNCHANGED
    assert passing.changes == ()
    assert passing.contract_class is ContractClass.UNCHANGED
    failing = only_entry(
        (finding("t", ReasonCode.LOCK_NOT_CONFIGURED),),
        (finding("t", ReasonCode.LOCK_NOT_CONFIGURED),),
    )
    assert failing.diff_class is DiffClass.STILL_FAILING
    assert failing.changes == ()
    assert failing.contract_class is ContractClass.UNCHANGED


def test_retention_shortened_is_changed_with_old_and_new_value() -> None:
    entry = only_entry((finding("t"),), (finding("t", retention_days=30),))
    assert entry.diff_class is DiffClass.CHANGED
    assert entry.contract_class is ContractClass.CHANGED
    assert entry.changes == (FieldChange("retention_days", 365, 30),)
    assert entry.describe() == "retention_days 365 → 30 (shortened)"
    longer = only_entry((finding("t"),), (finding("t", retention_days=3650),))
    assert longer.describe() == "retention_days 365 → 3650 (lengthened)"


def test_retention_shortened_below_policy_is_a_new_failure_listing_the_facts() -> None:
    entry = only_entry(
        (finding("t"),), (finding("t", ReasonCode.RETENTION_TOO_SHORT, retention_days=30),)
    )
    assert entry.diff_class is DiffClass.NEW_FAILURE
    assert entry.contract_class is ContractClass.NEW
    assert [c.field for c in entry.changes] == ["status", "reason_code", "retention_days", "reason"]
    assert "retention_days 365 → 30 (shortened)" in entry.describe()


def test_mode_bucket_and_versioning_changes_are_listed_in_order() -> None:
    entry = only_entry(
        (finding("t"),),
        (
            finding(
                "t",
                lock_mode=LockMode.GOVERNANCE,
                bucket_name="new-logs",
                versioning=Versioning.SUSPENDED,
            ),
        ),
    )
    assert entry.diff_class is DiffClass.CHANGED
    assert entry.changes == (
        FieldChange("bucket_name", "t-logs", "new-logs"),
        FieldChange("lock_mode", "COMPLIANCE", "GOVERNANCE"),
        FieldChange("versioning", "Enabled", "Suspended"),
    )
    assert entry.describe() == (
        "bucket_name t-logs → new-logs; lock_mode COMPLIANCE → "
        "GOVERNANCE; versioning Enabled → Suspended"
    )


def test_still_failing_with_changed_facts_is_changed_for_the_contract() -> None:
    entry = only_entry(
        (finding("t", ReasonCode.LOCK_NOT_CONFIGURED, object_lock_enabled=False),),
        (
            finding(
                "t",
                ReasonCode.LOCK_NOT_CONFIGURED,
                object_lock_enabled=False,
                bucket_name="other-logs",
            ),
        ),
    )
    assert entry.diff_class is DiffClass.STILL_FAILING
    assert entry.contract_class is ContractClass.CHANGED
    assert entry.changes == (FieldChange("bucket_name", "t-logs", "other-logs"),)


def test_reason_text_and_exception_changes_count() -> None:
    entry = only_entry((finding("t"),), (finding("t", reason="worded differently"),))
    assert entry.changes == (FieldChange("reason", "COMPLIANT sentence", "worded differently"),)
    assert entry.diff_class is DiffClass.CHANGED
    mark = ExceptionMark(owner="sec", reason="r", expires=date(2027, 1, 31), expired=False)
    marked = only_entry((finding("t"),), (finding("t", exception=mark),))
    assert marked.changes == (FieldChange("exception", None, "sec until 2027-01-31"),)


def test_added_trails() -> None:
    failing = only_entry((), (finding("t", ReasonCode.LOCK_NOT_CONFIGURED),))
    assert (failing.diff_class, failing.presence) == (DiffClass.NEW_FAILURE, Presence.ADDED)
    assert (failing.status_old, failing.status_new) == (None, Status.FAIL)
    assert failing.describe() == "trail added"
    passing = only_entry((), (finding("t"),))
    assert (passing.diff_class, passing.presence) == (DiffClass.CHANGED, Presence.ADDED)
    assert passing.contract_class is ContractClass.CHANGED


def test_removed_trails() -> None:
    # Its account and region were scanned and it is gone: a risk to show, never "resolved".
    failing = only_entry((finding("t", ReasonCode.LOCK_NOT_CONFIGURED),), ())
    assert (failing.diff_class, failing.presence) == (DiffClass.REMOVED, Presence.REMOVED)
    assert (failing.status_old, failing.status_new) == (Status.FAIL, None)
    assert failing.reason_new is None
    assert failing.describe() == "trail removed"
    assert failing.contract_class is ContractClass.CHANGED
    passing = only_entry((finding("t"),), ())
    assert (passing.diff_class, passing.presence) == (DiffClass.REMOVED, Presence.REMOVED)


@pytest.mark.parametrize(
    ("state", "error_code"),
    [
        ("ACTIVE", "AccessDenied"),  # its role could not be assumed
        ("SUSPENDED", None),  # closed: never scanned
        ("ACTIVE", None),  # out of scope (--accounts, --ou, --exclude-accounts)
    ],
)
def test_failing_trail_missing_because_its_account_was_not_scanned_is_not_assessed(
    state: str, error_code: str | None
) -> None:
    unscanned = (
        AccountCoverage(
            account_id=MEMBER,
            name="m",
            ou_path="/Root",
            state=state,
            scanned=False,
            regions_scanned=0,
            error_code=error_code,
        ),
    )
    entry = only_entry((finding("t", ReasonCode.LOCK_NOT_CONFIGURED),), (), accounts=unscanned)
    assert (entry.diff_class, entry.presence) == (DiffClass.NOT_ASSESSED, Presence.NOT_SEEN)
    assert entry.contract_class is ContractClass.CHANGED
    assert entry.describe().startswith("not seen")


def test_single_region_trail_of_a_region_not_scanned_is_not_assessed() -> None:
    local = finding(
        "t", ReasonCode.LOCK_NOT_CONFIGURED, is_multi_region=False, home_region="ap-south-1"
    )
    entry = only_entry((local,), ())
    assert (entry.diff_class, entry.presence) == (DiffClass.NOT_ASSESSED, Presence.NOT_SEEN)


def test_failing_trail_missing_because_its_home_region_failed_is_not_assessed() -> None:
    error = ScanError(
        account_id=MEMBER,
        region="us-east-1",
        stage=ErrorStage.TRAILS,
        error_code="Throttling",
        message="rate exceeded",
    )
    entry = only_entry((finding("t", ReasonCode.LOCK_NOT_CONFIGURED),), (), errors=(error,))
    assert (entry.diff_class, entry.presence) == (DiffClass.NOT_ASSESSED, Presence.NOT_SEEN)
    # An error in another region, or at the bucket stage, does not hide the trail.
    for other in (
        ScanError(MEMBER, "eu-west-1", ErrorStage.TRAILS, "Throttling", "x"),
        ScanError(MEMBER, "us-east-1", ErrorStage.BUCKET, "AccessDenied", "x"),
    ):
        gone = only_entry((finding("t", ReasonCode.LOCK_NOT_CONFIGURED),), (), errors=(other,))
        assert (gone.diff_class, gone.presence) == (DiffClass.REMOVED, Presence.REMOVED)


def test_every_trail_of_both_runs_has_one_entry_sorted_by_class() -> None:
    old = result(
        finding("keep"),
        finding("fixme", ReasonCode.LOCK_NOT_CONFIGURED),
        finding("gone"),
        finding("broke"),
    )
    new = result(
        finding("keep"),
        finding("fixme"),
        finding("broke", ReasonCode.BUCKET_MISSING),
        finding("fresh", ReasonCode.NO_DEFAULT_RETENTION),
        started_at=NEW_DAY,
    )
    diff = diff_results(old, new, old_folder="20261120T090000Z", new_folder="20261127T090000Z")
    assert [(e.trail_name, e.diff_class) for e in diff.entries] == [
        ("broke", DiffClass.NEW_FAILURE),
        ("fresh", DiffClass.NEW_FAILURE),
        ("fixme", DiffClass.RESOLVED),
        ("keep", DiffClass.UNCHANGED),
        ("gone", DiffClass.REMOVED),
    ]
    assert diff.counts() == {
        DiffClass.NEW_FAILURE: 2,
        DiffClass.RESOLVED: 1,
        DiffClass.STILL_FAILING: 0,
        DiffClass.CHANGED: 0,
        DiffClass.UNCHANGED: 1,
        DiffClass.NOT_ASSESSED: 0,
        DiffClass.REMOVED: 1,
    }
    assert diff.headline() == "2 new failures, 1 resolved since 2026-11-20"
    assert {e.trail_arn for e in diff.entries} == {
        trail_arn(n) for n in ("keep", "fixme", "gone", "broke", "fresh")
    }


def sample_diff() -> RunDiff:
    mark = ExceptionMark(owner="sec", reason="r", expires=date(2027, 1, 31), expired=False)
    old = result(finding("a"), finding("b", ReasonCode.LOCK_NOT_CONFIGURED), finding("c"))
    new = result(
        finding("a", retention_days=1, object_lock_enabled=True),
        finding("d", ReasonCode.BUCKET_MISSING, bucket_region=None, exception=mark),
        finding("c"),
        started_at=NEW_DAY,
    )
    return diff_results(old, new, old_folder="20261120T090000Z", new_folder="20261127T090000Z")


def test_diff_json_round_trip(tmp_path: Path) -> None:
    diff = sample_diff()
    path = write_diff(tmp_path, diff)
    assert path == tmp_path / DIFF_FILE
    assert load_diff(tmp_path) == diff
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["schema_version"] == 3
    assert document["old"] == {"folder": "20261120T090000Z", "started_at": "2026-11-20T09:00:00Z"}
    assert document["counts"] == {
        "new_failure": 1,
        "resolved": 0,
        "still_failing": 0,
        "changed": 1,
        "unchanged": 1,
        "not_assessed": 0,
        "removed": 1,
    }
    added = document["trails"][0]
    assert added["trail_name"] == "d"
    assert added["class"] == "new_failure"
    assert added["contract_class"] == "new"
    assert added["presence"] == "added"
    assert (added["status_old"], added["status_new"]) == (None, "FAIL")
    assert added["excepted"] is True
    changed = next(t for t in document["trails"] if t["trail_name"] == "a")
    assert changed["changes"] == [{"field": "retention_days", "old": 365, "new": 1}]
    assert [p.name for p in tmp_path.iterdir()] == [DIFF_FILE]  # no temp file left


def test_load_diff_without_a_file_is_none_and_a_broken_one_is_an_input_error(
    tmp_path: Path,
) -> None:
    assert load_diff(tmp_path) is None
    (tmp_path / DIFF_FILE).write_text('{"schema_version": 1}', encoding="utf-8")
    with pytest.raises(DiffFileError, match=r"diff\.json \(missing key 'old'\)"):
        load_diff(tmp_path)
    document = json.loads(write_diff(tmp_path, sample_diff()).read_text(encoding="utf-8"))
    document["trails"][0]["class"] = "worse"
    (tmp_path / DIFF_FILE).write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(DiffFileError, match="'worse' is not a valid DiffClass"):
        load_diff(tmp_path)
    (tmp_path / DIFF_FILE).write_text("[1, 2", encoding="utf-8")
    with pytest.raises(DiffFileError, match=r"not valid JSON \(Expecting"):
        load_diff(tmp_path)


def _account(
    verdict: Status | None,
    code: AccountVerdictCode | None,
    *,
    scanned: bool = True,
    state: str = "ACTIVE",
) -> AccountCoverage:
    return AccountCoverage(
        MEMBER,
        "m",
        "/Root",
        state,
        scanned,
        2 if scanned else 0,
        None,
        verdict=verdict,
        verdict_code=code,
    )


V = AccountVerdictCode


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            _account(Status.PASS, V.PROTECTED),
            _account(Status.FAIL, V.NOT_RECORDED),
            DiffClass.NEW_FAILURE,
        ),
        (
            _account(Status.FAIL, V.NOT_RECORDED),
            _account(Status.PASS, V.PROTECTED),
            DiffClass.RESOLVED,
        ),
        (
            _account(Status.FAIL, V.NOT_RECORDED),
            _account(Status.FAIL, V.UNPROTECTED),
            DiffClass.STILL_FAILING,
        ),
        (
            _account(Status.PASS, V.PROTECTED),
            _account(Status.PASS, V.PROTECTED),
            DiffClass.UNCHANGED,
        ),
        (_account(Status.PASS, V.PROTECTED), _account(Status.ERROR, V.UNKNOWN), DiffClass.CHANGED),
        # Closed (or out of scope) now: not assessed, never resolved.
        (
            _account(Status.FAIL, V.NOT_RECORDED),
            _account(None, None, scanned=False, state="SUSPENDED"),
            DiffClass.NOT_ASSESSED,
        ),
        (_account(Status.FAIL, V.NOT_RECORDED), None, DiffClass.REMOVED),
        (None, _account(Status.FAIL, V.UNPROTECTED), DiffClass.NEW_FAILURE),
    ],
)
def test_account_verdicts_are_diffed(
    old: AccountCoverage | None, new: AccountCoverage | None, expected: DiffClass
) -> None:
    diff = diff_results(
        result(accounts=(old,) if old else ()),
        result(accounts=(new,) if new else (), started_at=NEW_DAY),
    )
    (entry,) = diff.accounts
    assert (entry.account_id, entry.diff_class) == (MEMBER, expected)
    assert diff_from_dict(json.loads(dumps_diff(diff))).accounts == diff.accounts


def test_a_diff_json_of_schema_1_still_reads() -> None:
    document = diff_to_dict(sample_diff())
    document["schema_version"] = 1
    del document["accounts"]
    assert diff_from_dict(document).accounts == ()
