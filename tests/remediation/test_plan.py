"""The plan is a pure function of findings and settings: one test per reason code and strategy."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgscan.errors import InputError
from orgscan.model import ExceptionMark, LockMode, Policy, ReasonCode, RequiredMode, Versioning
from orgscan.remediation import RemediationSettings, Strategy, build_plan
from orgscan.remediation.buckets import new_bucket_name
from orgscan.remediation.plan import resolve_retention
from orgscan.remediation.plan_model import Plan, PlanEntry, Retention, Service, Step
from tests.remediation.builders import (
    LOG_ARCHIVE,
    MGMT,
    ORG_ID,
    WORKLOAD,
    finding,
    scan_result,
)

IN_PLACE = RemediationSettings()
NEW_BUCKET = RemediationSettings(strategy=Strategy.NEW_BUCKET)
NEW_BUCKET_OPS = [
    "CreateBucket",
    "PutPublicAccessBlock",
    "PutBucketVersioning",
    "PutBucketEncryption",
    "PutBucketPolicy",
    "PutObjectLockConfiguration",
]


def _ops(entry):
    return [step.operation for step in entry.steps]


def _only_entry(plan):
    assert len(plan.entries) == 1
    return plan.entries[0]


def test_compliant_findings_get_no_entry():
    plan = build_plan(scan_result(finding("ok", ReasonCode.COMPLIANT)), IN_PLACE)
    assert plan.entries == ()
    assert plan.accounts_with_steps() == []


def test_lock_not_configured_in_place_enables_versioning_then_the_lock():
    f = finding("app", ReasonCode.LOCK_NOT_CONFIGURED)
    entry = _only_entry(build_plan(scan_result(f), IN_PLACE))
    assert entry.strategy is Strategy.ENABLE_IN_PLACE
    assert entry.acting_account_id == WORKLOAD
    assert entry.region == "us-east-1"
    assert entry.findings == (f.trail_arn,)
    assert _ops(entry) == ["PutBucketVersioning", "PutObjectLockConfiguration"]
    versioning, lock = entry.steps
    assert versioning.parameters == {
        "Bucket": "app-logs",
        "ExpectedBucketOwner": WORKLOAD,
        "VersioningConfiguration": {"Status": "Enabled"},
    }
    assert lock.parameters == {
        "Bucket": "app-logs",
        "ExpectedBucketOwner": WORKLOAD,
        "ObjectLockConfiguration": {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 90}},
        },
    }
    # What locking in place would break is read just before the first change.
    assert [(g.kind.value, g.operation) for g in versioning.guards] == [
        ("replication-to-unlocked-destination", "GetBucketReplication"),
        ("query", "GetBucketPolicy"),
        ("query", "GetBucketAcl"),
    ]
    assert [g.operation for g in lock.guards] == ["GetObjectLockConfiguration"]
    assert any("Content-MD5" in warning for warning in entry.warnings)
    assert all(step.account_id == WORKLOAD and step.fixes == (f.trail_arn,) for step in entry.steps)
    assert any("cannot be turned off" in warning for warning in entry.warnings)
    assert not any("COMPLIANCE" in warning for warning in entry.warnings)


def test_lock_not_configured_with_versioning_on_skips_the_versioning_step():
    f = finding("app", ReasonCode.LOCK_NOT_CONFIGURED, versioning=Versioning.ENABLED)
    assert _ops(_only_entry(build_plan(scan_result(f), IN_PLACE))) == ["PutObjectLockConfiguration"]


@pytest.mark.parametrize(
    "code",
    [ReasonCode.NO_DEFAULT_RETENTION, ReasonCode.MODE_NOT_ALLOWED, ReasonCode.RETENTION_TOO_SHORT],
)
@pytest.mark.parametrize("settings", [IN_PLACE, NEW_BUCKET])
def test_retention_only_findings_get_only_the_lock_configuration(code, settings):
    entry = _only_entry(build_plan(scan_result(finding("app", code)), settings))
    assert entry.strategy is Strategy.ENABLE_IN_PLACE
    assert _ops(entry) == ["PutObjectLockConfiguration"]
    assert entry.new_bucket_name is None
    assert not any("turned off" in warning for warning in entry.warnings)


def test_retention_never_weakens_an_existing_stronger_rule():
    f = finding(
        "app", ReasonCode.RETENTION_TOO_SHORT, lock_mode=LockMode.COMPLIANCE, retention_days=30
    )
    entry = _only_entry(build_plan(scan_result(f), IN_PLACE))
    assert entry.retention == Retention(LockMode.COMPLIANCE, 90)
    assert entry.steps[0].parameters["ObjectLockConfiguration"]["Rule"] == {
        "DefaultRetention": {"Mode": "COMPLIANCE", "Days": 90}
    }
    assert any(w.startswith("COMPLIANCE mode cannot be undone") for w in entry.warnings)


def test_mode_not_allowed_under_a_compliance_policy_moves_to_compliance_keeping_days():
    policy = Policy(require_mode=RequiredMode.COMPLIANCE, min_retention_days=30)
    f = finding(
        "app", ReasonCode.MODE_NOT_ALLOWED, lock_mode=LockMode.GOVERNANCE, retention_days=400
    )
    entry = _only_entry(build_plan(scan_result(f, policy=policy), IN_PLACE))
    assert entry.retention == Retention(LockMode.COMPLIANCE, 400)
    assert any("COMPLIANCE mode cannot be undone" in w for w in entry.warnings)


def test_retention_too_short_uses_the_policy_minimum():
    f = finding("app", ReasonCode.RETENTION_TOO_SHORT, retention_days=30)
    plan = build_plan(scan_result(f, policy=Policy(min_retention_days=365)), IN_PLACE)
    assert plan.retention == Retention(LockMode.GOVERNANCE, 365)
    assert _only_entry(plan).retention == Retention(LockMode.GOVERNANCE, 365)


def test_bucket_missing_gets_a_new_bucket_and_update_trail_even_in_place():
    f = finding("gone", ReasonCode.BUCKET_MISSING, region="eu-west-1")
    entry = _only_entry(build_plan(scan_result(f), IN_PLACE))
    assert entry.strategy is Strategy.NEW_BUCKET
    assert entry.bucket_account_id is None
    # Nobody owns a missing bucket: the trail's owner creates the replacement, in its region.
    assert entry.acting_account_id == WORKLOAD
    assert entry.region == "eu-west-1"
    assert entry.new_bucket_name == "gone-logs-locked"
    assert _ops(entry) == [*NEW_BUCKET_OPS, "UpdateTrail"]
    create = entry.steps[0]
    assert create.parameters == {
        "Bucket": "gone-logs-locked",
        "ObjectLockEnabledForBucket": True,
        "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"},
    }
    update = entry.steps[-1]
    assert (update.account_id, update.region, update.service.value) == (
        WORKLOAD,
        "eu-west-1",
        "cloudtrail",
    )
    assert update.parameters == {"Name": f.trail_arn, "S3BucketName": "gone-logs-locked"}
    # There is no bucket left to warn about: no "stays there unprotected".
    assert not any("unprotected" in warning for warning in entry.warnings)
    assert any("is not recovered" in warning for warning in entry.warnings)


def test_create_bucket_in_us_east_1_has_no_location_constraint():
    entry = _only_entry(
        build_plan(scan_result(finding("gone", ReasonCode.BUCKET_MISSING)), IN_PLACE)
    )
    assert entry.steps[0].parameters == {
        "Bucket": "gone-logs-locked",
        "ObjectLockEnabledForBucket": True,
    }


def test_new_bucket_cross_account_organization_trail():
    org_trail = finding(
        "org",
        ReasonCode.LOCK_NOT_CONFIGURED,
        account=MGMT,
        is_organization_trail=True,
        is_multi_region=True,
        bucket_name="central-logs",
        bucket_account_id=LOG_ARCHIVE,
    )
    member_trail = finding(
        "member",
        ReasonCode.LOCK_NOT_CONFIGURED,
        account=WORKLOAD,
        region="eu-west-1",
        bucket_name="central-logs",
        bucket_account_id=LOG_ARCHIVE,
        bucket_region="us-east-1",
    )
    plan = build_plan(scan_result(org_trail, member_trail), NEW_BUCKET)
    entry = _only_entry(plan)
    assert entry.acting_account_id == LOG_ARCHIVE
    assert entry.region == "us-east-1"
    assert [(s.account_id, s.operation) for s in entry.steps] == [
        *[(LOG_ARCHIVE, op) for op in NEW_BUCKET_OPS],
        (WORKLOAD, "UpdateTrail"),
        (MGMT, "UpdateTrail"),
    ]
    # Each trail is updated in its own home region by its owner (trails in ARN order).
    assert [s.region for s in entry.steps[-2:]] == ["eu-west-1", "us-east-1"]
    policy = json.loads(entry.steps[4].parameters["Policy"])
    acl, write, tls = policy["Statement"]
    assert tls == {
        "Sid": "OrgscanDenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::central-logs-locked", "arn:aws:s3:::central-logs-locked/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert acl["Action"] == "s3:GetBucketAcl"
    assert acl["Resource"] == "arn:aws:s3:::central-logs-locked"
    assert write["Action"] == "s3:PutObject"
    assert set(write["Resource"]) == {
        f"arn:aws:s3:::central-logs-locked/{middle}AWSLogs/{root}/*"
        for middle in ("", "*/")
        for root in (MGMT, WORKLOAD, ORG_ID)
    }
    assert write["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"
    assert sorted(write["Condition"]["StringEquals"]["aws:SourceArn"]) == sorted(
        [org_trail.trail_arn, member_trail.trail_arn]
    )
    assert any("Cross-account" in w for w in entry.warnings)
    assert plan.account_order() == [LOG_ARCHIVE, MGMT, WORKLOAD]


def test_lock_not_configured_with_new_bucket_strategy():
    f = finding("app", ReasonCode.LOCK_NOT_CONFIGURED)
    entry = _only_entry(build_plan(scan_result(f), NEW_BUCKET))
    assert entry.strategy is Strategy.NEW_BUCKET
    assert entry.bucket_account_id == WORKLOAD
    assert _ops(entry) == [*NEW_BUCKET_OPS, "UpdateTrail"]


@pytest.mark.parametrize("code", [ReasonCode.ACCESS_DENIED, ReasonCode.API_ERROR])
def test_error_findings_get_an_explanation_and_no_steps(code):
    entry = _only_entry(build_plan(scan_result(finding("app", code)), NEW_BUCKET))
    assert entry.steps == ()
    assert entry.acting_account_id is None
    assert entry.strategy is None
    assert "cannot tell whether it is locked" in entry.explanation
    assert "scan again" in entry.explanation


def test_unknown_owner_gets_no_steps():
    f = finding("app", ReasonCode.LOCK_NOT_CONFIGURED, bucket_account_id=None)
    entry = _only_entry(build_plan(scan_result(f), IN_PLACE))
    assert entry.steps == ()
    assert entry.acting_account_id is None
    assert "owns this bucket is unknown" in entry.explanation


def test_accepted_exception_is_left_alone_until_it_expires():
    mark = ExceptionMark(
        owner="team-a", reason="migrating", expires=date(2027, 1, 31), expired=False
    )
    f = finding("app", ReasonCode.LOCK_NOT_CONFIGURED, exception=mark)
    entry = _only_entry(build_plan(scan_result(f), IN_PLACE))
    assert entry.steps == ()
    assert "team-a until 2027-01-31" in entry.explanation
    expired = dataclasses.replace(f, exception=dataclasses.replace(mark, expired=True))
    assert _only_entry(build_plan(scan_result(expired), IN_PLACE)).steps


def test_actionable_entries_come_first_and_errors_stay_separate_from_fixes():
    shared_ok = finding("a", ReasonCode.LOCK_NOT_CONFIGURED, bucket_name="shared")
    shared_err = finding("b", ReasonCode.API_ERROR, bucket_name="shared")
    plan = build_plan(scan_result(shared_err, shared_ok), IN_PLACE)
    assert [(e.bucket_name, bool(e.steps)) for e in plan.entries] == [
        ("shared", True),
        ("shared", False),
    ]
    assert plan.entries[0].findings == (shared_ok.trail_arn,)


# --------------------------------------------------------------------------- retention settings


@pytest.mark.parametrize(
    ("settings", "policy", "expected"),
    [
        (RemediationSettings(), Policy(), Retention(LockMode.GOVERNANCE, 90)),
        (
            RemediationSettings(),
            Policy(require_mode=RequiredMode.COMPLIANCE, min_retention_days=400),
            Retention(LockMode.COMPLIANCE, 400),
        ),
        (
            RemediationSettings(mode=LockMode.COMPLIANCE, days=30),
            Policy(),
            Retention(LockMode.COMPLIANCE, 30),
        ),
        (
            RemediationSettings(days=365),
            Policy(min_retention_days=365),
            Retention(LockMode.GOVERNANCE, 365),
        ),
    ],
)
def test_resolve_retention(settings, policy, expected):
    assert resolve_retention(settings, policy) == expected


@pytest.mark.parametrize(
    ("settings", "policy", "message"),
    [
        (
            RemediationSettings(mode=LockMode.GOVERNANCE),
            Policy(require_mode=RequiredMode.COMPLIANCE),
            "requires COMPLIANCE",
        ),
        (RemediationSettings(days=30), Policy(min_retention_days=90), "below the run's policy"),
        (RemediationSettings(days=0), Policy(), "between 1 and"),
    ],
)
def test_settings_the_policy_rejects_are_input_errors(settings, policy, message):
    with pytest.raises(InputError, match=message):
        resolve_retention(settings, policy)


# --------------------------------------------------------------------------- bucket names

_VALID_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("cloudtrail-logs", "cloudtrail-logs-locked"),
        ("Legacy_Bucket.Name", "legacy-bucket.name-locked"),
        ("a" * 63, "a" * 56 + "-locked"),
        ("a" * 55 + ".-b", "a" * 55 + "-locked"),
    ],
)
def test_new_bucket_name_examples(old, new):
    assert new_bucket_name(old) == new


@given(st.text(alphabet="abcXYZ019.-_", min_size=3, max_size=63))
def test_new_bucket_name_is_always_a_valid_s3_name(old):
    name = new_bucket_name(old)
    assert _VALID_BUCKET.match(name), name
    assert ".." not in name
    assert ".-" not in name
    assert "-." not in name
    assert name.endswith("-locked")
    assert new_bucket_name(old) == name


def _ordered_one_by_one(plan: Plan) -> list[str]:
    """The account order as it was first written: each time, the lowest id whose needs are
    all placed, else (a cycle) the lowest id not placed."""
    accounts = plan.accounts_with_steps()
    needs: dict[str, set[str]] = {account: set() for account in accounts}
    for entry in plan.entries:
        for step in entry.steps:
            if entry.acting_account_id and step.account_id != entry.acting_account_id:
                needs[step.account_id].add(entry.acting_account_id)
    ordered: list[str] = []
    while len(ordered) < len(accounts):
        ready = [a for a in accounts if a not in ordered and needs[a] <= set(ordered)]
        ordered.append(ready[0] if ready else next(a for a in accounts if a not in ordered))
    return ordered


_ACCOUNTS = [f"{n:012d}" for n in range(1, 7)]


@given(
    st.lists(
        st.tuples(st.sampled_from([None, *_ACCOUNTS]), st.lists(st.sampled_from(_ACCOUNTS))),
        max_size=8,
    )
)
def test_the_account_order_is_the_one_placed_one_by_one(
    entries: list[tuple[str | None, list[str]]],
) -> None:
    # Any plan: entries acting as any account (or none), with steps of any accounts, cycles
    # and acting accounts without steps of their own included.
    plan = Plan(
        run_started_at="2026-12-01T00:00:00Z",
        organization_id=None,
        settings=RemediationSettings(),
        retention=Retention(LockMode.GOVERNANCE, 90),
        entries=tuple(
            PlanEntry(
                bucket_name=f"bucket-{number}",
                bucket_account_id=acting,
                acting_account_id=acting,
                region="us-east-1",
                strategy=None,
                findings=(),
                reason_codes=(),
                retention=None,
                new_bucket_name=None,
                steps=tuple(
                    Step(account, "us-east-1", Service.S3, "PutBucketVersioning", {}, "", ())
                    for account in steppers
                ),
                explanation="",
            )
            for number, (acting, steppers) in enumerate(entries)
        ),
    )
    order = plan.account_order()
    assert order == _ordered_one_by_one(plan)
    assert sorted(order) == plan.accounts_with_steps()
