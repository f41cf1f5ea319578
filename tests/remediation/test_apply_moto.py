"""Apply against moto: what a change would break or weaken is read first, and stops it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from orgscan.aws.sessions import SessionFactory
from orgscan.evidence.manifest import write_manifest
from orgscan.model import LockMode, ReasonCode, Versioning
from orgscan.remediation import RemediationSettings, Strategy, build_plan
from orgscan.remediation.apply import StepStatus, apply_plan
from orgscan.remediation.client_calls import STOPPED
from orgscan.remediation.plan_model import Plan
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


def _deliver(bucket: str, name: str = "app") -> None:
    """Create (or move) trail ``name`` of the plans' account so that it delivers to ``bucket``:
    a step changes a bucket only while a trail its plan names still delivers there."""
    cloudtrail = SessionFactory().client(ME, "cloudtrail", REGION)
    try:
        cloudtrail.update_trail(Name=name, S3BucketName=bucket)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TrailNotFoundException":
            raise
        cloudtrail.create_trail(Name=name, S3BucketName=bucket)


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
    _deliver("trail-logs")
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
    _deliver("trail-logs")
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
    _deliver("trail-logs")
    plan = _plan(ReasonCode.LOCK_NOT_CONFIGURED, "trail-logs", versioning=Versioning.ENABLED)
    result = apply_plan(plan, SessionFactory())
    assert result.ok, result.outcomes
    assert _lock_state(s3, "trail-logs") == "Enabled"


def test_an_access_log_destination_is_not_given_a_default_retention(s3):
    s3.create_bucket(Bucket="trail-logs")
    _deliver("trail-logs")
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
    _deliver("trail-logs")
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
    # Applying again finds every statement in place, the trail moved, and writes nothing.
    again = apply_plan(plan, SessionFactory(), accounts={ME})
    assert {o.status for o in again.outcomes} == {StepStatus.ALREADY_DONE}


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


OTHER = "222222222222"


def _exists(s3: Any, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "404":
            raise
        return False
    return True


def _bucket_of(trail: str) -> str:
    cloudtrail = SessionFactory().client(ME, "cloudtrail", REGION)
    return str(cloudtrail.get_trail(Name=trail)["Trail"]["S3BucketName"])


def _statuses(result: Any) -> list[tuple[str, StepStatus, str | None]]:
    return [(o.operation, o.status, o.error_code) for o in result.outcomes]


#: Why a step stops when the plan is older than what it would change.
EXISTS_AGAIN = (
    "the bucket trail-logs exists again (it was missing when the run scanned it), so no "
    "trail is moved off it and no new bucket is made. Scan again"
)
NO_TRAIL_THERE = (
    "no trail this plan names delivers to trail-logs any more (moved or deleted since "
    "the scan), so the bucket is left as it is. Scan again"
)


def _assert_stopped(outcome: Any, operation: str, message: str) -> None:
    assert (outcome.operation, outcome.status, outcome.error_code, outcome.message) == (
        operation,
        StepStatus.FAILED,
        STOPPED,
        message,
    )


@pytest.mark.parametrize(
    "settings",
    [RemediationSettings(), RemediationSettings(strategy=Strategy.NEW_BUCKET, days=1)],
    ids=["default", "new-bucket-1-day"],
)
def test_a_missing_bucket_created_again_keeps_its_trail(s3, settings):
    # At the scan the bucket was missing; since then it was created again, locked for ten
    # years in COMPLIANCE mode, and the trail delivers into it.
    _locked_bucket(s3, "trail-logs", "COMPLIANCE", 3650)
    _deliver("trail-logs")
    result = scan_result(
        finding("app", ReasonCode.BUCKET_MISSING, account=ME, bucket_name="trail-logs"),
        names={ME: "main"},
    )
    plan = build_plan(result, settings)
    applied = apply_plan(plan, SessionFactory())
    first, *rest = applied.outcomes
    _assert_stopped(first, "CreateBucket", EXISTS_AGAIN)
    assert [o.status for o in rest] == [StepStatus.NOT_RUN] * 6
    assert not _exists(s3, "trail-logs-locked")
    assert _bucket_of("app") == "trail-logs"
    assert _rule(s3, "trail-logs") == ("COMPLIANCE", 3650)


def test_a_missing_bucket_still_missing_gets_its_new_bucket(s3):
    s3.create_bucket(Bucket="trail-logs")
    _deliver("trail-logs")
    s3.delete_bucket(Bucket="trail-logs")
    result = scan_result(
        finding("app", ReasonCode.BUCKET_MISSING, account=ME, bucket_name="trail-logs"),
        names={ME: "main"},
    )
    applied = apply_plan(build_plan(result, RemediationSettings()), SessionFactory())
    assert applied.ok, applied.outcomes
    assert _bucket_of("app") == "trail-logs-locked"
    assert _rule(s3, "trail-logs-locked") == ("GOVERNANCE", 90)


@pytest.mark.parametrize(
    ("mode", "days"), [("COMPLIANCE", 3650), ("GOVERNANCE", 1), ("COMPLIANCE", 1)]
)
def test_a_bucket_locked_since_the_scan_keeps_its_trail(s3, mode, days):
    # Unlocked at the scan; since then Object Lock was enabled on it in place. The plan's new
    # bucket (GOVERNANCE, 1 day) would be no stronger: nothing is created or moved.
    s3.create_bucket(Bucket="trail-logs")
    _deliver("trail-logs")
    plan = build_plan(
        scan_result(
            finding("app", ReasonCode.LOCK_NOT_CONFIGURED, account=ME, bucket_name="trail-logs"),
            names={ME: "main"},
        ),
        RemediationSettings(strategy=Strategy.NEW_BUCKET, days=1),
    )
    s3.put_bucket_versioning(Bucket="trail-logs", VersioningConfiguration={"Status": "Enabled"})
    _set_rule(s3, "trail-logs", mode, days)
    applied = apply_plan(plan, SessionFactory())
    _assert_stopped(
        applied.outcomes[0],
        "CreateBucket",
        "the bucket trail-logs now has a default retention at least as strong as the new "
        "bucket's GOVERNANCE for 1 days (or stronger in mode or days), so no trail is moved "
        "off it and no new bucket is made. Scan again",
    )
    assert not _exists(s3, "trail-logs-locked")
    assert _bucket_of("app") == "trail-logs"
    assert _rule(s3, "trail-logs") == (mode, days)


def test_a_bucket_locked_weaker_since_the_scan_still_moves(s3):
    # GOVERNANCE 30 days now, the new bucket GOVERNANCE 90: the new bucket is stronger.
    s3.create_bucket(Bucket="trail-logs")
    _deliver("trail-logs")
    plan = _plan(ReasonCode.LOCK_NOT_CONFIGURED, "trail-logs", strategy=Strategy.NEW_BUCKET)
    s3.put_bucket_versioning(Bucket="trail-logs", VersioningConfiguration={"Status": "Enabled"})
    _set_rule(s3, "trail-logs", "GOVERNANCE", 30)
    applied = apply_plan(plan, SessionFactory())
    assert applied.ok, applied.outcomes
    assert _bucket_of("app") == "trail-logs-locked"


def test_a_trail_moved_since_the_scan_stays_where_it_is(s3):
    # Two trails delivered to trail-logs at the scan; one was moved to other-logs since.
    for bucket in ("trail-logs", "other-logs"):
        s3.create_bucket(Bucket=bucket)
    _deliver("trail-logs", "app")
    _deliver("other-logs", "moved")
    plan = build_plan(
        scan_result(
            *(
                finding(name, ReasonCode.LOCK_NOT_CONFIGURED, account=ME, bucket_name="trail-logs")
                for name in ("app", "moved")
            ),
            names={ME: "main"},
        ),
        RemediationSettings(strategy=Strategy.NEW_BUCKET),
    )
    applied = apply_plan(plan, SessionFactory())
    # The bucket steps go ahead for the trail that still delivers there; only the moved
    # trail's UpdateTrail stops.
    assert _statuses(applied)[-2:] == [
        ("UpdateTrail", StepStatus.APPLIED, None),
        ("UpdateTrail", StepStatus.FAILED, STOPPED),
    ]
    assert applied.outcomes[-1].resource == f"arn:aws:cloudtrail:{REGION}:{ME}:trail/moved"
    assert applied.outcomes[-1].message == (
        "the trail no longer delivers to trail-logs, the bucket this plan moves it from (it "
        "was moved or deleted since the scan); it is left where it is. Scan again"
    )
    assert (_bucket_of("app"), _bucket_of("moved")) == ("trail-logs-locked", "other-logs")

    # When no trail delivers there any more, not even the new bucket is made.
    _deliver("other-logs", "app")
    s3.delete_bucket(Bucket="trail-logs-locked")
    again = apply_plan(plan, SessionFactory())
    _assert_stopped(again.outcomes[0], "CreateBucket", NO_TRAIL_THERE)
    assert not _exists(s3, "trail-logs-locked")


def test_a_bucket_no_named_trail_delivers_to_is_not_locked_in_place(s3):
    for bucket in ("trail-logs", "other-logs"):
        s3.create_bucket(Bucket=bucket)
    _deliver("other-logs")
    plan = _plan(ReasonCode.LOCK_NOT_CONFIGURED, "trail-logs")
    first, second = apply_plan(plan, SessionFactory()).outcomes
    _assert_stopped(first, "PutBucketVersioning", NO_TRAIL_THERE)
    assert second.status is StepStatus.NOT_RUN
    assert "Status" not in s3.get_bucket_versioning(Bucket="trail-logs")
    assert _lock_state(s3, "trail-logs") is None


def test_a_stale_account_stops_alone_and_the_apply_exits_1(tmp_path, evidence_agrees):
    from typer.testing import CliRunner

    from orgscan import findings
    from orgscan.cli import app

    result = scan_result(
        finding("app", ReasonCode.BUCKET_MISSING, account=ME, bucket_name="trail-logs"),
        finding("ops", ReasonCode.LOCK_NOT_CONFIGURED, account=OTHER, bucket_name="ops-logs"),
        names={ME: "main", OTHER: "ops"},
    )
    run_dir = tmp_path / "20261127T090000Z"
    run_dir.mkdir()
    (run_dir / "findings.json").write_text(findings.dumps(result), encoding="utf-8")
    write_manifest(run_dir, run_dir.name)  # sealed, as the scan leaves it
    with demo_mock():
        sessions = SessionFactory()
        s3 = sessions.client(ME, "s3", REGION)
        _locked_bucket(s3, "trail-logs", "COMPLIANCE", 3650)
        _deliver("trail-logs")
        other = sessions.client(OTHER, "s3", REGION)
        other.create_bucket(Bucket="ops-logs")
        sessions.client(OTHER, "cloudtrail", REGION).create_trail(
            Name="ops", S3BucketName="ops-logs"
        )
        applied = CliRunner().invoke(app, ["remediate", str(run_dir), "--apply", "--yes"])
        assert applied.exit_code == 1, applied.output
        assert (
            f"failed: account {ME} CreateBucket on trail-logs-locked: StoppedByGuard: "
            f"{EXISTS_AGAIN}\n"
        ) in applied.output
        assert not _exists(s3, "trail-logs-locked")
        # The other account's bucket is locked in place all the same.
        assert _lock_state(other, "ops-logs") == "Enabled"
