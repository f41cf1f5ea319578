"""The integrity fixes that edit a bucket's own policy (contract 5.2): CloudTrail's grant for a
DELIVERY failure with AccessDenied, and the public grants taken out for a PUBLIC_ACCESS FAIL;
planned from findings.json alone, edited from the live policy when applied, every other
statement kept."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from orgscan.aws.sessions import SessionFactory
from orgscan.config import build_settings
from orgscan.model import Finding, IntegrityCheck, IntegrityCode, ReasonCode, ScanResult, Status
from orgscan.remediation import RemediationSettings, build_plan
from orgscan.remediation.apply import ApplyResult, StepStatus, apply_plan
from orgscan.remediation.client_calls import StepFailed, check_holds
from orgscan.remediation.iam_policy import remediation_policy
from orgscan.remediation.plan_model import EntryKind, Plan, PlanEntry
from orgscan.remediation.planfile import dumps, loads
from orgscan.remediation.safety import plan_differences, unsafe_steps
from orgscan.remediation.scripts import render_script
from orgscan.scan import scan_organization
from orgscan.simulate import SimulatedOrg, build_demo_org, demo_mock
from orgscan.simulate.denials import simulated_answers
from tests.remediation.builders import WORKLOAD, finding, scan_result
from tests.remediation.samples import FakeAws, assert_shell_clean

BILLING, PAYMENTS = "billing-prod-trail", "payments-prod-trail"


def _with(found: Finding, *checks: tuple[IntegrityCode, Status], **fields: Any) -> Finding:
    integrity = tuple(IntegrityCheck(c, s, "test sentence") for c, s in checks)
    return dataclasses.replace(found, integrity=integrity, **fields)


def _entry(plan: Plan, check: IntegrityCode, bucket: str | None = None) -> PlanEntry:
    (entry,) = [
        e
        for e in plan.entries
        if e.kind is EntryKind.INTEGRITY and e.check is check and bucket in (None, e.bucket_name)
    ]
    return entry


def _denied(name: str, error: str = "AccessDenied", **fields: Any) -> Finding:
    return _with(
        finding(name, ReasonCode.COMPLIANT),
        (IntegrityCode.DELIVERY, Status.FAIL),
        latest_delivery_error=error,
        delivering=False,
        **fields,
    )


def test_access_denied_gets_cloudtrails_statements_for_every_trail_into_the_bucket(tmp_path):
    failing = _denied("billing")
    # Another trail of the run delivers into the same bucket: the merge by Sid keeps it.
    sharing = dataclasses.replace(
        finding("audit", ReasonCode.COMPLIANT), bucket_name=failing.bucket_name
    )
    result = scan_result(failing, sharing)
    plan = build_plan(result, RemediationSettings())
    entry = _entry(plan, IntegrityCode.DELIVERY)
    assert (entry.findings, entry.acting_account_id, entry.region) == (
        (failing.trail_arn,),
        WORKLOAD,
        "us-east-1",
    )
    (step,) = entry.steps
    assert (step.account_id, step.operation) == (WORKLOAD, "PutBucketPolicy")
    assert step.parameters["ExpectedBucketOwner"] == WORKLOAD
    arns = sorted([failing.trail_arn, sharing.trail_arn])
    assert json.loads(step.parameters["Policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OrgscanCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": "arn:aws:s3:::billing-logs",
                "Condition": {"StringEquals": {"aws:SourceArn": arns}},
            },
            {
                "Sid": "OrgscanCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": [
                    f"arn:aws:s3:::billing-logs/AWSLogs/{WORKLOAD}/*",
                    f"arn:aws:s3:::billing-logs/*/AWSLogs/{WORKLOAD}/*",
                ],
                "Condition": {
                    "StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        "aws:SourceArn": arns,
                    }
                },
            },
        ],
    }
    assert "CloudTrail reports AccessDenied" in entry.explanation
    assert (
        f"Before: aws s3api get-bucket-policy --bucket billing-logs --expected-bucket-owner "
        f"{WORKLOAD}; after: the same statements and these two" in entry.explanation
    )
    assert unsafe_steps(plan, result) == []
    assert loads(dumps(plan)) == plan
    script = render_script(plan, WORKLOAD)
    assert "aws s3api put-bucket-policy --bucket billing-logs --policy" in script
    # It writes only into a bucket without a policy, and says how to merge otherwise.
    assert "the bucket already has a bucket policy that orgscan did not write" in script
    assert (
        "aws s3api get-bucket-policy --bucket billing-logs --expected-bucket-owner "
        f"{WORKLOAD} --region us-east-1 --query"
    ) in script
    (tmp_path / "w.sh").write_text(script)
    assert_shell_clean(tmp_path / "w.sh")


def test_other_delivery_errors_stay_advice():
    kms = _denied("encrypted", error="KMS.DisabledException")
    plan = build_plan(scan_result(kms), RemediationSettings())
    assert not [e for e in plan.entries if e.check is IntegrityCode.DELIVERY]


def test_a_public_bucket_policy_loses_its_public_grants_then_blocks(tmp_path):
    trail = _with(
        finding("open", ReasonCode.COMPLIANT, public_access_blocked=False),
        (IntegrityCode.PUBLIC_ACCESS, Status.FAIL),
    )
    result = scan_result(trail)
    plan = build_plan(result, RemediationSettings())
    entry = _entry(plan, IntegrityCode.PUBLIC_ACCESS)
    grants, block = entry.steps
    assert (grants.account_id, grants.operation, dict(grants.parameters)) == (
        WORKLOAD,
        "PutBucketPolicy",
        {"Bucket": "open-logs", "ExpectedBucketOwner": WORKLOAD},
    )
    assert grants.check is not None
    assert (grants.check.operation, grants.check.condition) == (
        "GetBucketPolicyStatus",
        "!PolicyStatus.IsPublic",
    )
    assert block.operation == "PutPublicAccessBlock"
    assert 'allow everyone (Principal "*" or AWS "*") without a condition' in entry.explanation
    assert "A policy left with no statement is deleted" in entry.explanation
    assert unsafe_steps(plan, result) == []
    assert loads(dumps(plan)) == plan
    script = render_script(plan, WORKLOAD)
    assert (
        "aws s3api get-bucket-policy-status --bucket open-logs --expected-bucket-owner "
        f"{WORKLOAD} --region us-east-1 --query '!PolicyStatus.IsPublic'"
    ) in script
    # The script never writes the edited policy: it stops and says how.
    assert "put-bucket-policy" not in script
    assert "a script cannot edit its JSON" in script
    assert "aws s3api put-public-access-block --bucket open-logs" in script
    (tmp_path / "w.sh").write_text(script)
    assert_shell_clean(tmp_path / "w.sh")
    actions = {
        action
        for s in remediation_policy(plan)["Statement"]
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {"s3:GetBucketPolicyStatus", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"} <= actions


@pytest.mark.parametrize(
    ("check", "parameters"),
    [
        (IntegrityCode.PUBLIC_ACCESS, {"Bucket": "elsewhere", "ExpectedBucketOwner": WORKLOAD}),
        (IntegrityCode.DELIVERY, {"Policy": '{"Statement":[{"Effect":"Allow","Principal":"*"}]}'}),
    ],
)
def test_apply_refuses_a_tampered_policy_step(check, parameters):
    trail = _with(
        finding("open", ReasonCode.COMPLIANT, public_access_blocked=False),
        (IntegrityCode.PUBLIC_ACCESS, Status.FAIL),
        (IntegrityCode.DELIVERY, Status.FAIL),
        latest_delivery_error="AccessDenied",
        delivering=False,
    )
    result = scan_result(trail)
    plan = build_plan(result, RemediationSettings())
    entry = _entry(plan, check)
    bad = dataclasses.replace(
        entry.steps[0], parameters={**entry.steps[0].parameters, **parameters}
    )
    tampered = dataclasses.replace(
        plan,
        entries=tuple(
            dataclasses.replace(e, steps=(bad, *e.steps[1:])) if e is entry else e
            for e in plan.entries
        ),
    )
    (problem,) = unsafe_steps(tampered, result)
    assert f"({check.value}): step 1 PutBucketPolicy: is not a call orgscan makes" in problem


# ------------------------------------------------------------------ against moto


def _scan(org: SimulatedOrg) -> ScanResult:
    """A full scan with the simulation's answers (the trail CloudTrail cannot deliver)."""
    settings = build_settings(
        None,
        {
            "regions": list(org.regions),
            "workers": 4,
            "min_retention_days": org.policy.min_retention_days,
            "require_mode": org.policy.require_mode.value,
        },
    )
    sessions = SessionFactory(max_pool_connections=4, configure_session=simulated_answers(org))
    return scan_organization(settings, sessions)


