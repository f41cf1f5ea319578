"""Reading one bucket: Object Lock and versioning as moto (and AWS) answer them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from orgscan.collect.buckets import known_to_exist, list_owned_buckets, read_bucket
from orgscan.facts import AwsError, BucketFacts, BucketIntegrity
from orgscan.model import LockMode, Versioning

OWNER = "123456789012"


@pytest.fixture
def s3(aws_env: None) -> Iterator[Any]:
    """An S3 client inside a fresh moto mock."""
    with mock_aws():
        yield boto3.client("s3", region_name="us-east-1")


def make_bucket(
    s3: Any,
    name: str,
    *,
    lock: bool = False,
    rule: dict[str, Any] | None = None,
    region: str = "us-east-1",
) -> None:
    extra: dict[str, Any] = {}
    if region != "us-east-1":
        extra["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=lock, **extra)
    if rule is not None:
        s3.put_object_lock_configuration(
            Bucket=name,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": rule},
            },
        )


def read(s3: Any, name: str, region: str | None = None) -> BucketFacts:
    return read_bucket(lambda _region: s3, name, OWNER, region, "us-east-1")


def test_a_rule_in_years_counts_365_days_each(s3: Any) -> None:
    make_bucket(s3, "two-years", lock=True, rule={"Mode": "COMPLIANCE", "Years": 2})
    facts = read(s3, "two-years")
    assert (facts.object_lock_enabled, facts.lock_mode, facts.retention_days) == (
        True,
        LockMode.COMPLIANCE,
        730,
    )


def test_a_rule_in_days_ignores_the_zero_years_moto_echoes(s3: Any) -> None:
    make_bucket(s3, "thirty-days", lock=True, rule={"Mode": "GOVERNANCE", "Days": 30})
    raw = s3.get_object_lock_configuration(Bucket="thirty-days")["ObjectLockConfiguration"]
    assert raw["Rule"]["DefaultRetention"].get("Years", 0) == 0  # what makes the case matter
    facts = read(s3, "thirty-days")
    assert (facts.lock_mode, facts.retention_days) == (LockMode.GOVERNANCE, 30)
    assert facts.versioning is Versioning.ENABLED  # Object Lock turns versioning on


def test_lock_without_a_rule_has_no_mode_and_no_days(s3: Any) -> None:
    make_bucket(s3, "bare-lock", lock=True)
    facts = read(s3, "bare-lock")
    assert (facts.object_lock_enabled, facts.lock_mode, facts.retention_days) == (True, None, None)
    assert facts.error_code is None


def test_no_lock_configuration_is_lock_disabled_not_an_error(s3: Any) -> None:
    make_bucket(s3, "plain")
    facts = read(s3, "plain")
    # A plain bucket's integrity reads answer "nothing configured": read values, not errors.
    assert facts == BucketFacts(
        "plain",
        OWNER,
        "us-east-1",
        False,
        None,
        None,
        Versioning.OFF,
        mfa_delete=False,
        integrity=BucketIntegrity(lifecycle=(), is_public=False, blocked=frozenset()),
    )


def test_suspended_versioning_is_reported(s3: Any) -> None:
    make_bucket(s3, "paused")
    s3.put_bucket_versioning(Bucket="paused", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_versioning(Bucket="paused", VersioningConfiguration={"Status": "Suspended"})
    assert read(s3, "paused").versioning is Versioning.SUSPENDED


def test_the_region_comes_from_head_bucket_when_unknown(s3: Any) -> None:
    make_bucket(s3, "in-ireland", region="eu-west-1")
    assert read(s3, "in-ireland").bucket_region == "eu-west-1"


def test_a_missing_bucket_is_no_such_bucket_with_nothing_read(s3: Any) -> None:
    facts = read(s3, "never-created")
    assert facts.error_code == "NoSuchBucket"
    assert (facts.object_lock_enabled, facts.lock_mode, facts.retention_days, facts.versioning) == (
        None,
        None,
        None,
        None,
    )
    facts = read(s3, "never-created", region="us-east-1")  # region known: the lock read fails
    assert facts.error_code == "NoSuchBucket"


def test_list_owned_buckets_gives_names_and_regions(s3: Any) -> None:
    make_bucket(s3, "a-east")
    make_bucket(s3, "b-west", region="eu-west-1")
    owned = list_owned_buckets(s3)
    assert set(owned) == {"a-east", "b-west"}
    assert owned["b-west"] in ("eu-west-1", None)  # moto fills BucketRegion; AWS may not


def test_list_owned_buckets_pages_with_max_buckets(aws_env: None) -> None:
    # moto cuts the list at MaxBuckets without a ContinuationToken: AWS's paging is stubbed.
    client = boto3.client("s3", region_name="us-east-1")
    pages: list[tuple[dict[str, Any], dict[str, Any]]] = [
        (
            {"MaxBuckets": 2},
            {
                "Buckets": [
                    {"Name": "a", "BucketRegion": "us-east-1"},
                    {"Name": "b", "BucketRegion": "eu-west-1"},
                ],
                "ContinuationToken": "t1",
            },
        ),
        ({"MaxBuckets": 2, "ContinuationToken": "t1"}, {"Buckets": [{"Name": "c"}]}),
    ]
    with Stubber(client) as stub:
        for expected, reply in pages:
            stub.add_response("list_buckets", reply, expected)
        owned = list_owned_buckets(client, page_size=2)
        stub.assert_no_pending_responses()
    # BucketRegion is taken when AWS gives it; a bucket without one is looked up later.
    assert owned == {"a": "us-east-1", "b": "eu-west-1", "c": None}


class _FakeS3:
    """Answers GetObjectLockConfiguration with a fixed document (shapes moto never produces)."""

    def __init__(self, lock: dict[str, Any]) -> None:
        self.lock = lock
        self.meta = type("Meta", (), {"region_name": "us-east-1"})()

    def get_object_lock_configuration(self, Bucket: str) -> dict[str, Any]:
        return {"ObjectLockConfiguration": self.lock}

    def get_bucket_versioning(self, Bucket: str) -> dict[str, Any]:
        return {}

    def get_bucket_lifecycle_configuration(self, Bucket: str) -> dict[str, Any]:
        return {"Rules": []}

    def get_bucket_policy_status(self, Bucket: str) -> dict[str, Any]:
        return {"PolicyStatus": {"IsPublic": False}}

    def get_public_access_block(self, Bucket: str) -> dict[str, Any]:
        return {"PublicAccessBlockConfiguration": {}}


@pytest.mark.parametrize(
    ("lock", "expected"),
    [
        (
            {
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 0, "Years": 1}},
            },
            (True, LockMode.COMPLIANCE, 365),
        ),
        (
            {
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 0, "Years": 0}},
            },
            (True, LockMode.GOVERNANCE, None),
        ),
        ({"ObjectLockEnabled": "Enabled", "Rule": {}}, (True, None, None)),
        ({}, (False, None, None)),
        ({"ObjectLockEnabled": "Disabled"}, (False, None, None)),
    ],
)
def test_lock_documents_are_read_exactly(lock: dict[str, Any], expected: tuple[Any, ...]) -> None:
    facts = read_bucket(lambda _region: _FakeS3(lock), "b", OWNER, "us-east-1", "us-east-1")
    assert (facts.object_lock_enabled, facts.lock_mode, facts.retention_days) == expected
    assert facts.versioning is Versioning.OFF


@pytest.mark.parametrize(
    ("code", "region", "exists"),
    [
        (None, "us-east-1", True),  # read
        ("AccessDenied", None, True),  # HeadBucket's 403: another account's bucket
        ("403", None, True),
        ("PermanentRedirect", None, True),  # in another region
        ("InternalError", "eu-west-1", True),  # HeadBucket named the region; the lock failed
        ("503", None, False),  # throttled HeadBucket
        ("SlowDown", None, False),
        ("ParamValidationError", None, False),  # never sent
        ("EndpointConnectionError", None, False),
        ("InvalidAccessKeyId", None, False),  # about the caller, not the bucket
        ("NoSuchBucket", None, False),
    ],
)
def test_a_bucket_is_known_to_exist_only_from_an_answer_that_proves_it(
    code: str | None, region: str | None, exists: bool
) -> None:
    facts = (
        BucketFacts.unreadable("b", None, region, AwsError(code, ""))
        if code
        else BucketFacts("b", None, region, True, None, None, Versioning.ENABLED)
    )
    assert known_to_exist(facts) is exists
