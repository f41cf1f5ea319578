"""Apply against moto: what a change would break or weaken is read first, and stops it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from orgscan.aws.sessions import SessionFactory
from orgscan.model import LockMode, ReasonCode, Versioning
from orgscan.remediation import RemediationSettings, Strategy, build_plan
from orgscan.remediation.apply import STOPPED, StepStatus, apply_plan
from orgscan.remediation.model import Plan
from orgscan.simulate import MOTO_DEFAULT_ACCOUNT_ID, demo_mock
from tests.remediation.builders import finding, scan_result

ME = MOTO_DEFAULT_ACCOUNT_ID
REGION = "us-east-1"


@pytest.fixture
def s3() -> Iterator[Any]:
    """An S3 client of moto's default account (the one the plans below act as)."""
    with demo_mock():
        yield SessionFactory().client(ME, "s3", REGION)


def _plan(
    code: ReasonCode, bucket: str, *, strategy: Strategy = Strategy.ENABLE_IN_PLACE, **state: Any
) -> Plan:
    result = scan_result(
        finding("app", code, account=ME, bucket_name=bucket, **state), names={ME: "main"}
    )
    return build_plan(result, RemediationSettings(strategy=strategy))


def _rule(s3: Any, bucket: str) -> tuple[str, int]:
    rule = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]["Rule"][
        "DefaultRetention"
    ]
    return rule["Mode"], rule.get("Days") or rule["Years"] * 365


def _locked_bucket(s3: Any, bucket: str, mode: str, days: int) -> None:
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    _set_rule(s3, bucket, mode, days)


def _set_rule(s3: Any, bucket: str, mode: str, days: int) -> None:
    s3.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}},
        },
    )


def test_a_stale_plan_leaves_a_stronger_bucket_unchanged(s3):
    _locked_bucket(s3, "trail-logs", "GOVERNANCE", 7)
    plan = _plan(ReasonCode.RETENTION_TOO_SHORT, "trail-logs")  # GOVERNANCE 90 days
    # Since the scan, someone raised the bucket to COMPLIANCE for a year.
    _set_rule(s3, "trail-logs", "COMPLIANCE", 365)
    result = apply_plan(plan, SessionFactory())
    assert [(o.operation, o.status) for o in result.outcomes] == [
        ("PutObjectLockConfiguration", StepStatus.ALREADY_DONE)
    ]
    assert _rule(s3, "trail-logs") == ("COMPLIANCE", 365)


def test_a_stale_plan_never_lowers_one_side_of_a_rule(s3):
    _locked_bucket(s3, "trail-logs", "GOVERNANCE", 7)
    plan = _plan(ReasonCode.RETENTION_TOO_SHORT, "trail-logs")  # GOVERNANCE 90 days
    _set_rule(s3, "trail-logs", "COMPLIANCE", 30)  # stronger mode, fewer days
    [outcome] = apply_plan(plan, SessionFactory()).outcomes
    assert (outcome.status, outcome.error_code) == (StepStatus.FAILED, STOPPED)
    assert "already stronger than GOVERNANCE for 90 days" in (outcome.message or "")
    assert _rule(s3, "trail-logs") == ("COMPLIANCE", 30)


def test_a_rule_in_years_counts_as_365_days(s3):
    s3.create_bucket(Bucket="trail-logs", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket="trail-logs",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Years": 1}},
        },
    )
    plan = _plan(
        ReasonCode.MODE_NOT_ALLOWED, "trail-logs", lock_mode=LockMode.GOVERNANCE, retention_days=30
    )  # GOVERNANCE 90 days: a year is at least as strong
    [outcome] = apply_plan(plan, SessionFactory()).outcomes
    assert outcome.status is StepStatus.ALREADY_DONE


def _replicating(s3: Any, destination_locked: bool) -> None:
    s3.create_bucket(Bucket="trail-logs")
    s3.put_bucket_versioning(Bucket="trail-logs", VersioningConfiguration={"Status": "Enabled"})
    s3.create_bucket(Bucket="dr-trail-logs", ObjectLockEnabledForBucket=destination_locked)
    s3.put_bucket_versioning(Bucket="dr-trail-logs", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(
        Bucket="trail-logs",
        ReplicationConfiguration={
            "Role": f"arn:aws:iam::{ME}:role/replication",
            "Rules": [
                {
                    "ID": "dr",
                    "Priority": 1,
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": "arn:aws:s3:::dr-trail-logs"},
                }
            ],
        },
    )


def _lock_state(s3: Any, bucket: str) -> str | None:
    try:
        return str(
            s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"][
                "ObjectLockEnabled"
            ]
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ObjectLockConfigurationNotFoundError":
            raise
        return None


def test_a_replicating_bucket_is_not_locked_without_a_locked_destination(s3):
    _replicating(s3, destination_locked=False)
    plan = _plan(ReasonCode.LOCK_NOT_CONFIGURED, "trail-logs", versioning=Versioning.ENABLED)
    [outcome] = apply_plan(plan, SessionFactory()).outcomes
    assert (outcome.operation, outcome.status, outcome.error_code) == (
        "PutObjectLockConfiguration",
        StepStatus.FAILED,
        STOPPED,
    )
    assert "DstBucketObjectLockConfigMissing" in (outcome.message or "")
    assert "(destination: dr-trail-logs)" in (outcome.message or "")
    assert _lock_state(s3, "trail-logs") is None


def test_a_replicating_bucket_with_a_locked_destination_is_locked(s3):
    _replicating(s3, destination_locked=True)
    plan = _plan(ReasonCode.LOCK_NOT_CONFIGURED, "trail-logs", versioning=Versioning.ENABLED)
    result = apply_plan(plan, SessionFactory())
    assert result.ok, result.outcomes
    assert _lock_state(s3, "trail-logs") == "Enabled"


def test_an_access_log_destination_is_not_given_a_default_retention(s3):
    s3.create_bucket(Bucket="trail-logs")
    s3.put_bucket_policy(
        Bucket="trail-logs",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "S3ServerAccessLogsPolicy",
                        "Effect": "Allow",
                        "Principal": {"Service": "logging.s3.amazonaws.com"},
                        "Action": "s3:PutObject",
                        "Resource": "arn:aws:s3:::trail-logs/*",
                    }
                ],
            }
        ),
    )
    plan = _plan(ReasonCode.LOCK_NOT_CONFIGURED, "trail-logs")
    first, second = apply_plan(plan, SessionFactory()).outcomes
    assert (first.operation, first.status, first.error_code) == (
        "PutBucketVersioning",
        StepStatus.FAILED,
        STOPPED,
    )
    assert "server access logs" in (first.message or "")
    assert second.status is StepStatus.NOT_RUN
    assert "Status" not in s3.get_bucket_versioning(Bucket="trail-logs")


