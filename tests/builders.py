"""Builders shared by every test folder: a valid finding, and scan settings for a simulated
organization, each with sensible defaults and any field overridable."""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from orgscan.config import ScanSettings
from orgscan.model import (
    REASON_STATUS,
    Finding,
    LockMode,
    Policy,
    ReasonCode,
    RunInfo,
    Versioning,
)
from orgscan.weakeners import TargetKind, Weakener

#: The account a finding's trail belongs to unless told otherwise.
ACCOUNT = "222222222222"
#: The bucket fields of a finding whose bucket was not read: ``finding(**NOT_READ)``.
NOT_READ: dict[str, Any] = {
    "object_lock_enabled": None,
    "lock_mode": None,
    "retention_days": None,
    "versioning": None,
}


def trail_arn(name: str, account: str = ACCOUNT, region: str = "us-east-1") -> str:
    """The ARN of trail ``name`` homed in ``region`` of ``account``."""
    return f"arn:aws:cloudtrail:{region}:{account}:trail/{name}"


def finding(**overrides: Any) -> Finding:
    """A valid finding: trail ``trail`` of ``ACCOUNT`` in us-east-1, multi-region (global
    service events included), delivering to ``<trail>-logs`` in the same account, locked
    (COMPLIANCE, 365 days, versioned), PASS.

    Any field can be overridden. Unless given, ``trail_arn`` and ``bucket_name`` follow the
    trail's name, account and region, ``bucket_account_id`` and ``bucket_region`` the trail's,
    ``status`` the reason code and ``reason`` names the reason code.
    """
    name = overrides.get("trail_name", "trail")
    account = overrides.get("account_id", ACCOUNT)
    region = overrides.get("home_region", "us-east-1")
    reason_code = overrides.get("reason_code", ReasonCode.COMPLIANT)
    base = Finding(
        account_id=account,
        trail_name=name,
        trail_arn=trail_arn(name, account, region),
        home_region=region,
        is_organization_trail=False,
        is_multi_region=True,
        bucket_name=f"{name}-logs",
        bucket_account_id=account,
        bucket_region=region,
        object_lock_enabled=True,
        lock_mode=LockMode.COMPLIANCE,
        retention_days=365,
        versioning=Versioning.ENABLED,
        status=REASON_STATUS[reason_code],
        reason_code=reason_code,
        reason=f"{reason_code.value} sentence",
        # A multi-region trail always records global service events; this one delivers.
        global_service_events=True,
        delivering=True,
    )
    return dataclasses.replace(base, **overrides)


def weakener(trail: str, role: str, account: str = ACCOUNT, **overrides: Any) -> Weakener:
    """A ``weakeners[]`` row: role ``role`` of ``account`` may stop trail ``trail`` (an ARN)
    unconditionally, unblocked, through AdministratorAccess; any field can be overridden."""
    base = Weakener(
        trail_arn=trail,
        target=TargetKind.TRAIL,
        target_arn=trail,
        action="cloudtrail:StopLogging",
        principal_arn=f"arn:aws:iam::{account}:role/{role}",
        principal_account_id=account,
        granted_by="arn:aws:iam::aws:policy/AdministratorAccess#0",
        conditional=False,
        blocked_by=None,
        break_glass=False,
        management_account=False,
    )
    return dataclasses.replace(base, **overrides)


class SimulatedOrganization(Protocol):
    """What scan settings need of a simulated organization (``OrgSpec``, ``SimulatedOrg``)."""

    @property
    def regions(self) -> tuple[str, ...]:
        """The regions the organization's accounts have enabled."""
        ...

    @property
    def policy(self) -> Policy:
        """The policy its expected verdicts were judged under."""
        ...


def settings_for(org: SimulatedOrganization, **overrides: Any) -> ScanSettings:
    """Scan settings for ``org``: its regions and policy, 4 workers; ``overrides`` replace any
    setting."""
    return dataclasses.replace(
        ScanSettings(regions=org.regions, policy=org.policy, workers=4), **overrides
    )


def timeless(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """``findings`` without ``latest_delivery_time``: moto answers every logging trail's with
    the second of the call, so two scans differ there and nowhere else."""
    return tuple(dataclasses.replace(f, latest_delivery_time=None) for f in findings)


def run_info(**overrides: Any) -> RunInfo:
    """A complete run of one region by an auditor of account 123456789012, default policy."""
    base = RunInfo(
        "2026-11-27T09:00:00Z",
        "2026-11-27T09:01:00Z",
        "0.1.0",
        "arn:aws:iam::123456789012:user/auditor",
        "o-abcdefghij",
        Policy(),
        ("us-east-1",),
        complete=True,
    )
    return dataclasses.replace(base, **overrides)
