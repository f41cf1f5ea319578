"""The account of the tests of unattended runs: one trail per status, in moto."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
import pytest

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}
CLEARED_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "MOTO_ACCOUNT_ID",
)


@dataclass(frozen=True)
class Account:
    """The trails of the test account by expected status."""

    passing: str
    warning: str
    failing: str


def fake_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, one region, nothing that could reach a real account."""
    for name in CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)


def build_account(**client_args: Any) -> Account:
    """Three trails in ``REGION``: locked for 400 days in COMPLIANCE (PASS), locked without a
    default retention (WARN), not locked (FAIL). Each validates its log files, and the locked
    bucket blocks public access: the PASS trail passes its integrity checks too."""
    s3 = boto3.client("s3", region_name=REGION, **client_args)
    cloudtrail = boto3.client("cloudtrail", region_name=REGION, **client_args)
    s3.create_bucket(Bucket="locked-logs", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket="locked-logs",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 400}},
        },
    )
    s3.put_public_access_block(
        Bucket="locked-logs",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.create_bucket(Bucket="no-retention-logs", ObjectLockEnabledForBucket=True)
    s3.create_bucket(Bucket="open-logs")
    arns = {}
    for name, bucket in (
        ("good", "locked-logs"),
        ("warnish", "no-retention-logs"),
        ("bad", "open-logs"),
    ):
        trail = cloudtrail.create_trail(
            Name=name, S3BucketName=bucket, EnableLogFileValidation=True
        )
        arns[name] = trail["TrailARN"]
        # Logging, with all management events (moto starts trails stopped, without selectors).
        cloudtrail.start_logging(Name=name)
        cloudtrail.put_event_selectors(
            TrailName=name,
            EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
        )
    return Account(passing=arns["good"], warning=arns["warnish"], failing=arns["bad"])


SCAN_ARGS = ["scan", "--no-org", "--regions", REGION, "--quiet", "--format", "json"]