def test_the_bucket_policy_is_merged_by_sid(s3):
    # The old bucket's policy: a statement that still applies, one that allows anyone,
    # and CloudTrail's (which the new policy replaces).
    s3.create_bucket(Bucket="trail-logs")
    s3.put_bucket_policy(
        Bucket="trail-logs",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyDeletes",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:DeleteObject",
                        "Resource": "arn:aws:s3:::trail-logs/*",
                    },
                    {
                        "Sid": "PublicRead",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::trail-logs/*",
                    },
                    {
                        "Sid": "AWSCloudTrailWrite",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": "s3:PutObject",
                        "Resource": "arn:aws:s3:::trail-logs/AWSLogs/*",
                    },
                ],
            }
        ),
    )
    # The new bucket already exists with a statement of its own (an earlier partial run
    # and a colleague's addition).
    s3.create_bucket(Bucket="trail-logs-locked", ObjectLockEnabledForBucket=True)
    s3.put_bucket_policy(
        Bucket="trail-logs-locked",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AuditorsRead",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ME}:role/auditor"},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::trail-logs-locked/*",
                    }
                ],
            }
        ),
    )
    plan = _plan(ReasonCode.LOCK_NOT_CONFIGURED, "trail-logs", strategy=Strategy.NEW_BUCKET)
    result = apply_plan(plan, SessionFactory(), accounts={ME})
    [policy_step] = [o for o in result.outcomes if o.operation == "PutBucketPolicy"]
    assert policy_step.status is StepStatus.APPLIED, policy_step
    merged = json.loads(s3.get_bucket_policy(Bucket="trail-logs-locked")["Policy"])
    assert [s.get("Sid") for s in merged["Statement"]] == [
        "AuditorsRead",
        "DenyDeletes",
        "OrgscanCloudTrailAclCheck",
        "OrgscanCloudTrailWrite",
        "OrgscanDenyInsecureTransport",
    ]
    assert merged["Statement"][1]["Resource"] == "arn:aws:s3:::trail-logs-locked/*"
    assert json.loads(policy_step.sent["Policy"]) == merged  # type: ignore[index]
    assert policy_step.notes == (
        "copied from trail-logs: statement DenyDeletes",
        "not copied from trail-logs: statement PublicRead (allows anyone)",
        "kept statement AuditorsRead",
    )
    # Applying again finds every statement in place and writes nothing. (The trail itself
    # is not in moto: only the bucket steps count here.)
    again = apply_plan(plan, SessionFactory(), accounts={ME})
    assert {o.status for o in again.outcomes if o.service == "s3"} == {StepStatus.ALREADY_DONE}


def test_apply_shows_the_merged_policy_before_asking(tmp_path, evidence_agrees):
    from typer.testing import CliRunner

    from orgscan import findings
    from orgscan.cli import app
    from orgscan.evidence.manifest import write_manifest

    result = scan_result(
        finding("app", ReasonCode.LOCK_NOT_CONFIGURED, account=ME, bucket_name="trail-logs"),
        names={ME: "main"},
    )
    run_dir = tmp_path / "20261127T090000Z"
    run_dir.mkdir()
    (run_dir / "findings.json").write_text(findings.dumps(result), encoding="utf-8")
    write_manifest(run_dir, run_dir.name)
    with demo_mock():
        s3 = SessionFactory().client(ME, "s3", REGION)
        s3.create_bucket(Bucket="trail-logs")
        s3.put_bucket_policy(
            Bucket="trail-logs",
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyDeletes",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:DeleteObject",
                            "Resource": "arn:aws:s3:::trail-logs/*",
                        }
                    ],
                }
            ),
        )
        declined = CliRunner().invoke(
            app, ["remediate", str(run_dir), "--apply", "--strategy", "new-bucket"], input="n\n"
        )
        assert declined.exit_code == 1, declined.output
        assert (
            "Bucket policy of trail-logs-locked will be written (read and merged by Sid "
            "just now):\n    copied from trail-logs: statement DenyDeletes\n"
        ) in declined.output
        assert '"Resource": "arn:aws:s3:::trail-logs-locked/*"' in declined.output
        assert declined.output.index("will be written") < declined.output.index("Apply ")
        assert "Not applied; nothing was changed." in declined.output
        with pytest.raises(ClientError, match=r"404"):
            s3.head_bucket(Bucket="trail-logs-locked")
