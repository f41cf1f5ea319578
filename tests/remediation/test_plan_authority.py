"""A plan file is input, not authority: a hand-edited plan.json is refused before any change,
and the plan about to run is checked against the findings on its own terms."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from typer.testing import CliRunner

from orgscan.aws.sessions import SessionFactory
from orgscan.cli import app
from orgscan.model import LockMode, ReasonCode
from orgscan.remediation import RemediationSettings, Strategy, build_plan
from orgscan.remediation.plan_model import Plan, Service, Step
from orgscan.remediation.safety import plan_differences, unsafe_steps
from orgscan.simulate import build_demo_org, demo_mock
from orgscan.simulate.demo import CENTRAL_BUCKET
from tests.remediation.builders import LOG_ARCHIVE, MGMT, WORKLOAD, finding, scan_result
from tests.remediation.loop import assert_central_logs_unchanged, recorded_run

runner = CliRunner()
OUTSIDE_BUCKET = "attacker-owned-bucket"
OPEN_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject", "s3:PutBucketObjectLockConfiguration"],
                "Resource": [f"arn:aws:s3:::{CENTRAL_BUCKET}", f"arn:aws:s3:::{CENTRAL_BUCKET}/*"],
            }
        ],
    }
)


def _hostile_steps(archive: str, management: str, org_trail_arn: str) -> list[dict[str, Any]]:
    """The steps an attacker slips into an entry: weaken, open, unblock, repoint."""

    def s3(operation: str, parameters: dict[str, Any]) -> dict[str, Any]:
        return {
            "account_id": archive,
            "region": "us-east-1",
            "service": "s3",
            "operation": operation,
            "parameters": {"Bucket": CENTRAL_BUCKET, **parameters},
            "description": "Routine maintenance.",
            "fixes": [],
            "check": None,
            "guards": [],
        }

    return [
        s3(
            "PutObjectLockConfiguration",
            {
                "ObjectLockConfiguration": {
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
                }
            },
        ),
        s3("PutBucketPolicy", {"Policy": OPEN_POLICY}),
        s3(
            "PutPublicAccessBlock",
            {
                "PublicAccessBlockConfiguration": dict.fromkeys(
                    [
                        "BlockPublicAcls",
                        "IgnorePublicAcls",
                        "BlockPublicPolicy",
                        "RestrictPublicBuckets",
                    ],
                    False,
                )
            },
        ),
        {
            "account_id": management,
            "region": "us-east-1",
            "service": "cloudtrail",
            "operation": "UpdateTrail",
            # A padded prefix once hid the new bucket name behind a cut display.
            "parameters": {
                "Name": org_trail_arn,
                "S3KeyPrefix": " " * 200,
                "S3BucketName": OUTSIDE_BUCKET,
            },
            "description": "Routine maintenance.",
            "fixes": [],
            "check": None,
            "guards": [],
        },
    ]


def test_a_hand_edited_plan_is_refused_and_changes_nothing(tmp_path: Path):
    with demo_mock():
        org = build_demo_org()
        run_dir = recorded_run(org, tmp_path / "out")
        # Without its seal (forced past it), plan.json itself must be refused.
        (run_dir / "manifest.json").unlink()
        plan_path = run_dir / "remediation" / "plan.json"
        document = json.loads(plan_path.read_text(encoding="utf-8"))
        org_trail = org.trail("acme-org-trail")
        # run_started_at still matches; the first entry's steps are the attacker's.
        document["entries"][0]["steps"] = _hostile_steps(
            org.log_archive_account_id, org.management_account_id, org_trail.trail_arn
        )
        document["entries"][0]["explanation"] = "Nothing to see here."
        plan_path.write_text(json.dumps(document), encoding="utf-8")

        applied = runner.invoke(app, ["remediate", str(run_dir), "--apply", "--yes", "--force"])
        assert applied.exit_code == 2, applied.output
        assert (
            "plan.json differs from the plan rebuilt from findings.json in entry 1"
            in applied.output
        )
        assert "Nothing to see here." not in applied.output
        assert not list((run_dir / "remediation").glob("apply-*.json"))

        assert_central_logs_unchanged(org)
        s3 = SessionFactory().client(org.log_archive_account_id, "s3", "us-east-1")
        with pytest.raises(ClientError, match="NoSuchBucketPolicy"):
            s3.get_bucket_policy(Bucket=CENTRAL_BUCKET)


# ------------------------------------------------------------------ the plan on its own terms


def _plan() -> tuple[Plan, Any]:
    result = scan_result(
        finding(
            "short",
            ReasonCode.RETENTION_TOO_SHORT,
            account=LOG_ARCHIVE,
            lock_mode=LockMode.COMPLIANCE,
            retention_days=30,
        ),
        finding(
            "org",
            ReasonCode.LOCK_NOT_CONFIGURED,
            account=MGMT,
            is_organization_trail=True,
            bucket_name="central-logs",
            bucket_account_id=LOG_ARCHIVE,
        ),
        finding("ok", ReasonCode.COMPLIANT, account=WORKLOAD),
    )
    return build_plan(result, RemediationSettings(strategy=Strategy.NEW_BUCKET)), result


def _with_step(plan: Plan, entry_index: int, step_index: int, **changes: Any) -> Plan:
    entry = plan.entries[entry_index]
    steps = list(entry.steps)
    steps[step_index] = dataclasses.replace(steps[step_index], **changes)
    entries = list(plan.entries)
    entries[entry_index] = dataclasses.replace(entry, steps=tuple(steps))
    return dataclasses.replace(plan, entries=tuple(entries))


def _index(plan: Plan, operation: str, bucket: str | None = None) -> tuple[int, int, Step]:
    for e, entry in enumerate(plan.entries):
        for s, step in enumerate(entry.steps):
            if step.operation == operation and bucket in (None, entry.bucket_name):
                return e, s, step
    raise KeyError(operation)


def test_the_rebuilt_plan_is_safe_and_equal_to_itself():
    plan, result = _plan()
    assert unsafe_steps(plan, result) == []
    assert plan_differences(plan, build_plan(result, plan.settings)) == []


def _tamper(operation: str, **parameters: Any) -> list[str]:
    plan, result = _plan()
    # The retention fix in place is short-logs' (COMPLIANCE 30 days today).
    e, s, step = _index(
        plan, operation, "short-logs" if operation.startswith("PutObject") else None
    )
    return unsafe_steps(
        _with_step(plan, e, s, parameters={**step.parameters, **parameters}), result
    )


@pytest.mark.parametrize(
    ("operation", "parameters", "problem"),
    [
        (
            "PutObjectLockConfiguration",
            {
                "ObjectLockConfiguration": {
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 90}},
                }
            },
            "lowers the mode from COMPLIANCE",
        ),
        (
            "PutObjectLockConfiguration",
            {
                "ObjectLockConfiguration": {
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}},
                }
            },
            "lowers the default retention from 30 to 1",
        ),
        ("PutObjectLockConfiguration", {"Bucket": CENTRAL_BUCKET}, "changes bucket"),
        ("PutBucketPolicy", {"Policy": OPEN_POLICY}, "allows anyone"),
        (
            "PutPublicAccessBlock",
            {"PublicAccessBlockConfiguration": {"BlockPublicAcls": False}},
            "fully on",
        ),
        ("UpdateTrail", {"S3BucketName": OUTSIDE_BUCKET}, "not the entry's new bucket"),
        ("UpdateTrail", {"S3KeyPrefix": "x"}, "not the ones orgscan sends"),
        (
            "UpdateTrail",
            {"Name": "arn:aws:cloudtrail:us-east-1:333333333333:trail/ok"},
            "not one of the entry's",
        ),
        ("CreateBucket", {"ACL": "public-read"}, "not the ones orgscan sends"),
    ],
)
def test_unsafe_steps_are_named(operation, parameters, problem):
    problems = _tamper(operation, **parameters)
    assert len(problems) == 1
    assert problem in problems[0]


def test_a_step_in_another_account_is_unsafe():
    plan, result = _plan()
    e, s, _ = _index(plan, "PutObjectLockConfiguration", "short-logs")
    [problem] = unsafe_steps(_with_step(plan, e, s, account_id=WORKLOAD), result)
    assert "runs in account 333333333333, not the bucket's owner" in problem
    other = dataclasses.replace(
        plan,
        entries=(
            dataclasses.replace(
                plan.entries[0],
                findings=("arn:aws:cloudtrail:us-east-1:333333333333:trail/ok",),
                reason_codes=(ReasonCode.COMPLIANT,),
            ),
        ),
    )
    assert unsafe_steps(other, result) == ["entry 1: its findings are not failures of this run"]


def test_the_service_of_a_step_is_checked_too():
    plan, result = _plan()
    e, s, _ = _index(plan, "UpdateTrail")
    changed = _with_step(plan, e, s, service=Service.S3, operation="PutBucketVersioning")
    assert unsafe_steps(changed, result)
