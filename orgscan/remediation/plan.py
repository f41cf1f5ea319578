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
from orgscan.remediation.buckets import delivery_policy, new_bucket_name
from orgscan.remediation.integrity_fixes import integrity_entries
from orgscan.remediation.plan_model import (
    DEFAULT_DAYS,
    DEFAULT_MODE,
    MAX_DAYS,
    EntryKind,
    Plan,
    PlanEntry,
    RemediationSettings,
    Retention,
    Step,
    Strategy,
)
from orgscan.remediation.recording import recording_entries
from orgscan.remediation.retro_entries import retro_lock_entries
from orgscan.remediation.steps import (
    create_bucket_step,
    encryption_step,
    lock_step,
    log_target_guards,
    policy_step,
    public_access_block_step,
    replication_guard,
    update_trail_step,
    versioning_step,
)

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
    entries += recording_entries(result)
    entries += retro_lock_entries(result, settings)
    entries += integrity_entries(
        result.findings, result.run.policy.min_retention_days, result.run.organization_id
    )
    # Buckets first: a trail is started or widened once its bucket is being locked; files
    # written before a lock come last, the lock being what keeps new ones.
    entries.sort(
        key=lambda e: (
            not e.actionable,
            list(EntryKind).index(e.kind),
            e.acting_account_id or "",
            e.bucket_name,
            e.findings,
        )
    )
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
        if ReasonCode.BUCKET_OUTSIDE_ORGANIZATION in codes:
            # Every account was searched: nobody inside can lock it, so the trails' owners
            # move their trails to a locked bucket of their own.
            return self._new_bucket(findings, missing=False, outside=True)
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
        guards = log_target_guards(bucket, owner)
        if lock_missing:
            guards = (replication_guard(bucket, owner), *guards)
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
                    versioning_step(owner, region, bucket, arns, new_bucket=False, guards=guards)
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
            lock_step(owner, region, bucket, retention, arns, new_bucket=False, guards=guards)
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

    def _new_bucket(
        self, findings: Sequence[Finding], *, missing: bool, outside: bool = False
    ) -> PlanEntry:
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
            create_bucket_step(acting, region, new, arns),
            public_access_block_step(acting, region, new, arns),
            versioning_step(acting, region, new, arns, new_bucket=True),
            encryption_step(acting, region, new, arns),
            policy_step(acting, region, new, policy, arns),
            lock_step(acting, region, new, retention, arns, new_bucket=True),
        ]
        steps += [update_trail_step(f, new) for f in findings]
        others = sorted({f.account_id for f in findings} - {acting})
        if missing:
            why = "The bucket no longer exists."
            warnings = [
                f"New logs go to {new}. What CloudTrail could not deliver while {old} was "
                "missing is not recovered (the event history keeps 90 days of management "
                "events)."
            ]
        elif outside:
            why = (
                "No account of the organization owns the bucket, so nobody inside can lock it: "
                "the trail's owner makes a locked bucket of its own."
            )
            warnings = [
                f"{old} belongs to an account outside the organization and is left as it is; "
                f"logs already there stay under that account's control. New logs go to {new}. "
                "Anyone who reads the logs from the old bucket must be given access to the new "
                "one."
            ]
        else:
            why = "Strategy new-bucket was chosen for buckets without Object Lock."
            warnings = [
                f"The old bucket {old} is never deleted; its existing logs stay there "
                f"unprotected. New logs go to {new}."
            ]
        if not missing and not outside:
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
