"""Closed loop through the real AWS CLI: the generated scripts, run by ``aws`` (v1, from PyPI)
against a moto server, fix exactly what the scan found, and a second run changes nothing.

``aws`` is the CLI's own entry point run in a fork of a process that imported it once
(``awscli_server``): the same code as the installed command, without ~0.4 s of start-up per call.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from orgscan.aws.sessions import SessionFactory
from orgscan.model import AccountVerdictCode, IntegrityCode, Policy, Status
from orgscan.remediation import RemediationSettings, Strategy, build_plan, write_plan_files
from orgscan.remediation.plan_model import EntryKind, Plan
from orgscan.simulate import MOTO_DEFAULT_ACCOUNT_ID, SimulatedOrg, build_demo_org
from orgscan.simulate.mock import patched_environ, reset_moto_server
from tests.builders import timeless
from tests.remediation.awscli_server import AwsCli
from tests.remediation.builders import LOG_ARCHIVE
from tests.remediation.loop import (
    SHARED_BUCKET,
    add_cross_account_case,
    assert_fixed_and_nothing_else_changed,
    by_arn,
    scan,
)
from tests.remediation.samples import rich_plan

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def aws_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsCli]:
    """The AWS CLI, imported once for every script run of the module."""
    cli = AwsCli(tmp_path_factory.mktemp("aws-cli"))
    try:
        yield cli
    finally:
        cli.stop()


@pytest.fixture
def moto_endpoint(tmp_path: Path) -> Iterator[str]:
    """A moto server on a free port, and this process's AWS settings pointing at it."""
    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    environment = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PROFILE": None,
        "AWS_SESSION_TOKEN": None,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS": "false",
    }
    try:
        # The server shares this process's moto state: start from nothing.
        reset_moto_server(endpoint)
        with patched_environ(environment):
            yield endpoint
    finally:
        server.stop()


