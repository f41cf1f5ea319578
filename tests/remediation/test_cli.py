"""``orgscan remediate``: show, apply, result file, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orgscan import findings
from orgscan.aws.sessions import SessionFactory
from orgscan.cli import app
from orgscan.evidence.manifest import write_manifest
from orgscan.model import Policy, ReasonCode
from orgscan.remediation import RemediationSettings, Strategy, build_plan, write_remediation
from orgscan.remediation.plan_model import Plan
from orgscan.remediation.planfile import dumps, load_plan
from orgscan.simulate import MOTO_DEFAULT_ACCOUNT_ID, build_demo_org, demo_mock
from tests.remediation.builders import finding, scan_result
from tests.remediation.loop import recorded_run

runner = CliRunner()


def _run_dir(tmp_path: Path, result, *, with_plan: bool) -> Path:
    run_dir = tmp_path / "20261127T090000Z"
    run_dir.mkdir()
    (run_dir / "findings.json").write_text(findings.dumps(result), encoding="utf-8")
    if with_plan:
        write_remediation(run_dir, result, RemediationSettings())
    write_manifest(run_dir, run_dir.name)  # sealed, as the scan leaves it
    return run_dir


@pytest.fixture
def run_dir(tmp_path):
    """A run folder with one retention finding in moto's default account and one ERROR."""
    result = scan_result(
        finding("short", ReasonCode.RETENTION_TOO_SHORT, account=MOTO_DEFAULT_ACCOUNT_ID),
        finding("denied", ReasonCode.ACCESS_DENIED),
        policy=Policy(min_retention_days=30),
        names={MOTO_DEFAULT_ACCOUNT_ID: "main"},
    )
    return _run_dir(tmp_path, result, with_plan=False)


def test_shows_the_plan_without_changing_anything(run_dir):
    shown = runner.invoke(app, ["remediate", str(run_dir)])
    assert shown.exit_code == 0, shown.output
    assert "1 bucket to change, 1 without steps." in shown.output
    assert (
        "[1] bucket short-logs in us-east-1: enable-in-place; acting account 123456789012 "
        "(main)" in shown.output
    )
    assert "1. account 123456789012 us-east-1 s3:PutObjectLockConfiguration" in shown.output
    assert "cannot tell whether it is locked" in shown.output
    assert not (run_dir / "remediation").exists()


def test_an_existing_plan_gives_its_settings_and_must_match_findings(tmp_path):
    result = scan_result(finding("app", ReasonCode.LOCK_NOT_CONFIGURED))
    run_dir = _run_dir(tmp_path, result, with_plan=False)
    write_remediation(run_dir, result, RemediationSettings(days=200))
    # Unsealed (forced), so that plan.json itself is what is checked here, not the manifest.
    (run_dir / "manifest.json").unlink()
    plan_path = run_dir / "remediation" / "plan.json"
    # The plan's settings (from the scan's [remediation] table) are used, checked by a rebuild.
    shown = runner.invoke(app, ["remediate", str(run_dir), "--force"])
    assert shown.exit_code == 0, shown.output
    assert "Default retention: GOVERNANCE for 200 days" in shown.output
    document = json.loads(plan_path.read_text(encoding="utf-8"))
    document["entries"][0]["explanation"] = "Harmless, trust me."
    plan_path.write_text(json.dumps(document), encoding="utf-8")
    edited = runner.invoke(app, ["remediate", str(run_dir), "--force"])
    assert edited.exit_code == 2
    assert (
        "plan.json differs from the plan rebuilt from findings.json in entry 1 "
        "(bucket app-logs: explanation)" in edited.output
    )
    # Options that change the plan rebuild it from findings.json alone.
    rebuilt = runner.invoke(app, ["remediate", str(run_dir), "--days", "300", "--force"])
    assert "Default retention: GOVERNANCE for 300 days" in rebuilt.output
    document["run_started_at"] = "2020-01-01T00:00:00Z"
    plan_path.write_text(json.dumps(document), encoding="utf-8")
    other = runner.invoke(app, ["remediate", str(run_dir), "--force"])
    assert other.exit_code == 2
    assert "belongs to the scan started at 2020-01-01T00:00:00Z" in other.output


