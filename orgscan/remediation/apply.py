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
the bucket) and stop it with their reason. ``PutBucketPolicy`` merges by ``Sid``: orgscan's
statements are added or updated, every other statement is kept, and the old bucket's statements
that still apply are copied. An account's plan stops at its first failed step, and a failure
also stops the later steps of the same bucket (an ``UpdateTrail`` must not point a trail at a
bucket that was not finished). Each outcome names the resource changed and what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import jmespath  # type: ignore[import-untyped]  # botocore ships it without stubs
from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError

from orgscan.aws.redaction import redact
from orgscan.aws.sessions import AssumeRoleError
from orgscan.files import atomic_write
from orgscan.remediation.buckets import (
    merge_by_sid,
    opens_access,
    partition_of,
    statements,
    statements_to_copy,
)
from orgscan.remediation.plan_model import Check, Guard, GuardKind, Plan, PlanEntry, Step, Strategy
from orgscan.remediation.planfile import APPLY_RECORD_PREFIX, REMEDIATION_DIR
from orgscan.remediation.safety import LiveRead, Precondition, preconditions


class ClientFactory(Protocol):
    """Anything that hands out a boto3 client acting as an account in a region."""

    def client(self, account_id: str, service: str, region: str) -> Any:
        """A client for ``service`` acting as ``account_id`` in ``region``."""
        ...


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


class _StepFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def apply_plan(
    plan: Plan,
    clients: ClientFactory,
    *,
    accounts: Collection[str] | None = None,
    on_step: Callable[[StepOutcome], None] | None = None,
    now: Callable[[], str] = _utc_now,
) -> ApplyResult:
    """Run the steps of ``plan`` (only those of ``accounts`` when given) in plan order."""
    started = now()
    failed_accounts: set[str] = set()
    outcomes: list[StepOutcome] = []
    for entry in plan.entries:
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
    resource = parameters.get("Bucket", parameters.get("Name"))
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
        if step.check is not None and _holds(client, step.check):
            return _outcome(entry, step, StepStatus.ALREADY_DONE, None, None)
        _require(preconditions(entry, step), clients)
        for guard in step.guards:
            _enforce(client, guard, step)
        _call(client, step.operation, step.parameters)
    except _StepFailed as exc:
        return _outcome(entry, step, StepStatus.FAILED, exc.code, exc.message)
    except AssumeRoleError as exc:
        return _outcome(
            entry,
            step,
            StepStatus.FAILED,
            exc.error_code,
            f"cannot assume the role in {exc.account_id}: {exc.message}",
        )
    return _outcome(entry, step, StepStatus.APPLIED, None, None, sent=step.parameters)


#: The error code of a step stopped by its guard or a precondition (not an AWS code).
STOPPED = "StoppedByGuard"


def _require(conditions: Collection[Precondition], clients: ClientFactory) -> None:
    """Stop the step (``_StepFailed``) unless every precondition holds, read live now."""
    for condition in conditions:
        answers: list[bool] = []
        unreadable: _StepFailed | None = None
        for read in condition.reads:
            try:
                answers.append(_answers(read, clients))
            except _StepFailed as exc:
                unreadable = unreadable or exc
        if condition.any_of and any(answers):
            continue  # one trail still delivers there: what the others answer does not matter
        if not condition.any_of and any(answers):
            raise _StepFailed(STOPPED, condition.reason)
        if unreadable is not None:
            raise unreadable
        if condition.any_of:
            raise _StepFailed(STOPPED, condition.reason)


def _answers(read: LiveRead, clients: ClientFactory) -> bool:
    # Read with the role of the account that owns the trail or bucket: the step's own
    # account may not be allowed to read it (a member cannot read the organization trail).
    return _holds(clients.client(read.account_id, read.service.value, read.region), read.check)


