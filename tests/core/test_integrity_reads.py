"""The integrity reads against moto (contract 5.2): lifecycle rules, policy status, Block
Public Access of a bucket and of an account, a KMS key's state and rotation; a refused read is
an error value, never a PASS."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from orgscan.collect.integrity import (
    key_owner,
    read_account_block,
    read_bucket_integrity,
    read_key,
)
from orgscan.facts import BLOCK_SETTINGS, AccountBlock, KeyFacts, LifecycleRule
from orgscan.simulate.build_integrity import block_configuration, bucket_policy

ACCOUNT = "123456789012"  # moto's default account


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield


def _s3() -> Any:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="trail-logs")
    return s3


def _refuse(client: Any, operation: str) -> None:
    """Make ``operation`` answer AccessDenied, as AWS does without the permission."""

    def refuse(**_: Any) -> None:
        error = {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}
        raise ClientError(error, operation)  # type: ignore[arg-type]

    client.meta.events.register(f"before-call.*.{operation}", refuse)


def test_a_plain_bucket_reads_as_nothing_configured(aws: None) -> None:
    integrity = read_bucket_integrity(_s3(), "trail-logs")
    assert (integrity.lifecycle, integrity.is_public, integrity.blocked) == ((), False, frozenset())
    assert (integrity.lifecycle_error, integrity.policy_status_error, integrity.block_error) == (
        None,
        None,
        None,
    )


def test_lifecycle_rules_are_read_with_their_shortest_expiration(aws: None) -> None:
    s3 = _s3()
    rules: list[Any] = [
        {
            "ID": "both",
            "Status": "Enabled",
            "Filter": {"Prefix": "AWSLogs/"},
            "Expiration": {"Days": 400},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 40},
        },
        {
            "ID": "tagged",
            "Status": "Enabled",
            "Filter": {"And": {"Prefix": "x/", "Tags": [{"Key": "k", "Value": "v"}]}},
            "Expiration": {"Days": 5},
        },
        {"ID": "off", "Status": "Disabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}},
        {
            "ID": "markers",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Expiration": {"ExpiredObjectDeleteMarker": True},
        },
        {
            "ID": "dated",
            "Status": "Enabled",
            "Filter": {"Tag": {"Key": "k", "Value": "v"}},
            "Expiration": {"Date": datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)},
        },
    ]
    s3.put_bucket_lifecycle_configuration(
        Bucket="trail-logs", LifecycleConfiguration={"Rules": rules}
    )
    assert read_bucket_integrity(s3, "trail-logs").lifecycle == (
        LifecycleRule("AWSLogs/", False, 40),
        LifecycleRule("x/", True, 5),
        LifecycleRule("", True, 0),  # a date keeps the files written just before it no time
    )


def test_a_public_policy_and_a_block_are_read(aws: None) -> None:
    s3 = _s3()
    public = bucket_policy("trail-logs", "123456789012", public=True, withholds_delivery=False)
    s3.put_bucket_policy(Bucket="trail-logs", Policy=str(public))
    s3.put_public_access_block(
        Bucket="trail-logs",
        PublicAccessBlockConfiguration={**block_configuration(), "RestrictPublicBuckets": False},
    )
    integrity = read_bucket_integrity(s3, "trail-logs")
    assert integrity.is_public is True
    assert integrity.blocked == BLOCK_SETTINGS - {"RestrictPublicBuckets"}


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        ("GetBucketLifecycleConfiguration", "lifecycle"),
        ("GetBucketPolicyStatus", "is_public"),
        ("GetPublicAccessBlock", "blocked"),
    ],
)
def test_a_refused_bucket_read_is_an_error_not_a_value(
    aws: None, operation: str, field: str
) -> None:
    s3 = _s3()
    _refuse(s3, operation)
    integrity = read_bucket_integrity(s3, "trail-logs")
    assert getattr(integrity, field) is None
    errors = (integrity.lifecycle_error, integrity.policy_status_error, integrity.block_error)
    assert [error.code if error else None for error in errors].count("AccessDenied") == 1


def test_the_account_block_is_read_through_s3control(aws: None) -> None:
    s3control = boto3.client("s3control", region_name="us-east-1")
    assert read_account_block(s3control, ACCOUNT) == AccountBlock(ACCOUNT, frozenset())
    s3control.put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration=block_configuration()
    )
    assert read_account_block(s3control, ACCOUNT) == AccountBlock(ACCOUNT, BLOCK_SETTINGS)
    _refuse(s3control, "GetPublicAccessBlock")
    refused = read_account_block(s3control, ACCOUNT)
    assert (refused.blocked, refused.error.code if refused.error else None) == (
        None,
        "AccessDenied",
    )


def test_a_keys_state_and_rotation_are_read(aws: None) -> None:
    kms = boto3.client("kms", region_name="eu-west-1")
    enabled = kms.create_key()["KeyMetadata"]["Arn"]
    assert read_key(kms, enabled) == KeyFacts(enabled, "Enabled", False)
    kms.enable_key_rotation(KeyId=enabled)
    assert read_key(kms, enabled) == KeyFacts(enabled, "Enabled", True)
    disabled = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=disabled["KeyId"])
    assert read_key(kms, disabled["Arn"]).state == "Disabled"
    doomed = kms.create_key()["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    assert read_key(kms, doomed["Arn"]).state == "PendingDeletion"


def test_a_refused_rotation_read_keeps_the_state(aws: None) -> None:
    kms = boto3.client("kms", region_name="eu-west-1")
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    _refuse(kms, "GetKeyRotationStatus")
    facts = read_key(kms, arn)
    assert (facts.state, facts.rotation, facts.error) == ("Enabled", None, None)
    assert facts.rotation_error is not None
    assert facts.rotation_error.code == "AccessDenied"
    _refuse(kms, "DescribeKey")
    unread = read_key(kms, arn)
    assert (unread.state, unread.error.code if unread.error else None) == (None, "AccessDenied")


def test_a_key_arn_names_its_owner_and_region() -> None:
    assert key_owner(f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/abc") == (ACCOUNT, "eu-west-1")
    assert key_owner("alias/aws/cloudtrail") is None
    assert key_owner("arn:aws:s3:::bucket") is None
