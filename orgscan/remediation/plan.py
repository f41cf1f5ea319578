"""Build the remediation plan: a pure function of a ``ScanResult`` and ``RemediationSettings``.

One entry per bucket that needs attention. The action follows the most demanding reason among
the bucket's findings: a missing bucket gets a new one (``new-bucket``), a bucket without Object
Lock gets the configured strategy, and a lock with a weak or absent default retention gets only
``PutObjectLockConfiguration``. ERROR findings and buckets whose owner is unknown get an entry
with an explanation and no steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orgscan.error_codes import MISSING_BUCKET_CODES
from orgscan.errors import InputError
from orgscan.model import (
    Finding,
    LockMode,
    Policy,
    ReasonCode,
    RequiredMode,
    ScanResult,
    Status,
    Versioning,
)
from orgscan.remediation.buckets import ORGSCAN_SIDS, delivery_policy, new_bucket_name
from orgscan.remediation.plan_model import (
    DEFAULT_DAYS,
    DEFAULT_MODE,
    MAX_DAYS,
    Check,
    Guard,
    GuardKind,
    Plan,
    PlanEntry,
    RemediationSettings,
    Retention,
    Service,
    Step,
    Strategy,
)

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
#: What a new bucket does not take over from the old one: AWS keeps these per bucket.
NOT_COPIED = (
    "event notifications",
    "lifecycle rules",
    "replication",
    "a default KMS key (the new bucket uses SSE-S3)",
    "server access logging",
    "tags",
    "inventory and analytics configurations",
    "CORS",
    "Object Ownership and ACLs",
)
_PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}

_ERROR_ADVICE = {
    ReasonCode.ACCESS_DENIED: (
        "orgscan could not read this bucket from any account it holds (AccessDenied), so it "
        "cannot tell whether it is locked. Find the account that owns the bucket, make sure the "
        "scan role there may call s3:GetBucketObjectLockConfiguration and "
        "s3:GetBucketVersioning (or include that account in the scan), then scan again."
    ),
    ReasonCode.API_ERROR: (
        "Reading this bucket failed, so orgscan cannot tell whether it is locked. Look at the "
        "error in the finding's reason, fix its cause, then scan again."
    ),
}


def resolve_retention(settings: RemediationSettings, policy: Policy) -> Retention:
    """The default retention the plan writes, checked against the run's policy.

    Unset values start from the seed's GOVERNANCE / 90 days and are raised to what the policy
    requires; an explicit value the policy rejects raises ``InputError``.
    """
    if settings.mode is None:
        mode = (
            LockMode.COMPLIANCE if policy.require_mode is RequiredMode.COMPLIANCE else DEFAULT_MODE
        )
    elif policy.require_mode is RequiredMode.COMPLIANCE and settings.mode is LockMode.GOVERNANCE:
        raise InputError("the run's policy requires COMPLIANCE mode; GOVERNANCE would not pass")
    else:
        mode = settings.mode
    minimum = policy.min_retention_days or 1
    if settings.days is None:
        days = max(DEFAULT_DAYS, minimum)
    elif not 1 <= settings.days <= MAX_DAYS:
        raise InputError(f"retention days must be between 1 and {MAX_DAYS}, not {settings.days}")
    elif settings.days < minimum:
        raise InputError(
            f"retention of {settings.days} days is below the run's policy minimum of {minimum} days"
        )
    else:
        days = settings.days
    return Retention(mode=mode, days=days)


def build_plan(result: ScanResult, settings: RemediationSettings) -> Plan:
    """The remediation plan for every finding of ``result`` that is not PASS."""
    retention = resolve_retention(settings, result.run.policy)
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in sorted(result.findings, key=lambda f: f.trail_arn):
        if finding.status is Status.PASS:
            continue
        groups.setdefault((finding.bucket_name, _kind(finding)), []).append(finding)
    context = _Context(settings, retention, result.run.organization_id)
    entries = [context.entry(findings) for findings in groups.values()]
    entries.sort(key=lambda e: (not e.actionable, e.acting_account_id or "", e.bucket_name))
    names = {account.account_id: account.name for account in result.accounts}
    return Plan(
        run_started_at=result.run.started_at,
        organization_id=result.run.organization_id,
        settings=settings,
        retention=retention,
        entries=tuple(entries),
        account_names=names,
    )


_EXCEPTED, _ERROR, _ACTIONABLE = "excepted", "error", "actionable"


def _kind(finding: Finding) -> str:
    # A finding under an accepted, unexpired exception is left alone; ERROR is "could not tell".
    if finding.exception is not None and not finding.exception.expired:
        return _EXCEPTED
    return _ERROR if finding.status is Status.ERROR else _ACTIONABLE


def _stronger(first: LockMode, second: LockMode | None) -> LockMode:
    return LockMode.COMPLIANCE if LockMode.COMPLIANCE in (first, second) else first


@dataclass(frozen=True)
class _Context:
    settings: RemediationSettings
    retention: Retention
    organization_id: str | None

    def entry(self, findings: Sequence[Finding]) -> PlanEntry:
        """The entry of one bucket's findings (all ERROR, or none ERROR)."""
        codes = {finding.reason_code for finding in findings}
        if _kind(findings[0]) == _EXCEPTED:
            marks = sorted(
                {
                    f"{f.exception.owner} until {f.exception.expires.isoformat()}"
                    for f in findings
                    if f.exception is not None
                }
            )
            return _explain(
                findings,
                "An accepted exception covers these findings ("
                + "; ".join(marks)
                + "), so no change is planned.",
            )
        if findings[0].status is Status.ERROR:
            return _explain(findings, " ".join(_ERROR_ADVICE[code] for code in sorted(codes)))
        if ReasonCode.BUCKET_MISSING in codes:
            return self._new_bucket(findings, missing=True)
        owner = next((f.bucket_account_id for f in findings if f.bucket_account_id), None)
        if owner is None:
            return _explain(
                findings,
                (
                    "The account that owns this bucket is unknown, so orgscan cannot say who must "
                    "change it. Find the owner, include it in the scan, and scan again."
                ),
            )
        if (
            ReasonCode.LOCK_NOT_CONFIGURED in codes
            and self.settings.strategy is Strategy.NEW_BUCKET
        ):
            return self._new_bucket(findings, missing=False)
        return self._in_place(findings, owner, lock_missing=ReasonCode.LOCK_NOT_CONFIGURED in codes)

    def _in_place(
        self, findings: Sequence[Finding], owner: str, *, lock_missing: bool
    ) -> PlanEntry:
        bucket = findings[0].bucket_name
        region = _region(findings)
        arns = tuple(f.trail_arn for f in findings)
        # Never weaken what is there: keep a stronger mode and a longer retention.
        current_mode = next((f.lock_mode for f in findings if f.lock_mode), None)
        current_days = max((f.retention_days or 0 for f in findings), default=0)
        retention = Retention(
            _stronger(self.retention.mode, current_mode), max(self.retention.days, current_days)
        )
        steps: list[Step] = []
        warnings: list[str] = []
        # Read just before the first change: what locking this bucket in place would break.
        guards = _log_target_guards(bucket, owner)
        if lock_missing:
            guards = (_replication_guard(bucket, owner), *guards)
            warnings.append(
                "Object Lock cannot be turned off once enabled, and versioning can "
                "no longer be suspended."
            )
            warnings.append(
                "Default retention protects only log files written after the "
                "change; existing files stay unprotected."
            )
            warnings.append(
                "Replication from this bucket needs destinations with Object Lock, "
                "and it cannot receive S3 server access logs: both are checked "
                "before the change, which stops if either is found."
            )
            needs_versioning = any(f.versioning is not Versioning.ENABLED for f in findings)
            if needs_versioning:
                steps.append(
                    _versioning_step(owner, region, bucket, arns, new_bucket=False, guards=guards)
                )
                guards = ()
            enable = "versioning and Object Lock" if needs_versioning else "Object Lock"
            what = (
                f"Enable {enable} on the existing bucket with default "
                f"retention {retention.mode.value} for {retention.days} days."
            )
        else:
            what = (
                f"Set the bucket's default retention to {retention.mode.value} for "
                f"{retention.days} days (Object Lock is already enabled)."
            )
        warnings.append(
            "Every writer to a bucket with a default retention must send "
            "Content-MD5 or an x-amz-checksum header (CloudTrail does); other "
            "writers to this bucket that do not will have their uploads refused."
        )
        steps.append(
            _lock_step(owner, region, bucket, retention, arns, new_bucket=False, guards=guards)
        )
        warnings.extend(_mode_warnings(retention))
        return PlanEntry(
            bucket_name=bucket,
            bucket_account_id=owner,
            acting_account_id=owner,
            region=region,
            strategy=Strategy.ENABLE_IN_PLACE,
            findings=arns,
            reason_codes=tuple(f.reason_code for f in findings),
            retention=retention,
            new_bucket_name=None,
            steps=tuple(steps),
            explanation=what,
            warnings=tuple(warnings),
        )

    def _new_bucket(self, findings: Sequence[Finding], *, missing: bool) -> PlanEntry:
        old = findings[0].bucket_name
        new = new_bucket_name(old)
        arns = tuple(f.trail_arn for f in findings)
        owner = next((f.bucket_account_id for f in findings if f.bucket_account_id), None)
        # A missing bucket has no owner: the first trail's owner creates the replacement.
        acting = owner or findings[0].account_id
        region = _region(findings)
        retention = self.retention
        policy = delivery_policy(new, findings, self.organization_id)
        steps = [
            _create_bucket_step(acting, region, new, arns),
            _s3_step(
                acting,
                region,
                "PutPublicAccessBlock",
                {"Bucket": new, "PublicAccessBlockConfiguration": _PUBLIC_ACCESS_BLOCK},
                "Block all public access to the new bucket.",
                arns,
                _check(
                    "GetPublicAccessBlock",
                    new,
                    acting,
                    " && ".join(
                        f"PublicAccessBlockConfiguration.{key}" for key in _PUBLIC_ACCESS_BLOCK
                    ),
                    new_bucket=True,
                ),
            ),
            _versioning_step(acting, region, new, arns, new_bucket=True),
            _s3_step(
                acting,
                region,
                "PutBucketEncryption",
                {
                    "Bucket": new,
                    "ServerSideEncryptionConfiguration": {
                        "Rules": [
                            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                        ]
                    },
                },
                "Encrypt new objects by default (SSE-S3).",
                arns,
                _check(
                    "GetBucketEncryption",
                    new,
                    acting,
                    "contains(['AES256', 'aws:kms', 'aws:kms:dsse'], "
                    "ServerSideEncryptionConfiguration.Rules[0]"
                    ".ApplyServerSideEncryptionByDefault.SSEAlgorithm)",
                    new_bucket=True,
                ),
            ),
            _policy_step(acting, region, new, policy, arns),
            _lock_step(acting, region, new, retention, arns, new_bucket=True),
        ]
        steps += [_update_trail_step(f, new) for f in findings]
        others = sorted({f.account_id for f in findings} - {acting})
        why = (
            "The bucket no longer exists."
            if missing
            else ("Strategy new-bucket was chosen for buckets without Object Lock.")
        )
        warnings = [
            f"The old bucket {old} is never deleted; its existing logs stay there "
            f"unprotected. New logs go to {new}."
        ]
        if not missing:
            warnings.append(
                f"Not copied from {old}: {', '.join(NOT_COPIED)}; anything downstream that "
                f"reads from or reacts to {old} must be pointed at {new}. Its bucket policy's "
                "other statements are copied by orgscan remediate --apply where they still "
                "apply (never one that allows anyone); a script writes only orgscan's "
                "statements."
            )
        if others:
            warnings.append(
                f"Cross-account: account {acting} creates the bucket first; then "
                f"account(s) {', '.join(others)} point their trails at it."
            )
        if any(f.is_organization_trail for f in findings) and not self.organization_id:
            warnings.append(
                "The organization id is unknown: add AWSLogs/<org-id>/* to the "
                "bucket policy before updating the organization trail."
            )
        warnings.extend(_mode_warnings(retention))
        return PlanEntry(
            bucket_name=old,
            bucket_account_id=owner,
            acting_account_id=acting,
            region=region,
            strategy=Strategy.NEW_BUCKET,
            findings=arns,
            reason_codes=tuple(f.reason_code for f in findings),
            retention=retention,
            new_bucket_name=new,
            steps=tuple(steps),
            explanation=(
                f"{why} Create {new} in {region} with Object Lock "
                f"({retention.mode.value}, {retention.days} days) and "
                f"point {len(findings)} trail(s) at it."
            ),
            warnings=tuple(warnings),
        )


