"""``retro-lock`` plan entries (contract §5.4): built from the pre-lock counts, written into the
scripts as ``aws s3control create-job``, created by ``--apply`` only with ``--retro-lock``.

moto has no ``s3control create_job``: the apply tests hand out an s3control client behind a
botocore Stubber, which validates every request against botocore's own model and fails on
any call it was not told to expect.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from botocore.validate import validate_parameters
from typer.testing import CliRunner

from orgscan import findings as findings_file
from orgscan.cli import app
from orgscan.evidence.manifest import write_manifest
from orgscan.model import LockMode, ReasonCode, ScanResult
from orgscan.prelock_count import Prelock, PrelockSource
from orgscan.remediation import RemediationSettings, build_plan, write_remediation
from orgscan.remediation.apply import StepStatus, apply_plan
from orgscan.remediation.plan_model import EntryKind, Plan, PlanEntry
from orgscan.remediation.planfile import dumps, loads
from orgscan.remediation.safety import unsafe_steps
from orgscan.remediation.scripts import render_script
from tests.remediation.builders import LOG_ARCHIVE, WORKLOAD, finding, scan_result
from tests.remediation.samples import assert_shell_clean

BUCKET = "org-trail-logs"
COUNT = Prelock(
    PrelockSource.SAMPLE,
    checked=8,
    unprotected=5,
    oldest_unprotected="2026-09-10T08:00:00Z",
    oldest_protected="2026-11-02T10:00:00Z",
    prefixes=("AWSLogs/",),
)
runner = CliRunner()


def _result() -> ScanResult:
    """Two trails into one passing bucket of the log archive with files from before its lock,
    a passing bucket whose count found none, and a failing bucket."""

    def passing(name: str, **overrides: Any) -> Any:
        return finding(name, ReasonCode.COMPLIANT, retention_days=365, **overrides)

    return scan_result(
        passing(
            "org",
            bucket_name=BUCKET,
            bucket_account_id=LOG_ARCHIVE,
            bucket_region="eu-west-1",
            prelock=COUNT,
        ),
        passing(
            "audit",
            bucket_name=BUCKET,
            bucket_account_id=LOG_ARCHIVE,
            bucket_region="eu-west-1",
            prelock=COUNT,
        ),
        passing("clean", prelock=replace(COUNT, unprotected=0, oldest_unprotected=None)),
        finding("short", ReasonCode.RETENTION_TOO_SHORT),
    )


def _retro(plan: Plan) -> list[PlanEntry]:
    return [entry for entry in plan.entries if entry.kind is EntryKind.RETRO_LOCK]


def test_one_entry_per_bucket_with_unprotected_files_acted_on_by_its_owner() -> None:
    result = _result()
    plan = build_plan(result, RemediationSettings())
    [entry] = _retro(plan)
    assert (entry.bucket_name, entry.acting_account_id, entry.region) == (
        BUCKET,
        LOG_ARCHIVE,
        "eu-west-1",
    )
    assert len(entry.findings) == 2  # both trails, one entry: the count is per bucket
    # September, October, and November up to the oldest protected file: one job a month.
    assert [step.operation for step in entry.steps] == ["CreateJob"] * 3
    assert {step.account_id for step in entry.steps} == {LOG_ARCHIVE}
    first = entry.steps[0].parameters
    assert first["AccountId"] == LOG_ARCHIVE
    assert first["RoleArn"] == f"arn:aws:iam::{LOG_ARCHIVE}:role/orgscan-retro-lock"
    assert first["Operation"]["S3PutObjectRetention"]["Retention"] == {
        "RetainUntilDate": "2027-10-01T00:00:00Z",  # 1 October + 365 days
        "Mode": "GOVERNANCE",
    }
    filters = [
        s.parameters["ManifestGenerator"]["S3JobManifestGenerator"]["Filter"] for s in entry.steps
    ]
    assert filters[-1]["CreatedBefore"] == "2026-11-02T10:00:00Z"
    # The bucket fix comes first; the files before the lock last.
    assert plan.entries.index(entry) > plan.entries.index(
        next(e for e in plan.entries if e.bucket_name == "short-logs")
    )
    # The plan file holds the same plan, and the plan passes its own safety checks.
    assert loads(dumps(plan)) == plan
    assert unsafe_steps(plan, result) == []


def test_compliance_only_when_asked_for_and_said_to_be_irreversible() -> None:
    compliance = build_plan(_result(), RemediationSettings(mode=LockMode.COMPLIANCE))
    [entry] = _retro(compliance)
    modes = {
        s.parameters["Operation"]["S3PutObjectRetention"]["Retention"]["Mode"] for s in entry.steps
    }
    assert modes == {"COMPLIANCE"}
    assert any("COMPLIANCE mode cannot be undone" in warning for warning in entry.warnings)


def test_a_job_that_bypasses_retention_or_reports_elsewhere_is_refused() -> None:
    result = _result()
    plan = build_plan(result, RemediationSettings())
    [entry] = _retro(plan)
    request = json.loads(json.dumps(dict(entry.steps[0].parameters)))
    request["Operation"]["S3PutObjectRetention"]["BypassGovernanceRetention"] = True
    tampered = replace(entry, steps=(replace(entry.steps[0], parameters=request),))
    bad = replace(plan, entries=tuple(tampered if e is entry else e for e in plan.entries))
    assert unsafe_steps(bad, result) == [
        f"entry {plan.entries.index(entry) + 1} ({BUCKET}): step 1 CreateJob: not a retention "
        "job of the bucket's owner over its own bucket"
    ]


def test_every_job_validates_against_botocores_s3control_model() -> None:
    shape = _s3control().meta.service_model.operation_model("CreateJob").input_shape
    [entry] = _retro(build_plan(_result(), RemediationSettings()))
    for step in entry.steps:
        validate_parameters(dict(step.parameters), shape)  # raises on a wrong field


def test_the_script_creates_each_job_after_checking_it_is_not_there(tmp_path: Path) -> None:
    plan = build_plan(_result(), RemediationSettings())
    text = render_script(plan, LOG_ARCHIVE)
    assert text.count("\n  run_job 222222222222 eu-west-1 aws s3control create-job ") == 3
    create = next(line for line in text.splitlines() if "s3control create-job" in line)
    for words in (
        "--account-id 222222222222",
        "--no-confirmation-required",
        "--role-arn arn:aws:iam::222222222222:role/orgscan-retro-lock",
        "--priority 10",
        "--client-request-token ",
        "--description 'orgscan retro-lock org-trail-logs 2026-09'",
        '"BypassGovernanceRetention":false',
        '"CreatedBefore":"2026-10-01T00:00:00Z"',
        "--region eu-west-1 --query JobId --output text",
    ):
        assert words in create, words
    assert (
        "if is_done True '' '' aws s3control list-jobs --account-id 222222222222 --job-statuses "
        in text
    )
    assert (
        "--max-results 1000 --region eu-west-1 --query '!!(Jobs[?Description == "
        "'\"'\"'orgscan retro-lock org-trail-logs 2026-09'\"'\"'])' --output text; then" in text
    )
    # The job's id and how to follow it, printed as it is created (or as it would be).
    assert "printf 'created job %s; follow it with: %s\\n' \"$job\"" in text
    assert 'aws s3control describe-job --account-id "$account" --job-id "$job"' in text
    path = tmp_path / f"{LOG_ARCHIVE}.sh"
    path.write_text(text, encoding="utf-8")
    assert_shell_clean(path)


def _s3control() -> Any:
    return boto3.client(
        "s3control", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


class _StubbedClients:
    """Hands out one stubbed s3control client; any other client is a test failure."""

    def __init__(self, client: Any) -> None:
        self.s3control = client
        self.asked: list[tuple[str, str, str]] = []

    def client(self, account_id: str, service: str, region: str) -> Any:
        self.asked.append((account_id, service, region))
        assert service == "s3control", service
        return self.s3control


KINDS = (EntryKind.BUCKET, EntryKind.RECORDING, EntryKind.RETRO_LOCK)


def test_apply_with_retro_lock_creates_each_job_once() -> None:
    [entry] = _retro(build_plan(_result(), RemediationSettings()))
    plan = build_plan(_result(), RemediationSettings())
    only_retro = replace(plan, entries=(entry,))
    client = _s3control()
    with Stubber(client) as stub:
        for number, step in enumerate(entry.steps):
            assert step.check is not None
            stub.add_response("list_jobs", {"Jobs": []}, dict(step.check.parameters))
            stub.add_response("create_job", {"JobId": f"job-{number}"}, dict(step.parameters))
        applied = apply_plan(only_retro, _StubbedClients(client), kinds=KINDS)
        stub.assert_no_pending_responses()
    assert [o.status for o in applied.outcomes] == [StepStatus.APPLIED] * 3
    assert applied.outcomes[0].notes == (
        "job job-0; follow it with: aws s3control describe-job --account-id 222222222222 "
        "--job-id job-0 --region eu-west-1",
    )
    # A second apply finds the jobs by their description and creates none.
    with Stubber(client) as stub:
        for step in entry.steps:
            jobs = [{"JobId": "job-00000", "Description": step.parameters["Description"]}]
            stub.add_response("list_jobs", {"Jobs": jobs})
        again = apply_plan(only_retro, _StubbedClients(client), kinds=KINDS)
        stub.assert_no_pending_responses()
    assert [o.status for o in again.outcomes] == [StepStatus.ALREADY_DONE] * 3


def test_apply_without_retro_lock_creates_nothing() -> None:
    [entry] = _retro(build_plan(_result(), RemediationSettings()))
    plan = replace(build_plan(_result(), RemediationSettings()), entries=(entry,))
    clients = _StubbedClients(_s3control())
    with Stubber(clients.s3control):  # no response queued: any call would fail the test
        applied = apply_plan(plan, clients)
    assert applied.outcomes == ()
    assert clients.asked == []


def _run_dir(tmp_path: Path, settings: RemediationSettings) -> Path:
    result = _result()
    result = replace(result, findings=result.findings[:3])  # only the passing buckets
    run_dir = tmp_path / "20261127T090000Z"
    run_dir.mkdir()
    (run_dir / "findings.json").write_text(findings_file.dumps(result), encoding="utf-8")
    write_remediation(run_dir, result, settings)
    write_manifest(run_dir, run_dir.name)
    return run_dir


@pytest.mark.usefixtures("evidence_agrees")
def test_compliance_jobs_are_asked_about_even_with_yes(tmp_path: Path) -> None:
    # The plan file says COMPLIANCE: --yes alone does not answer for it.
    run_dir = _run_dir(tmp_path, RemediationSettings(mode=LockMode.COMPLIANCE))
    refused = runner.invoke(
        app, ["remediate", str(run_dir), "--apply", "--retro-lock", "--yes"], input="n\n"
    )
    assert refused.exit_code == 2, refused.output
    assert "3 retro-lock jobs put COMPLIANCE retention on existing log files" in refused.output
    assert "Create 3 jobs in COMPLIANCE mode?" in refused.output
    assert "COMPLIANCE retro-lock jobs were not confirmed; nothing was changed" in refused.output
    assert not list((run_dir / "remediation").glob("apply-*.json"))


def test_iam_policy_with_retro_lock_gives_the_role_beside_the_callers_policy(
    tmp_path: Path,
) -> None:
    run_dir = _run_dir(tmp_path, RemediationSettings())
    plain = runner.invoke(app, ["remediate", str(run_dir), "--iam-policy"])
    assert plain.exit_code == 0, plain.output
    assert "s3:CreateJob" not in plain.output  # --apply without --retro-lock creates no job
    shown = runner.invoke(app, ["remediate", str(run_dir), "--iam-policy", "--retro-lock"])
    assert shown.exit_code == 0, shown.output
    document = json.loads(shown.output)
    role = f"arn:aws:iam::{LOG_ARCHIVE}:role/orgscan-retro-lock"
    statements = document["caller_policy"]["Statement"]
    assert {"Sid": "RetroLock1", "Effect": "Allow", "Action": "iam:PassRole", "Resource": role} in (
        statements
    )
    assert any(
        s["Action"] == ["s3:CreateJob", "s3:ListJobs"] and s["Resource"] == "*" for s in statements
    )
    [entry] = document["retro_lock_roles"]
    assert entry["role_arn"] == role
    assert entry["trust_policy"]["Statement"][0]["Principal"] == {
        "Service": "batchoperations.s3.amazonaws.com"
    }
    resources = {r for s in entry["policy"]["Statement"] for r in s["Resource"]}
    assert f"arn:aws:s3:::{BUCKET}/*" in resources
    assert WORKLOAD not in json.dumps(entry)  # the clean bucket needs no job


def test_a_run_start_that_is_no_time_makes_no_job_and_no_traceback() -> None:
    # findings.json edited by hand: the reader keeps a run time that is not one as text.
    result = _result()
    assert _retro_entries(build_plan(result, RemediationSettings()))
    edited = replace(result, run=replace(result.run, started_at=""))
    assert _retro_entries(build_plan(edited, RemediationSettings())) == []


def _retro_entries(plan: Plan) -> list[PlanEntry]:
    return [entry for entry in plan.entries if entry.kind is EntryKind.RETRO_LOCK]
