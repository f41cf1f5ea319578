"""The IAM policies list exactly the actions orgscan calls: checked against a recorded scan."""

from __future__ import annotations

import fnmatch
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orgscan.aws.iam import (
    ALL_POLICIES,
    CALLER,
    POLICY_PACKAGE_FOLDER,
    REMEDIATION,
    SCAN_ROLE,
    TRUST,
    policy_actions,
    policy_document,
    policy_text,
)
from orgscan.aws.sessions import SessionFactory
from orgscan.cli import app
from orgscan.remediation.planfile import ALLOWED_CHECKS, ALLOWED_OPERATIONS
from orgscan.tamper.step import start_run
from tests.fake_org import fake_demo
from tests.remediation.loop import scan

ROOT = Path(__file__).resolve().parents[2]

# API operations whose IAM action is not named "service:Operation".
ACTION_OF_OPERATION = {
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetObjectLockConfiguration"): "s3:GetBucketObjectLockConfiguration",
    ("s3", "PutObjectLockConfiguration"): "s3:PutBucketObjectLockConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "PutPublicAccessBlock"): "s3:PutBucketPublicAccessBlock",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "PutBucketEncryption"): "s3:PutEncryptionConfiguration",
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "PutBucketLifecycleConfiguration"): "s3:PutLifecycleConfiguration",
    ("s3-control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("s3control", "CreateJob"): "s3:CreateJob",
    ("s3control", "ListJobs"): "s3:ListJobs",
}
# Permissions a call needs beside its own action: S3 Batch Operations runs a job as the role
# CreateJob passes to it; taking the public grants out of a bucket policy may leave no
# statement, and AWS takes no policy without one, so the policy is deleted instead.
ALSO_NEEDED = {"s3:CreateJob": {"iam:PassRole"}, "s3:PutBucketPolicy": {"s3:DeleteBucketPolicy"}}
# AWS authorizes these for every identity; no policy can (or needs to) grant them.
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}


def tamper_actions() -> frozenset[str]:
    """The actions of the statements that grant the tamper-path reads (contract 5.3)."""
    statements = [
        statement
        for policy in (SCAN_ROLE, CALLER)
        for statement in policy_document(policy)["Statement"]
        if statement["Sid"] in ("ReadTamperPaths", "ReadOrganizationPolicies")
    ]
    return policy_actions({"Statement": statements})


def prelock_actions() -> frozenset[str]:
    """The actions of the statement that grants the pre-lock count's reads (contract 5.4)."""
    [statement] = [
        statement
        for statement in policy_document(SCAN_ROLE)["Statement"]
        if statement["Sid"] == "ReadLogFilesBeforeLock"
    ]
    return policy_actions({"Statement": [statement]})


def action(service: str, operation: str) -> str:
    return ACTION_OF_OPERATION.get((service, operation), f"{service}:{operation}")


@pytest.fixture(scope="module")
def recorded() -> dict[str, set[str]]:
    """The IAM actions of every AWS call a full scan of the demo organization makes, split by
    whose credentials made it: the caller's own, or a member account's assumed role."""
    calls: dict[str, set[str]] = {"caller": set(), "member": set()}

    def record(event_name: str, context: dict[str, Any], **_: Any) -> None:
        service, operation = event_name.split(".")[1:]
        # Member-account calls carry the assumed role's credentials in the signing context.
        whose = "member" if context.get("signing", {}).get("request_credentials") else "caller"
        calls[whose].add(action(service, operation))

    # The in-process responder answers exactly the calls a scan makes (and refuses others).
    with fake_demo() as org:
        sessions = SessionFactory(
            configure_session=lambda session: session.register(
                "before-call.*.*",
                record,  # type: ignore[arg-type]  # botocore passes keywords; its stub admits only **kwargs
            )
        )
        result = scan(org, sessions)
        # The run's tamper step, as the pipeline runs it after the scan (contract 5.3).
        tamper = start_run(
            result,
            sessions,
            sessions.default_region,
            org.management_account_id,
            sessions.caller_account_id,
            (),
        ).result()
    assert len(result.findings) == len(org.trails)  # a full scan, not one cut short
    assert tamper.weakeners  # the tamper reads were answered, not refused
    return calls


def test_member_accounts_need_only_the_scan_role_policy(recorded: dict[str, set[str]]) -> None:
    scan_role = policy_actions(policy_document(SCAN_ROLE))
    assert recorded["member"] <= scan_role
    # Every bucket read path ran: listing, the region lookup, the lock and versioning reads.
    assert {
        "s3:ListAllMyBuckets",
        "s3:ListBucket",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetBucketVersioning",
    } <= recorded["member"]


def test_policies_list_exactly_what_the_scan_calls(recorded: dict[str, set[str]]) -> None:
    granted = policy_actions(policy_document(SCAN_ROLE)) | policy_actions(policy_document(CALLER))
    # The demo's encrypted trails make the scan read their keys' policies too.
    # The pre-lock reads are proven by tests/prelock/test_measure.py (HeadObject needs two
    # actions, one of them never called by name).
    granted -= prelock_actions()
    called = (recorded["caller"] | recorded["member"]) - NEEDS_NO_PERMISSION
    assert called == granted
    assert recorded["caller"] - NEEDS_NO_PERMISSION <= granted
    # Only the caller reads the organization and assumes roles.
    caller_only = policy_actions(policy_document(CALLER))
    assert caller_only <= recorded["caller"]
    assert not caller_only & recorded["member"]


