"""The whole closed loop of the integrity checks on the demo organization: scan it as
`orgscan demo` does (its policy requires log file validation; its failing delivery and denied
region answered as AWS would), apply the plan, scan again: every integrity FAIL is a PASS."""

from __future__ import annotations

from orgscan.aws.sessions import SessionFactory
from orgscan.model import IntegrityCode, ScanResult, Status
from orgscan.remediation import RemediationSettings, build_plan
from orgscan.remediation.apply import StepStatus, apply_plan
from orgscan.simulate import SimulatedOrg, build_demo_org, demo_mock
from orgscan.simulate.denials import simulated_answers
from tests.remediation.loop import scan


def _sessions(org: SimulatedOrg) -> SessionFactory:
    return SessionFactory(max_pool_connections=8, configure_session=simulated_answers(org))


def _by_status(result: ScanResult, status: Status) -> set[tuple[str, IntegrityCode]]:
    return {
        (finding.trail_name, check.check)
        for finding in result.findings
        for check in finding.integrity
        if check.status is status
    }


def test_applying_the_demo_plan_turns_every_integrity_fail_to_pass():
    with demo_mock():
        org = build_demo_org()
        before = scan(org, _sessions(org))
        failing = _by_status(before, Status.FAIL)
        # Each check fails in the demo at least once, so each fix is in this loop.
        assert {check for _, check in failing} == {
            IntegrityCode.DELIVERY,
            IntegrityCode.LOG_FILE_VALIDATION,
            IntegrityCode.KMS_KEY,
            IntegrityCode.LIFECYCLE,
            IntegrityCode.PUBLIC_ACCESS,
        }
        plan = build_plan(before, RemediationSettings())
        applied = apply_plan(plan, _sessions(org))
        assert applied.ok, [o for o in applied.outcomes if o.status is StepStatus.FAILED]
        after = scan(org, _sessions(org))
    assert _by_status(after, Status.FAIL) == set()
    passing = _by_status(after, Status.PASS)
    assert failing <= passing, failing - passing
