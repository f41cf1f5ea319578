"""orgscan's exit codes (contract section 1), and the exit code of a scan."""

from __future__ import annotations

from enum import IntEnum

from orgscan.config import FailOn
from orgscan.exceptions_register import excepted_for_exit
from orgscan.model import ScanResult, Status


class ExitCode(IntEnum):
    """What every orgscan command's exit status means."""

    OK = 0
    FINDINGS = 1  # findings at or above --fail-on; a plan with steps; a failed apply
    BAD_INPUT = 2  # flags, config, ids, run folders: nothing was written
    INCOMPLETE = 3  # the evidence is incomplete, or AWS could not be reached
    WRITE_FAILED = 4  # the evidence could not be written (disk full, read-only, interrupted)


def scan_exit_code(
    result: ScanResult, fail_on: FailOn, *, enforce_tamper_paths: bool = False
) -> ExitCode:
    """1 when a finding or an account verdict is at or above ``fail_on`` (wins over 3); 3 when
    coverage is incomplete or any finding or account verdict is ERROR; else 0. Findings under an
    accepted, unexpired exception do not count towards 1. With ``enforce_tamper_paths`` each
    finding's ``tamper_status`` counts the same way (contract 5.3)."""
    counted = [f for f in result.findings if not excepted_for_exit(f)]
    if any(fail_on.triggered_by(finding.status) for finding in counted):
        return ExitCode.FINDINGS
    # Not excused by an exception: that accepts the bucket's gap, and accepted tamper paths
    # are named as break_glass_principals, where the rows still show them.
    tamper = _tamper_statuses(result) if enforce_tamper_paths else []
    if any(fail_on.triggered_by(status) for status in tamper):
        return ExitCode.FINDINGS
    # An accepted exception covers the trail, its integrity included; ERROR is never excused.
    judged = [f for f in result.findings if f.exception is None or f.exception.expired]
    if any(fail_on.triggered_by(check.status) for f in judged for check in f.integrity):
        return ExitCode.FINDINGS
    # An account verdict counts like a finding: FAIL (or WARN) for 1, ERROR for 3.
    verdicts = [a.verdict for a in result.accounts if a.verdict is not None]
    if any(fail_on.triggered_by(verdict) for verdict in verdicts):
        return ExitCode.FINDINGS
    if (
        not result.run.complete
        or any(f.status is Status.ERROR for f in result.findings)
        or any(check.status is Status.ERROR for f in result.findings for check in f.integrity)
        or Status.ERROR in verdicts
        or Status.ERROR in tamper
    ):
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def _tamper_statuses(result: ScanResult) -> list[Status]:
    """The tamper statuses of the findings that were assessed."""
    return [f.tamper_status for f in result.findings if f.tamper_status is not None]
