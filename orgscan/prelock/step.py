"""The pre-lock step of a run: every PASS bucket counted once, the count on its findings.

Shared by the scan (clients from the ``SessionFactory``) and ``verify --recompute`` (clients
that answer from the recorded evidence), so both derive the same counts from the same answers.
The bucket is read by its owner in its region, as the scan read its lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from orgscan.error_codes import INTERRUPTED
from orgscan.facts import logs_prefix
from orgscan.model import Finding, IntegrityCode, Policy, ScanResult, Status, prelock_check
from orgscan.prelock.inventory import from_inventory
from orgscan.prelock.sample import sample
from orgscan.prelock_count import Prelock, PrelockSource

# The same "a client acting as an account" the tamper step reads with (AWS, or evidence).
from orgscan.tamper.collect import Clients

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subject:
    """A PASS bucket to count: its owner, its region and the log prefixes of its trails."""

    bucket: str
    account_id: str
    region: str
    prefixes: tuple[str, ...]


def subjects(
    findings: Iterable[Finding], prefixes: Callable[[Finding], str | None]
) -> list[Subject]:
    """One subject per bucket of a PASS finding whose owner and region are known, with the
    log prefixes of all its trails (``prefixes`` gives a finding's trail ``S3KeyPrefix``)."""
    grouped: dict[str, tuple[str, str, set[str]]] = {}
    for finding in findings:
        if (
            finding.status is not Status.PASS
            or finding.bucket_account_id is None
            or finding.bucket_region is None
        ):
            continue
        entry = grouped.setdefault(
            finding.bucket_name, (finding.bucket_account_id, finding.bucket_region, set())
        )
        entry[2].add(logs_prefix(prefixes(finding)))
    return [
        Subject(bucket, owner, region, _outermost(found))
        for bucket, (owner, region, found) in sorted(grouped.items())
    ]


def _outermost(prefixes: set[str]) -> tuple[str, ...]:
    """The prefixes, without those inside another (each file is counted once)."""
    ordered = sorted(prefixes)
    return tuple(p for p in ordered if not any(p != o and p.startswith(o) for o in ordered))


def measure(client: Any, subject: Subject, started: datetime, sample_size: int) -> Prelock:
    """The bucket's count: from its inventory report when one lists retention, else sampled."""
    counted = from_inventory(client, subject.bucket, subject.prefixes, started)
    if counted is not None:
        return counted
    return sample(client, subject.bucket, subject.prefixes, started, sample_size)


def assess(
    targets: list[Subject],
    clients: Clients,
    started: datetime,
    policy: Policy,
    executor: Executor | None = None,
) -> dict[str, Prelock]:
    """Each subject's count, by bucket name; nothing when the policy turns the check off."""
    if not policy.prelock:
        return {}

    def one(subject: Subject) -> Prelock:
        try:
            client = clients.client(subject.account_id, "s3", subject.region)
            return measure(client, subject, started, policy.prelock_sample_size)
        except Exception as exc:  # noqa: BLE001  # a role that cannot be assumed, a reply nobody expected
            log.warning("bucket %s: log files before the lock not counted: %s", subject.bucket, exc)
            code = getattr(exc, "error_code", None) or type(exc).__name__
            return Prelock(PrelockSource.SAMPLE, 0, 0, None, prefixes=subject.prefixes, error=code)

    if executor is None:
        counts = [one(subject) for subject in targets]
    else:
        counts = list(executor.map(one, targets))
    return {subject.bucket: count for subject, count in zip(targets, counts, strict=True)}


def with_prelock(findings: Iterable[Finding], counts: Mapping[str, Prelock]) -> tuple[Finding, ...]:
    """``findings`` with each PASS finding's bucket count (None for the others) and the
    ``PRELOCK`` integrity entry that count makes (contract 5.2), in place of any earlier one."""
    return tuple(_counted(finding, counts) for finding in findings)


def _counted(finding: Finding, counts: Mapping[str, Prelock]) -> Finding:
    count = counts.get(finding.bucket_name) if finding.status is Status.PASS else None
    checks = tuple(c for c in finding.integrity if c.check is not IntegrityCode.PRELOCK)
    if count is not None:
        checks += (prelock_check(count),)
    return replace(finding, prelock=count, integrity=checks)


def count_prelock(
    result: ScanResult, clients: Clients, policy: Policy, executor: Executor | None = None
) -> ScanResult:
    """``result`` with every PASS bucket counted (contract 5.4), judged against when the scan
    started; an interrupted scan (or ``--no-prelock``) leaves them uncounted."""
    if not policy.prelock or any(error.error_code == INTERRUPTED for error in result.errors):
        return result
    began = time.monotonic()
    started = datetime.fromisoformat(result.run.started_at.replace("Z", "+00:00"))
    targets = subjects(result.findings, lambda finding: finding.s3_key_prefix)
    counts = assess(targets, clients, started, policy, executor)
    log.info(
        "log files before the lock: %d buckets counted (%.1f s)",
        len(counts),
        time.monotonic() - began,
    )
    return replace(result, findings=with_prelock(result.findings, counts))
