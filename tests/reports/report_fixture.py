"""A small, realistic scan result for the report tests, built by hand.

Several accounts (one not scanned, one suspended), every status and reason code, errors rows,
a bucket that two trails deliver to, and hostile names: a formula and a script tag.
``build_history`` adds a previous run and exceptions register marks, for the diff and
exception parts of the reports.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from orgscan.diff import RunDiff, diff_results
from orgscan.model import (
    AccountCoverage,
    ErrorStage,
    ExceptionMark,
    Finding,
    LockMode,
    ManagementEvents,
    Policy,
    ReasonCode,
    RequiredMode,
    RunInfo,
    ScanError,
    ScanResult,
    Status,
    Versioning,
)
from tests import builders

FORMULA_NAME = '=HYPERLINK("http://x","y")'
SCRIPT_NAME = "<script>alert(1)</script>"

MGMT, ARCHIVE, PROD, DEV, LEGACY, CLOSED = (
    "111111111111",
    "222222222222",
    "333333333333",
    "444444444444",
    "555555555555",
    "666666666666",
)


def _finding(
    account: str,
    trail: str,
    bucket: str,
    reason_code: ReasonCode,
    *,
    region: str = "us-east-1",
    org: bool = False,
    multi: bool = True,
    bucket_account: str | None = None,
    lock: bool | None = True,
    mode: LockMode | None = LockMode.COMPLIANCE,
    days: int | None = 365,
    versioning: Versioning | None = Versioning.ENABLED,
    status: Status | None = None,
    reason: str = "",
) -> Finding:
    overrides: dict[str, Any] = {} if status is None else {"status": status}
    return builders.finding(
        account_id=account,
        trail_name=trail,
        home_region=region,
        is_organization_trail=org,
        is_multi_region=multi,
        bucket_name=bucket,
        bucket_account_id=bucket_account,
        bucket_region=region if bucket_account else None,
        object_lock_enabled=lock,
        lock_mode=mode,
        retention_days=days,
        versioning=versioning,
        reason_code=reason_code,
        reason=reason or f"{reason_code.value.replace('_', ' ').lower()}.",
        **overrides,
    )


def build_result() -> ScanResult:
    """The fixture result: 9 findings, 6 accounts, 3 errors, incomplete coverage."""
    run = RunInfo(
        started_at="2026-11-27T09:00:00Z",
        finished_at="2026-11-27T09:01:30Z",
        tool_version="0.1.0",
        caller_arn=f"arn:aws:sts::{MGMT}:assumed-role/Audit/alice",
        organization_id="o-abc123def4",
        policy=Policy(require_mode=RequiredMode.COMPLIANCE, min_retention_days=365),
        regions=("us-east-1", "eu-west-1", "ap-south-2"),
        complete=False,
    )
    accounts = (
        AccountCoverage(MGMT, "Management", "/Root", "ACTIVE", True, 3, None),
        AccountCoverage(ARCHIVE, "Log Archive", "/Root/Security", "ACTIVE", True, 2, None),
        AccountCoverage(PROD, FORMULA_NAME, "/Root/Workloads/Prod", "ACTIVE", True, 3, None),
        AccountCoverage(DEV, SCRIPT_NAME, "/Root/Workloads/Dev", "ACTIVE", True, 3, None),
        AccountCoverage(LEGACY, "Legacy", "/Root/Workloads", "ACTIVE", False, 0, "AccessDenied"),
        AccountCoverage(CLOSED, "Closed", "/Root/Suspended", "SUSPENDED", False, 0, None),
    )
    c = ReasonCode
    findings = (
        _finding(
            MGMT,
            "org-trail",
            "org-cloudtrail-logs",
            c.COMPLIANT,
            org=True,
            bucket_account=ARCHIVE,
            reason="Object Lock COMPLIANCE, 365 days.",
        ),
        _finding(
            MGMT,
            "mgmt-trail",
            "mgmt-trail-logs",
            c.LOCK_NOT_CONFIGURED,
            bucket_account=MGMT,
            lock=False,
            mode=None,
            days=None,
            versioning=Versioning.OFF,
            reason="Object Lock is not configured.",
        ),
        _finding(
            ARCHIVE,
            "archive-trail",
            "archive-noretention",
            c.NO_DEFAULT_RETENTION,
            bucket_account=ARCHIVE,
            mode=None,
            days=None,
        ),
        _finding(
            ARCHIVE,
            "archive-eu",
            "archive-eu-logs",
            c.API_ERROR,
            region="eu-west-1",
            multi=False,
            bucket_account=ARCHIVE,
            lock=None,
            mode=None,
            days=None,
            versioning=None,
            reason="SlowDown: reduce your request rate.",
        ),
        _finding(
            PROD,
            "prod-trail",
            "prod-governance",
            c.MODE_NOT_ALLOWED,
            bucket_account=PROD,
            mode=LockMode.GOVERNANCE,
            days=400,
        ),
        _finding(
            PROD,
            FORMULA_NAME,
            "prod-short-retention",
            c.RETENTION_TOO_SHORT,
            bucket_account=PROD,
            days=30,
        ),
        _finding(
            PROD,
            "prod-to-archive",
            "org-cloudtrail-logs",
            c.COMPLIANT,
            region="eu-west-1",
            bucket_account=ARCHIVE,
        ),
        _finding(
            DEV,
            SCRIPT_NAME,
            "dev-deleted-bucket",
            c.BUCKET_MISSING,
            lock=None,
            mode=None,
            days=None,
            versioning=None,
            reason="NoSuchBucket.",
        ),
        _finding(
            DEV,
            "dev-audit",
            "partner-bucket",
            c.ACCESS_DENIED,
            lock=None,
            mode=None,
            days=None,
            versioning=None,
            reason="AccessDenied from every account.",
        ),
    )
    errors = (
        ScanError(
            LEGACY,
            None,
            ErrorStage.ASSUME_ROLE,
            "AccessDenied",
            f"not authorized to perform sts:AssumeRole on {LEGACY}",
        ),
        ScanError(
            ARCHIVE,
            "ap-south-2",
            ErrorStage.REGIONS,
            "OptInRequired",
            "ap-south-2 is not enabled for this account",
        ),
        ScanError(
            DEV,
            "us-east-1",
            ErrorStage.BUCKET,
            "AccessDenied",
            f"partner-bucket: Access Denied {SCRIPT_NAME}",
        ),
    )
    return ScanResult(run=run, accounts=accounts, findings=findings, errors=errors)


PREVIOUS_FOLDER, CURRENT_FOLDER = "20261120T090000Z", "20261127T090000Z"
EXCEPTED = ExceptionMark(
    owner="secops@example.com",
    reason="bucket moves in Q1 (CHG-1234)",
    expires=date(2027, 3, 31),
    expired=False,
)
EXPIRED = ExceptionMark(
    owner="=cmd|' /C calc'!A0",
    reason="waiting for the vendor",
    expires=date(2026, 10, 31),
    expired=True,
)


def build_history() -> tuple[ScanResult, ScanResult, RunDiff]:
    """A previous run, the current one (``build_result`` with two exception marks) and the diff.

    Against the previous run: prod-trail is a new failure (was PASS), retired-trail is removed
    (gone from a scanned account: never resolved), the formula-named trail's retention went
    60 → 30 days and mgmt-trail gained an exception (still failing, changed), prod-to-archive's
    versioning changed (changed), the bucket-missing and no-retention trails are still failing
    with nothing changed, and the two ERROR trails and the org trail are unchanged.
    """
    current = build_result()
    findings = list(current.findings)
    findings[1] = replace(findings[1], exception=EXCEPTED)  # mgmt-trail, FAIL
    findings[5] = replace(findings[5], exception=EXPIRED)  # the formula-named trail, FAIL
    current = replace(current, findings=tuple(findings))

    old = list(build_result().findings)
    old[4] = replace(
        old[4],
        status=Status.PASS,
        reason_code=ReasonCode.COMPLIANT,
        lock_mode=LockMode.COMPLIANCE,
        reason="Object Lock COMPLIANCE, 400 days.",
    )
    old[5] = replace(old[5], retention_days=60)
    old[6] = replace(old[6], versioning=Versioning.SUSPENDED)
    old.append(
        _finding(
            MGMT,
            "retired-trail",
            "retired-logs",
            ReasonCode.LOCK_NOT_CONFIGURED,
            bucket_account=MGMT,
            lock=False,
            mode=None,
            days=None,
        )
    )
    previous = replace(
        build_result(),
        findings=tuple(old),
        run=replace(
            current.run, started_at="2026-11-20T09:00:00Z", finished_at="2026-11-20T09:01:10Z"
        ),
    )
    diff = diff_results(previous, current, old_folder=PREVIOUS_FOLDER, new_folder=CURRENT_FOLDER)
    return previous, current, diff


def build_judged() -> ScanResult:
    """``build_result`` as a judging scan records it (see ``judged``)."""
    return judged(build_result())


def judged(result: ScanResult) -> ScanResult:
    """``result`` (the fixture's) with trail health on every finding and a verdict on every
    scanned account, as a judging scan records them.

    The organization trail was stopped, the archive's EU trail stopped logging after a
    delivery error, the bucket-missing trail records read-only events and dev-audit no
    management events. So: Management FAIL/UNPROTECTED (its own trail's bucket is unlocked),
    the script-named dev account FAIL/NOT_RECORDED, Log Archive ERROR/UNKNOWN (ap-south-2 could
    not be scanned), the formula-named prod account PASS through prod-to-archive.
    """
    from .verdict_builder import with_verdicts

    findings = []
    for finding in result.findings:
        finding = replace(finding, is_logging=True, management_events=ManagementEvents.ALL)
        if finding.trail_name == "org-trail":
            finding = replace(finding, is_logging=False)
        if finding.trail_name == "dev-audit":
            finding = replace(finding, management_events=ManagementEvents.NONE)
        if finding.trail_name == "archive-eu":
            finding = replace(finding, is_logging=False, latest_delivery_error="AccessDenied")
        if finding.reason_code is ReasonCode.BUCKET_MISSING:
            finding = replace(
                finding,
                management_events=ManagementEvents.READ_ONLY,
                latest_delivery_error="NoSuchBucket",
            )
        findings.append(finding)
    return with_verdicts(replace(result, findings=tuple(findings)))
