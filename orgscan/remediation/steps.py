"""The AWS calls a remediation plan is made of: one ``Step`` builder per call, with the read
that tells it is done (``Check``) and the reads that stop it (``Guard``).

Every call on a bucket names its expected owner, and every check names the error codes that mean
"not there yet"; the JMESPath conditions here are shared with the live preconditions
(``safety``), which read the same configurations.
"""

from __future__ import annotations

from orgscan.error_codes import MISSING_BUCKET_CODES
from orgscan.model import Finding, LockMode
from orgscan.remediation.buckets import ORGSCAN_SIDS
from orgscan.remediation.plan_model import Check, Guard, GuardKind, Retention, Service, Step

_LOCK_ENABLED = "ObjectLockConfiguration.ObjectLockEnabled == 'Enabled'"
_RULE = "ObjectLockConfiguration.Rule.DefaultRetention"
#: The error codes that mean "not there yet" for each read (any other error: cannot read).
ABSENT_CODES: dict[str, tuple[str, ...]] = {
    "HeadBucket": MISSING_BUCKET_CODES,
    "GetPublicAccessBlock": ("NoSuchPublicAccessBlockConfiguration",),
    "GetBucketEncryption": ("ServerSideEncryptionConfigurationNotFoundError",),
    "GetObjectLockConfiguration": ("ObjectLockConfigurationNotFoundError",),
    "GetBucketPolicy": ("NoSuchBucketPolicy",),
    "GetBucketReplication": ("ReplicationConfigurationNotFoundError",),
}
NO_SUCH_BUCKET = ("NoSuchBucket",)
_LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
_PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def _s3_step(
    account: str,
    region: str,
    operation: str,
    parameters: dict[str, object],
    description: str,
    fixes: tuple[str, ...],
    check: Check | None = None,
    guards: tuple[Guard, ...] = (),
) -> Step:
    # Every call on a bucket names its expected owner: a bucket of the same name in another
    # account (squatted, or a typo) answers AccessDenied instead of being changed.
    if operation != "CreateBucket":  # the one S3 call without ExpectedBucketOwner
        parameters = {**parameters, "ExpectedBucketOwner": account}
    return Step(
        account_id=account,
        region=region,
        service=Service.S3,
        operation=operation,
        parameters=parameters,
        description=description,
        fixes=fixes,
        check=check,
        guards=guards,
    )


def _check(
    operation: str,
    bucket: str,
    owner: str,
    condition: str | None = None,
    *,
    new_bucket: bool = False,
) -> Check:
    # Reads of a bucket orgscan creates answer NoSuchBucket until the create step has run
    # (always, in a dry run): "not done yet". For an existing bucket it is a real error.
    absent = ABSENT_CODES.get(operation, ()) + (NO_SUCH_BUCKET if new_bucket else ())
    return Check(
        operation,
        {"Bucket": bucket, "ExpectedBucketOwner": owner},
        condition,
        tuple(dict.fromkeys(absent)),
    )


def _query_guard(
    operation: str,
    bucket: str,
    owner: str,
    condition: str,
    reason: str,
    *,
    new_bucket: bool = False,
) -> Guard:
    absent = ABSENT_CODES.get(operation, ()) + (NO_SUCH_BUCKET if new_bucket else ())
    return Guard(
        kind=GuardKind.QUERY,
        operation=operation,
        parameters={"Bucket": bucket, "ExpectedBucketOwner": owner},
        reason=reason,
        condition=condition,
        absent_codes=absent,
    )


def log_target_guards(bucket: str, owner: str) -> tuple[Guard, ...]:
    """The guards that stop a default retention on a bucket receiving S3 server access logs."""
    reason = (
        "the bucket receives S3 server access logs ({how}); a bucket with a default "
        "retention cannot be an access-log destination, so logging into it would stop. "
        "Move those access logs to another bucket first, or use --strategy new-bucket"
    )
    return (
        _query_guard(
            "GetBucketPolicy",
            bucket,
            owner,
            "contains(Policy, 'logging.s3.amazonaws.com')",
            reason.format(how="its policy lets logging.s3.amazonaws.com write"),
        ),
        _query_guard(
            "GetBucketAcl",
            bucket,
            owner,
            f"length(Grants[?Grantee.URI == '{_LOG_DELIVERY}']) > {_number(0)}",
            reason.format(how="its ACL grants the S3 Log Delivery group"),
        ),
    )


