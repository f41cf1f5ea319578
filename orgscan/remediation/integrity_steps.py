"""The calls that turn an integrity check (contract §5.2) to PASS: one ``Step`` builder per
call, each with the read that says it is done.

Every call only switches a protection on (log file validation, a key back to Enabled, key
rotation, Block Public Access), so a plan older than the account meets at worst a step that is
already done. Each runs as the owner of what it changes, where that lives: a trail in its home
region by its owner (an organization trail by the management account), a key in the region and
account of its ARN, a bucket in its region by its owner. A key is named by its id: the key's
owner needs nothing more, and no key policy is ever read or changed.
"""

from __future__ import annotations

from dataclasses import replace

from orgscan.model import Finding
from orgscan.remediation.plan_model import Check, Service, Step
from orgscan.remediation.steps import public_access_block_step


def key_home(arn: str) -> tuple[str, str, str]:
    """The (account, region, key id) of a KMS key ARN."""
    parts = arn.split(":")
    return parts[4], parts[3], parts[5].split("/", 1)[-1]


def log_file_validation_step(finding: Finding) -> Step:
    """Turn on log file validation for the finding's trail."""
    return Step(
        account_id=finding.account_id,
        region=finding.home_region,
        service=Service.CLOUDTRAIL,
        operation="UpdateTrail",
        parameters={"Name": finding.trail_arn, "EnableLogFileValidation": True},
        description=(
            f"Turn on log file validation for trail {finding.trail_name}: CloudTrail then "
            "writes a digest file every hour that proves each log file unchanged."
        ),
        fixes=(finding.trail_arn,),
        check=Check("GetTrail", {"Name": finding.trail_arn}, "Trail.LogFileValidationEnabled"),
    )


def _key_step(
    arn: str, operation: str, description: str, check: Check, fixes: tuple[str, ...]
) -> Step:
    account, region, key_id = key_home(arn)
    return Step(
        account_id=account,
        region=region,
        service=Service.KMS,
        operation=operation,
        parameters={"KeyId": key_id},
        description=description,
        fixes=fixes,
        check=check,
    )


def _key_state(arn: str, condition: str) -> Check:
    return Check("DescribeKey", {"KeyId": key_home(arn)[2]}, condition)


def cancel_key_deletion_step(arn: str, fixes: tuple[str, ...]) -> Step:
    """Cancel the scheduled deletion of the key (it comes back Disabled)."""
    return _key_step(
        arn,
        "CancelKeyDeletion",
        f"Cancel the scheduled deletion of key {arn}; the key comes back Disabled.",
        _key_state(arn, "KeyMetadata.KeyState != 'PendingDeletion'"),
        fixes,
    )


def enable_key_step(arn: str, fixes: tuple[str, ...]) -> Step:
    """Enable the key, so CloudTrail can encrypt with it and its files can be read."""
    return _key_step(
        arn,
        "EnableKey",
        f"Enable key {arn}: CloudTrail encrypts new log files with it, and the files it "
        "encrypted can be read again.",
        _key_state(arn, "KeyMetadata.KeyState == 'Enabled'"),
        fixes,
    )


def enable_key_rotation_step(arn: str, fixes: tuple[str, ...]) -> Step:
    """Turn on the key's automatic rotation (the key policy is left as it is)."""
    return _key_step(
        arn,
        "EnableKeyRotation",
        f"Turn on automatic rotation of key {arn} (yearly; old key material is kept, so "
        "every file stays readable).",
        Check("GetKeyRotationStatus", {"KeyId": key_home(arn)[2]}, "KeyRotationEnabled"),
        fixes,
    )


def bucket_block_step(owner: str, region: str, bucket: str, fixes: tuple[str, ...]) -> Step:
    """Turn on all four Block Public Access settings of an existing bucket."""
    step = public_access_block_step(owner, region, bucket, fixes)
    assert step.check is not None  # the builder always gives one
    return replace(
        step,
        description=(
            f"Turn on all four Block Public Access settings of bucket {bucket}: no later "
            "policy or ACL can make it public."
        ),
        # The bucket exists: only a missing configuration means "not done yet".
        check=replace(step.check, absent_codes=("NoSuchPublicAccessBlockConfiguration",)),
    )
