"""Building what the integrity checks read (contract 5.2) in moto: a bucket's lifecycle rule,
policy and Block Public Access, an account's Block Public Access, a trail's KMS key.

A simulated bucket has a policy only when it shows something: a public one also grants
CloudTrail its delivery (AWS's documented statements, as a console-made trail bucket has); one
that withholds delivery lets its own account read the log files and grants CloudTrail nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from orgscan.facts import BLOCK_SETTINGS


@dataclass(frozen=True)
class KeySpec:
    """A KMS key of the trail's account in its home region, in ``state``, rotating or not."""

    name: str
    state: str = "Enabled"  # or "Disabled", "PendingDeletion"
    rotation: bool = True


#: Where every simulated trail writes (no trail has an S3KeyPrefix).
LOG_PREFIX = "AWSLogs/"


def block_configuration() -> dict[str, bool]:
    """Every Block Public Access setting on."""
    return dict.fromkeys(sorted(BLOCK_SETTINGS), True)


def _cloudtrail_statements(bucket: str, owner: str) -> list[dict[str, Any]]:
    principal = {"Service": "cloudtrail.amazonaws.com"}
    return [
        {
            "Sid": "AWSCloudTrailAclCheck20150319",
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:GetBucketAcl",
            "Resource": f"arn:aws:s3:::{bucket}",
        },
        {
            "Sid": "AWSCloudTrailWrite20150319",
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/{LOG_PREFIX}{owner}/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        },
    ]


def bucket_policy(bucket: str, owner: str, *, public: bool, withholds_delivery: bool) -> str | None:
    """The policy of the simulated bucket ``bucket`` of account ``owner``, or None for none:
    ``public`` lets anyone read its objects (and CloudTrail deliver), ``withholds_delivery``
    lets only the owner's account read the log files."""
    if public:
        anyone = {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }
        found = [*_cloudtrail_statements(bucket, owner), anyone]
    elif withholds_delivery:
        found = [
            {
                "Sid": "AuditorsRead",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{owner}:root"},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/{LOG_PREFIX}*"],
            }
        ]
    else:
        return None
    return json.dumps({"Version": "2012-10-17", "Statement": found})


def lifecycle_rule(days: int) -> dict[str, Any]:
    """An enabled rule expiring the log files (current versions) after ``days``."""
    return {
        "ID": "expire-logs",
        "Status": "Enabled",
        "Filter": {"Prefix": LOG_PREFIX},
        "Expiration": {"Days": days},
    }


def build_bucket_integrity(
    s3: Any,
    name: str,
    owner: str,
    lifecycle_days: int | None,
    policy: str | None,
    block_public_access: bool,
) -> None:
    """Give a created bucket of ``owner`` its lifecycle rule, policy and Block Public Access."""
    if lifecycle_days is not None:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": [lifecycle_rule(lifecycle_days)]}
        )
    if policy is not None:
        s3.put_bucket_policy(Bucket=name, Policy=policy)
    if block_public_access:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=block_configuration()
        )


def build_account_block(s3control: Any, account_id: str) -> None:
    """Turn every Block Public Access setting on for the whole account."""
    s3control.put_public_access_block(
        AccountId=account_id, PublicAccessBlockConfiguration=block_configuration()
    )


def build_key(kms: Any, key: KeySpec) -> str:
    """Create ``key`` in the client's account and region, in its state; return its ARN."""
    arn = str(kms.create_key(Description=key.name)["KeyMetadata"]["Arn"])
    key_id = arn.rsplit("/", 1)[1]  # moto's DisableKey takes the id, not the ARN
    if key.rotation:
        kms.enable_key_rotation(KeyId=key_id)
    if key.state == "Disabled":
        kms.disable_key(KeyId=key_id)
    elif key.state == "PendingDeletion":
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    return arn