def _read(
    client: Any, operation: str, parameters: Mapping[str, Any], absent_codes: Collection[str]
) -> Any:
    """The response of a read-only call, or None when its error says "nothing there";
    any other error means the current state cannot be read."""
    try:
        return _call(client, operation, parameters)
    except _StepFailed as exc:
        if exc.code in absent_codes:
            return None
        raise _StepFailed(
            exc.code,
            f"cannot read the current state ({operation} on "
            f"{parameters.get('Bucket', parameters.get('Name'))}): "
            f"{exc.message}",
        ) from None


def _enforce(client: Any, guard: Guard, step: Step) -> None:
    if guard.kind is GuardKind.FOREIGN_POLICY:
        return  # only scripts stop there; apply merges (see _put_merged_policy)
    response = _read(client, guard.operation, guard.parameters, guard.absent_codes)
    if response is None:
        return
    if guard.kind is GuardKind.QUERY:
        if guard.condition is not None and jmespath.search(guard.condition, response) is True:
            raise _StepFailed(STOPPED, guard.reason)
        return
    unlocked = _unlocked_destinations(client, response, step.account_id)
    if unlocked:
        raise _StepFailed(STOPPED, f"{guard.reason} (destination: {', '.join(unlocked)})")


def _unlocked_destinations(client: Any, response: Mapping[str, Any], owner: str) -> list[str]:
    rules = response.get("ReplicationConfiguration", {}).get("Rules", [])
    found = []
    for rule in rules:
        if rule.get("Status") != "Enabled":
            continue
        destination = rule.get("Destination", {})
        bucket = str(destination.get("Bucket", "")).rsplit(":", 1)[-1]
        try:
            lock = _call(
                client,
                "GetObjectLockConfiguration",
                {"Bucket": bucket, "ExpectedBucketOwner": destination.get("Account", owner)},
            )
        except _StepFailed as exc:
            found.append(
                bucket
                if exc.code == "ObjectLockConfigurationNotFoundError"
                else f"{bucket} ({exc.code})"
            )
            continue
        if lock.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
            found.append(bucket)
    return found


@dataclass(frozen=True)
class MergedPolicy:
    """A bucket policy as ``--apply`` will write it: the bucket's current statements merged by
    ``Sid`` with orgscan's and the old bucket's that still apply (``notes`` say which)."""

    bucket: str
    current: tuple[Mapping[str, Any], ...]
    document: Mapping[str, Any]
    notes: tuple[str, ...]

    @property
    def changes(self) -> bool:
        """True when writing the document changes the bucket's policy."""
        return list(self.document["Statement"]) != list(self.current)


def _merged_policy(
    entry: PlanEntry, step: Step, client: Any, clients: ClientFactory
) -> MergedPolicy:
    bucket = str(step.parameters["Bucket"])
    owner = {"Bucket": bucket, "ExpectedBucketOwner": step.account_id}
    # A bucket the plan creates does not exist before the apply: it has no policy yet.
    current = _policy_statements(client, owner, ("NoSuchBucketPolicy", "NoSuchBucket"))
    planned = statements(str(step.parameters["Policy"]))
    notes: list[str] = []
    if entry.strategy is Strategy.NEW_BUCKET and entry.bucket_account_id and entry.region:
        old_client = clients.client(entry.bucket_account_id, "s3", entry.region)
        old = _policy_statements(
            old_client,
            {"Bucket": entry.bucket_name, "ExpectedBucketOwner": entry.bucket_account_id},
            ("NoSuchBucketPolicy", "NoSuchBucket"),
        )
        copy = statements_to_copy(old, entry.bucket_name, bucket, partition_of(entry.findings[0]))
        planned = [*[s for s in copy.copied if s not in current], *planned]
        notes += [
            f"copied from {entry.bucket_name}: statement {s.get('Sid') or '(no Sid)'}"
            for s in copy.copied
        ]
        notes += [f"not copied from {entry.bucket_name}: {text}" for text in copy.not_copied]
    if any(opens_access(statement) for statement in planned):
        raise _StepFailed(STOPPED, "the planned bucket policy would allow anyone")
    replaced = {statement.get("Sid") for statement in planned}
    notes += [
        f"kept statement {s.get('Sid') or '(no Sid)'}"
        for s in current
        if s.get("Sid") is None or s.get("Sid") not in replaced
    ]
    return MergedPolicy(
        bucket=bucket,
        current=tuple(current),
        document=merge_by_sid(current, planned),
        notes=tuple(notes),
    )


