"""The exit code of a scan (contract section 1): 0 clean, 1 findings, 3 incomplete evidence."""

from __future__ import annotations

from orgscan.config import FailOn
from orgscan.exceptions_register import excepted_for_exit
from orgscan.model import ScanResult, Status

OK = 0
FINDINGS = 1
BAD_INPUT = 2
INCOMPLETE = 3


def scan_exit_code(result: ScanResult, fail_on: FailOn) -> int:
    """1 when a finding or an account verdict is at or above ``fail_on`` (wins over 3); 3 when
    coverage is incomplete or any finding or account verdict is ERROR; else 0. Findings under an
    accepted, unexpired exception do not count towards 1."""
    counted = [f for f in result.findings if not excepted_for_exit(f)]
    if any(fail_on.triggered_by(finding.status) for finding in counted):
        return FINDINGS
    # An account verdict counts like a finding: FAIL (or WARN) for 1, ERROR for 3.
    verdicts = [a.verdict for a in result.accounts if a.verdict is not None]
    if any(fail_on.triggered_by(verdict) for verdict in verdicts):
        return FINDINGS
    if not result.run.complete or any(f.status is Status.ERROR for f in result.findings) \
            or Status.ERROR in verdicts:
        return INCOMPLETE
    return OK
