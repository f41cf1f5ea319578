"""The exit code of a scan (contract section 1): 0 clean, 1 findings, 3 incomplete evidence;
130 interrupted."""

from __future__ import annotations

from orgscan.config import FailOn
from orgscan.exceptions_register import excepted_for_exit
from orgscan.model import ScanResult, Status

OK = 0
FINDINGS = 1
BAD_INPUT = 2
INCOMPLETE = 3
# Ctrl-C or SIGTERM: the run folder holds what was gathered, marked incomplete. 128 + SIGINT,
# what shells report for a job stopped by Ctrl-C, so a scheduler tells it from a finished run.
INTERRUPTED = 130


def scan_exit_code(result: ScanResult, fail_on: FailOn) -> int:
    """1 when a finding is at or above ``fail_on`` (wins over 3); 3 when coverage is incomplete
    or any finding is ERROR; else 0. Findings under an accepted, unexpired exception do not
    count towards 1."""
    counted = [f for f in result.findings if not excepted_for_exit(f)]
    if any(fail_on.triggered_by(finding.status) for finding in counted):
        return FINDINGS
    if not result.run.complete or any(f.status is Status.ERROR for f in result.findings):
        return INCOMPLETE
    return OK
