"""Execute a remediation plan through boto3 clients, step by step, with a result per step.

Clients come from a factory passed in (``SessionFactory`` in the CLI: the scan's role
assumption), so tests run the same code against moto. Each step first runs its read-only check;
a step already done is not repeated, which makes a second apply change nothing. A check that
cannot read the current state (AccessDenied, another owner's bucket) fails the step: "cannot
tell" is never "not done". Then its preconditions (``safety.preconditions``) are read live,
each with the role of the account that owns what is read: a trail the plan names still
delivers to the bucket the plan names, and a ``new-bucket`` entry's old bucket has not become
as strong as the new one (or, missing at the scan, exists again); a plan older than these
facts stops there. Then the step's guards read what the change would break (a stronger
retention it would lower, replication to an unlocked destination, access logs delivered into
the bucket) and stop it with their reason. ``PutBucketPolicy`` merges by ``Sid``
(``merged_policy``): orgscan's statements are added or updated, every other statement is kept,
and the old bucket's statements that still apply are copied. ``PutBucketLifecycleConfiguration``
sends the live configuration with only the expirations of the log files that are too short
raised (``lifecycle``). An account's plan stops at its
first failed step, and a failure also stops the later steps of the same bucket (an
``UpdateTrail`` must not point a trail at a bucket that was not finished). Each outcome names
the resource changed and what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import jmespath  # type: ignore[import-untyped]  # botocore ships it without stubs

from orgscan.aws.sessions import AssumeRoleError
from orgscan.files import atomic_write
from orgscan.remediation.client_calls import (
    STOPPED,
    ClientFactory,
    StepFailed,
    call,
    check_holds,
    read_state,
)
from orgscan.remediation.lifecycle import OPERATION as LIFECYCLE_OPERATION
from orgscan.remediation.lifecycle_merge import put_raised_lifecycle
from orgscan.remediation.merged_policy import merged_policy
from orgscan.remediation.plan_model import (
    APPLIED_KINDS,
    EntryKind,
    Guard,
    GuardKind,
    Plan,
    PlanEntry,
    Step,
)
from orgscan.remediation.planfile import APPLY_RECORD_PREFIX, REMEDIATION_DIR
from orgscan.remediation.safety import LiveRead, Precondition, preconditions
from orgscan.remediation.selectors import merged_selectors


class StepStatus(StrEnum):
    """What happened to one step."""

    APPLIED = "applied"
    ALREADY_DONE = "already-done"
    FAILED = "failed"
    NOT_RUN = "not-run"


@dataclass(frozen=True)
class StepOutcome:
    """The result of one step; ``error_code``/``message`` explain a failure or a step not run.

    ``bucket_name`` is the bucket the call changed (for ``UpdateTrail``: the bucket the trail
    now delivers to) and ``resource`` what the call was made on (the bucket, or the trail's
    ARN); ``sent`` holds the parameters actually sent when the step was applied (a merged
    bucket policy, not the planned one) and ``notes`` what a merge kept, copied or left out.
    """

    account_id: str
    region: str
    bucket_name: str
    service: str
    operation: str
    status: StepStatus
    error_code: str | None = None
    message: str | None = None
    resource: str | None = None
    sent: Mapping[str, Any] | None = None
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ApplyResult:
    """Everything an apply did, in execution order."""

    started_at: str
    finished_at: str
    run_started_at: str
    accounts: tuple[str, ...]
    outcomes: tuple[StepOutcome, ...]

    @property
    def ok(self) -> bool:
        """True when no step failed or was left unrun."""
        return all(o.status in (StepStatus.APPLIED, StepStatus.ALREADY_DONE) for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        """The document of ``remediation/apply-<timestamp>.json``."""
        outcomes = [
            {
                **asdict(o),
                "status": o.status.value,
                "notes": list(o.notes),
                "sent": None if o.sent is None else dict(o.sent),
            }
            for o in self.outcomes
        ]
        counts = {
            status.value: sum(o.status is status for o in self.outcomes) for status in StepStatus
        }
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "run_started_at": self.run_started_at,
            "accounts": list(self.accounts),
            "ok": self.ok,
            "counts": counts,
            "steps": outcomes,
        }


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def apply_plan(
    plan: Plan,
    clients: ClientFactory,
    *,
    accounts: Collection[str] | None = None,
    on_step: Callable[[StepOutcome], None] | None = None,
    now: Callable[[], str] = _utc_now,
    kinds: Collection[EntryKind] = APPLIED_KINDS,
) -> ApplyResult:
    """Run the steps of ``plan`` (only those of ``accounts`` when given, and of entries of
    ``kinds``: retro-lock jobs only when asked for) in plan order."""
    started = now()
    failed_accounts: set[str] = set()
    outcomes: list[StepOutcome] = []
    for entry in plan.entries:
        if entry.kind not in kinds:
            continue
        entry_failed = False
        for step in entry.steps:
            if accounts is not None and step.account_id not in accounts:
                continue
            if step.account_id in failed_accounts:
                outcome = _outcome(
                    entry, step, StepStatus.NOT_RUN, None, "an earlier step of this account failed"
                )
            elif entry_failed:
                outcome = _outcome(
                    entry, step, StepStatus.NOT_RUN, None, "an earlier step for this bucket failed"
                )
            else:
                outcome = _run_step(entry, step, clients)
            if outcome.status in (StepStatus.FAILED, StepStatus.NOT_RUN):
                entry_failed = True
                failed_accounts.add(step.account_id)
            outcomes.append(outcome)
            if on_step is not None:
                on_step(outcome)
    selected = sorted(accounts) if accounts is not None else plan.accounts_with_steps()
    return ApplyResult(
        started_at=started,
        finished_at=now(),
        run_started_at=plan.run_started_at,
        accounts=tuple(selected),
        outcomes=tuple(outcomes),
    )


def _outcome(
    entry: PlanEntry,
    step: Step,
    status: StepStatus,
    code: str | None,
    message: str | None,
    *,
    sent: Mapping[str, Any] | None = None,
    notes: tuple[str, ...] = (),
) -> StepOutcome:
    parameters = step.parameters
    bucket = parameters.get("Bucket", parameters.get("S3BucketName"))
    resource = parameters.get("Bucket", parameters.get("Name", parameters.get("TrailName")))
    return StepOutcome(
        account_id=step.account_id,
        region=step.region,
        bucket_name=str(bucket if bucket is not None else entry.bucket_name),
        service=step.service.value,
        operation=step.operation,
        status=status,
        error_code=code,
        message=message,
        resource=None if resource is None else str(resource),
        sent=sent,
        notes=notes,
    )


def _run_step(entry: PlanEntry, step: Step, clients: ClientFactory) -> StepOutcome:
    try:
        client = clients.client(step.account_id, step.service.value, step.region)
        if step.operation == "PutBucketPolicy":
            return _put_merged_policy(entry, step, client, clients)
        if step.operation == LIFECYCLE_OPERATION:
            # Read and merged now: the trails' log folders and the bucket's live rules.
            sent, notes = put_raised_lifecycle(step, client, clients)
            status = StepStatus.ALREADY_DONE if sent is None else StepStatus.APPLIED
            return _outcome(entry, step, status, None, None, sent=sent, notes=notes)
        if step.check is not None and check_holds(client, step.check):
            return _outcome(entry, step, StepStatus.ALREADY_DONE, None, None)
        _require(preconditions(entry, step), clients)
        for guard in step.guards:
            _enforce(client, guard, step)
        sent = step.parameters
        if step.operation == "PutEventSelectors":
            # Keep what else the trail records (data events), in its basic or advanced form.
            current = call(client, "GetEventSelectors", {"TrailName": sent["TrailName"]})
            sent = {"TrailName": sent["TrailName"], **merged_selectors(current)}
        response = call(client, step.operation, sent)
    except StepFailed as exc:
        return _outcome(entry, step, StepStatus.FAILED, exc.code, exc.message)
    except AssumeRoleError as exc:
        return _outcome(
            entry,
            step,
            StepStatus.FAILED,
            exc.error_code,
            f"cannot assume the role in {exc.account_id}: {exc.message}",
        )
    return _outcome(
        entry, step, StepStatus.APPLIED, None, None, sent=sent, notes=_job_notes(step, response)
    )


def _job_notes(step: Step, response: Any) -> tuple[str, ...]:
    """For a Batch Operations job: its id and the command that follows it."""
    if step.operation != "CreateJob" or not isinstance(response, Mapping):
        return ()
    job = str(response.get("JobId", ""))
    return (
        f"job {job}; follow it with: aws s3control describe-job --account-id "
        f"{step.account_id} --job-id {job} --region {step.region}",
    )


def _require(conditions: Collection[Precondition], clients: ClientFactory) -> None:
    """Stop the step (``StepFailed``) unless every precondition holds, read live now."""
    for condition in conditions:
        answers: list[bool] = []
        unreadable: StepFailed | None = None
        for read in condition.reads:
            try:
                answers.append(_answers(read, clients))
            except StepFailed as exc:
                unreadable = unreadable or exc
        if condition.any_of and any(answers):
            continue  # one trail still delivers there: what the others answer does not matter
        if not condition.any_of and any(answers):
            raise StepFailed(STOPPED, condition.reason)
        if unreadable is not None:
            raise unreadable
        if condition.any_of:
            raise StepFailed(STOPPED, condition.reason)


def _answers(read: LiveRead, clients: ClientFactory) -> bool:
    # Read with the role of the account that owns the trail or bucket: the step's own
    # account may not be allowed to read it (a member cannot read the organization trail).
    return check_holds(clients.client(read.account_id, read.service.value, read.region), read.check)


def _enforce(client: Any, guard: Guard, step: Step) -> None:
    if guard.kind in (GuardKind.FOREIGN_POLICY, GuardKind.OTHER_SELECTORS):
        return  # only scripts stop there; apply merges (bucket policy, event selectors)
    response = read_state(client, guard.operation, guard.parameters, guard.absent_codes)
    if response is None:
        return
    if guard.kind is GuardKind.QUERY:
        if guard.condition is not None and jmespath.search(guard.condition, response) is True:
            raise StepFailed(STOPPED, guard.reason)
        return
    unlocked = _unlocked_destinations(client, response, step.account_id)
    if unlocked:
        raise StepFailed(STOPPED, f"{guard.reason} (destination: {', '.join(unlocked)})")


def _unlocked_destinations(client: Any, response: Mapping[str, Any], owner: str) -> list[str]:
    rules = response.get("ReplicationConfiguration", {}).get("Rules", [])
    found = []
    for rule in rules:
        if rule.get("Status") != "Enabled":
            continue
        destination = rule.get("Destination", {})
        bucket = str(destination.get("Bucket", "")).rsplit(":", 1)[-1]
        try:
            lock = call(
                client,
                "GetObjectLockConfiguration",
                {"Bucket": bucket, "ExpectedBucketOwner": destination.get("Account", owner)},
            )
        except StepFailed as exc:
            found.append(
                bucket
                if exc.code == "ObjectLockConfigurationNotFoundError"
                else f"{bucket} ({exc.code})"
            )
            continue
        if lock.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
            found.append(bucket)
    return found


def _put_merged_policy(
    entry: PlanEntry, step: Step, client: Any, clients: ClientFactory
) -> StepOutcome:
    """Add or update orgscan's statements by ``Sid``, keep every other statement of the
    bucket's policy, and copy the old bucket's statements that still apply (or, for an
    integrity entry, ``merged_policy``'s edit; a policy left empty is deleted)."""
    merged = merged_policy(entry, step, client, clients)
    if not merged.changes:
        return _outcome(entry, step, StepStatus.ALREADY_DONE, None, None, notes=merged.notes)
    _require(preconditions(entry, step), clients)
    sent = {**step.parameters, "Policy": json.dumps(merged.document, separators=(",", ":"))}
    if merged.empty:  # AWS takes no policy without a statement: the policy goes
        step = replace(step, operation="DeleteBucketPolicy")
        sent = {key: step.parameters[key] for key in ("Bucket", "ExpectedBucketOwner")}
    try:
        call(client, step.operation, sent)
    except StepFailed as exc:
        return _outcome(entry, step, StepStatus.FAILED, exc.code, exc.message)
    return _outcome(entry, step, StepStatus.APPLIED, None, None, sent=sent, notes=merged.notes)


def write_apply_result(run_dir: Path, result: ApplyResult) -> Path:
    """Write ``result`` to ``RUN_DIR/remediation/apply-<UTC timestamp>.json``; never overwrite."""
    folder = run_dir / REMEDIATION_DIR
    stamp = result.started_at.replace("-", "").replace(":", "")
    path = folder / f"{APPLY_RECORD_PREFIX}{stamp}.json"
    counter = 2
    while path.exists():
        path = folder / f"{APPLY_RECORD_PREFIX}{stamp}-{counter}.json"
        counter += 1
    # Never through a symbolic link planted as remediation/: the record stays in the run.
    atomic_write(
        path, json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n", within=run_dir
    )
    return path
