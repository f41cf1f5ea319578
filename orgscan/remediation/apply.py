"""Execute a remediation plan through boto3 clients, step by step, with a result per step.

Clients come from a factory passed in (``SessionFactory`` in the CLI: the scan's role
assumption), so tests run the same code against moto. Each step first runs its read-only check;
a step already done is not repeated, which makes a second apply change nothing. An account's
plan stops at its first failed step, and a failure also stops the later steps of the same bucket
(an ``UpdateTrail`` must not point a trail at a bucket that was not finished).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass
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
from orgscan.remediation.model import Check, Plan, PlanEntry, Step
from orgscan.remediation.planfile import REMEDIATION_DIR


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
    """The result of one step; ``error_code``/``message`` explain a failure or a step not run."""

    account_id: str
    region: str
    bucket_name: str
    service: str
    operation: str
    status: StepStatus
    error_code: str | None = None
    message: str | None = None


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
        return all(o.status in (StepStatus.APPLIED, StepStatus.ALREADY_DONE)
                   for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        """The document of ``remediation/apply-<timestamp>.json``."""
        outcomes = [{**asdict(o), "status": o.status.value} for o in self.outcomes]
        counts = {status.value: sum(o.status is status for o in self.outcomes)
                  for status in StepStatus}
        return {"started_at": self.started_at, "finished_at": self.finished_at,
                "run_started_at": self.run_started_at, "accounts": list(self.accounts),
                "ok": self.ok, "counts": counts, "steps": outcomes}


class _StepFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def apply_plan(plan: Plan, clients: ClientFactory, *, accounts: Collection[str] | None = None,
               on_step: Callable[[StepOutcome], None] | None = None,
               now: Callable[[], str] = _utc_now) -> ApplyResult:
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
                outcome = _outcome(entry, step, StepStatus.NOT_RUN, None,
                                   "an earlier step of this account failed")
            elif entry_failed:
                outcome = _outcome(entry, step, StepStatus.NOT_RUN, None,
                                   "an earlier step for this bucket failed")
            else:
                outcome = _run_step(entry, step, clients)
            if outcome.status in (StepStatus.FAILED, StepStatus.NOT_RUN):
                entry_failed = True
                failed_accounts.add(step.account_id)
            outcomes.append(outcome)
            if on_step is not None:
                on_step(outcome)
    selected = sorted(accounts) if accounts is not None else plan.accounts_with_steps()
    return ApplyResult(started_at=started, finished_at=now(), run_started_at=plan.run_started_at,
                       accounts=tuple(selected), outcomes=tuple(outcomes))


def _outcome(entry: PlanEntry, step: Step, status: StepStatus, code: str | None,
             message: str | None) -> StepOutcome:
    return StepOutcome(account_id=step.account_id, region=step.region,
                       bucket_name=entry.new_bucket_name or entry.bucket_name,
                       service=step.service.value, operation=step.operation, status=status,
                       error_code=code, message=message)


def _run_step(entry: PlanEntry, step: Step, clients: ClientFactory) -> StepOutcome:
    try:
        client = clients.client(step.account_id, step.service.value, step.region)
        if step.check is not None and _is_done(client, step.check):
            return _outcome(entry, step, StepStatus.ALREADY_DONE, None, None)
        _call(client, step.operation, step.parameters)
    except _StepFailed as exc:
        return _outcome(entry, step, StepStatus.FAILED, exc.code, exc.message)
    except AssumeRoleError as exc:
        return _outcome(entry, step, StepStatus.FAILED, exc.error_code,
                        f"cannot assume the role in {exc.account_id}: {exc.message}")
    return _outcome(entry, step, StepStatus.APPLIED, None, None)


def _call(client: Any, operation: str, parameters: Any) -> Any:
    try:
        return getattr(client, xform_name(operation))(**dict(parameters))
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise _StepFailed(str(error.get("Code", "Unknown")),
                          redact(str(error.get("Message", exc)))) from None
    except BotoCoreError as exc:
        raise _StepFailed(type(exc).__name__, redact(str(exc))) from None


def _is_done(client: Any, check: Check) -> bool:
    try:
        response = _call(client, check.operation, check.parameters)
    except _StepFailed:
        # "Not found" and friends: the step has not been done yet; running it will tell more.
        return False
    return check.condition is None or jmespath.search(check.condition, response) is True


def write_apply_result(run_dir: Path, result: ApplyResult) -> Path:
    """Write ``result`` to ``RUN_DIR/remediation/apply-<UTC timestamp>.json``; never overwrite."""
    folder = run_dir / REMEDIATION_DIR
    stamp = result.started_at.replace("-", "").replace(":", "")
    path = folder / f"apply-{stamp}.json"
    counter = 2
    while path.exists():
        path = folder / f"apply-{stamp}-{counter}.json"
        counter += 1
    atomic_write(path, json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    return path
