"""The tamper-path step of a run: from a scan's findings to ``weakeners`` and statuses.

Shared by the scan (clients from the ``SessionFactory``) and ``verify --recompute`` (clients
that answer from the recorded evidence), so both derive the same rows from the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from botocore.exceptions import BotoCoreError, ClientError

from orgscan.model import LockMode, ScanResult, Status
from orgscan.tamper.collect import Clients, TamperResult, TrailSubject, assess
from orgscan.tamper.evaluate import Organization


def subjects(result: ScanResult) -> list[TrailSubject]:
    """One subject per finding: the trail, its bucket's owner and lock mode, its KMS key."""
    return [
        TrailSubject(
            trail_arn=finding.trail_arn,
            account_id=finding.account_id,
            home_region=finding.home_region,
            bucket_name=finding.bucket_name,
            bucket_account_id=finding.bucket_account_id,
            bucket_region=finding.bucket_region,
            governance=finding.lock_mode is LockMode.GOVERNANCE,
            kms_key_arn=finding.kms_key_arn,
        )
        for finding in result.findings
    ]


def assess_run(
    result: ScanResult,
    clients: Clients,
    region: str,
    management_account_id: str | None,
    caller_account_id: str,
    break_glass: Sequence[str],
) -> TamperResult:
    """Read and evaluate the tamper paths of every trail of ``result``; the caller's account
    reads the organization's policies."""
    management = _management(clients, caller_account_id, region, result, management_account_id)
    organization = Organization(management, result.run.organization_id)
    return assess(subjects(result), clients, region, organization, caller_account_id, break_glass)


def _management(
    clients: Clients, caller: str, region: str, result: ScanResult, known: str | None
) -> str | None:
    """The management account as Organizations names it to the caller, read here so that the
    evidence holds the answer ``verify --recompute`` needs (SCPs and RCPs never bind that
    account); ``known`` (the plan's) when it cannot be read."""
    if result.run.organization_id is None:
        return known
    try:
        answer = clients.client(caller, "organizations", region).describe_organization()
        found = answer["Organization"]["MasterAccountId"]
    except (ClientError, BotoCoreError, KeyError, TypeError):
        return known
    return found if isinstance(found, str) else known


def with_tamper(result: ScanResult, tamper: TamperResult) -> ScanResult:
    """``result`` with its ``weakeners`` and every finding's ``tamper_status``/``reason``."""
    findings = tuple(
        replace(finding, tamper_status=status, tamper_reason=reason)
        for finding in result.findings
        for status, reason in [tamper.statuses.get(finding.trail_arn, (Status.ERROR, _NOT_READ))]
    )
    run = replace(result.run, break_glass_principals=tamper.break_glass)
    return replace(result, run=run, findings=findings, weakeners=tamper.weakeners)


_NOT_READ = "Tamper paths were not assessed for this trail."
