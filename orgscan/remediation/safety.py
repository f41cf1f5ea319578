"""What ``orgscan remediate --apply`` checks before it changes anything.

A plan file is input, not authority: anyone who can write to a run folder can edit
``remediation/plan.json``. So ``--apply`` rebuilds the plan from ``findings.json`` (which the
run's manifest protects) and ``plan_differences`` refuses a file whose entries differ from the
rebuilt ones. Then ``unsafe_steps`` checks the plan about to run against the findings on its
own terms, whatever built it: each call is one orgscan makes, with exactly the parameters it
sends, on the finding's bucket (or its ``-locked`` replacement), trail and owner account; a
default retention is never lower in mode or days than the bucket's; access is never opened (no
statement allowing anyone, the public access block only ever fully on); and a trail is only
pointed at its entry's new bucket.

``preconditions`` says what must still hold, read live, just before each step changes
anything, because the world may have moved since the scan: a trail the plan names still
delivers to the bucket the plan names; before a ``new-bucket`` entry changes anything, its old
bucket is not now at least as strong as the new one (nor stronger in mode or days), and a
bucket that was missing is still missing. ``remediate --apply`` and the scripts both run them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orgscan.bucket_policy import statements
from orgscan.model import Finding, LockMode, ReasonCode, ScanResult, Status
from orgscan.remediation.buckets import new_bucket_name, opens_access
from orgscan.remediation.integrity_fixes import integrity_problems
from orgscan.remediation.plan_model import (
    Check,
    EntryKind,
    Plan,
    PlanEntry,
    Service,
    Step,
    Strategy,
)
from orgscan.remediation.planfile import plan_to_dict
from orgscan.remediation.retro_entries import retro_lock_problems
from orgscan.remediation.steps import (
    ABSENT_CODES,
    NO_SUCH_BUCKET,
    at_least_as_strong,
    jmespath_literal,
    stronger_somewhere,
)
from orgscan.remediation.trail_safety import recording_problems

#: The parameters each call of a plan may carry (the optional ones in the second set).
_PARAMETERS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    "CreateBucket": (
        frozenset({"Bucket", "ObjectLockEnabledForBucket"}),
        frozenset({"CreateBucketConfiguration"}),
    ),
    "PutPublicAccessBlock": (
        frozenset({"Bucket", "ExpectedBucketOwner", "PublicAccessBlockConfiguration"}),
        frozenset(),
    ),
    "PutBucketVersioning": (
        frozenset({"Bucket", "ExpectedBucketOwner", "VersioningConfiguration"}),
        frozenset(),
    ),
    "PutBucketEncryption": (
        frozenset({"Bucket", "ExpectedBucketOwner", "ServerSideEncryptionConfiguration"}),
        frozenset(),
    ),
    "PutBucketPolicy": (frozenset({"Bucket", "ExpectedBucketOwner", "Policy"}), frozenset()),
    "PutObjectLockConfiguration": (
        frozenset({"Bucket", "ExpectedBucketOwner", "ObjectLockConfiguration"}),
        frozenset(),
    ),
    "UpdateTrail": (frozenset({"Name", "S3BucketName"}), frozenset()),
}
_MODES = {mode.value: mode for mode in LockMode}


def plan_differences(given: Plan, rebuilt: Plan) -> list[str]:
    """How ``given`` (a plan file) differs from ``rebuilt`` (from findings.json), one phrase
    per difference; empty when they are the same plan."""
    mine, theirs = plan_to_dict(given), plan_to_dict(rebuilt)
    found = [
        f"'{key}'"
        for key in sorted(set(mine) | set(theirs))
        if key != "entries" and mine.get(key) != theirs.get(key)
    ]
    if len(mine["entries"]) != len(theirs["entries"]):
        found.append(f"{len(mine['entries'])} entries instead of {len(theirs['entries'])}")
    for number, (a, b) in enumerate(zip(mine["entries"], theirs["entries"], strict=False), start=1):
        if a != b:
            keys = sorted(key for key in set(a) | set(b) if a.get(key) != b.get(key))
            found.append(f"entry {number} (bucket {b['bucket_name']}: {', '.join(keys)})")
    return found


def unsafe_steps(plan: Plan, result: ScanResult) -> list[str]:
    """Every reason the steps of ``plan`` may not run against the findings of ``result``."""
    findings = {finding.trail_arn: finding for finding in result.findings}
    run_terms = (result.run.policy.min_retention_days, result.run.organization_id)
    problems: list[str] = []
    for number, entry in enumerate(plan.entries, start=1):
        if not entry.steps:
            continue
        if entry.kind is EntryKind.RECORDING:
            problems += [
                f"entry {number} (trail {entry.findings[0] if entry.findings else 'to create'}): "
                f"{problem}"
                for problem in recording_problems(entry, findings)
            ]
            continue
        if entry.kind is EntryKind.INTEGRITY:
            problems += [
                f"entry {number} ({entry.check.value if entry.check else 'integrity'}): {problem}"
                for problem in integrity_problems(entry, findings, *run_terms)
            ]
            continue
        if entry.kind is EntryKind.RETRO_LOCK:
            problems += [
                f"entry {number} ({entry.bucket_name}): {problem}"
                for problem in retro_lock_problems(entry, findings)
            ]
            continue
        covered = [findings.get(arn) for arn in entry.findings]
        if not entry.findings or any(
            f is None or f.status in (Status.PASS, Status.ERROR) for f in covered
        ):
            problems.append(f"entry {number}: its findings are not failures of this run")
            continue
        problems += [
            f"entry {number} ({entry.bucket_name}), step {index} {step.operation}: {problem}"
            for index, step in enumerate(entry.steps, start=1)
            for problem in _step_problems(entry, step, [f for f in covered if f is not None])
        ]
    return problems


def _step_problems(entry: PlanEntry, step: Step, covered: list[Finding]) -> list[str]:
    if step.operation not in _PARAMETERS:
        return ["not an operation orgscan makes"]
    required, optional = _PARAMETERS[step.operation]
    keys = set(step.parameters)
    if not required <= keys <= required | optional:
        return [f"parameters {sorted(keys)} are not the ones orgscan sends"]
    if any(f.bucket_name != entry.bucket_name for f in covered):
        return ["the entry's bucket is not its findings' bucket"]
    owners = {f.bucket_account_id for f in covered if f.bucket_account_id}
    if step.service is Service.CLOUDTRAIL:
        return _trail_problems(entry, step, covered)
    if entry.strategy is Strategy.NEW_BUCKET:
        bucket = new_bucket_name(entry.bucket_name)
        accounts = owners or {covered[0].account_id}
    else:
        bucket, accounts = entry.bucket_name, owners
    problems = []
    if step.parameters["Bucket"] != bucket:
        problems.append(f"changes bucket {step.parameters['Bucket']!r:.80}, not {bucket}")
    if (
        step.account_id not in accounts
        or step.parameters.get("ExpectedBucketOwner", step.account_id) != step.account_id
    ):
        problems.append(f"runs in account {step.account_id}, not the bucket's owner")
    return problems + _value_problems(
        step, covered, in_place=entry.strategy is not Strategy.NEW_BUCKET
    )


def _trail_problems(entry: PlanEntry, step: Step, covered: list[Finding]) -> list[str]:
    trail = next((f for f in covered if f.trail_arn == step.parameters["Name"]), None)
    if trail is None:
        return [f"updates trail {step.parameters['Name']!r:.100}, not one of the entry's"]
    problems = []
    if step.account_id != trail.account_id:
        problems.append(f"runs in account {step.account_id}, not the trail's owner")
    if entry.strategy is not Strategy.NEW_BUCKET or step.parameters[
        "S3BucketName"
    ] != new_bucket_name(entry.bucket_name):
        problems.append(
            f"points the trail at {step.parameters['S3BucketName']!r:.80}, "
            "which is not the entry's new bucket"
        )
    return problems


def _value_problems(step: Step, covered: list[Finding], *, in_place: bool) -> list[str]:
    parameters: Mapping[str, Any] = step.parameters
    if step.operation == "PutPublicAccessBlock":
        block = parameters["PublicAccessBlockConfiguration"]
        if (
            not isinstance(block, dict)
            or len(block) != 4
            or not all(value is True for value in block.values())
        ):
            return ["the public access block must be fully on"]
    if step.operation == "PutBucketVersioning" and parameters["VersioningConfiguration"] != {
        "Status": "Enabled"
    }:
        return ["versioning may only be enabled"]
    if step.operation == "CreateBucket" and parameters["ObjectLockEnabledForBucket"] is not True:
        return ["the new bucket must have Object Lock"]
    if step.operation == "PutBucketPolicy":
        return _policy_problems(parameters["Policy"])
    if step.operation == "PutObjectLockConfiguration":
        return _retention_problems(parameters["ObjectLockConfiguration"], covered, in_place)
    return []


def _policy_problems(policy: Any) -> list[str]:
    try:
        found = statements(policy if isinstance(policy, str) else json.dumps(policy))
    except ValueError as exc:
        return [f"the bucket policy is not a policy document ({exc})"]
    if any(opens_access(statement) for statement in found):
        return ["the bucket policy allows anyone"]
    return []


def _retention_problems(config: Any, covered: list[Finding], in_place: bool) -> list[str]:
    shape = "the lock configuration is not an enabled lock with a default retention in days"
    try:
        rule = config["Rule"]["DefaultRetention"]
        mode, days = rule["Mode"], rule["Days"]
        enabled = config["ObjectLockEnabled"] == "Enabled" and set(rule) == {"Mode", "Days"}
    except (KeyError, TypeError):
        return [shape]
    if not enabled or mode not in _MODES or not isinstance(days, int) or isinstance(days, bool):
        return [shape]
    if not in_place:
        return [] if days >= 1 else ["the default retention must be at least one day"]
    for finding in covered:
        if finding.lock_mode is not None and _MODES[mode].strength < finding.lock_mode.strength:
            return [f"lowers the mode from {finding.lock_mode.value} to {mode}"]
        if finding.retention_days is not None and days < finding.retention_days:
            return [f"lowers the default retention from {finding.retention_days} to {days} days"]
    return []


@dataclass(frozen=True)
class LiveRead:
    """One read-only call of a precondition: ``check`` made as ``account_id`` in ``region``.

    It answers True when the call succeeds and ``check.condition`` (if any) holds on the
    response; a failure with one of ``check.absent_codes`` means "not there" (False); any
    other failure means it cannot be read.
    """

    account_id: str
    region: str
    service: Service
    check: Check


@dataclass(frozen=True)
class Precondition:
    """What must still hold, read live, for a step to change anything.

    With ``any_of`` it holds when one of ``reads`` answers True (a trail the plan names still
    delivers to the bucket); without, when none does (the old bucket is not stronger than the
    new one). A read that cannot be read leaves it undecided, and an undecided precondition
    stops the step like a failed one: "cannot tell" is never "still holds". ``reason`` says in
    one line why the step stops.
    """

    reason: str
    reads: tuple[LiveRead, ...]
    any_of: bool


#: The error a trail that was deleted since the scan answers.
_NO_SUCH_TRAIL = ("TrailNotFoundException",)


def preconditions(entry: PlanEntry, step: Step) -> tuple[Precondition, ...]:
    """What must still hold before ``step`` of ``entry`` changes anything (see the module)."""
    if entry.kind is EntryKind.RECORDING:
        return _trail_unchanged(entry)
    if entry.kind in (EntryKind.RETRO_LOCK, EntryKind.INTEGRITY):
        # A job only ever extends a retention, an integrity step only switches a protection
        # on or lengthens an expiration: nothing either changes can be stale (its check, or
        # the lifecycle merge, skips what is already on or long enough).
        return ()
    found = [_still_delivers(entry, step)]
    # A bucket outside the organization cannot be read from inside it: only the trail is.
    if (
        entry.strategy is Strategy.NEW_BUCKET
        and ReasonCode.BUCKET_OUTSIDE_ORGANIZATION not in entry.reason_codes
    ):
        found.append(_old_bucket_not_stronger(entry, step))
    return tuple(found)


def _trail_unchanged(entry: PlanEntry) -> tuple[Precondition, ...]:
    # The trail still exists as the plan saw it, delivering to the same bucket (or to the
    # locked replacement a bucket entry of the same plan moves it to).
    if not entry.findings:
        return ()  # a trail to create: its check says whether it exists
    arn = entry.findings[0]
    account, region = _trail_home(arn)
    names = (entry.bucket_name, new_bucket_name(entry.bucket_name))
    targets = ", ".join(jmespath_literal(name) for name in names)
    condition = f"contains([{targets}], Trail.S3BucketName)"
    read = LiveRead(
        account_id=account,
        region=region,
        service=Service.CLOUDTRAIL,
        check=Check("GetTrail", {"Name": arn}, condition, _NO_SUCH_TRAIL),
    )
    reason = (
        f"the trail no longer delivers to {entry.bucket_name} (it was moved or deleted since "
        "the scan), so it is left as it is. Scan again"
    )
    return (Precondition(reason=reason, reads=(read,), any_of=True),)


def _trail_home(arn: str) -> tuple[str, str]:
    # arn:<partition>:cloudtrail:<home region>:<owner account>:trail/<name>; findings.json
    # holds only trail ARNs with a 12-digit account (checked when it is read).
    parts = arn.split(":")
    return parts[4], parts[3]


def _still_delivers(entry: PlanEntry, step: Step) -> Precondition:
    bucket = entry.bucket_name
    if step.operation == "UpdateTrail":
        # The step's own trail must still deliver to the old bucket (at the new bucket, the
        # step's check has already found it done).
        arns: tuple[str, ...] = (str(step.parameters["Name"]),)
        names: tuple[str, ...] = (bucket,)
        reason = (
            f"the trail no longer delivers to {bucket}, the bucket this plan moves it from "
            "(it was moved or deleted since the scan); it is left where it is. Scan again"
        )
    else:
        arns = entry.findings
        # A run stopped half-way may already have moved some trails to the new bucket.
        names = (bucket,) if entry.new_bucket_name is None else (bucket, entry.new_bucket_name)
        reason = (
            f"no trail this plan names delivers to {bucket} any more (moved or deleted since "
            "the scan), so the bucket is left as it is. Scan again"
        )
    targets = ", ".join(jmespath_literal(name) for name in names)
    reads = tuple(
        LiveRead(
            account_id=account,
            region=region,
            service=Service.CLOUDTRAIL,
            check=Check(
                "GetTrail",
                {"Name": arn},
                f"contains([{targets}], Trail.S3BucketName)",
                _NO_SUCH_TRAIL,
            ),
        )
        for arn in arns
        for account, region in [_trail_home(arn)]
    )
    return Precondition(reason=reason, reads=reads, any_of=True)


def _old_bucket_not_stronger(entry: PlanEntry, step: Step) -> Precondition:
    old = entry.bucket_name
    region = entry.region or step.region
    if ReasonCode.BUCKET_MISSING in entry.reason_codes or entry.bucket_account_id is None:
        # Whoever owns it now: HeadBucket answers 404 only when no account has the name (403
        # from another owner cannot be read, which stops the step too).
        read = LiveRead(
            account_id=step.account_id,
            region=region,
            service=Service.S3,
            check=Check(
                "HeadBucket", {"Bucket": old}, "type(@) == 'object'", ABSENT_CODES["HeadBucket"]
            ),
        )
        reason = (
            f"the bucket {old} exists again (it was missing when the run scanned it), so no "
            "trail is moved off it and no new bucket is made. Scan again"
        )
        return Precondition(reason=reason, reads=(read,), any_of=False)
    retention = entry.retention
    assert retention is not None  # a new-bucket entry always plans its retention
    read = LiveRead(
        account_id=entry.bucket_account_id,
        region=region,
        service=Service.S3,
        check=Check(
            "GetObjectLockConfiguration",
            {"Bucket": old, "ExpectedBucketOwner": entry.bucket_account_id},
            # At least as strong, or stronger on one side: the new bucket would weaken it.
            f"({at_least_as_strong(retention)}) || ({stronger_somewhere(retention)})",
            ABSENT_CODES["GetObjectLockConfiguration"] + NO_SUCH_BUCKET,
        ),
    )
    reason = (
        f"the bucket {old} now has a default retention at least as strong as the new "
        f"bucket's {retention.mode.value} for {retention.days} days (or stronger in mode or "
        "days), so no trail is moved off it and no new bucket is made. Scan again"
    )
    return Precondition(reason=reason, reads=(read,), any_of=False)