def _status(result: ScanResult, name: str, check: IntegrityCode) -> Status:
    (found,) = [f for f in result.findings if f.trail_name == name]
    (status,) = [c.status for c in found.integrity if c.check is check]
    return status


def _policy(org: SimulatedOrg, name: str) -> dict[str, object] | None:
    trail = org.trail(name)
    s3 = SessionFactory().client(trail.account_id, "s3", trail.home_region)
    try:
        answer = s3.get_bucket_policy(Bucket=trail.bucket_name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchBucketPolicy":
            raise
        return None
    return dict(json.loads(answer["Policy"]))


def _outcomes(result: ApplyResult, org: SimulatedOrg, name: str) -> list[tuple[str, StepStatus]]:
    """What the apply did to the policy of trail ``name``'s bucket."""
    bucket = org.trail(name).bucket_name
    return [
        (o.operation, o.status)
        for o in result.outcomes
        if o.bucket_name == bucket and o.operation.endswith("BucketPolicy")
    ]


def _auditors(owner: str, bucket: str) -> dict[str, object]:
    return {
        "Sid": "AuditorsRead",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{owner}:root"},
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/AWSLogs/*"],
    }


def test_apply_in_moto_turns_delivery_and_public_access_to_pass_keeping_the_rest():
    with demo_mock():
        org = build_demo_org()
        before = _scan(org)
        assert _status(before, BILLING, IntegrityCode.DELIVERY) is Status.FAIL
        assert _status(before, PAYMENTS, IntegrityCode.PUBLIC_ACCESS) is Status.FAIL
        plan = build_plan(before, RemediationSettings())
        assert unsafe_steps(plan, before) == []
        first = apply_plan(plan, SessionFactory(), kinds=(EntryKind.INTEGRITY,))
        assert first.ok, [o for o in first.outcomes if o.status is not StepStatus.APPLIED]
        assert _outcomes(first, org, BILLING) == [("PutBucketPolicy", StepStatus.APPLIED)]
        assert _outcomes(first, org, PAYMENTS) == [("PutBucketPolicy", StepStatus.APPLIED)]
        after = _scan(org)
        assert _status(after, BILLING, IntegrityCode.DELIVERY) is Status.PASS
        assert _status(after, PAYMENTS, IntegrityCode.PUBLIC_ACCESS) is Status.PASS

        billing, payments = org.trail(BILLING), org.trail(PAYMENTS)
        delivery = _entry(plan, IntegrityCode.DELIVERY, billing.bucket_name)
        grant = json.loads(delivery.steps[0].parameters["Policy"])
        # The owner's statement is kept, CloudTrail's two are added after it.
        assert _policy(org, BILLING) == {
            "Version": "2012-10-17",
            "Statement": [_auditors(billing.account_id, billing.bucket_name), *grant["Statement"]],
        }
        # CloudTrail's statements stay; only the grant to everyone went.
        bucket = payments.bucket_name
        assert _policy(org, PAYMENTS) == {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AWSCloudTrailAclCheck20150319",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:GetBucketAcl",
                    "Resource": f"arn:aws:s3:::{bucket}",
                },
                {
                    "Sid": "AWSCloudTrailWrite20150319",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{payments.account_id}/*",
                    "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
                },
            ],
        }
        (removal,) = [
            o
            for o in first.outcomes
            if o.bucket_name == bucket and o.operation == "PutBucketPolicy"
        ]
        assert removal.notes[-1].startswith(
            "removed statement PublicRead, which allows everyone without a condition: "
        )
        second = apply_plan(plan, SessionFactory(), kinds=(EntryKind.INTEGRITY,))
        assert {o.status for o in second.outcomes} == {StepStatus.ALREADY_DONE}


def test_a_stale_plan_against_buckets_fixed_by_hand_writes_nothing():
    with demo_mock():
        org = build_demo_org()
        plan = build_plan(_scan(org), RemediationSettings())
        billing, payments = org.trail(BILLING), org.trail(PAYMENTS)
        sessions = SessionFactory()
        # Fixed by hand since the scan: AWS's own statements, the public grant deleted.
        bucket_arn = f"arn:aws:s3:::{billing.bucket_name}"
        by_hand = {
            "Version": "2012-10-17",
            "Statement": [
                _auditors(billing.account_id, billing.bucket_name),
                {
                    "Sid": "AWSCloudTrailAclCheck20150319",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:GetBucketAcl",
                    "Resource": bucket_arn,
                    "Condition": {"StringEquals": {"aws:SourceArn": billing.trail_arn}},
                },
                {
                    "Sid": "AWSCloudTrailWrite20150319",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"{bucket_arn}/AWSLogs/{billing.account_id}/*",
                    "Condition": {
                        "StringEquals": {
                            "s3:x-amz-acl": "bucket-owner-full-control",
                            "aws:SourceArn": billing.trail_arn,
                        }
                    },
                },
            ],
        }
        sessions.client(billing.account_id, "s3", billing.home_region).put_bucket_policy(
            Bucket=billing.bucket_name, Policy=json.dumps(by_hand)
        )
        sessions.client(payments.account_id, "s3", payments.home_region).delete_bucket_policy(
            Bucket=payments.bucket_name
        )
        assert _status(_scan(org), BILLING, IntegrityCode.DELIVERY) is Status.PASS
        result = apply_plan(plan, SessionFactory(), kinds=(EntryKind.INTEGRITY,))
        assert _outcomes(result, org, BILLING) == [("PutBucketPolicy", StepStatus.ALREADY_DONE)]
        assert _outcomes(result, org, PAYMENTS) == [("PutBucketPolicy", StepStatus.ALREADY_DONE)]
        assert _policy(org, BILLING) == by_hand
        assert _policy(org, PAYMENTS) is None


def test_a_policy_left_without_statements_is_deleted():
    with demo_mock():
        org = build_demo_org()
        payments = org.trail(PAYMENTS)
        only_public = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{payments.bucket_name}/*",
                }
            ],
        }
        SessionFactory().client(payments.account_id, "s3", payments.home_region).put_bucket_policy(
            Bucket=payments.bucket_name, Policy=json.dumps(only_public)
        )
        plan = build_plan(_scan(org), RemediationSettings())
        result = apply_plan(plan, SessionFactory(), kinds=(EntryKind.INTEGRITY,))
        (deleted,) = [o for o in result.outcomes if o.operation == "DeleteBucketPolicy"]
        assert (deleted.status, deleted.sent) == (
            StepStatus.APPLIED,
            {"Bucket": payments.bucket_name, "ExpectedBucketOwner": payments.account_id},
        )
        assert deleted.notes == (
            "removed statement #1 (no Sid), which allows everyone without a condition: "
            + json.dumps(only_public["Statement"][0], separators=(",", ":")),
            "no statement is left: the policy is deleted (AWS takes none without one)",
        )
        assert _policy(org, PAYMENTS) is None
        assert _status(_scan(org), PAYMENTS, IntegrityCode.PUBLIC_ACCESS) is Status.PASS


def test_a_policy_deleted_since_the_scan_is_done_in_the_script_as_under_apply(
    tmp_path, fake_aws: FakeAws
):
    # The scan saw a public policy; by the time the step runs the bucket has none (the fake
    # aws answers get-bucket-policy-status with NoSuchBucketPolicy): nothing is left to take
    # out, so the script skips the step, as --apply does, and goes on to block public access.
    trail = _with(
        finding("open", ReasonCode.COMPLIANT, public_access_blocked=False),
        (IntegrityCode.PUBLIC_ACCESS, Status.FAIL),
    )
    plan = build_plan(scan_result(trail), RemediationSettings())
    grants, _ = _entry(plan, IntegrityCode.PUBLIC_ACCESS).steps
    assert grants.check is not None
    assert grants.check.done_codes == ("NoSuchBucketPolicy",)
    assert json.loads(dumps(plan))["entries"][0]["steps"][0]["check"]["done_codes"] == [
        "NoSuchBucketPolicy"
    ]
    script = tmp_path / f"{WORKLOAD}.sh"
    script.write_text(render_script(loads(dumps(plan)), WORKLOAD))
    run = fake_aws.run(script, "--apply", account=WORKLOAD)
    assert run.returncode == 0, run.stderr
    assert "step 1: already done, skipped" in run.stdout
    writes = [call[2] for call in fake_aws.calls() if not call[2].startswith("get-")]
    assert writes == ["put-public-access-block"]


@pytest.mark.parametrize(
    ("code", "done"), [("NoSuchBucketPolicy", True), ("AccessDenied", None)], ids=str
)
def test_apply_reads_a_done_code_as_done_and_any_other_error_as_unreadable(code, done):
    trail = _with(
        finding("open", ReasonCode.COMPLIANT, public_access_blocked=False),
        (IntegrityCode.PUBLIC_ACCESS, Status.FAIL),
    )
    grants, _ = _entry(
        build_plan(scan_result(trail), RemediationSettings()), IntegrityCode.PUBLIC_ACCESS
    ).steps
    assert grants.check is not None
    client = boto3.client("s3", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("get_bucket_policy_status", service_error_code=code)
        if done:
            assert check_holds(client, grants.check) is True
        else:
            with pytest.raises(StepFailed, match="cannot read the current state"):
                check_holds(client, grants.check)


def test_a_plan_whose_check_gains_a_done_code_differs_from_the_rebuilt_one() -> None:
    # A hand-edited done code (AccessDenied read as "done") would skip a step without reading
    # the bucket: plan.json is refused when it differs from the plan findings.json gives.
    trail = _with(
        finding("open", ReasonCode.COMPLIANT, public_access_blocked=False),
        (IntegrityCode.PUBLIC_ACCESS, Status.FAIL),
    )
    plan = build_plan(scan_result(trail), RemediationSettings())
    document = json.loads(dumps(plan))
    (entry,) = [e for e in document["entries"] if e.get("check") == "PUBLIC_ACCESS"]
    entry["steps"][0]["check"]["done_codes"].append("AccessDenied")
    edited = loads(json.dumps(document))
    assert edited != plan
    (difference,) = plan_differences(edited, plan)
    assert "steps" in difference