def _credentials_env(account_id: str, cli: AwsCli) -> dict[str, str]:
    """The environment of a script run as ``account_id`` (its role assumed on the server)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        PATH=f"{cli.folder}:{env['PATH']}",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=os.environ["AWS_ENDPOINT_URL"],
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    if account_id == MOTO_DEFAULT_ACCOUNT_ID:
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        return env
    credentials = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
        RoleSessionName="remediation-test",
    )["Credentials"]
    env.update(
        AWS_ACCESS_KEY_ID=credentials["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=credentials["SecretAccessKey"],
        AWS_SESSION_TOKEN=credentials["SessionToken"],
    )
    return env


def _run(
    cli: AwsCli, script: Path, account_id: str, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(script), *args],
        capture_output=True,
        text=True,
        env=_credentials_env(account_id, cli),
        timeout=300,
        check=False,
    )


def _run_all(cli: AwsCli, run_dir: Path, plan: Plan, *args: str) -> dict[str, str]:
    outputs = {}
    for account_id in plan.account_order():
        done = _run(cli, run_dir / "remediation" / f"{account_id}.sh", account_id, *args)
        assert done.returncode == 0, (account_id, done.stdout, done.stderr)
        outputs[account_id] = done.stdout
    return outputs


def _bucket_exists(name: str) -> bool:
    # Another account's bucket answers 403 (it exists); only 404 means there is none.
    try:
        boto3.client("s3").head_bucket(Bucket=name)
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code in ("404", "NoSuchBucket"):
            return False
        if code != "403":
            raise
    return True


def _build(tmp_path: Path) -> tuple[SimulatedOrg, Path]:
    org = build_demo_org()
    add_cross_account_case(org, SessionFactory())
    (tmp_path / "run").mkdir()  # the run folder exists before anything is written into it
    return org, tmp_path / "run"


def test_scripts_fix_the_organization_through_the_aws_cli(moto_endpoint, aws_cli, tmp_path):
    org, run_dir = _build(tmp_path)
    before = scan(org)
    full = build_plan(before, RemediationSettings(strategy=Strategy.NEW_BUCKET))
    # The AWS CLI is slow to start: keep one entry of each shape (cross-account new bucket
    # outside us-east-1, missing bucket in us-east-1, retention only); the in-process loop
    # covers the rest.
    # Recording: the organization trail made multi-region from the management account, a
    # stopped trail started, excluded sources recorded (orders-prod's trail records data events,
    # where a script stops and --apply merges: the in-process loop covers it).
    keep = {
        org.log_archive_account_id,
        org.accounts["sandbox-alice"],
        org.accounts["payments-dev"],
        org.management_account_id,
        org.accounts["identity-prod"],
        org.accounts["audit-prod"],
    }
    plan = dataclasses.replace(
        full, entries=tuple(entry for entry in full.entries if entry.acting_account_id in keep)
    )
    write_plan_files(run_dir, plan)
    new_buckets = [entry.new_bucket_name for entry in plan.entries if entry.new_bucket_name]
    assert sorted(new_buckets) == [
        "acme-sandbox-alice-cloudtrail-locked",
        f"{SHARED_BUCKET}-locked",
    ]
    order = plan.account_order()
    assert order.index(org.log_archive_account_id) < order.index(org.accounts["identity-prod"])

    # A dry run prints every write and makes none.
    archive = org.log_archive_account_id
    dry = _run(aws_cli, run_dir / "remediation" / f"{archive}.sh", archive)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count("would run: aws ") == len(plan.steps_for(archive)) == 6
    assert (
        f"would run: aws s3api create-bucket --bucket {SHARED_BUCKET}-locked "
        "--object-lock-enabled-for-bucket --create-bucket-configuration "
        '\'{"LocationConstraint":"eu-west-1"}\' --region eu-west-1'
    ) in dry.stdout
    assert not any(_bucket_exists(name) for name in new_buckets)

    applied = _run_all(aws_cli, run_dir, plan, "--apply")
    assert all("running: aws " in output for output in applied.values())
    after = scan(org)
    assert_fixed_and_nothing_else_changed(before, after, plan)
    assert all(_bucket_exists(name) for name in new_buckets)
    verdicts = {a.name: a.verdict_code for a in after.accounts}
    # The organization trail now records every region: the accounts without a trail of their
    # own, or with a stopped or partial one, are protected.
    for name in ("security-tooling", "sandbox-dave", "identity-prod", "audit-prod", "orders-prod"):
        assert verdicts[name] is AccountVerdictCode.PROTECTED, name

    # Second run: every step is already done (orgscan's policy statements included).
    again = _run_all(aws_cli, run_dir, plan, "--apply")
    rerun = [
        line
        for output in again.values()
        for line in output.splitlines()
        if line.startswith("running: ")
    ]
    assert rerun == []
    assert sum(output.count(": already done, skipped") for output in again.values()) == sum(
        len(plan.steps_for(account)) for account in again
    )
    assert timeless(scan(org).findings) == timeless(after.findings)


def test_the_aws_cli_with_another_accounts_credentials_is_refused(moto_endpoint, aws_cli, tmp_path):
    plan = rich_plan()
    write_plan_files(tmp_path, plan)
    refused = _run(
        aws_cli, tmp_path / "remediation" / f"{LOG_ARCHIVE}.sh", MOTO_DEFAULT_ACCOUNT_ID, "--apply"
    )
    assert refused.returncode == 1
    assert (
        f"refusing to run: these credentials belong to account {MOTO_DEFAULT_ACCOUNT_ID}, "
        f"this script is for account {LOG_ARCHIVE}"
    ) in refused.stderr
    assert refused.stdout == ""


def test_a_stale_script_leaves_a_stronger_bucket_unchanged(moto_endpoint, aws_cli, tmp_path):
    org, run_dir = _build(tmp_path)
    account = org.accounts["orders-dev"]  # GOVERNANCE 30 days today: planned GOVERNANCE 90
    full = build_plan(scan(org), RemediationSettings())
    plan = dataclasses.replace(
        full, entries=tuple(entry for entry in full.entries if entry.acting_account_id == account)
    )
    write_plan_files(run_dir, plan)
    [entry] = plan.entries
    script = run_dir / "remediation" / f"{account}.sh"
    s3 = SessionFactory().client(account, "s3", entry.region or "us-east-1")

    def set_rule(mode: str, days: int) -> None:
        s3.put_object_lock_configuration(
            Bucket=entry.bucket_name,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}},
            },
        )

    def rule() -> tuple[str, int]:
        found = s3.get_object_lock_configuration(Bucket=entry.bucket_name)[
            "ObjectLockConfiguration"
        ]["Rule"]["DefaultRetention"]
        return found["Mode"], found["Days"]

    # Since the scan, the bucket was raised to COMPLIANCE for a year: nothing to do.
    set_rule("COMPLIANCE", 365)
    applied = _run(aws_cli, script, account, "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "step 1: already done, skipped" in applied.stdout
    assert "running: " not in applied.stdout
    assert rule() == ("COMPLIANCE", 365)

    # Stronger in mode, shorter in days: writing the plan would lower the mode. Stop.
    set_rule("COMPLIANCE", 30)
    dry = _run(aws_cli, script, account)
    assert dry.returncode == 1
    assert "step 1 would stop: the bucket's default retention is already stronger" in dry.stdout
    stopped = _run(aws_cli, script, account, "--apply")
    assert stopped.returncode == 1
    assert stopped.stderr.startswith(
        "stopped at step 1: the bucket's default retention is "
        "already stronger than GOVERNANCE for 90 days"
    )
    assert rule() == ("COMPLIANCE", 30)


def _trail_bucket(org: SimulatedOrg, name: str) -> str:
    trail = org.trail(name)
    cloudtrail = SessionFactory().client(trail.account_id, "cloudtrail", trail.home_region)
    return str(cloudtrail.get_trail(Name=trail.name)["Trail"]["S3BucketName"])


def _move_trail(org: SimulatedOrg, name: str, bucket: str) -> None:
    trail = org.trail(name)
    SessionFactory().client(trail.account_id, "cloudtrail", trail.home_region).update_trail(
        Name=trail.name, S3BucketName=bucket
    )


def _lock(s3: Any, bucket: str, mode: str, days: int) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}},
        },
    )


def _stops_at_step_1(cli: AwsCli, script: Path, account: str, why: str) -> None:
    """The dry run and --apply both stop at step 1 for ``why`` and run nothing."""
    dry = _run(cli, script, account)
    assert dry.returncode == 1, (dry.stdout, dry.stderr)
    assert f"step 1 would stop: {why}\n" in dry.stdout
    applied = _run(cli, script, account, "--apply")
    assert applied.returncode == 1, (applied.stdout, applied.stderr)
    assert applied.stderr == f"stopped at step 1: {why}\n"
    assert "running: " not in applied.stdout


def test_stale_scripts_leave_trails_and_stronger_buckets_alone(moto_endpoint, aws_cli, tmp_path):
    org, _ = _build(tmp_path)
    before = scan(org)
    # The demo's policy asks for 90 days; a run scanned without that minimum allows one day.
    lenient = dataclasses.replace(before, run=dataclasses.replace(before.run, policy=Policy()))
    folders = {"default": tmp_path / "default", "new-bucket-1-day": tmp_path / "one-day"}
    for folder in folders.values():
        folder.mkdir()  # a run folder exists before anything is written into it
    write_plan_files(folders["default"], build_plan(before, RemediationSettings()))
    write_plan_files(
        folders["new-bucket-1-day"],
        build_plan(lenient, RemediationSettings(strategy=Strategy.NEW_BUCKET, days=1)),
    )
    sessions = SessionFactory()

    # The missing bucket was created again since the scan, locked for ten years.
    alice = org.accounts["sandbox-alice"]
    missing = "acme-sandbox-alice-cloudtrail"
    alice_s3 = sessions.client(alice, "s3", "us-east-1")
    alice_s3.create_bucket(Bucket=missing, ObjectLockEnabledForBucket=True)
    _lock(alice_s3, missing, "COMPLIANCE", 3650)
    for folder in folders.values():
        _stops_at_step_1(
            aws_cli,
            folder / "remediation" / f"{alice}.sh",
            alice,
            f"the bucket {missing} exists again (it was missing when the run scanned it), so "
            "no trail is moved off it and no new bucket is made. Scan again",
        )
    assert not _bucket_exists(f"{missing}-locked")
    assert _trail_bucket(org, "sandbox-alice-trail") == missing

    # The unlocked bucket's trail was moved to another bucket since the scan: neither a new
    # bucket (new-bucket) nor Object Lock in place (default) for a bucket no trail uses.
    payments = org.accounts["payments-prod"]
    bucket = "acme-payments-prod-cloudtrail"
    payments_s3 = sessions.client(payments, "s3", "us-east-1")
    payments_s3.create_bucket(Bucket="acme-payments-prod-elsewhere")
    _move_trail(org, "payments-prod-trail", "acme-payments-prod-elsewhere")
    for folder in folders.values():
        _stops_at_step_1(
            aws_cli,
            folder / "remediation" / f"{payments}.sh",
            payments,
            f"no trail this plan names delivers to {bucket} any more (moved or deleted since "
            "the scan), so the bucket is left as it is. Scan again",
        )
    assert not _bucket_exists(f"{bucket}-locked")
    with pytest.raises(ClientError, match="ObjectLockConfigurationNotFoundError"):
        payments_s3.get_object_lock_configuration(Bucket=bucket)

    # Back on its bucket, which was locked since the scan: no new one-day bucket for it.
    _move_trail(org, "payments-prod-trail", bucket)
    _lock(payments_s3, bucket, "COMPLIANCE", 3650)
    _stops_at_step_1(
        aws_cli,
        folders["new-bucket-1-day"] / "remediation" / f"{payments}.sh",
        payments,
        f"the bucket {bucket} now has a default retention at least as strong as the new "
        "bucket's GOVERNANCE for 1 days (or stronger in mode or days), so no trail is moved "
        "off it and no new bucket is made. Scan again",
    )
    assert not _bucket_exists(f"{bucket}-locked")
    assert _trail_bucket(org, "payments-prod-trail") == bucket


def test_a_script_raises_a_short_lifecycle_rule_through_the_aws_cli(
    moto_endpoint, aws_cli, tmp_path
):
    org, run_dir = _build(tmp_path)
    orders = org.accounts["orders-prod"]
    full = build_plan(scan(org), RemediationSettings())
    plan = dataclasses.replace(
        full,
        entries=tuple(
            entry
            for entry in full.entries
            if entry.kind is EntryKind.INTEGRITY and entry.check is IntegrityCode.LIFECYCLE
        ),
    )
    (entry,) = plan.entries
    assert entry.acting_account_id == orders
    write_plan_files(run_dir, plan)
    script = run_dir / "remediation" / f"{orders}.sh"
    s3 = SessionFactory().client(orders, "s3", entry.region or "us-east-1")

    def rules() -> list[dict[str, Any]]:
        return s3.get_bucket_lifecycle_configuration(Bucket=entry.bucket_name)["Rules"]

    before = rules()
    dry = _run(aws_cli, script, orders)
    assert dry.returncode == 0, dry.stderr
    assert rules() == before  # a dry run reads, never writes
    applied = _run(aws_cli, script, orders, "--apply")
    assert applied.returncode == 0, (applied.stdout, applied.stderr)
    assert "running: aws s3api put-bucket-lifecycle-configuration" in applied.stdout
    after = rules()
    # Only the days of the rule's expiration changed: raised to what the bucket keeps.
    raised = [rule["Expiration"]["Days"] for rule in after if "Expiration" in rule]
    assert raised
    assert min(raised) >= org.policy.min_retention_days
    assert [{**rule, "Expiration": None} for rule in after] == [
        {**rule, "Expiration": None} for rule in before
    ]
    lifecycle = {c.check: c.status for c in by_arn(scan(org))[entry.findings[0]].integrity}
    assert lifecycle[IntegrityCode.LIFECYCLE] is Status.PASS
    again = _run(aws_cli, script, orders, "--apply")
    assert again.returncode == 0, again.stderr
    assert "running: " not in again.stdout
    assert rules() == after
