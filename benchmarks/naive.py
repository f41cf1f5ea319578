"""The naive sequential scan the benchmark compares orgscan with.

The straightforward script everyone writes first: for each account, assume the role; for each
region, list and describe the trails; then read each trail's bucket (Object Lock and versioning)
with the account's credentials. One call at a time, and a fresh boto3 client for every call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import boto3
from botocore.exceptions import ClientError


def naive_scan(
    session: boto3.Session,
    account_ids: Sequence[str],
    regions: Sequence[str],
    role_name: str = "OrganizationAccountAccessRole",
) -> int:
    """Scan ``account_ids`` one call at a time; returns the number of trails looked at."""
    seen = 0
    for account_id in account_ids:
        sts = _client(session, "sts", regions[0], {})
        issued = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}", RoleSessionName="naive"
        )["Credentials"]
        keys = {
            "aws_access_key_id": issued["AccessKeyId"],
            "aws_secret_access_key": issued["SecretAccessKey"],
            "aws_session_token": issued["SessionToken"],
        }
        for region in regions:
            _client(session, "cloudtrail", region, keys).list_trails()
            trails = _client(session, "cloudtrail", region, keys).describe_trails()["trailList"]
            for trail in trails:
                if trail.get("HomeRegion") == region:
                    seen += 1
                    _read_bucket(session, keys, region, trail["S3BucketName"])
    return seen


def _client(session: boto3.Session, service: str, region: str, keys: dict[str, Any]) -> Any:
    """A brand-new client, as naive code makes one for every call."""
    make: Any = session.client  # boto3's stubs type each service name separately
    return make(service, region_name=region, **keys)


def _read_bucket(session: boto3.Session, keys: dict[str, Any], region: str, bucket: str) -> int:
    """Read the bucket's Object Lock and versioning; returns how many reads failed."""
    failed = 0
    for operation in ("get_object_lock_configuration", "get_bucket_versioning"):
        client = _client(session, "s3", region, keys)
        try:
            getattr(client, operation)(Bucket=bucket)
        except ClientError:
            failed += 1  # the naive script notes "unreadable" and moves on
    return failed
