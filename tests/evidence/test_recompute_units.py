"""``verify --recompute`` on a few recorded answers written in the test: the findings they give,
and the difference a changed record makes, without a scan."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from orgscan import __version__
from orgscan.aws.recorder import EVIDENCE_FILE, ResponseRecorder
from orgscan.evidence.evidence_file import load_evidence
from orgscan.evidence.recompute import (
    account_regions,
    recompute,
    recompute_findings,
    recompute_run,
)
from orgscan.findings import FINDINGS_FILE, dumps
from orgscan.model import (
    AccountCoverage,
    AccountState,
    LockMode,
    Policy,
    ReasonCode,
    RunInfo,
    ScanResult,
    Status,
    Versioning,
)
from orgscan.verdicts import with_verdicts

MEMBER = "222222222222"
ARN = f"arn:aws:cloudtrail:us-east-1:{MEMBER}:trail/main"
TRAIL = {
    "Name": "main",
    "TrailARN": ARN,
    "S3BucketName": "logs",
    "HomeRegion": "us-east-1",
    "IsMultiRegionTrail": True,
    "IncludeGlobalServiceEvents": True,
    "IsOrganizationTrail": False,
}


def lock_answer(days: int) -> dict[str, Any]:
    """GetObjectLockConfiguration's answer: COMPLIANCE for ``days``."""
    rule = {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": days}}
    return {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled", "Rule": rule}}


def record(path: Path, *, days: int = 400, denied: bool = False, bucket_read: bool = True) -> Path:
    """The answers one account's scan of one region records, written as the recorder does."""
    recorder = ResponseRecorder()
    recorder.start(path)
    calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        ("DescribeTrails", {}, {"trailList": [TRAIL]}),
        ("ListBuckets", {}, {"Buckets": [{"Name": "logs", "BucketRegion": "us-east-1"}]}),
        ("GetObjectLockConfiguration", {"Bucket": "logs"}, lock_answer(days)),
        ("GetBucketVersioning", {"Bucket": "logs"}, {"Status": "Enabled"}),
        ("GetTrailStatus", {"Name": ARN}, {"IsLogging": True}),
        (
            "GetEventSelectors",
            {"TrailName": ARN},
            {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]},
        ),
    ]
    if not bucket_read:  # the trail is described, its bucket never read
        calls = [call for call in calls if call[0] in ("DescribeTrails", "GetTrailStatus")]
    for operation, request, response in calls:
        if denied and operation == "GetObjectLockConfiguration":
            error = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, operation)
            recorder.record(MEMBER, "us-east-1", operation, request, None, error)
        else:
            recorder.record(MEMBER, "us-east-1", operation, request, response, None)
    finished = recorder.finish()
    assert finished is not None
    return finished


def claimed(evidence_path: Path) -> ScanResult:
    """The result a scan of what ``evidence_path`` records would have written."""
    run = RunInfo(
        started_at="2026-01-02T03:04:05Z",
        finished_at="2026-01-02T03:04:06Z",
        tool_version=__version__,
        caller_arn=f"arn:aws:iam::{MEMBER}:user/auditor",
        organization_id=None,
        policy=Policy(),
        regions=("us-east-1",),
        complete=True,
    )
    coverage = (AccountCoverage(MEMBER, "member", None, AccountState.ACTIVE, True, 1, None),)
    bare = ScanResult(run=run, accounts=coverage)
    evidence = load_evidence(evidence_path)
    findings = recompute_findings(bare, evidence)
    accounts = with_verdicts(coverage, findings, account_regions(bare, evidence))
    return ScanResult(run=run, accounts=tuple(accounts), findings=tuple(findings))


def test_the_recorded_answers_give_the_trail_its_finding(tmp_path: Path) -> None:
    path = record(tmp_path / EVIDENCE_FILE)
    result = claimed(path)

    (finding,) = result.findings
    assert (finding.trail_arn, finding.status, finding.reason_code) == (
        ARN,
        Status.PASS,
        ReasonCode.COMPLIANT,
    )
    assert (finding.bucket_account_id, finding.bucket_region) == (MEMBER, "us-east-1")
    assert (finding.lock_mode, finding.retention_days, finding.versioning) == (
        LockMode.COMPLIANCE,
        400,
        Versioning.ENABLED,
    )
    assert finding.is_logging is True
    (account,) = result.accounts
    assert (account.verdict, account.protected_by) == (Status.PASS, (ARN,))
    assert account_regions(result, load_evidence(path))[MEMBER].scanned == ("us-east-1",)