def test_remediation_policy_lists_every_call_a_plan_may_make() -> None:
    possible = {
        action(service.value, operation)
        for table in (ALLOWED_OPERATIONS, ALLOWED_CHECKS)
        for service, operations in table.items()
        for operation in operations
    }
    possible |= {extra for needed in possible for extra in ALSO_NEEDED.get(needed, ())}
    assert policy_actions(policy_document(REMEDIATION)) == possible


def test_trust_policy_trusts_only_the_management_account() -> None:
    [statement] = policy_document(TRUST)["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": "arn:<PARTITION>:iam::<MANAGEMENT_ACCOUNT_ID>:root"}


# ------------------------------------------------------------------ files and packaging


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=lambda p: p.file_name)
def test_configs_iam_holds_the_shipped_files(policy: Any) -> None:
    assert (ROOT / "configs" / "iam" / policy.file_name).read_text(encoding="utf-8") == policy_text(
        policy
    )


def test_policy_files_are_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["orgscan"]
    for policy in ALL_POLICIES:
        assert any(
            fnmatch.fnmatch(f"{POLICY_PACKAGE_FOLDER}/{policy.file_name}", pattern)
            for pattern in patterns
        ), policy.file_name
    shipped = {path.name for path in (ROOT / "orgscan" / POLICY_PACKAGE_FOLDER).iterdir()}
    assert shipped == {policy.file_name for policy in ALL_POLICIES}


# ------------------------------------------------------------------ orgscan iam-policy


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, ["iam-policy", *args])


def test_text_output_is_the_files_with_a_heading_each() -> None:
    outcome = invoke()
    assert outcome.exit_code == 0
    for policy in (SCAN_ROLE, TRUST, CALLER):
        assert f"# {policy.file_name}: " in outcome.stdout
        assert policy_text(policy).replace("<PARTITION>", "aws").strip() in outcome.stdout
    assert "<PARTITION>" not in outcome.stdout
    assert REMEDIATION.file_name not in outcome.stdout
    assert (
        "note: placeholders left: <MANAGEMENT_ACCOUNT_ID> (--management-account-id), "
        "<EXTERNAL_ID> (--external-id), <SCAN_ROLE_NAME> (--role-name)\n"
    ) in outcome.stderr


def test_json_output_filled_in() -> None:
    outcome = invoke(
        "--json",
        "--remediation",
        "--management-account-id",
        "111122223333",
        "--external-id",
        "audit-7",
        "--role-name",
        "OrgScanReadOnly",
    )
    assert outcome.exit_code == 0
    document = json.loads(outcome.stdout)
    assert list(document) == [
        "scan_role_policy",
        "scan_role_trust_policy",
        "management_caller_policy",
        "remediation_policy",
    ]
    [trust] = document["scan_role_trust_policy"]["Statement"]
    assert trust["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "audit-7"}}
    assume = document["management_caller_policy"]["Statement"][1]
    assert assume["Resource"] == "arn:aws:iam::*:role/OrgScanReadOnly"
    assert document["scan_role_policy"] == policy_document(SCAN_ROLE)
    assert "placeholders" not in outcome.stderr


def test_without_an_external_id_the_condition_is_dropped() -> None:
    outcome = invoke("--json", "--management-account-id", "111122223333")
    [trust] = json.loads(outcome.stdout)["scan_role_trust_policy"]["Statement"]
    assert "Condition" not in trust
    assert trust["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--management-account-id", "1234"],
            "--management-account-id: expected a 12-digit AWS account id, not '1234'",
        ),
        (["--external-id", "x"], "--external-id: expected 2-1224 of letters"),
        (["--role-name", "bad role"], "--role-name: expected an IAM role name"),
    ],
)
def test_bad_values_are_exit_2(args: list[str], message: str) -> None:
    outcome = invoke(*args)
    assert outcome.exit_code == 2
    assert outcome.stdout == ""
    assert outcome.stderr.startswith(f"orgscan: error: {message}")


@pytest.mark.parametrize(
    ("args", "env_region", "partition"),
    [
        (("--partition", "aws-us-gov"), None, "aws-us-gov"),
        ((), "cn-north-1", "aws-cn"),  # the configured region's partition
        ((), "eusc-de-east-1", "aws-eusc"),
        (("--partition", "aws"), "cn-north-1", "aws"),  # the option wins
        ((), None, "aws"),
    ],
)
def test_the_arns_name_the_partition(
    monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], env_region: str | None, partition: str
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.delenv("AWS_REGION", raising=False)
    if env_region is None:
        monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    else:
        monkeypatch.setenv("AWS_DEFAULT_REGION", env_region)
    outcome = invoke("--json", "--remediation", "--management-account-id", "111122223333", *args)
    assert outcome.exit_code == 0, outcome.stderr
    document = json.loads(outcome.stdout)
    [trust] = document["scan_role_trust_policy"]["Statement"]
    assert trust["Principal"] == {"AWS": f"arn:{partition}:iam::111122223333:root"}
    assume = document["management_caller_policy"]["Statement"][1]
    assert assume["Resource"] == f"arn:{partition}:iam::*:role/<SCAN_ROLE_NAME>"
    resources = json.dumps(document["remediation_policy"])
    assert f'"arn:{partition}:s3:::<BUCKET_OF_THE_PLAN>"' in resources
    assert "arn:aws:" not in json.dumps(document) or partition == "aws"


def test_an_unknown_partition_is_refused_in_one_line() -> None:
    outcome = invoke("--partition", "arn:aws")
    assert outcome.exit_code == 2
    assert "--partition: expected an AWS partition" in outcome.stderr
    assert len(outcome.stderr.strip().splitlines()) == 1
