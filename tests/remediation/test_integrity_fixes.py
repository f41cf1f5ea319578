"""Plan entries for the integrity checks (contract 5.2): log file validation, the trail's KMS
key and Block Public Access, each guarded and idempotent (the bucket policy fixes, a public
grant and CloudTrail's delivery: test_policy_fixes)."""

from __future__ import annotations

import dataclasses

from orgscan.aws.sessions import SessionFactory
from orgscan.model import Finding, IntegrityCheck, IntegrityCode, ReasonCode, Status
from orgscan.remediation import RemediationSettings, build_plan
from orgscan.remediation.apply import StepStatus, apply_plan
from orgscan.remediation.iam_policy import remediation_policy
from orgscan.remediation.plan_model import EntryKind, Plan, PlanEntry, Service
from orgscan.remediation.planfile import dumps, loads
from orgscan.remediation.ranking import rank_plan
from orgscan.remediation.safety import unsafe_steps
from orgscan.remediation.scripts import render_script
from orgscan.simulate import build_demo_org, demo_mock
from tests.remediation.builders import LOG_ARCHIVE, WORKLOAD, finding, scan_result
from tests.remediation.loop import by_arn, scan
from tests.remediation.samples import assert_shell_clean

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY = f"arn:aws:kms:eu-west-1:{LOG_ARCHIVE}:key/{KEY_ID}"


def _integrity(plan: Plan) -> dict[tuple[IntegrityCode | None, str], PlanEntry]:
    return {(e.check, e.findings[0]): e for e in plan.entries if e.kind is EntryKind.INTEGRITY}


def _with(found: Finding, *checks: tuple[IntegrityCode, Status]) -> Finding:
    return dataclasses.replace(
        found, integrity=tuple(IntegrityCheck(c, s, "test sentence") for c, s in checks)
    )


def _weak_trail() -> Finding:
    base = finding(
        "weak",
        ReasonCode.COMPLIANT,
        log_file_validation=False,
        kms_key_arn=KEY,
        kms_key_state="PendingDeletion",
        kms_key_rotation=False,
        public_access_blocked=False,
    )
    return _with(
        base,
        (IntegrityCode.LOG_FILE_VALIDATION, Status.WARN),
        (IntegrityCode.KMS_KEY, Status.FAIL),
        (IntegrityCode.PUBLIC_ACCESS, Status.WARN),
        (IntegrityCode.LIFECYCLE, Status.PASS),
    )