def test_a_refused_read_gives_an_error_finding(tmp_path: Path) -> None:
    result = claimed(record(tmp_path / EVIDENCE_FILE, denied=True))

    assert [(f.status, f.reason_code) for f in result.findings] == [
        (Status.ERROR, ReasonCode.ACCESS_DENIED)
    ]


def test_a_run_its_evidence_supports_has_no_difference(tmp_path: Path) -> None:
    result = claimed(record(tmp_path / EVIDENCE_FILE))
    (tmp_path / FINDINGS_FILE).write_text(dumps(result), encoding="utf-8")

    assert recompute_run(tmp_path) == []


def test_a_changed_record_names_the_fact_and_the_verdict_it_changes(tmp_path: Path) -> None:
    result = claimed(record(tmp_path / "scan.jsonl.gz", days=400))
    (tmp_path / FINDINGS_FILE).write_text(dumps(result), encoding="utf-8")
    record(tmp_path / EVIDENCE_FILE, denied=True)

    differences = recompute_run(tmp_path)

    assert f"{ARN}: status is 'PASS' in findings.json, the evidence gives 'ERROR'" in differences
    assert f"{ARN}: retention_days is 400 in findings.json, the evidence gives null" in differences
    assert f"account {MEMBER}: verdict is 'PASS' in findings.json, the evidence gives 'ERROR'" in (
        differences
    )


def test_the_reason_is_compared_only_for_a_run_this_version_wrote(tmp_path: Path) -> None:
    result = claimed(record(tmp_path / EVIDENCE_FILE))
    (finding,) = result.findings
    reworded = replace(finding, reason="Locked, in the wording of another version.")
    run = replace(result, findings=(reworded,))
    (tmp_path / FINDINGS_FILE).write_text(dumps(run), encoding="utf-8")

    # Written by this version: the sentence must be the one the evidence gives.
    assert recompute_run(tmp_path) == [
        f"{ARN}: reason is 'Locked, in the wording of another version.' in findings.json, "
        f"the evidence gives {finding.reason!r}"
    ]
    assert recompute(tmp_path).note is None

    # Written by an older version: its wording is not compared, and that is said once.
    older = replace(run, run=replace(run.run, tool_version="0.0.9"))
    (tmp_path / FINDINGS_FILE).write_text(dumps(older), encoding="utf-8")
    outcome = recompute(tmp_path)
    assert outcome.differences == []
    assert outcome.note is not None
    assert "written by orgscan 0.0.9" in outcome.note


def test_an_older_run_is_still_held_to_the_facts(tmp_path: Path) -> None:
    result = claimed(record(tmp_path / EVIDENCE_FILE))
    (finding,) = result.findings
    forged = replace(finding, retention_days=3650, reason="Some other sentence.")
    older = replace(result, findings=(forged,), run=replace(result.run, tool_version="0.0.9"))
    (tmp_path / FINDINGS_FILE).write_text(dumps(older), encoding="utf-8")

    assert recompute_run(tmp_path) == [
        f"{ARN}: retention_days is 3650 in findings.json, the evidence gives 400"
    ]


def test_a_bucket_no_recorded_response_reads_gives_an_error_with_the_trail_fields(
    tmp_path: Path,
) -> None:
    result = claimed(record(tmp_path / EVIDENCE_FILE, bucket_read=False))

    (finding,) = result.findings
    assert (finding.status, finding.reason_code, finding.reason) == (
        Status.ERROR,
        ReasonCode.API_ERROR,
        "no recorded AWS response reads this bucket",
    )
    # The trail's fields are the rule's: set from DescribeTrails as for any finding.
    assert (finding.trail_arn, finding.bucket_name, finding.is_multi_region) == (ARN, "logs", True)
    assert finding.global_service_events is True
    assert (finding.bucket_account_id, finding.object_lock_enabled) == (None, None)
