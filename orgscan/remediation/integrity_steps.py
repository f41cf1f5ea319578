"""The calls that turn an integrity check (contract §5.2) to PASS: one ``Step`` builder per
call, each with the read that says it is done.

Every call only switches a protection on (log file validation, a key back to Enabled, key
rotation, Block Public Access, CloudTrail's grant in a bucket policy, a public grant taken out),
so a plan older than the account meets at worst a step that is already done. The two bucket
policy steps are edited at apply time (``merged_policy``): a script cannot edit JSON, so it
writes CloudTrail's statements only into a bucket without a policy and leaves the public grants
to ``orgscan remediate --apply``. Each runs as the owner of what it changes, where that lives:
a trail in its home region by its owner (an organization trail by the management account), a
key in the region and account of its ARN, a bucket in its region by its owner. A key is named
by its id: the key's owner needs nothing more, and no key policy is ever read or changed.
"""

from __future__ import annotations

from dataclasses import replace

from orgscan.model import Finding
from orgscan.remediation.buckets import ACL_CHECK_SID, WRITE_SID
from orgscan.remediation.plan_model import Check, Service, Step
from orgscan.remediation.steps import policy_step, public_access_block_step


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


def delivery_grant_step(
    owner: str, region: str, bucket: str, policy: str, fixes: tuple[str, ...]
) -> Step:
    """Add CloudTrail's two statements (``policy``) to an existing bucket's policy."""
    step = policy_step(owner, region, bucket, policy, fixes)
    has_both = " && ".join(f"contains(Policy, '{sid}')" for sid in (ACL_CHECK_SID, WRITE_SID))
    return replace(
        step,
        description=(
            f"Let CloudTrail deliver into bucket {bucket}: add statements {ACL_CHECK_SID} and "
            f"{WRITE_SID} (in --policy) to its policy and keep every other statement. Before: "
            f"aws s3api get-bucket-policy --bucket {bucket} --expected-bucket-owner {owner}; "
            "after: the same statements and these two."
        ),
        check=Check(
            "GetBucketPolicy",
            {"Bucket": bucket, "ExpectedBucketOwner": owner},
            has_both,
            ("NoSuchBucketPolicy",),
        ),
    )


def public_grants_step(owner: str, region: str, bucket: str, fixes: tuple[str, ...]) -> Step:
    """Take the statements that allow everyone without a condition out of a bucket's policy.

    The statements are read when the step runs, so the step names no policy: only
    ``orgscan remediate --apply`` runs it (the script stops and says how)."""
    return Step(
        account_id=owner,
        region=region,
        service=Service.S3,
        operation="PutBucketPolicy",
        parameters={"Bucket": bucket, "ExpectedBucketOwner": owner},
        description=(
            f"Take out of bucket {bucket}'s policy the statements that allow everyone "
            '(Principal "*" or AWS "*") without a condition, read when the step runs; keep '
            "every other statement (a policy left with none is deleted). Before: aws s3api "
            f"get-bucket-policy --bucket {bucket} --expected-bucket-owner {owner}; after: the "
            "same without those statements."
        ),
        fixes=fixes,
        # Not public any more: done. A bucket without a policy (its policy deleted since the
        # scan) has no statement left to take out: done too, in the script as under --apply.
        check=Check(
            "GetBucketPolicyStatus",
            {"Bucket": bucket, "ExpectedBucketOwner": owner},
            "!PolicyStatus.IsPublic",
            done_codes=("NoSuchBucketPolicy",),
        ),
    )
