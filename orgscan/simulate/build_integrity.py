"""Building what the integrity checks read (contract 5.2) in moto: a bucket's lifecycle rule,
public policy and Block Public Access, an account's Block Public Access, a trail's KMS key."""

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


def public_policy(bucket: str) -> str:
    """A bucket policy that lets anyone read the bucket's objects."""
    statement = {
        "Sid": "PublicRead",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def lifecycle_rule(days: int) -> dict[str, Any]:
    """An enabled rule expiring the log files (current versions) after ``days``."""
    return {
        "ID": "expire-logs",
        "Status": "Enabled",
        "Filter": {"Prefix": LOG_PREFIX},
        "Expiration": {"Days": days},
    }


def build_bucket_integrity(
    s3: Any, name: str, lifecycle_days: int | None, public: bool, block_public_access: bool
) -> None:
    """Give a created bucket its lifecycle rule, public policy and Block Public Access."""
    if lifecycle_days is not None:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": [lifecycle_rule(lifecycle_days)]}
        )
    if public:
        s3.put_bucket_policy(Bucket=name, Policy=public_policy(name))
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
