"""Exit codes of a scan: 0 clean, 1 findings at or above --fail-on (wins over 3), 3 incomplete."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from orgscan.cli.exitcodes import ExitCode, scan_exit_code
from orgscan.config import FailOn
from orgscan.model import (
    AccountCoverage,
    AccountVerdictCode,
    ExceptionMark,
    Finding,
    IntegrityCheck,
    IntegrityCode,
    ReasonCode,
    ScanResult,
    Status,
)
from tests import builders

RUN = builders.run_info()


def finding(code: ReasonCode) -> Finding:
    return builders.finding(
        account_id="123456789012",
        trail_name=code.value,
        is_multi_region=False,
        bucket_name="bucket",
        bucket_account_id=None,
        bucket_region=None,
        reason_code=code,
        reason="because",
        **builders.NOT_READ,
    )


def result(*codes: ReasonCode, complete: bool = True) -> ScanResult:
    return ScanResult(
        run=replace(RUN, complete=complete), findings=tuple(finding(code) for code in codes)
    )


OK, FINDINGS, INCOMPLETE = 0, 1, 3
C = ReasonCode


@pytest.mark.parametrize(
    ("codes", "complete", "fail_on", "expected"),
    [
        ((), True, FailOn.FAIL, OK),
        ((C.COMPLIANT,), True, FailOn.FAIL, OK),
        ((C.COMPLIANT, C.NO_DEFAULT_RETENTION), True, FailOn.FAIL, OK),
        ((C.COMPLIANT, C.LOCK_NOT_CONFIGURED), True, FailOn.FAIL, FINDINGS),
        ((C.BUCKET_MISSING,), True, FailOn.FAIL, FINDINGS),
        ((C.RETENTION_TOO_SHORT,), True, FailOn.FAIL, FINDINGS),
        ((C.MODE_NOT_ALLOWED,), True, FailOn.FAIL, FINDINGS),
        # 1 wins over 3: over an ERROR finding and over incomplete coverage.
        ((C.LOCK_NOT_CONFIGURED, C.ACCESS_DENIED), True, FailOn.FAIL, FINDINGS),
        ((C.LOCK_NOT_CONFIGURED,), False, FailOn.FAIL, FINDINGS),
        # 3: evidence is missing and nothing triggered 1.
        ((C.COMPLIANT, C.ACCESS_DENIED), True, FailOn.FAIL, INCOMPLETE),
        ((C.API_ERROR,), True, FailOn.FAIL, INCOMPLETE),
        ((C.COMPLIANT,), False, FailOn.FAIL, INCOMPLETE),
        ((), False, FailOn.FAIL, INCOMPLETE),
        ((C.NO_DEFAULT_RETENTION, C.ACCESS_DENIED), True, FailOn.FAIL, INCOMPLETE),
        # --fail-on WARN: WARN and FAIL trigger 1; ERROR still is not a failure.
        ((C.NO_DEFAULT_RETENTION,), True, FailOn.WARN, FINDINGS),
        ((C.LOCK_NOT_CONFIGURED,), True, FailOn.WARN, FINDINGS),
        ((C.NO_DEFAULT_RETENTION,), False, FailOn.WARN, FINDINGS),
        ((C.COMPLIANT, C.ACCESS_DENIED), True, FailOn.WARN, INCOMPLETE),
        ((C.COMPLIANT,), True, FailOn.WARN, OK),
        # --fail-on never: only incomplete evidence changes the code.
        ((C.LOCK_NOT_CONFIGURED, C.NO_DEFAULT_RETENTION), True, FailOn.NEVER, OK),
        ((C.LOCK_NOT_CONFIGURED,), False, FailOn.NEVER, INCOMPLETE),
        ((C.LOCK_NOT_CONFIGURED, C.API_ERROR), True, FailOn.NEVER, INCOMPLETE),
    ],
)
def test_exit_code(
    codes: tuple[ReasonCode, ...], complete: bool, fail_on: FailOn, expected: int
) -> None:
    assert scan_exit_code(result(*codes, complete=complete), fail_on) == expected


def _with_account(verdict: Status | None, *codes: ReasonCode) -> ScanResult:
    account = AccountCoverage(
        "222222222222",
        "app",
        "/Root",
        "ACTIVE",
        verdict is not None,
        1,
        None,
        verdict=verdict,
        verdict_code=_VERDICT_CODE.get(verdict),
    )
    return replace(result(*codes), accounts=(account,))


_VERDICT_CODE: dict[Status | None, AccountVerdictCode] = {
    Status.PASS: AccountVerdictCode.PROTECTED,
    Status.WARN: AccountVerdictCode.UNPROTECTED,
    Status.FAIL: AccountVerdictCode.NOT_RECORDED,
    Status.ERROR: AccountVerdictCode.UNKNOWN,
}


@pytest.mark.parametrize(
    ("verdict", "codes", "fail_on", "expected"),
    [
        (Status.FAIL, (C.COMPLIANT,), FailOn.FAIL, FINDINGS),  # all buckets pass, an account fails
        (Status.FAIL, (C.COMPLIANT, C.ACCESS_DENIED), FailOn.FAIL, FINDINGS),  # 1 wins over 3
        (Status.WARN, (C.COMPLIANT,), FailOn.FAIL, OK),
        (Status.WARN, (C.COMPLIANT,), FailOn.WARN, FINDINGS),
        (Status.ERROR, (C.COMPLIANT,), FailOn.FAIL, INCOMPLETE),
        (Status.FAIL, (C.COMPLIANT,), FailOn.NEVER, OK),
        (Status.PASS, (C.COMPLIANT,), FailOn.WARN, OK),
        (None, (C.COMPLIANT,), FailOn.WARN, OK),  # not scanned: no verdict, coverage decides
    ],
)
def test_account_verdicts_count_like_findings(
    verdict: Status | None, codes: tuple[ReasonCode, ...], fail_on: FailOn, expected: int
) -> None:
    assert scan_exit_code(_with_account(verdict, *codes), fail_on) == expected


def _with_check(status: Status, code: ReasonCode = ReasonCode.COMPLIANT) -> Finding:
    check = IntegrityCheck(IntegrityCode.PUBLIC_ACCESS, status, f"{status.value} sentence")
    return replace(finding(code), integrity=(check,))


@pytest.mark.parametrize(
    ("check", "fail_on", "expected"),
    [
        (Status.PASS, FailOn.FAIL, ExitCode.OK),
        (Status.FAIL, FailOn.FAIL, ExitCode.FINDINGS),  # a PASS finding, its integrity FAIL
        (Status.FAIL, FailOn.NEVER, ExitCode.OK),
        (Status.WARN, FailOn.FAIL, ExitCode.OK),
        (Status.WARN, FailOn.WARN, ExitCode.FINDINGS),
        (Status.ERROR, FailOn.FAIL, ExitCode.INCOMPLETE),
        (Status.ERROR, FailOn.NEVER, ExitCode.INCOMPLETE),
    ],
)
def test_integrity_counts_beside_the_findings_status(
    check: Status, fail_on: FailOn, expected: ExitCode
) -> None:
    result = ScanResult(run=RUN, findings=(_with_check(check),))
    assert result.findings[0].status is Status.PASS  # the lock rule's status is untouched
    assert scan_exit_code(result, fail_on) == expected


def test_an_integrity_fail_wins_over_an_integrity_error() -> None:
    result = ScanResult(run=RUN, findings=(_with_check(Status.ERROR), _with_check(Status.FAIL)))
    assert scan_exit_code(result, FailOn.FAIL) == ExitCode.FINDINGS


def test_an_accepted_exception_covers_integrity_but_never_an_error() -> None:
    mark = ExceptionMark("owner", "accepted", date(2099, 1, 1), expired=False)
    excepted = replace(_with_check(Status.FAIL, ReasonCode.LOCK_NOT_CONFIGURED), exception=mark)
    assert scan_exit_code(ScanResult(run=RUN, findings=(excepted,)), FailOn.FAIL) == ExitCode.OK
    expired = replace(excepted, exception=replace(mark, expired=True))
    assert scan_exit_code(ScanResult(run=RUN, findings=(expired,)), FailOn.FAIL) == 1
    unknown = replace(_with_check(Status.ERROR), exception=mark)
    assert scan_exit_code(ScanResult(run=RUN, findings=(unknown,)), FailOn.FAIL) == 3
