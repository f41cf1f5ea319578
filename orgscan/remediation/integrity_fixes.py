"""Plan entries for the integrity checks beside the lock (contract §5.2): one ``integrity``
entry per (resource, check) that does not pass, holding the steps that turn it to PASS.

- ``LOG_FILE_VALIDATION`` off: ``UpdateTrail`` with log file validation, by the trail's owner;
- ``KMS_KEY`` Disabled: ``EnableKey``; PendingDeletion: ``CancelKeyDeletion`` then ``EnableKey``
  (a cancelled key comes back Disabled); rotation off: ``EnableKeyRotation``; all by the key's
  owner in its region, never touching the key policy;
- ``PUBLIC_ACCESS`` not fully blocked: ``PutPublicAccessBlock`` with all four settings on the
  bucket, by its owner; a bucket whose policy makes it public first loses the statements that
  allow everyone without a condition (``policy_fixes``);
- ``LIFECYCLE`` because a rule expires log files sooner than the policy's minimum (FAIL) or
  the bucket's default retention (WARN): ``PutBucketLifecycleConfiguration`` by the bucket's
  owner, the live configuration with those expirations raised to the longer of the two,
  merged when it runs (``lifecycle``). A LIFECYCLE FAIL of a missing bucket is the bucket
  entry's;
- ``DELIVERY`` FAIL with ``AccessDenied``: CloudTrail's statements merged into the bucket's
  policy, by its owner (``policy_fixes``); other delivery errors stay advice.

A resource several trails share (a bucket, a key) gets one entry naming every such trail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from orgscan.model import Finding, IntegrityCode, Status
from orgscan.remediation.integrity_steps import (
    bucket_block_step,
    cancel_key_deletion_step,
    enable_key_rotation_step,
    enable_key_step,
    key_home,
    log_file_validation_step,
)
from orgscan.remediation.lifecycle import OPERATION, lifecycle_explanation, lifecycle_step
from orgscan.remediation.plan_model import EntryKind, PlanEntry, Service, Step
from orgscan.remediation.policy_fixes import (
    allowed_policy_steps,
    delivery_fix,
    fixable_delivery,
    public_policy_fix,
)

#: Checks an integrity entry can fix, in the order their entries are listed.
FIXED = (
    IntegrityCode.LOG_FILE_VALIDATION,
    IntegrityCode.KMS_KEY,
    IntegrityCode.PUBLIC_ACCESS,
    IntegrityCode.LIFECYCLE,
    IntegrityCode.DELIVERY,
)


def _status(finding: Finding, check: IntegrityCode) -> Status | None:
    return next((c.status for c in finding.integrity if c.check is check), None)


def lifecycle_target(finding: Finding, minimum: int | None) -> int | None:
    """The days the lifecycle step raises the finding's log files' expirations to: the longer
    of ``minimum`` (the policy's ``min_retention_days``) and the bucket's default retention,
    when its LIFECYCLE does not pass because a rule is shorter; None otherwise."""
    days = finding.lifecycle_expiration_days
    target = max(minimum or 0, finding.retention_days or 0)
    status = _status(finding, IntegrityCode.LIFECYCLE)
    if status in (Status.FAIL, Status.WARN) and days is not None and days < target:
        return target
    return None


def integrity_entries(
    findings: Iterable[Finding], minimum: int | None = None, organization_id: str | None = None
) -> list[PlanEntry]:
    """One entry per (resource, check) whose check is WARN or FAIL on some finding (for
    LIFECYCLE: a rule shorter than ``minimum``, the policy's, or the default retention; for
    DELIVERY: only when the bucket policy causes it, ``organization_id`` naming its logs)."""
    every = sorted(findings, key=lambda f: f.trail_arn)
    groups: dict[tuple[IntegrityCode, str], list[Finding]] = {}
    for finding in every:
        for check in FIXED:
            if _status(finding, check) not in (Status.WARN, Status.FAIL):
                continue
            if check is IntegrityCode.LIFECYCLE and lifecycle_target(finding, minimum) is None:
                continue
            resource = {
                IntegrityCode.LOG_FILE_VALIDATION: finding.trail_arn,
                IntegrityCode.KMS_KEY: finding.kms_key_arn or "",
                IntegrityCode.PUBLIC_ACCESS: finding.bucket_name,
                IntegrityCode.LIFECYCLE: finding.bucket_name,
                IntegrityCode.DELIVERY: finding.bucket_name if fixable_delivery(finding) else "",
            }[check]
            if resource:
                groups.setdefault((check, resource), []).append(finding)
    return [
        _entry(check, resource, found, minimum or 0, every, organization_id)
        for (check, resource), found in groups.items()
    ]


def _entry(
    check: IntegrityCode,
    resource: str,
    found: list[Finding],
    minimum: int,
    every: list[Finding],
    organization_id: str | None,
) -> PlanEntry:
    first, fixes = found[0], tuple(f.trail_arn for f in found)
    steps: list[Step] = []
    region: str | None = first.home_region
    acting: str | None = first.account_id
    if check is IntegrityCode.LOG_FILE_VALIDATION:
        steps.append(log_file_validation_step(first))
        explanation = f"Trail {first.trail_name} does not validate its log files: turn it on."
    elif check is IntegrityCode.KMS_KEY:
        acting, region, _ = key_home(resource)
        state = first.kms_key_state
        if state == "PendingDeletion":
            steps += [cancel_key_deletion_step(resource, fixes), enable_key_step(resource, fixes)]
        elif state == "Disabled":
            steps.append(enable_key_step(resource, fixes))
        if first.kms_key_rotation is False:
            steps.append(enable_key_rotation_step(resource, fixes))
        explanation = f"Key {resource} is {state}" + (
            ", rotation off" if first.kms_key_rotation is False else ""
        )
        explanation += ": make it usable and rotating; its key policy is left as it is."
        if state == "PendingReplicaDeletion":
            explanation += (
                " It waits for its replicas' deletion: cancel that in each replica's region "
                "(aws kms cancel-key-deletion there); orgscan does not guess where they are."
            )
    elif check is IntegrityCode.LIFECYCLE:
        acting, region = first.bucket_account_id, first.bucket_region
        explanation, steps = _lifecycle(found, minimum)
    elif check is IntegrityCode.DELIVERY:
        acting, region = first.bucket_account_id, first.bucket_region
        explanation, steps = delivery_fix(first, fixes, every, organization_id)
    else:
        acting, region = first.bucket_account_id, first.bucket_region
        explanation, steps = _public_access(first, fixes)
    if acting is None or region is None:
        steps, explanation = [], explanation + " Its owner or region is unknown: nothing to run."
    return PlanEntry(
        bucket_name=first.bucket_name,
        bucket_account_id=first.bucket_account_id,
        acting_account_id=acting,
        region=region,
        strategy=None,
        findings=fixes,
        reason_codes=tuple(f.reason_code for f in found),
        retention=None,
        new_bucket_name=None,
        steps=tuple(steps),
        explanation=explanation,
        kind=EntryKind.INTEGRITY,
        check=check,
    )


def _lifecycle(found: list[Finding], minimum: int) -> tuple[str, list[Step]]:
    first = found[0]
    owner, region = first.bucket_account_id, first.bucket_region
    shortest = min(f.lifecycle_expiration_days or 0 for f in found)
    target = max(lifecycle_target(f, minimum) or 0 for f in found)
    if owner is None or region is None:
        return f"A lifecycle rule of bucket {first.bucket_name} deletes log files early.", []
    fixes = tuple(f.trail_arn for f in found)
    return (
        lifecycle_explanation(first.bucket_name, owner, region, target, shortest),
        [lifecycle_step(owner, region, first.bucket_name, target, fixes)],
    )


def _public_access(first: Finding, fixes: tuple[str, ...]) -> tuple[str, list[Step]]:
    bucket = first.bucket_name
    if _status(first, IntegrityCode.PUBLIC_ACCESS) is Status.FAIL:
        return public_policy_fix(first, fixes)
    if first.bucket_region is None or first.bucket_account_id is None:
        return f"Bucket {bucket}'s Block Public Access is not fully on.", []
    step = bucket_block_step(first.bucket_account_id, first.bucket_region, bucket, fixes)
    return (
        f"Bucket {bucket} is not public, but Block Public Access is not fully on: turn on "
        "all four settings on the bucket.",
        [step],
    )


# ---------------------------------------------------------------------- what apply allows

_KEY_OPERATIONS = frozenset({"CancelKeyDeletion", "EnableKey", "EnableKeyRotation"})


def integrity_problems(
    entry: PlanEntry,
    findings: Mapping[str, Finding],
    minimum: int | None = None,
    organization_id: str | None = None,
) -> list[str]:
    """Every reason the steps of the ``integrity`` entry may not run against ``findings``
    (the run's, by trail ARN, under the policy's ``minimum`` retention, of the organization
    ``organization_id``): each must be exactly a call orgscan makes for the entry's check, on a
    resource of those findings, by its owner in its region."""
    covered = [findings.get(arn) for arn in entry.findings]
    mine = [f for f in covered if f is not None]
    if not entry.findings or len(mine) != len(covered):
        return ["its trails are not all this run's"]
    if entry.check is IntegrityCode.LIFECYCLE:
        return _lifecycle_problems(entry, mine, minimum)
    allowed = allowed_policy_steps(entry.check, mine, findings, organization_id)
    return [
        f"step {index} {step.operation}: {problem}"
        for index, step in enumerate(entry.steps, start=1)
        if (problem := _step_problem(entry.check, step, mine, allowed)) is not None
    ]


def _step_problem(
    check: IntegrityCode | None,
    step: Step,
    mine: list[Finding],
    allowed: list[tuple[tuple[Any, ...], Mapping[str, Any]]],
) -> str | None:
    shape: tuple[Any, ...] = (step.service, step.operation, step.account_id, step.region)
    allowed = list(allowed)
    for f in mine:
        if check is IntegrityCode.LOG_FILE_VALIDATION:
            allowed.append(
                (
                    (Service.CLOUDTRAIL, "UpdateTrail", f.account_id, f.home_region),
                    {"Name": f.trail_arn, "EnableLogFileValidation": True},
                )
            )
        elif check is IntegrityCode.KMS_KEY and f.kms_key_arn:
            account, region, key_id = key_home(f.kms_key_arn)
            allowed += [
                ((Service.KMS, operation, account, region), {"KeyId": key_id})
                for operation in _KEY_OPERATIONS
            ]
        elif check is IntegrityCode.PUBLIC_ACCESS and f.bucket_account_id:
            allowed.append(
                (
                    (Service.S3, "PutPublicAccessBlock", f.bucket_account_id, f.bucket_region),
                    bucket_block_step(
                        f.bucket_account_id, f.bucket_region or "", f.bucket_name, ()
                    ).parameters,
                )
            )
    if any(shape == s and dict(step.parameters) == dict(p) for s, p in allowed):
        return None
    return "is not a call orgscan makes for this check, by the owner in its region"


def _lifecycle_problems(entry: PlanEntry, mine: list[Finding], minimum: int | None) -> list[str]:
    """The one lifecycle step orgscan makes for these findings, exactly: their bucket, by its
    owner in its region, raising to the days their findings call for (only ever raised: never a
    shorter expiration, never another rule)."""
    first = mine[0]
    targets = [lifecycle_target(f, minimum) for f in mine]
    if None in targets or any(f.bucket_name != first.bucket_name for f in mine):
        return ["its trails' lifecycle does not fall short on one bucket in this run"]
    owner, region = first.bucket_account_id, first.bucket_region
    expected = (
        [
            lifecycle_step(
                owner, region, first.bucket_name, max(filter(None, targets)), entry.findings
            )
        ]
        if owner and region
        else []
    )
    if [_shape(s) for s in entry.steps] == [_shape(s) for s in expected]:
        return []
    return [f"step {OPERATION}: is not the lifecycle call orgscan makes for these findings"]


def _shape(step: Step) -> tuple[Any, ...]:
    parameters = dict(step.parameters)
    return (
        step.service,
        step.operation,
        step.account_id,
        step.region,
        parameters,
        step.fixes,
        step.minimum_days,
    )