def test_each_check_gets_its_calls_by_the_owner_of_what_they_change(tmp_path):
    trail = _weak_trail()
    result = scan_result(trail)
    plan = build_plan(result, RemediationSettings())
    entries = _integrity(plan)
    assert set(entries) == {
        (check, trail.trail_arn)
        for check in (
            IntegrityCode.LOG_FILE_VALIDATION,
            IntegrityCode.KMS_KEY,
            IntegrityCode.PUBLIC_ACCESS,
        )
    }
    validation = entries[(IntegrityCode.LOG_FILE_VALIDATION, trail.trail_arn)].steps
    assert [(s.account_id, s.region, s.operation, dict(s.parameters)) for s in validation] == [
        (
            WORKLOAD,
            "us-east-1",
            "UpdateTrail",
            {"Name": trail.trail_arn, "EnableLogFileValidation": True},
        )
    ]
    key = entries[(IntegrityCode.KMS_KEY, trail.trail_arn)].steps
    # The key's owner and region come from its ARN; a cancelled key comes back Disabled.
    assert [(s.account_id, s.region, s.service, s.operation) for s in key] == [
        (LOG_ARCHIVE, "eu-west-1", Service.KMS, "CancelKeyDeletion"),
        (LOG_ARCHIVE, "eu-west-1", Service.KMS, "EnableKey"),
        (LOG_ARCHIVE, "eu-west-1", Service.KMS, "EnableKeyRotation"),
    ]
    assert all(dict(s.parameters) == {"KeyId": KEY_ID} for s in key)
    (block,) = entries[(IntegrityCode.PUBLIC_ACCESS, trail.trail_arn)].steps
    assert block.operation == "PutPublicAccessBlock"
    assert set(block.parameters["PublicAccessBlockConfiguration"].values()) == {True}
    assert unsafe_steps(plan, result) == []
    assert loads(dumps(plan)) == plan

    kms_script = render_script(plan, LOG_ARCHIVE)
    for command in (
        f"aws kms cancel-key-deletion --key-id {KEY_ID} --region eu-west-1",
        f"aws kms enable-key --key-id {KEY_ID} --region eu-west-1",
        f"aws kms enable-key-rotation --key-id {KEY_ID} --region eu-west-1",
    ):
        assert command in kms_script
    assert "put-key-policy" not in kms_script
    assert "integrity check KMS_KEY of trail(s)" in kms_script
    trail_script = render_script(plan, WORKLOAD)
    assert (
        f"aws cloudtrail update-trail --name {trail.trail_arn} --enable-log-file-validation"
        in trail_script
    )
    assert "aws s3api put-public-access-block --bucket weak-logs" in trail_script
    for account, text in ((LOG_ARCHIVE, kms_script), (WORKLOAD, trail_script)):
        (tmp_path / f"{account}.sh").write_text(text)
        assert_shell_clean(tmp_path / f"{account}.sh")
    # The ranking puts them after every lock fix.
    assert all(r.entry.kind is EntryKind.INTEGRITY for r in rank_plan(plan, result))
    statements = remediation_policy(plan)["Statement"]
    actions = {
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {"kms:CancelKeyDeletion", "kms:EnableKey", "kms:EnableKeyRotation"} <= actions


def test_apply_refuses_an_integrity_step_orgscan_would_not_make():
    trail = _weak_trail()
    result = scan_result(trail)
    plan = build_plan(result, RemediationSettings())
    entry = _integrity(plan)[(IntegrityCode.LOG_FILE_VALIDATION, trail.trail_arn)]
    (step,) = entry.steps
    bad = dataclasses.replace(step, parameters={**step.parameters, "S3BucketName": "elsewhere"})
    tampered = dataclasses.replace(
        plan,
        entries=tuple(
            dataclasses.replace(e, steps=(bad,)) if e is entry else e for e in plan.entries
        ),
    )
    (problem,) = unsafe_steps(tampered, result)
    assert "LOG_FILE_VALIDATION" in problem
    assert "UpdateTrail" in problem


def test_apply_in_moto_turns_each_check_to_pass_and_a_second_apply_is_harmless():
    with demo_mock():
        org = build_demo_org()
        sessions = SessionFactory()
        audit = org.trail("audit-prod-trail")
        cloudtrail = sessions.client(audit.account_id, "cloudtrail", audit.home_region)
        key = cloudtrail.get_trail(Name=audit.trail_arn)["Trail"]["KmsKeyId"]
        kms = sessions.client(audit.account_id, "kms", audit.home_region)
        kms.schedule_key_deletion(KeyId=key.rsplit("/", 1)[-1], PendingWindowInDays=7)
        before = scan(org)
        plan = build_plan(before, RemediationSettings())
        wanted = {
            (check, arn)
            for arn, found in by_arn(before).items()
            for c in found.integrity
            if (check := c.check)
            in (IntegrityCode.LOG_FILE_VALIDATION, IntegrityCode.KMS_KEY, IntegrityCode.LIFECYCLE)
            and c.status is not Status.PASS
            # sandbox-alice's bucket is missing: the bucket entry's, not a lifecycle rule's
            and (check is not IntegrityCode.LIFECYCLE or found.lifecycle_expiration_days)
        }
        entries = _integrity(plan)
        assert wanted <= set(entries)
        orders = org.trail("orders-prod-trail").trail_arn
        assert (IntegrityCode.LIFECYCLE, orders) in wanted
        assert len(wanted) >= 4  # validation, two keys, orders-prod's 30-day rule
        assert [s.operation for s in entries[(IntegrityCode.KMS_KEY, audit.trail_arn)].steps] == [
            "CancelKeyDeletion",
            "EnableKey",
        ]
        first = apply_plan(plan, SessionFactory(), kinds=(EntryKind.INTEGRITY,))
        assert first.ok, [o for o in first.outcomes if o.status is not StepStatus.APPLIED]
        after = by_arn(scan(org))
        for check, arn in wanted:
            (status,) = [c.status for c in after[arn].integrity if c.check is check]
            assert status is Status.PASS, (check, arn)
        assert after[audit.trail_arn].kms_key_state == "Enabled"
        assert after[orders].lifecycle_expiration_days == 365  # the COMPLIANCE 1-year retention
        second = apply_plan(plan, SessionFactory(), kinds=(EntryKind.INTEGRITY,))
        assert {o.status for o in second.outcomes} == {StepStatus.ALREADY_DONE}
