"""Builders for hand-made scan results and run folders (no AWS involved)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from orgscan import findings
from orgscan.model import (
    REASON_STATUS,
    AccountCoverage,
    Finding,
    LockMode,
    Policy,
    ReasonCode,
    RunInfo,
    ScanError,
    ScanResult,
    Versioning,
)
from orgscan.runs.folder import MANIFEST_FILE

MGMT = "111111111111"
MEMBER = "222222222222"


def trail_arn(name: str, account: str = MEMBER, region: str = "us-east-1") -> str:
    """The ARN of a trail called ``name``."""
    return f"arn:aws:cloudtrail:{region}:{account}:trail/{name}"


def finding(
    name: str,
    reason_code: ReasonCode = ReasonCode.COMPLIANT,
    *,
    account: str = MEMBER,
    **overrides: Any,
) -> Finding:
    """A finding for trail ``name``; a compliant, locked bucket unless told otherwise."""
    base = Finding(
        account_id=account,
        trail_name=name,
        trail_arn=trail_arn(name, account),
        home_region="us-east-1",
        is_organization_trail=False,
        is_multi_region=True,
        bucket_name=f"{name}-logs",
        bucket_account_id=account,
        bucket_region="us-east-1",
        object_lock_enabled=True,
        lock_mode=LockMode.COMPLIANCE,
        retention_days=365,
        versioning=Versioning.ENABLED,
        status=REASON_STATUS[reason_code],
        reason_code=reason_code,
        reason=f"{reason_code.value} sentence",
    )
    return dataclasses.replace(base, **overrides)


def result(
    *found: Finding,
    started_at: str = "2026-11-20T09:00:00Z",
    accounts: tuple[AccountCoverage, ...] | None = None,
    errors: tuple[ScanError, ...] = (),
) -> ScanResult:
    """A scan result holding ``found``; both accounts scanned unless told otherwise."""
    if accounts is None:
        accounts = tuple(
            AccountCoverage(
                account_id=acct,
                name=acct,
                ou_path="/Root",
                state="ACTIVE",
                scanned=True,
                regions_scanned=2,
                error_code=None,
            )
            for acct in (MGMT, MEMBER)
        )
    run = RunInfo(
        started_at=started_at,
        finished_at=started_at,
        tool_version="0.1.0",
        caller_arn=f"arn:aws:iam::{MGMT}:user/auditor",
        organization_id="o-abc123",
        policy=Policy(),
        regions=("us-east-1", "eu-west-1"),
        complete=True,
    )
    return ScanResult(run=run, accounts=accounts, findings=found, errors=errors)


def write_run(output_dir: Path, name: str, scan: ScanResult, *, finished: bool = True) -> Path:
    """A run folder ``output_dir/name`` holding ``scan`` as findings.json; with ``finished``, a
    ``manifest.json`` too (written last by a run, it makes the folder complete)."""
    run_dir = output_dir / name
    run_dir.mkdir(parents=True)
    (run_dir / findings.FINDINGS_FILE).write_text(findings.dumps(scan), encoding="utf-8")
    if finished:
        (run_dir / MANIFEST_FILE).write_text("{}\n", encoding="utf-8")
    return run_dir
