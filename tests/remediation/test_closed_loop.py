"""Closed loop in-process: scan the simulated organization, plan, apply through boto3, rescan."""

from __future__ import annotations

import pytest

from orgscan.aws.sessions import SessionFactory
from orgscan.model import ReasonCode
from orgscan.remediation import RemediationSettings, Strategy, build_plan
from orgscan.remediation.apply import StepStatus, apply_plan
from orgscan.simulate import build_demo_org, demo_mock
from tests.remediation.loop import (
    add_cross_account_case,
    assert_fixed_and_nothing_else_changed,
    by_arn,
    fixed_arns,
    scan,
)


@pytest.mark.parametrize("strategy", list(Strategy))
def test_scan_plan_apply_rescan(strategy):
    with demo_mock():
        org = build_demo_org()
        sessions = SessionFactory()
        cross_arn = add_cross_account_case(org, sessions)
        before = scan(org)
        assert by_arn(before)[cross_arn].reason_code is ReasonCode.LOCK_NOT_CONFIGURED
        plan = build_plan(before, RemediationSettings(strategy=strategy))
        expected = {arn for arn, f in by_arn(before).items()
                    if f.reason_code not in (ReasonCode.COMPLIANT, ReasonCode.ACCESS_DENIED,
                                             ReasonCode.BUCKET_OUTSIDE_ORGANIZATION)}
        assert fixed_arns(plan) == expected
        assert len(expected) == 5

        first = apply_plan(plan, sessions)
        assert first.ok, [o for o in first.outcomes if o.status is not StepStatus.APPLIED]
        after = scan(org)
        assert_fixed_and_nothing_else_changed(before, after, plan)

        # A second apply only finds every step done; rewriting a bucket policy is its only write.
        second = apply_plan(plan, SessionFactory())
        assert second.ok
        assert {o.operation for o in second.outcomes
                if o.status is StepStatus.APPLIED} <= {"PutBucketPolicy"}
        assert by_arn(scan(org)) == by_arn(after)
