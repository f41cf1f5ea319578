"""Builders for hand-made scan results and run folders (no AWS involved)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from orgscan import findings
from orgscan.model import (
    AccountCoverage,
    Finding,
    Policy,
    ReasonCode,
    RunInfo,
    ScanError,
    ScanResult,
)
from orgscan.runs.folder import MANIFEST_FILE
from tests import builders as shared

MGMT = "111111111111"
MEMBER = "222222222222"


def trail_arn(name: str, account: str = MEMBER, region: str = "us-east-1") -> str:
    """The ARN of a trail called ``name``."""
    return shared.trail_arn(name, account, region)


def finding(
    name: str,
    reason_code: ReasonCode = ReasonCode.COMPLIANT,
    *,
    account: str = MEMBER,
    **overrides: Any,
) -> Finding:
    """A finding for trail ``name``; a compliant, locked bucket unless told otherwise."""
    # Overrides replace fields of the built finding: the ARN and bucket keep following ``name``.
    base = shared.finding(trail_name=name, account_id=account, reason_code=reason_code)
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
