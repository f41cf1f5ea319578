"""The tamper-path step of a run: from a scan's findings to ``weakeners`` and statuses.

Shared by the scan (clients from the ``SessionFactory``) and ``verify --recompute`` (clients
that answer from the recorded evidence), so both derive the same rows from the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor, Future
from dataclasses import replace

from botocore.exceptions import BotoCoreError, ClientError

from orgscan.model import LockMode, ScanResult, Status
from orgscan.tamper.collect import Clients, Pending, TamperResult, TrailSubject, start
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


def start_run(
    result: ScanResult,
    clients: Clients,
    region: str,
    management_account_id: str | None,
    caller_account_id: str,
    break_glass: Sequence[str],
    executor: Executor | None = None,
) -> Pending:
    """Start reading the tamper paths of every trail of ``result`` on ``executor`` and return
    at once (the run counts the log files before the lock meanwhile, on the same executor);
    ``result()`` of what it returns evaluates them. The caller's account reads the
    organization's policies. Without ``executor``, one read after the other in this thread."""

    def organization() -> Organization:
        management = _management(clients, caller_account_id, region, result, management_account_id)
        return Organization(management, result.run.organization_id)

    found: Future[Organization] = (
        executor.submit(organization) if executor is not None else _done(organization())
    )
    return start(
        subjects(result),
        clients,
        region,
        found,
        caller_account_id,
        break_glass,
        executor,
        management_hint=management_account_id,
    )


def _done(organization: Organization) -> Future[Organization]:
    future: Future[Organization] = Future()
    future.set_result(organization)
    return future


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
