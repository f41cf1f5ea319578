"""Hand-made scan results for remediation tests: accounts, findings and a run, no AWS."""

from __future__ import annotations

import dataclasses
from typing import Any

from orgscan.model import (
    AccountCoverage,
    AccountGap,
    AccountVerdictCode,
    Finding,
    GapWhy,
    LockMode,
    Policy,
    ReasonCode,
    RunInfo,
    ScanResult,
    Versioning,
)
from tests import builders as shared

MGMT = "111111111111"
LOG_ARCHIVE = "222222222222"
WORKLOAD = "333333333333"
ORG_ID = "o-abc123defg"

#: What the bucket looks like for each reason code (lock, mode, days, versioning, known region).
_BUCKET_STATE: dict[ReasonCode, dict[str, Any]] = {
    ReasonCode.COMPLIANT: {
        "object_lock_enabled": True,
        "lock_mode": LockMode.GOVERNANCE,
        "retention_days": 365,
        "versioning": Versioning.ENABLED,
    },
    ReasonCode.LOCK_NOT_CONFIGURED: {
        "object_lock_enabled": False,
        "lock_mode": None,
        "retention_days": None,
        "versioning": Versioning.OFF,
    },
    ReasonCode.NO_DEFAULT_RETENTION: {
        "object_lock_enabled": True,
        "lock_mode": None,
        "retention_days": None,
        "versioning": Versioning.ENABLED,
    },
    ReasonCode.MODE_NOT_ALLOWED: {
        "object_lock_enabled": True,
        "lock_mode": LockMode.GOVERNANCE,
        "retention_days": 30,
        "versioning": Versioning.ENABLED,
    },
    ReasonCode.RETENTION_TOO_SHORT: {
        "object_lock_enabled": True,
        "lock_mode": LockMode.GOVERNANCE,
        "retention_days": 7,
        "versioning": Versioning.ENABLED,
    },
    ReasonCode.BUCKET_MISSING: {
        "object_lock_enabled": None,
        "lock_mode": None,
        "retention_days": None,
        "versioning": None,
        "bucket_account_id": None,
        "bucket_region": None,
    },
    ReasonCode.ACCESS_DENIED: {
        "object_lock_enabled": None,
        "lock_mode": None,
        "retention_days": None,
        "versioning": None,
        "bucket_account_id": None,
    },
    ReasonCode.API_ERROR: {
        "object_lock_enabled": None,
        "lock_mode": None,
        "retention_days": None,
        "versioning": None,
    },
}


def trail_arn(name: str, account: str = WORKLOAD, region: str = "us-east-1") -> str:
    """The ARN of trail ``name`` homed in ``region`` of ``account``."""
    return shared.trail_arn(name, account, region)


def finding(
    name: str,
    reason_code: ReasonCode,
    *,
    account: str = WORKLOAD,
    region: str = "us-east-1",
    **overrides: Any,
) -> Finding:
    """A finding of trail ``name`` whose bucket (``<name>-logs``, same account) is in the state
    that ``reason_code`` describes; ``overrides`` replace any field."""
    fields: dict[str, Any] = {
        "account_id": account,
        "trail_name": name,
        "home_region": region,
        "is_multi_region": False,
        "reason_code": reason_code,
        "reason": f"{reason_code.value}: test sentence",
    }
    base = shared.finding(**(fields | _BUCKET_STATE[reason_code]))
    return dataclasses.replace(base, **overrides)


def scan_result(
    *found: Finding, policy: Policy | None = None, names: dict[str, str | None] | None = None
) -> ScanResult:
    """A complete scan result holding ``found``."""
    names = names or {MGMT: "management", LOG_ARCHIVE: "log-archive", WORKLOAD: "workload"}
    accounts = tuple(
        AccountCoverage(
            account_id=account_id,
            name=name,
            ou_path="/Root",
            state="ACTIVE",
            scanned=True,
            regions_scanned=2,
            error_code=None,
        )
        for account_id, name in sorted(names.items())
    )
    run = RunInfo(
        started_at="2026-11-27T09:00:00Z",
        finished_at="2026-11-27T09:01:00Z",
        tool_version="0.1.0",
        caller_arn=f"arn:aws:iam::{MGMT}:user/auditor",
        organization_id=ORG_ID,
        policy=policy or Policy(),
        regions=("us-east-1", "eu-west-1"),
        complete=True,
    )
    return ScanResult(run=run, accounts=accounts, findings=found)


def with_gaps(result: ScanResult, gaps: dict[str, tuple[AccountGap, ...]]) -> ScanResult:
    """``result`` with NOT_RECORDED verdicts and ``gaps`` for the accounts named."""
    accounts = tuple(
        dataclasses.replace(
            a,
            verdict_code=AccountVerdictCode.NOT_RECORDED if a.account_id in gaps else None,
            gaps=gaps.get(a.account_id, ()),
        )
        for a in result.accounts
    )
    return dataclasses.replace(result, accounts=accounts)


def gap(region: str, why: GapWhy) -> AccountGap:
    """A NOT_RECORDED gap in ``region`` for ``why``."""
    return AccountGap(region, AccountVerdictCode.NOT_RECORDED, why)
