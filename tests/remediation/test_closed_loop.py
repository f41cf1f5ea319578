"""Closed loop in-process: scan the simulated organization, plan, apply through boto3, rescan;
every call the apply makes is one the remediation policy generated from the plan allows."""

from __future__ import annotations

import dataclasses
import fnmatch
from typing import Any

import pytest

from orgscan.aws.sessions import SessionFactory
from orgscan.model import AccountVerdictCode, ManagementEvents, ReasonCode
from orgscan.remediation import RemediationSettings, Strategy, build_plan
from orgscan.remediation.apply import StepStatus, apply_plan
from orgscan.remediation.iam_policy import iam_action, remediation_policy
from orgscan.remediation.plan_model import EntryKind, Plan, Service
from orgscan.simulate import build_demo_org, demo_mock
from tests.builders import timeless
from tests.remediation.loop import (
    ORG_TRAIL,
    add_cross_account_case,
    assert_fixed_and_nothing_else_changed,
    by_arn,
    fixed_arns,
    scan,
)


def _allows(policy: dict[str, Any], action: str, resource: str) -> bool:
    """The policy's Allow statements grant ``action`` on ``resource`` (wildcards as IAM)."""
    for statement in policy["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        resources = (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
        if (
            statement["Effect"] == "Allow"
            and action in actions
            and any(fnmatch.fnmatchcase(resource, pattern) for pattern in resources)
        ):
            return True
    return False


def _named(plan: Plan) -> set[str]:
    """The buckets (old, and new) and trails of the entries with steps, as ARNs: the trails
    and the old bucket (even a missing one) are read before each change."""
    names = set()
    for entry in plan.entries:
        if entry.steps and entry.kind is EntryKind.RECORDING:
            names |= set(entry.findings)  # a trail's own calls: never its bucket
        elif entry.steps:
            # A bucket outside the organization cannot be read from it: only the trail is.
            if ReasonCode.BUCKET_OUTSIDE_ORGANIZATION not in entry.reason_codes:
                names.add(f"arn:aws:s3:::{entry.bucket_name}")
            names |= {f"arn:aws:s3:::{entry.new_bucket_name}"} if entry.new_bucket_name else set()
            names |= set(entry.findings)
    return names


@pytest.mark.parametrize("strategy", list(Strategy))
def test_scan_plan_apply_rescan(strategy):
    calls: list[tuple[str, str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.service_model.service_name, model.name, dict(params)))

    with demo_mock():
        org = build_demo_org()
        sessions = SessionFactory()
        cross_arn = add_cross_account_case(org, sessions)
        before = scan(org)
        assert by_arn(before)[cross_arn].reason_code is ReasonCode.LOCK_NOT_CONFIGURED
        plan = build_plan(before, RemediationSettings(strategy=strategy))
        # The lock and recording loop: the integrity fixes have their own closed loop
        # (test_integrity_fixes.py), and change findings this loop expects unchanged.
        plan = dataclasses.replace(
            plan, entries=tuple(e for e in plan.entries if e.kind is not EntryKind.INTEGRITY)
        )
        buckets = {
            arn
            for arn, f in by_arn(before).items()
            if f.reason_code not in (ReasonCode.COMPLIANT, ReasonCode.ACCESS_DENIED)
        }
        assert len(buckets) == 6  # the bucket outside the organization included
        # The trails that leave accounts unrecorded: stopped, not every management event,
        # sources excluded, and the single-region organization trail (no trail elsewhere).
        trails = {
            org.trail(name).trail_arn
            for name in ("identity-prod-trail", "orders-prod-trail", "audit-prod-trail", ORG_TRAIL)
        }
        assert fixed_arns(plan) == buckets | trails
        unrecorded = {
            a.account_id
            for a in before.accounts
            if a.verdict_code in (AccountVerdictCode.NOT_RECORDED, AccountVerdictCode.UNPROTECTED)
        }
        assert len(unrecorded) == 13

        policy = remediation_policy(plan)
        resources = {
            r
            for s in policy["Statement"]
            for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
        }
        assert resources == _named(plan)  # only the plan's buckets and trails, never "*"

        recording = SessionFactory(
            configure_session=lambda session: session.register(
                "provide-client-params.*.*",
                record,  # type: ignore[arg-type]  # botocore passes keywords; its stub admits only **kwargs
            )
        )
        first = apply_plan(plan, recording)
        assert first.ok, [o for o in first.outcomes if o.status is not StepStatus.APPLIED]
        after = scan(org)
        assert_fixed_and_nothing_else_changed(before, after, plan)
        verdicts = {a.account_id: a.verdict_code for a in after.accounts}
        assert {verdicts[account] for account in unrecorded} == {AccountVerdictCode.PROTECTED}
        org_trail = by_arn(after)[org.trail(ORG_TRAIL).trail_arn]
        assert (org_trail.is_multi_region, org_trail.global_service_events) == (True, True)
        assert by_arn(after)[org.trail("identity-prod-trail").trail_arn].is_logging is True
        for name in ("orders-prod-trail", "audit-prod-trail"):
            assert by_arn(after)[org.trail(name).trail_arn].management_events is (
                ManagementEvents.ALL
            )

        made = [
            (service, operation, params)
            for service, operation, params in calls
            if service in ("s3", "cloudtrail")
        ]
        assert {operation for _, operation, _ in made} >= {
            "PutObjectLockConfiguration",
            "GetObjectLockConfiguration",
            "UpdateTrail",
            "StartLogging",
            "PutEventSelectors",
            "GetEventSelectors",
            "GetTrailStatus",
        }
        for service, operation, params in made:
            action = iam_action(Service(service), operation)
            resource = (
                f"arn:aws:s3:::{params['Bucket']}"
                if service == "s3"
                else str(params.get("Name", params.get("TrailName")))
            )
            assert _allows(policy, action, resource), (action, resource)

        # A second apply only finds every step done: nothing is written.
        second = apply_plan(plan, SessionFactory())
        assert second.ok
        assert {o.status for o in second.outcomes} == {StepStatus.ALREADY_DONE}
        assert timeless(scan(org).findings) == timeless(after.findings)