def replication_guard(bucket: str, owner: str) -> Guard:
    """The guard that stops locking a bucket that replicates to an unlocked destination."""
    return Guard(
        kind=GuardKind.REPLICATION_UNLOCKED,
        operation="GetBucketReplication",
        parameters={"Bucket": bucket, "ExpectedBucketOwner": owner},
        reason=(
            "the bucket replicates to a destination without Object Lock (or one "
            "whose lock cannot be read): once the source is locked, replication "
            "fails with DstBucketObjectLockConfigMissing. Enable Object Lock on "
            "the destination first, or use --strategy new-bucket"
        ),
        absent_codes=ABSENT_CODES["GetBucketReplication"],
    )


def create_bucket_step(account: str, region: str, bucket: str, fixes: tuple[str, ...]) -> Step:
    """Create ``bucket`` in ``region`` with Object Lock enabled."""
    parameters: dict[str, object] = {"Bucket": bucket, "ObjectLockEnabledForBucket": True}
    if region != "us-east-1":
        # us-east-1 rejects a LocationConstraint naming itself; every other region needs one.
        parameters["CreateBucketConfiguration"] = {"LocationConstraint": region}
    # HeadBucket with the expected owner: a bucket of that name in another account answers
    # 403, which stops the plan instead of letting it configure someone else's bucket.
    return _s3_step(
        account,
        region,
        "CreateBucket",
        parameters,
        f"Create {bucket} in {region} with Object Lock enabled.",
        fixes,
        _check("HeadBucket", bucket, account),
    )


def public_access_block_step(
    account: str, region: str, bucket: str, fixes: tuple[str, ...]
) -> Step:
    """Block all public access to the new ``bucket``."""
    return _s3_step(
        account,
        region,
        "PutPublicAccessBlock",
        {"Bucket": bucket, "PublicAccessBlockConfiguration": _PUBLIC_ACCESS_BLOCK},
        "Block all public access to the new bucket.",
        fixes,
        _check(
            "GetPublicAccessBlock",
            bucket,
            account,
            " && ".join(f"PublicAccessBlockConfiguration.{key}" for key in _PUBLIC_ACCESS_BLOCK),
            new_bucket=True,
        ),
    )


