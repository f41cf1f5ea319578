"""Helpers of the core tests: run a scan, record AWS calls (faults: ``tests/faults.py``)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session

from orgscan.aws.sessions import SessionFactory
from orgscan.config import build_settings
from orgscan.model import ReasonCode, ScanResult
from orgscan.scan import scan_organization
from orgscan.simulate import SimulatedOrg

Configure = Callable[[botocore.session.Session], None]


def demo_settings(simulated: SimulatedOrg, **cli: Any) -> dict[str, Any]:
    """Command-line values of a full scan of the demo organization, overridden by ``cli``."""
    values: dict[str, Any] = {
        "regions": list(simulated.regions),
        "workers": 8,
        "min_retention_days": simulated.policy.min_retention_days,
        "require_mode": simulated.policy.require_mode.value,
    }
    values.update(cli)
    return values


def run_scan(
    cli: dict[str, Any], configure: Configure | None = None, max_attempts: int | None = None
) -> ScanResult:
    """Scan with these command-line values through a fresh ``SessionFactory``."""
    settings = build_settings(None, cli)
    sessions = SessionFactory(
        max_pool_connections=settings.workers,
        max_attempts=max_attempts,
        configure_session=configure,
    )
    return scan_organization(settings, sessions)


@dataclass(frozen=True)
class RecordedScan:
    """A scan's result with every AWS call it made and the factory that made them."""

    result: ScanResult
    recorder: CallRecorder
    sessions: SessionFactory


def recorded_scan(cli: dict[str, Any]) -> RecordedScan:
    """Scan with these command-line values, recording every AWS call."""
    recorder = CallRecorder()
    settings = build_settings(None, cli)
    sessions = SessionFactory(
        max_pool_connections=settings.workers, configure_session=recorder.register
    )
    result = scan_organization(settings, sessions)
    # Snapshot: later calls (e.g. tests mapping credentials) must not count.
    return RecordedScan(result, CallRecorder(calls=list(recorder.calls)), sessions)


def reasons(result: ScanResult) -> dict[str, ReasonCode]:
    """trail ARN → reason code."""
    return {finding.trail_arn: finding.reason_code for finding in result.findings}


def acting_credentials(context: dict[str, Any]) -> Any:
    """The member-account credentials a call is signed with (None: the caller's own)."""
    return context.get("signing", {}).get("request_credentials")


@dataclass
class CallRecorder:
    """Counts the AWS calls a scan makes: per operation, per acting account, per bucket."""

    calls: list[tuple[str, Any, str | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, session: botocore.session.Session) -> None:
        """Record every call of every client made from ``session``."""
        session.register("before-call.*.*", self._before_call)  # type: ignore[arg-type]  # botocore passes keywords; its stub admits only **kwargs

    def _before_call(
        self, event_name: str, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        operation = event_name.split(".", 1)[1]
        target: Any = acting_credentials(context)
        if operation == "sts.AssumeRole":  # made by the caller, on behalf of the role's account
            target = params["body"]["RoleArn"].split(":")[4]
        bucket = context.get("input_params", {}).get("Bucket")
        with self.lock:
            self.calls.append((operation, target, bucket))

    def per_operation(self) -> Counter[str]:
        """Operation → number of calls."""
        return Counter(operation for operation, _, _ in self.calls)

    def per_account(self, sessions_credentials: dict[int, str], caller: str) -> Counter[str]:
        """Acting account → number of calls; ``sessions_credentials`` maps id(credentials)."""
        counts: Counter[str] = Counter()
        for _, target, _ in self.calls:
            if isinstance(target, str):
                counts[target] += 1
            elif target is None:
                counts[caller] += 1
            else:
                counts[sessions_credentials[id(target)]] += 1
        return counts

    def per_bucket(self) -> Counter[tuple[str, str]]:
        """(operation, bucket) → number of calls, for calls that name a bucket."""
        return Counter((operation, bucket) for operation, _, bucket in self.calls if bucket)


def ou_ids() -> dict[str, str]:
    """OU path → OU id of the organization AWS answers for (moto or the responder), the root
    included."""
    client = boto3.client("organizations", region_name="us-east-1")
    root = client.list_roots()["Roots"][0]
    found = {"/Root": root["Id"]}
    pending = [("/Root", root["Id"])]
    while pending:
        path, parent = pending.pop()
        for unit in client.list_organizational_units_for_parent(ParentId=parent)[
            "OrganizationalUnits"
        ]:
            found[f"{path}/{unit['Name']}"] = unit["Id"]
            pending.append((f"{path}/{unit['Name']}", unit["Id"]))
    return found