def test_parameters_are_shown_whole_and_as_json(tmp_path):
    # A long bucket name pushes the parameters far past any display width.
    bucket = "a" * 60 + "-logs"
    result = scan_result(finding("app", ReasonCode.LOCK_NOT_CONFIGURED, bucket_name=bucket))
    run_dir = _run_dir(tmp_path, result, with_plan=True)
    shown = runner.invoke(app, ["remediate", str(run_dir), "--strategy", "new-bucket"])
    assert shown.exit_code == 0, shown.output
    plan = build_plan(result, RemediationSettings(strategy=Strategy.NEW_BUCKET))
    policy_step = next(s for s in plan.entries[0].steps if s.operation == "PutBucketPolicy")
    whole = json.dumps(dict(policy_step.parameters), separators=(",", ":"))
    assert len(whole) > 1000
    assert f"s3:PutBucketPolicy {whole}\n" in shown.output
    # Then the policy again, readable: one statement per block, the TLS deny among them.
    assert (
        "       the bucket policy's statements (merged by Sid into any policy the bucket "
        "has when applied; every other statement is kept):\n       {\n"
    ) in shown.output
    assert '             "Sid": "OrgscanDenyInsecureTransport",\n' in shown.output
    as_json = runner.invoke(app, ["remediate", str(run_dir), "--json"])
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    assert document == json.loads(dumps(build_plan(result, RemediationSettings())))
    refused = runner.invoke(app, ["remediate", str(run_dir), "--json", "--apply"])
    assert refused.exit_code == 2
    assert "--json with --apply needs --yes" in refused.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--accounts", "12345"], "'12345' is not a 12-digit AWS account id"),
        (["--days", "10"], "below the run's policy minimum of 30 days"),
    ],
)
def test_bad_options_exit_2(run_dir, args, message):
    bad = runner.invoke(app, ["remediate", str(run_dir), *args])
    assert bad.exit_code == 2
    assert message in bad.output
    assert "Traceback" not in bad.output


