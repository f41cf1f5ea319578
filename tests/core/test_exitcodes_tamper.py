"""Tamper statuses count for the exit code only with ``enforce_tamper_paths`` (contract 5.3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from orgscan.cli.exitcodes import ExitCode, scan_exit_code
from orgscan.config import FailOn
from orgscan.model import ExceptionMark, ReasonCode, ScanResult, Status
from tests.core.test_exitcodes import result

OK, FINDINGS, INCOMPLETE = ExitCode.OK, ExitCode.FINDINGS, ExitCode.INCOMPLETE


def tampered(*statuses: Status | None, code: ReasonCode = ReasonCode.COMPLIANT) -> ScanResult:
    """Passing findings whose tamper statuses are ``statuses``."""
    base = result(*[code] * len(statuses))
    findings = tuple(
        replace(finding, trail_arn=f"{finding.trail_arn}-{i}", tamper_status=status)
        for i, (finding, status) in enumerate(zip(base.findings, statuses, strict=True))
    )
    return replace(base, findings=findings)


@pytest.mark.parametrize(
    ("statuses", "fail_on", "enforced", "reported"),
    [
        ((Status.FAIL,), FailOn.FAIL, FINDINGS, OK),
        ((Status.WARN,), FailOn.FAIL, OK, OK),
        ((Status.WARN,), FailOn.WARN, FINDINGS, OK),
        ((Status.ERROR,), FailOn.FAIL, INCOMPLETE, OK),
        ((Status.ERROR, Status.FAIL), FailOn.FAIL, FINDINGS, OK),  # 1 wins over 3
        ((Status.FAIL,), FailOn.NEVER, OK, OK),
        ((Status.PASS, None), FailOn.WARN, OK, OK),  # None: not assessed, nothing to count
    ],
)
def test_tamper_statuses_count_only_when_enforced(
    statuses: tuple[Status | None, ...], fail_on: FailOn, enforced: int, reported: int
) -> None:
    run = tampered(*statuses)
    assert scan_exit_code(run, fail_on, enforce_tamper_paths=True) == enforced
    assert scan_exit_code(run, fail_on) == reported


def test_an_exception_does_not_excuse_a_tamper_fail() -> None:
    """Accepted principals are break-glass patterns; an exception accepts the bucket's gap."""
    run = tampered(Status.FAIL, code=ReasonCode.LOCK_NOT_CONFIGURED)
    mark = ExceptionMark(owner="ops", reason="migrating", expires=date(2099, 1, 1), expired=False)
    run = replace(run, findings=tuple(replace(f, exception=mark) for f in run.findings))
    assert scan_exit_code(run, FailOn.FAIL) == OK  # the FAIL finding is excused
    assert scan_exit_code(run, FailOn.FAIL, enforce_tamper_paths=True) == FINDINGS