def encryption_step(account: str, region: str, bucket: str, fixes: tuple[str, ...]) -> Step:
    """Encrypt the new ``bucket``'s objects by default (SSE-S3)."""
    return _s3_step(
        account,
        region,
        "PutBucketEncryption",
        {
            "Bucket": bucket,
            "ServerSideEncryptionConfiguration": {
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        },
        "Encrypt new objects by default (SSE-S3).",
        fixes,
        _check(
            "GetBucketEncryption",
            bucket,
            account,
            "contains(['AES256', 'aws:kms', 'aws:kms:dsse'], "
            "ServerSideEncryptionConfiguration.Rules[0]"
            ".ApplyServerSideEncryptionByDefault.SSEAlgorithm)",
            new_bucket=True,
        ),
    )


def versioning_step(
    account: str,
    region: str,
    bucket: str,
    fixes: tuple[str, ...],
    *,
    new_bucket: bool,
    guards: tuple[Guard, ...] = (),
) -> Step:
    """Enable versioning on ``bucket`` (Object Lock requires it)."""
    return _s3_step(
        account,
        region,
        "PutBucketVersioning",
        {"Bucket": bucket, "VersioningConfiguration": {"Status": "Enabled"}},
        "Enable versioning (Object Lock requires it).",
        fixes,
        _check(
            "GetBucketVersioning", bucket, account, "Status == 'Enabled'", new_bucket=new_bucket
        ),
        guards,
    )


def at_least_as_strong(retention: Retention) -> str:
    """JMESPath on ``GetObjectLockConfiguration``: true when the bucket's lock is enabled and its
    default rule is at least ``retention`` (COMPLIANCE ranks above GOVERNANCE; Years count as
    365 days). Such a bucket is left as it is."""
    modes = (
        "['COMPLIANCE']"
        if retention.mode is LockMode.COMPLIANCE
        else "['GOVERNANCE', 'COMPLIANCE']"
    )
    years = -(-retention.days // 365)  # Years * 365 >= days
    return (
        f"{_LOCK_ENABLED} && contains({modes}, {_RULE}.Mode) && "
        f"({_RULE}.Days >= {_number(retention.days)} || "
        f"{_RULE}.Years >= {_number(years)})"
    )


def stronger_somewhere(retention: Retention) -> str:
    """JMESPath on ``GetObjectLockConfiguration``: true when the bucket's default rule is
    stronger than ``retention`` in mode or in days, so that writing ``retention`` would weaken
    it (the plan is older than the bucket's configuration)."""
    years = retention.days // 365  # Years * 365 > days
    days = f"{_RULE}.Days > {_number(retention.days)} || {_RULE}.Years > {_number(years)}"
    if retention.mode is LockMode.COMPLIANCE:
        return days
    return f"{_RULE}.Mode == 'COMPLIANCE' || {days}"


def lock_step(
    account: str,
    region: str,
    bucket: str,
    retention: Retention,
    fixes: tuple[str, ...],
    *,
    new_bucket: bool,
    guards: tuple[Guard, ...] = (),
) -> Step:
    """Enable Object Lock on ``bucket`` with ``retention`` as its default rule, never weakening
    a stronger one."""
    rule = {"DefaultRetention": {"Mode": retention.mode.value, "Days": retention.days}}
    weaker = _query_guard(
        "GetObjectLockConfiguration",
        bucket,
        account,
        stronger_somewhere(retention),
        f"the bucket's default retention is already stronger than {retention.mode.value} for "
        f"{retention.days} days in mode or days; writing it would weaken the bucket. Scan "
        "again and plan from the bucket's current state",
        new_bucket=new_bucket,
    )
    return _s3_step(
        account,
        region,
        "PutObjectLockConfiguration",
        {
            "Bucket": bucket,
            "ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled", "Rule": rule},
        },
        f"Enable Object Lock with default retention {retention.mode.value} for "
        f"{retention.days} days.",
        fixes,
        _check(
            "GetObjectLockConfiguration",
            bucket,
            account,
            at_least_as_strong(retention),
            new_bucket=new_bucket,
        ),
        (*guards, weaker),
    )


def policy_step(
    account: str, region: str, bucket: str, policy: str, fixes: tuple[str, ...]
) -> Step:
    """Write the new bucket's ``policy``: CloudTrail's delivery for these trails, TLS only."""
    has_ours = " && ".join(f"contains(Policy, '{sid}')" for sid in ORGSCAN_SIDS)
    # orgscan remediate --apply merges by Sid; a script cannot merge JSON, so it writes only
    # into a bucket without a policy and stops before replacing statements it did not write.
    foreign = Guard(
        kind=GuardKind.FOREIGN_POLICY,
        operation="GetBucketPolicy",
        parameters={"Bucket": bucket, "ExpectedBucketOwner": account},
        reason=(
            "the bucket already has a bucket policy that orgscan did not write; "
            "putting the planned one would replace it. Merge the statements "
            "shown by hand, or run orgscan remediate --apply, which keeps every "
            "other statement"
        ),
        condition="Policy != null",
        absent_codes=ABSENT_CODES["GetBucketPolicy"] + NO_SUCH_BUCKET,
    )
    return _s3_step(
        account,
        region,
        "PutBucketPolicy",
        {"Bucket": bucket, "Policy": policy},
        "Allow CloudTrail (only these trails) to deliver logs into the new bucket "
        "and deny requests not sent over TLS.",
        fixes,
        _check("GetBucketPolicy", bucket, account, has_ours, new_bucket=True),
        (foreign,),
    )


def update_trail_step(finding: Finding, new_bucket: str) -> Step:
    """Point the finding's trail at ``new_bucket``."""
    # UpdateTrail must run in the trail's home region, by the account that owns the trail.
    return Step(
        account_id=finding.account_id,
        region=finding.home_region,
        service=Service.CLOUDTRAIL,
        operation="UpdateTrail",
        parameters={"Name": finding.trail_arn, "S3BucketName": new_bucket},
        description=f"Point trail {finding.trail_name} at {new_bucket}.",
        fixes=(finding.trail_arn,),
        check=Check(
            "GetTrail",
            {"Name": finding.trail_arn},
            f"Trail.S3BucketName == {jmespath_literal(new_bucket)}",
        ),
    )


def _number(value: int) -> str:
    # A JMESPath number without backquotes, which bash and shellcheck would take for
    # command substitution inside the script's quoted --query words.
    return f"to_number('{value}')"


def jmespath_literal(text: str) -> str:
    """``text`` as a JMESPath raw string literal (only ``'`` and ``\\`` need escaping)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
