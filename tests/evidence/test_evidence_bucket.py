"""``--evidence-bucket``: the sealed run folder copied under Object Lock (moto)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError

from orgscan.cli.exitcodes import ExitCode
from orgscan.config.evidence_bucket import EvidenceBucket, parse_evidence_bucket
from orgscan.errors import InputError
from orgscan.evidence import bucket_copy
from orgscan.evidence.bucket import check_locked, retention_for, upload_run
from orgscan.model import LockMode
from orgscan.simulate import SimulatedOrg, build_demo_org, demo_mock
from tests.evidence.cli import run_cli

LOCKED = "acme-audit-evidence"
UNLOCKED = "acme-plain-bucket"


@pytest.fixture(scope="module")
def org_with_evidence_buckets() -> Iterator[tuple[SimulatedOrg, Any]]:
    """The demo organization in moto, plus a locked and an unlocked bucket of the caller."""
    with demo_mock():
        org = build_demo_org()
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=LOCKED, ObjectLockEnabledForBucket=True)
        s3.create_bucket(Bucket=UNLOCKED)
        yield org, s3


def scan(out: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli(
        "scan",
        "--output-dir",
        str(out),
        "--regions",
        "us-east-1",
        "-q",
        "--fail-on",
        "never",
        *extra,
    )


def test_the_run_folder_is_copied_locked(
    org_with_evidence_buckets: tuple[SimulatedOrg, Any], tmp_path: Path
) -> None:
    _, s3 = org_with_evidence_buckets
    code, out, err = scan(
        tmp_path, "--evidence-bucket", f"s3://{LOCKED}/runs/prod", "--evidence-retention-days", "30"
    )
    # --fail-on never, every account and region was read; the demo's unreadable bucket is
    # outside the organization (FAIL), and its lifecycle and public access could not be
    # told (integrity ERROR): evidence incomplete.
    assert code == ExitCode.INCOMPLETE
    assert err == ""
    assert out == ""  # --quiet prints errors only: the digest is in the shared log
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir() and not p.is_symlink()]
    manifest = (run_dir / "manifest.json").read_bytes()
    sha = hashlib.sha256(manifest).hexdigest()
    assert f"manifest.json sha256 {sha}" in (tmp_path / "orgscan.log").read_text()
    listed = json.loads(manifest)["files"]
    prefix = f"runs/prod/{run_dir.name}/"
    objects = s3.list_object_versions(Bucket=LOCKED, Prefix=prefix)["Versions"]
    assert sorted(o["Key"].removeprefix(prefix) for o in objects) == sorted(
        [*listed, "manifest.json"]
    )
    body = s3.get_object(Bucket=LOCKED, Key=prefix + "manifest.json")["Body"].read()
    assert body == manifest
    for obj in objects:
        # HeadObject, not GetObjectRetention: moto answers the latter with a 500.
        head = s3.head_object(Bucket=LOCKED, Key=obj["Key"], VersionId=obj["VersionId"])
        assert head["ObjectLockMode"] == "COMPLIANCE"
        days = (head["ObjectLockRetainUntilDate"] - datetime.now(UTC)).days
        assert 28 <= days <= 30
    victim = next(o for o in objects if o["Key"].endswith("findings.json"))
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=LOCKED, Key=victim["Key"], VersionId=victim["VersionId"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert (
        s3.get_object(Bucket=LOCKED, Key=victim["Key"], VersionId=victim["VersionId"])[
            "Body"
        ].read()
        == (run_dir / "findings.json").read_bytes()
    )


def test_a_bucket_without_object_lock_is_refused_before_anything_is_written(
    org_with_evidence_buckets: tuple[SimulatedOrg, Any], tmp_path: Path
) -> None:
    out = tmp_path / "runs"
    code, _, err = scan(out, "--evidence-bucket", f"s3://{UNLOCKED}")
    assert code == 2
    assert err.strip() == (
        f"orgscan: error: evidence bucket {UNLOCKED} has no Object Lock; "
        "use a bucket created with Object Lock enabled"
    )
    assert not out.exists() or not any(out.iterdir())
    code, _, err = scan(out, "--evidence-bucket", "s3://no-such-evidence-bucket")
    assert code == 2
    assert "NoSuchBucket" in err


def test_bucket_addresses_and_retention_defaults() -> None:
    assert parse_evidence_bucket("s3://logs-1/a/b/") == EvidenceBucket("logs-1", "a/b")
    assert parse_evidence_bucket("s3://logs-1").key("R", "x.json") == "R/x.json"
    for bad in ("logs-1", "s3://", "s3://UPPER/x", "s3://ok-bucket/a//b", "s3://ok/../x"):
        with pytest.raises(InputError):
            parse_evidence_bucket(bad)
    assert retention_for(None, None, None).days == 365
    assert retention_for(None, None, 400) == retention_for(LockMode.COMPLIANCE, 400, 10)
    assert retention_for(LockMode.GOVERNANCE, 7, 400).mode is LockMode.GOVERNANCE


def test_every_evidence_call_names_the_account_that_must_own_the_bucket(
    org_with_evidence_buckets: tuple[SimulatedOrg, Any], tmp_path: Path
) -> None:
    _, s3 = org_with_evidence_buckets
    sent: list[tuple[str, str | None]] = []

    def capture(params: dict[str, Any], model: Any, **_: Any) -> None:
        sent.append((model.name, params.get("ExpectedBucketOwner")))

    s3.meta.events.register("before-parameter-build.s3.*", capture)
    try:
        (tmp_path / "findings.json").write_text("{}")
        (tmp_path / "manifest.json").write_text("{}")
        target = EvidenceBucket(LOCKED, "owned")
        check_locked(s3, target, "111122223333")
        keys = upload_run(
            s3,
            target,
            tmp_path,
            "R",
            retention_for(None, 1, None),
            datetime.now(UTC),
            "111122223333",
        )
    finally:
        s3.meta.events.unregister("before-parameter-build.s3.*", capture)
    assert keys == ["owned/R/findings.json", "owned/R/manifest.json"]
    assert sent == [
        ("GetObjectLockConfiguration", "111122223333"),
        ("PutObject", "111122223333"),
        ("PutObject", "111122223333"),
    ]


def test_without_quiet_the_digest_and_the_copy_are_printed(
    org_with_evidence_buckets: tuple[SimulatedOrg, Any], tmp_path: Path
) -> None:
    code, out, _ = run_cli(
        "scan",
        "--output-dir",
        str(tmp_path),
        "--regions",
        "us-east-1",
        "--fail-on",
        "never",
        "--evidence-bucket",
        f"s3://{LOCKED}/loud",
    )
    assert code == ExitCode.INCOMPLETE  # the partner's bucket: integrity could not be told
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir() and not p.is_symlink()]
    sha = hashlib.sha256((run_dir / "manifest.json").read_bytes()).hexdigest()
    lines = out.splitlines()
    assert lines[0] == f"manifest.json sha256 {sha}"
    assert lines[1].startswith(f"copied {len(list(run_dir.rglob('*.*')))} files to s3://{LOCKED}/")
    assert lines[2].startswith("orgscan: ")  # the summary follows


ARCHIVE = "333333333333"
CENTRAL = "acme-central-evidence"


def enforce_owners(client: Any, owners: dict[str, str]) -> Any:
    """``client``, refusing with AccessDenied (403) every call on a bucket of ``owners`` whose
    ExpectedBucketOwner names another account, as S3 does (moto does not check it)."""

    def check(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        owner = owners.get(params.get("Bucket", ""))
        expected = params.get("ExpectedBucketOwner")
        context["owner_refused"] = owner is not None and expected not in (None, owner)

    def refuse(context: dict[str, Any], **_: Any) -> Any:
        if not context.get("owner_refused"):
            return None
        response = AWSResponse("https://s3.amazonaws.com", 403, HTTPHeaders(), None)
        error = {"Code": "AccessDenied", "Message": "Access Denied"}
        return response, {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 403}}

    client.meta.events.register("before-parameter-build.s3.*", check)
    client.meta.events.register("before-call.s3.*", refuse)
    return client


@pytest.fixture
def central_bucket(
    org_with_evidence_buckets: tuple[SimulatedOrg, Any], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A locked bucket of the log-archive account that lets the caller write into it."""
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{ARCHIVE}:role/OrganizationAccountAccessRole", RoleSessionName="test"
    )["Credentials"]
    archive = boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    archive.create_bucket(Bucket=CENTRAL, ObjectLockEnabledForBucket=True)
    caller = boto3.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
    statement = {
        "Sid": "OrgscanEvidence",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{caller}:root"},
        "Action": ["s3:PutObject", "s3:PutObjectRetention", "s3:GetBucketObjectLockConfiguration"],
        "Resource": [f"arn:aws:s3:::{CENTRAL}", f"arn:aws:s3:::{CENTRAL}/*"],
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    archive.put_bucket_policy(Bucket=CENTRAL, Policy=json.dumps(policy))
    # The demo's moto denies every cross-account S3 call; AWS allows these through the policy
    # above, which moto does not evaluate, so cross-account access is allowed for this test.
    monkeypatch.setenv("MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS", "true")
    original = bucket_copy._evidence_client
    monkeypatch.setattr(
        bucket_copy,
        "_evidence_client",
        lambda sessions: enforce_owners(original(sessions), {CENTRAL: ARCHIVE}),
    )
    yield archive
    objects = archive.list_object_versions(Bucket=CENTRAL).get("Versions", [])
    assert all(o["Key"].startswith("central/") for o in objects)


def test_a_bucket_of_another_account_takes_the_copy_only_when_named_its_owner(
    central_bucket: Any, tmp_path: Path
) -> None:
    # Without the option the caller's account is expected: S3 refuses, before anything is written.
    code, _, err = scan(tmp_path / "refused", "--evidence-bucket", f"s3://{CENTRAL}/central")
    assert code == 2
    assert err.strip() == (
        f"orgscan: error: evidence bucket {CENTRAL}: cannot read its Object Lock configuration "
        "(AccessDenied: Access Denied)"
    )
    assert not (tmp_path / "refused").exists() or not any((tmp_path / "refused").iterdir())

    out = tmp_path / "accepted"
    code, _, err = scan(
        out, "--evidence-bucket", f"s3://{CENTRAL}/central", "--evidence-bucket-owner", ARCHIVE
    )
    # Copied; exit 3 only because the partner's bucket cannot be read (integrity ERROR).
    assert (code, err) == (ExitCode.INCOMPLETE, "")
    (run_dir,) = [p for p in out.iterdir() if p.is_dir() and not p.is_symlink()]
    head = central_bucket.head_object(Bucket=CENTRAL, Key=f"central/{run_dir.name}/manifest.json")
    assert head["ObjectLockMode"] == "COMPLIANCE"


def test_a_bad_evidence_bucket_owner_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, _, err = run_cli(
        "scan", "--output-dir", str(tmp_path), "--evidence-bucket-owner", "12345"
    )
    assert code == 2
    assert err.strip() == (
        "orgscan: error: option --evidence-bucket-owner: expected a 12-digit AWS account id"
    )