def _policy_statements(
    client: Any, parameters: Mapping[str, Any], absent: Collection[str]
) -> list[dict[str, Any]]:
    response = _read(client, "GetBucketPolicy", parameters, absent)
    try:
        return statements(response["Policy"] if response else None)
    except ValueError as exc:
        raise _StepFailed(
            "MalformedPolicy", f"the policy of {parameters['Bucket']} cannot be read: {exc}"
        ) from None


def _put_merged_policy(
    entry: PlanEntry, step: Step, client: Any, clients: ClientFactory
) -> StepOutcome:
    """Add or update orgscan's statements by ``Sid``, keep every other statement of the
    bucket's policy, and copy the old bucket's statements that still apply."""
    merged = _merged_policy(entry, step, client, clients)
    if not merged.changes:
        return _outcome(entry, step, StepStatus.ALREADY_DONE, None, None, notes=merged.notes)
    _require(preconditions(entry, step), clients)
    sent = {**step.parameters, "Policy": json.dumps(merged.document, separators=(",", ":"))}
    try:
        _call(client, "PutBucketPolicy", sent)
    except _StepFailed as exc:
        return _outcome(entry, step, StepStatus.FAILED, exc.code, exc.message)
    return _outcome(entry, step, StepStatus.APPLIED, None, None, sent=sent, notes=merged.notes)


def preview_policies(
    plan: Plan, clients: ClientFactory, *, accounts: Collection[str] | None = None
) -> list[tuple[str, MergedPolicy | str]]:
    """Each bucket policy the apply would write, read and merged now without writing, for
    the operator to see before confirming; a string says why it cannot be previewed."""
    previews: list[tuple[str, MergedPolicy | str]] = []
    for entry in plan.entries:
        for step in entry.steps:
            if step.operation != "PutBucketPolicy" or (
                accounts is not None and step.account_id not in accounts
            ):
                continue
            bucket = str(step.parameters["Bucket"])
            try:
                client = clients.client(step.account_id, step.service.value, step.region)
                previews.append((bucket, _merged_policy(entry, step, client, clients)))
            except _StepFailed as exc:
                previews.append((bucket, f"{exc.code}: {exc.message}"))
            except AssumeRoleError as exc:
                previews.append(
                    (bucket, f"cannot assume the role in {exc.account_id}: {exc.message}")
                )
    return previews


def _call(client: Any, operation: str, parameters: Any) -> Any:
    try:
        return getattr(client, xform_name(operation))(**dict(parameters))
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise _StepFailed(
            str(error.get("Code", "Unknown")), redact(str(error.get("Message", exc)))
        ) from None
    except BotoCoreError as exc:
        raise _StepFailed(type(exc).__name__, redact(str(exc))) from None


def _holds(client: Any, check: Check) -> bool:
    # "Not found" and friends (absent_codes): not done yet (False). Any other error stops
    # the step. A step's check holding means the step is done.
    response = _read(client, check.operation, check.parameters, check.absent_codes)
    if response is None:
        return False
    return check.condition is None or jmespath.search(check.condition, response) is True


def write_apply_result(run_dir: Path, result: ApplyResult) -> Path:
    """Write ``result`` to ``RUN_DIR/remediation/apply-<UTC timestamp>.json``; never overwrite."""
    folder = run_dir / REMEDIATION_DIR
    stamp = result.started_at.replace("-", "").replace(":", "")
    path = folder / f"{APPLY_RECORD_PREFIX}{stamp}.json"
    counter = 2
    while path.exists():
        path = folder / f"{APPLY_RECORD_PREFIX}{stamp}-{counter}.json"
        counter += 1
    atomic_write(path, json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    return path
