"""The lifecycle configuration ``remediate --apply`` writes for a LIFECYCLE step (``lifecycle``):
each trail of the step read by its owner for its log folder, then the bucket's live rules, and
only the expirations of enabled rules reaching those folders that are shorter than the step's
minimum raised to it; every other rule and field sent back as it was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from orgscan.collect.integrity import NO_LIFECYCLE, rule_reaches
from orgscan.facts import logs_prefix
from orgscan.remediation.client_calls import STOPPED, ClientFactory, StepFailed, call, read_state
from orgscan.remediation.lifecycle import DAYS_FIELDS, OPERATION
from orgscan.remediation.plan_model import Service, Step

_NO_SUCH_TRAIL = ("TrailNotFoundException",)


def put_raised_lifecycle(
    step: Step, client: Any, clients: ClientFactory
) -> tuple[Mapping[str, Any] | None, tuple[str, ...]]:
    """Read, merge and write the step's lifecycle configuration (``client`` acts as the
    bucket's owner); what was sent (None when nothing was shorter) and notes saying what was
    raised from what, and what was left. ``StepFailed`` when it must stop."""
    bucket, minimum = str(step.parameters["Bucket"]), step.minimum_days
    if minimum is None:
        raise StepFailed(STOPPED, "the lifecycle step names no minimum")
    folders = _log_folders(step, bucket, clients)
    where = {"Bucket": bucket, "ExpectedBucketOwner": step.parameters["ExpectedBucketOwner"]}
    current = read_state(client, "GetBucketLifecycleConfiguration", where, (NO_LIFECYCLE,))
    if current is None:
        return None, (f"bucket {bucket} has no lifecycle configuration any more",)
    merged, raised, advice = raised_configuration(current, folders, minimum)
    if not raised:
        return None, advice
    sent = {**where, **merged}
    call(client, OPERATION, sent)
    return sent, raised + advice


def _log_folders(step: Step, bucket: str, clients: ClientFactory) -> list[str]:
    """The log folders of the step's trails that still deliver to ``bucket``, each trail read
    by its owner in its home region."""
    folders = []
    for arn in step.fixes:
        parts = arn.split(":")  # arn:<partition>:cloudtrail:<region>:<account>:trail/<name>
        cloudtrail = clients.client(parts[4], Service.CLOUDTRAIL.value, parts[3])
        trail = read_state(cloudtrail, "GetTrail", {"Name": arn}, _NO_SUCH_TRAIL)
        found = trail.get("Trail", {}) if isinstance(trail, Mapping) else {}
        if found.get("S3BucketName") == bucket:
            folders.append(logs_prefix(found.get("S3KeyPrefix")))
    if not folders:
        raise StepFailed(
            STOPPED,
            f"no trail this plan names delivers to {bucket} any more (moved or deleted since "
            "the scan), so its lifecycle is left as it is. Scan again",
        )
    return folders


def raised_configuration(
    current: Mapping[str, Any], folders: Sequence[str], minimum: int
) -> tuple[dict[str, Any], tuple[str, ...], tuple[str, ...]]:
    """The ``PutBucketLifecycleConfiguration`` parameters (without the bucket) that keep
    ``current`` (a ``GetBucketLifecycleConfiguration`` answer) but for its expirations reaching
    ``folders`` shorter than ``minimum``; the notes of what was raised, then the advice."""
    rules: list[dict[str, Any]] = []
    raised: list[str] = []
    advice: list[str] = []
    for rule in current.get("Rules") or []:
        kept = dict(rule)
        rules.append(kept)
        if not any(rule_reaches(rule, logs) for logs in folders):
            continue
        name = kept.get("ID") or "without an ID"
        for field, key in DAYS_FIELDS:
            part = kept.get(field)
            days = part.get(key) if isinstance(part, Mapping) else None
            if (
                isinstance(part, Mapping)
                and isinstance(days, int)
                and not isinstance(days, bool)
                and days < minimum
            ):
                kept[field] = {**part, key: minimum}
                raised.append(f"rule {name}: {field}.{key} {days} -> {minimum} days")
        date = (kept.get("Expiration") or {}).get("Date")
        if date is not None:
            advice.append(
                f"rule {name} expires the log files on {date}: left as it is; move that date "
                "or remove the expiration by hand"
            )
    merged: dict[str, Any] = {"LifecycleConfiguration": {"Rules": rules}}
    size = current.get("TransitionDefaultMinimumObjectSize")
    if size:  # sent back as it was: left out, S3 would put its default instead
        merged["TransitionDefaultMinimumObjectSize"] = size
    return merged, tuple(raised), tuple(advice)