def test_bad_run_folders_exit_2(tmp_path):
    missing = runner.invoke(app, ["remediate", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "not a run folder" in missing.output
    (tmp_path / "findings.json").write_text("{not json", encoding="utf-8")
    malformed = runner.invoke(app, ["remediate", str(tmp_path)])
    assert malformed.exit_code == 2
    assert "not valid JSON" in malformed.output


def test_apply_asks_first(run_dir, evidence_agrees):
    declined = runner.invoke(app, ["remediate", str(run_dir), "--apply"], input="n\n")
    assert declined.exit_code == 1
    assert "Apply 1 step?" in declined.output
    assert "Not applied; nothing was changed." in declined.output
    assert not (run_dir / "remediation").exists()


def test_apply_exits_1_when_a_step_fails_and_records_it(run_dir, evidence_agrees):
    with demo_mock():  # the bucket does not exist in moto: the step fails with NoSuchBucket
        failed = runner.invoke(app, ["remediate", str(run_dir), "--apply", "--yes"])
    assert failed.exit_code == 1, failed.output
    [result_file] = (run_dir / "remediation").glob("apply-*.json")
    document = json.loads(result_file.read_text(encoding="utf-8"))
    assert document["ok"] is False
    # The check cannot read a bucket that does not exist: the step stops before any write.
    assert [(s["operation"], s["status"], s["error_code"]) for s in document["steps"]] == [
        ("PutObjectLockConfiguration", "failed", "NoSuchBucket")
    ]
    assert (
        "failed: account 123456789012 PutObjectLockConfiguration on short-logs: "
        "NoSuchBucket: cannot read the current state" in failed.output
    )


def test_apply_the_demo_run_through_the_cli(tmp_path):
    with demo_mock():
        org = build_demo_org()
        run_dir = recorded_run(org, tmp_path / "out")
        payments = org.accounts["payments-prod"]
        applied = runner.invoke(
            app, ["remediate", str(run_dir), "--apply", "--yes", "--accounts", payments]
        )
        assert applied.exit_code == 0, applied.output
        assert _buckets_with_90_days(plan_of(run_dir)) == {"acme-payments-prod-cloudtrail"}
        again = runner.invoke(app, ["remediate", str(run_dir), "--apply", "--yes"])
        assert again.exit_code == 0, again.output
    documents = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in (run_dir / "remediation").glob("apply-*.json")
    ]
    assert len(documents) == 2
    # Both applies may share a second: tell the files apart by what they covered.
    first, second = sorted(documents, key=lambda document: len(document["accounts"]))
    assert first["accounts"] == [payments]
    assert [
        (s["operation"], s["status"], s["bucket_name"], s["resource"]) for s in first["steps"]
    ] == [
        (operation, "applied", "acme-payments-prod-cloudtrail", "acme-payments-prod-cloudtrail")
        # The lock, then the public grant out of its policy and Block Public Access on.
        for operation in ("PutObjectLockConfiguration", "PutBucketPolicy", "PutPublicAccessBlock")
    ]
    assert first["steps"][0]["sent"]["ObjectLockConfiguration"]["Rule"] == {
        "DefaultRetention": {"Mode": "GOVERNANCE", "Days": 90}
    }
    assert second["ok"] is True
    assert ("PutObjectLockConfiguration", "already-done") in [
        (s["operation"], s["status"]) for s in second["steps"] if s["account_id"] == payments
    ]


def plan_of(run_dir: Path) -> Plan:
    """The plan written into ``run_dir``."""
    return load_plan(run_dir / "remediation" / "plan.json")


def _buckets_with_90_days(plan: Plan) -> set[str]:
    """The existing buckets of the plan whose default retention is now 90 days."""
    sessions = SessionFactory()
    found = set()
    for entry in plan.entries:
        if not entry.steps or entry.new_bucket_name or entry.bucket_account_id is None:
            continue
        s3 = sessions.client(entry.bucket_account_id, "s3", entry.region or "us-east-1")
        rule = (
            s3.get_object_lock_configuration(Bucket=entry.bucket_name)["ObjectLockConfiguration"]
            .get("Rule", {})
            .get("DefaultRetention", {})
        )
        if rule.get("Days") == 90:
            found.add(entry.bucket_name)
    return found


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_iam_policy_of_the_plan_names_only_its_buckets_and_trails(tmp_path, partition):
    region = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}[partition]
    arn = f"arn:{partition}:cloudtrail:{region}:{MOTO_DEFAULT_ACCOUNT_ID}:trail/app"
    result = scan_result(
        finding(
            "app",
            ReasonCode.LOCK_NOT_CONFIGURED,
            account=MOTO_DEFAULT_ACCOUNT_ID,
            region=region,
            trail_arn=arn,
        ),
        finding("ok", ReasonCode.COMPLIANT),
        names={MOTO_DEFAULT_ACCOUNT_ID: "main"},
    )
    run_dir = _run_dir(tmp_path, result, with_plan=True)
    shown = runner.invoke(
        app, ["remediate", str(run_dir), "--iam-policy", "--strategy", "new-bucket"]
    )
    assert shown.exit_code == 0, shown.output
    policy = json.loads(shown.stdout)
    bucket, new = f"arn:{partition}:s3:::app-logs", f"arn:{partition}:s3:::app-logs-locked"
    grants = {
        (action, resource)
        for statement in policy["Statement"]
        for action in _listed(statement["Action"])
        for resource in _listed(statement["Resource"])
    }
    assert {resource for _, resource in grants} == {bucket, new, arn}
    assert ("s3:CreateBucket", new) in grants
    assert ("s3:PutBucketPolicy", new) in grants
    assert ("s3:GetBucketPolicy", bucket) in grants  # to copy what still applies
    assert ("cloudtrail:UpdateTrail", arn) in grants
    assert not any(
        action.startswith("s3:Put") for action, resource in grants if resource == bucket
    )  # the old bucket is only read
    # Another account's steps only: this plan has none, so the policy allows nothing.
    other = runner.invoke(
        app,
        [
            "remediate",
            str(run_dir),
            "--iam-policy",
            "--strategy",
            "new-bucket",
            "--accounts",
            "999999999999",
        ],
    )
    assert json.loads(other.stdout) == {"Version": "2012-10-17", "Statement": []}


def _listed(value):
    return value if isinstance(value, list) else [value]
