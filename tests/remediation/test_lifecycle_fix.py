"""The LIFECYCLE fix: expirations of the log files raised to what must be kept, merged into the
bucket's live rules by rule ID when the step runs; everything else kept, a longer rule left."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import jmespath  # type: ignore[import-untyped]
import pytest

from orgscan.aws.sessions import SessionFactory
from orgscan.model import IntegrityCheck, IntegrityCode, Policy, ReasonCode, Status
from orgscan.remediation import RemediationSettings, build_plan
from orgscan.remediation.apply import StepStatus, apply_plan
from orgscan.remediation.iam_policy import remediation_policy
from orgscan.remediation.lifecycle import merge_query, reach_query
from orgscan.remediation.lifecycle_merge import raised_configuration
from orgscan.remediation.plan_model import EntryKind, Plan, PlanEntry
from orgscan.remediation.planfile import dumps, loads
from orgscan.remediation.safety import unsafe_steps
from orgscan.remediation.scripts import render_script
from orgscan.simulate import MOTO_DEFAULT_ACCOUNT_ID, demo_mock
from tests.remediation.builders import finding, scan_result
from tests.remediation.samples import assert_shell_clean

ME = MOTO_DEFAULT_ACCOUNT_ID
REGION = "us-east-1"
BUCKET = "app-logs"
POLICY = Policy(min_retention_days=90)

#: The rule that fails (30 days on the log files), one of another ID that reaches them with a
#: noncurrent expiration too short and a transition, one on another prefix, one already longer,
#: one disabled, one on a date.
RULES: list[dict[str, Any]] = [
    {
        "ID": "expire-logs",
        "Status": "Enabled",
        "Filter": {"Prefix": "AWSLogs/"},
        "Expiration": {"Days": 30},
    },
    {
        "ID": "old-versions",
        "Status": "Enabled",
        "Filter": {},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
        "Transitions": [{"Days": 10, "StorageClass": "GLACIER"}],
    },
    {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}},
    {
        "ID": "long",
        "Status": "Enabled",
        "Filter": {"Prefix": "AWSLogs/1"},
        "Expiration": {"Days": 400},
    },
    {
        "ID": "off",
        "Status": "Disabled",
        "Filter": {"Prefix": "AWSLogs/"},
        "Expiration": {"Days": 2},
    },
]


def _failing(days: int = 30, **overrides: Any) -> Any:
    base = finding("app", ReasonCode.COMPLIANT, account=ME, bucket_name=BUCKET, **overrides)
    return dataclasses.replace(
        base,
        lifecycle_expiration_days=days,
        retention_days=30,
        integrity=(IntegrityCheck(IntegrityCode.LIFECYCLE, Status.FAIL, "test sentence"),),
    )


def _plan() -> tuple[Plan, PlanEntry]:
    result = scan_result(_failing(), policy=POLICY, names={ME: "main"})
    plan = build_plan(result, RemediationSettings())
    (entry,) = [e for e in plan.entries if e.check is IntegrityCode.LIFECYCLE]
    return plan, entry


def test_the_entry_says_what_changes_and_the_step_is_derivable_from_findings(tmp_path):
    plan, entry = _plan()
    assert entry.kind is EntryKind.INTEGRITY
    (step,) = entry.steps
    assert (step.account_id, step.region, step.operation) == (
        ME,
        REGION,
        "PutBucketLifecycleConfiguration",
    )
    assert dict(step.parameters) == {"Bucket": BUCKET, "ExpectedBucketOwner": ME}
    assert step.minimum_days == 90
    assert "deletes log files after 30 days; they must be kept 90 days" in entry.explanation
    assert "goes from 30 (or whatever below 90 it is by then) to 90 days" in entry.explanation
    assert (
        f"aws s3api get-bucket-lifecycle-configuration --bucket {BUCKET} "
        f"--expected-bucket-owner {ME} --region {REGION}"
    ) in entry.explanation
    assert "aws s3api put-bucket-lifecycle-configuration" in entry.explanation
    assert loads(dumps(plan)) == plan
    actions = {
        action
        for statement in remediation_policy(plan)["Statement"]
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    }
    assert {
        "s3:PutLifecycleConfiguration",
        "s3:GetLifecycleConfiguration",
        "cloudtrail:GetTrail",
    } <= actions

    script = render_script(plan, ME)
    assert f"lifecycle_raise 1 {REGION} {BUCKET} {ME} " in script
    assert "put-bucket-lifecycle-configuration --bucket" in script
    assert "--cli-input-json" in script
    assert "lifecycle before:" in script
    (tmp_path / "s.sh").write_text(script)
    assert_shell_clean(tmp_path / "s.sh")


def test_a_date_expiration_is_advice():
    result = scan_result(_failing(0), policy=POLICY, names={ME: "main"})
    (entry,) = [e for e in build_plan(result, RemediationSettings()).entries if e.check is not None]
    assert "orgscan leaves dates alone" in entry.explanation


def test_apply_refuses_a_tampered_lifecycle_step():
    plan, entry = _plan()
    result = scan_result(_failing(), policy=POLICY, names={ME: "main"})
    assert unsafe_steps(plan, result) == []
    (step,) = entry.steps
    for bad in (
        dataclasses.replace(step, minimum_days=1),
        dataclasses.replace(step, parameters={**step.parameters, "Bucket": "elsewhere"}),
        dataclasses.replace(step, account_id="444444444444"),
        dataclasses.replace(step, operation="PutBucketPolicy"),
    ):
        tampered = dataclasses.replace(
            plan,
            entries=tuple(
                dataclasses.replace(e, steps=(bad,)) if e is entry else e for e in plan.entries
            ),
        )
        (problem,) = unsafe_steps(tampered, result)
        assert "LIFECYCLE" in problem


@pytest.fixture
def s3() -> Iterator[Any]:
    """moto, with trail ``app`` delivering to the bucket and the bucket's rules."""
    with demo_mock():
        sessions = SessionFactory()
        client = sessions.client(ME, "s3", REGION)
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_lifecycle_configuration(
            Bucket=BUCKET, LifecycleConfiguration={"Rules": RULES}
        )
        sessions.client(ME, "cloudtrail", REGION).create_trail(Name="app", S3BucketName=BUCKET)
        yield client


