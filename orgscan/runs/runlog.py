"""What an unattended scan leaves in its log: who ran it on what, how long each phase took,
the exceptions register's effect and a final line.

A scheduled job is read from its log. It opens with the caller, the organization and the scope;
``orgscan.scan.progress`` adds a line per account and per bucket read, ``orgscan.aws.calls``
the calls, retries and throttling per service; and the last line says everything a log shipper or an
on-call person needs: counts by status, exceptions, coverage, the exit code and the run folder.
With ``--log-format json`` the same values are in the line's ``summary`` object.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orgscan.exceptions_register import (
    ExceptionRegister,
    apply_exceptions,
    excepted_for_exit,
    unused_entries,
)
from orgscan.model import ScanResult, Status

if TYPE_CHECKING:
    from orgscan.scan.planning import ScanPlan

log = logging.getLogger(__name__)


def log_plan(plan: ScanPlan) -> None:
    """The run's opening lines: the caller, the organization, and what will be scanned."""
    identity, organization, settings = plan.identity, plan.organization, plan.settings
    log.info("caller %s (account %s)", identity.arn, identity.account_id)
    if organization.organization_id is None:
        log.info("no organization: scanning the caller's account only (--no-org)")
    else:
        states = Counter(account.state for account in organization.accounts)
        log.info(
            "organization %s, management account %s: %d accounts discovered (%s)",
            organization.organization_id,
            organization.management_account_id,
            len(organization.accounts),
            ", ".join(f"{count} {state}" for state, count in sorted(states.items())),
        )
    scope = [f"{len(plan.in_scope)} accounts in scope"]
    if settings.accounts:
        scope.append(f"--accounts {len(settings.accounts)}")
    if settings.exclude_accounts:
        scope.append(f"--exclude-accounts {len(settings.exclude_accounts)}")
    if settings.ous:
        scope.append(f"--ou {', '.join(settings.ous)}")
    scope.append(
        "regions " + (", ".join(settings.regions) if settings.regions else "every enabled region")
    )
    scope.append(f"role {settings.role_name}, {settings.workers} workers")
    log.info("scope: %s", "; ".join(scope))


def log_phase(phase: str, began: float) -> None:
    """``phase scanning took 12.3 s``, for a phase that began at ``time.monotonic()`` began."""
    log.info("phase %s took %.1f s", phase, time.monotonic() - began)


def scan_date(result: ScanResult) -> date:
    """The UTC day the scan started: the day exceptions are judged against."""
    return date.fromisoformat(result.run.started_at[:10])


def apply_register(result: ScanResult, register: ExceptionRegister) -> ScanResult:
    """``result`` with the register's marks, logging expired and unused entries."""
    if not register.entries:
        return result
    marked = apply_exceptions(result, register, scan_date(result))
    for finding in marked.findings:
        mark = finding.exception
        if mark is not None and mark.expired and finding.status is not Status.PASS:
            log.warning(
                "exception for %s (owner %s) expired on %s: it no longer applies",
                finding.trail_arn,
                mark.owner,
                mark.expires.isoformat(),
            )
    for entry in unused_entries(register, marked):
        log.warning(
            "exception for %s in %s matched no trail of this scan",
            entry.trail_arn or f"bucket {entry.bucket_name}",
            register.source,
        )
    return marked


def summary_fields(result: ScanResult, run_dir: Path, exit_code: int) -> dict[str, Any]:
    """The values of the final log line."""
    counts = Counter(finding.status.value for finding in result.findings)
    return {
        "trails": len(result.findings),
        **{status.value: counts.get(status.value, 0) for status in Status},
        "excepted": sum(1 for finding in result.findings if excepted_for_exit(finding)),
        "accounts_scanned": sum(1 for account in result.accounts if account.scanned),
        "accounts": len(result.accounts),
        "complete": result.run.complete,
        "errors": len(result.errors),
        "exit_code": exit_code,
        "run_folder": run_dir.name,
    }


def log_summary(
    result: ScanResult, run_dir: Path, exit_code: int, *, interrupted: bool = False
) -> None:
    """Log the final line of a run (``scan finished: ...``, or ``scan interrupted: ...``):
    INFO for exit 0, else WARNING."""
    fields = summary_fields(result, run_dir, exit_code)
    fields["interrupted"] = interrupted
    counts = " ".join(f"{status.value} {fields[status.value]}" for status in Status)
    coverage = "complete" if fields["complete"] else f"INCOMPLETE ({fields['errors']} errors)"
    # A run that needs attention says so at WARNING, so it is kept with --log-level WARNING.
    level = logging.INFO if exit_code == 0 else logging.WARNING
    log.log(
        level,
        "scan %s: %d trails (%s; %d excepted), %d of %d accounts scanned, "
        "coverage %s, exit code %d, run folder %s",
        "interrupted" if interrupted else "finished",
        fields["trails"],
        counts,
        fields["excepted"],
        fields["accounts_scanned"],
        fields["accounts"],
        coverage,
        exit_code,
        fields["run_folder"],
        extra={"summary": fields},
    )