def _region(findings: Sequence[Finding]) -> str:
    return next((f.bucket_region for f in findings if f.bucket_region), findings[0].home_region)


def _explain(findings: Sequence[Finding], text: str) -> PlanEntry:
    first = findings[0]
    return PlanEntry(
        bucket_name=first.bucket_name,
        bucket_account_id=first.bucket_account_id,
        acting_account_id=None,
        region=first.bucket_region,
        strategy=None,
        findings=tuple(f.trail_arn for f in findings),
        reason_codes=tuple(f.reason_code for f in findings),
        retention=None,
        new_bucket_name=None,
        steps=(),
        explanation=text,
    )


def _mode_warnings(retention: Retention) -> list[str]:
    if retention.mode is not LockMode.COMPLIANCE:
        return []
    return [
        f"COMPLIANCE mode cannot be undone: no one, not even the root user, can delete a log "
        f"file or shorten its retention for {retention.days} days after it is written."
    ]


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


def _log_target_guards(bucket: str, owner: str) -> tuple[Guard, ...]:
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


def _replication_guard(bucket: str, owner: str) -> Guard:
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


def _create_bucket_step(account: str, region: str, bucket: str, fixes: tuple[str, ...]) -> Step:
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


def _versioning_step(
    account: str,
    region: str,
    bucket: str,
    fixes: tuple[str, ...],
    *,
    new_bucket: bool,
    guards: tuple[Guard, ...] = (),
) -> Step:
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


def _lock_step(
    account: str,
    region: str,
    bucket: str,
    retention: Retention,
    fixes: tuple[str, ...],
    *,
    new_bucket: bool,
    guards: tuple[Guard, ...] = (),
) -> Step:
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


def _policy_step(
    account: str, region: str, bucket: str, policy: str, fixes: tuple[str, ...]
) -> Step:
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


def _update_trail_step(finding: Finding, new_bucket: str) -> Step:
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