def _rules(s3: Any) -> list[dict[str, Any]]:
    return list(s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"])


def _only_lifecycle(plan: Plan) -> Plan:
    return dataclasses.replace(
        plan, entries=tuple(e for e in plan.entries if e.check is IntegrityCode.LIFECYCLE)
    )


def test_apply_raises_only_what_reaches_the_logs_and_a_second_apply_is_done(s3):
    plan = _only_lifecycle(_plan()[0])
    before = _rules(s3)
    first = apply_plan(plan, SessionFactory())
    (outcome,) = first.outcomes
    assert outcome.status is StepStatus.APPLIED, outcome
    assert outcome.notes == (
        "rule expire-logs: Expiration.Days 30 -> 90 days",
        "rule old-versions: NoncurrentVersionExpiration.NoncurrentDays 7 -> 90 days",
    )
    wanted = [dict(rule) for rule in before]
    wanted[0] = {**wanted[0], "Expiration": {"Days": 90}}
    wanted[1] = {**wanted[1], "NoncurrentVersionExpiration": {"NoncurrentDays": 90}}
    # The whole document: the other prefix, the longer rule, the disabled one, the transition
    # and every other field are as they were.
    assert _rules(s3) == wanted
    second = apply_plan(plan, SessionFactory())
    assert [o.status for o in second.outcomes] == [StepStatus.ALREADY_DONE]
    assert _rules(s3) == wanted


def test_a_stale_plan_leaves_a_longer_rule(s3):
    plan = _only_lifecycle(_plan()[0])
    longer = [
        {**rule, "Expiration": {"Days": 500}} if rule["ID"] == "expire-logs" else rule
        for rule in RULES
        if rule["ID"] != "old-versions"
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": longer})
    written = _rules(s3)
    (outcome,) = apply_plan(plan, SessionFactory()).outcomes
    assert (outcome.status, outcome.sent) == (StepStatus.ALREADY_DONE, None)
    assert _rules(s3) == written
    s3.delete_bucket_lifecycle(Bucket=BUCKET)
    (outcome,) = apply_plan(plan, SessionFactory()).outcomes
    assert outcome.status is StepStatus.ALREADY_DONE
    assert "no lifecycle configuration" in outcome.notes[0]


def test_a_trail_moved_elsewhere_stops_the_step(s3):
    plan = _only_lifecycle(_plan()[0])
    s3.create_bucket(Bucket="other-logs")
    SessionFactory().client(ME, "cloudtrail", REGION).update_trail(
        Name="app", S3BucketName="other-logs"
    )
    (outcome,) = apply_plan(plan, SessionFactory()).outcomes
    assert outcome.status is StepStatus.FAILED
    assert "no trail this plan names delivers" in (outcome.message or "")
    assert _rules(s3)[0]["Expiration"] == {"Days": 30}


@pytest.mark.parametrize("logs", ["AWSLogs/", "team/AWSLogs/", "tmp/AWSLogs/"])
def test_the_scripts_query_merges_as_apply_does(logs):
    current = {
        "Rules": [
            *RULES,
            {
                "ID": "tagged",
                "Status": "Enabled",
                "Filter": {"Tag": {"Key": "k", "Value": "v"}},
                "Expiration": {"Days": 3},
            },
        ],
        "TransitionDefaultMinimumObjectSize": "varies_by_storage_class",
    }
    query = merge_query(90).replace("@REACHES@", reach_query().replace("@LOGS@", logs))
    for document in (current, {"Rules": current["Rules"]}):
        merged = raised_configuration(document, [logs], 90)[0]
        assert jmespath.search(query, document) == merged
    # expire-logs (on AWSLogs/) reaches only the trail without a prefix.
    first = merged["LifecycleConfiguration"]["Rules"][0]
    assert first["Expiration"] == {"Days": 90 if logs == "AWSLogs/" else 30}
