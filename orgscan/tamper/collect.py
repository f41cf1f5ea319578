"""Reading what tamper paths rest on, read-only, once per owning account (contract 5.3).

For every trail: the identity policies of the accounts that own the trail, its bucket and its
key (``iam:GetAccountAuthorizationDetails``), the bucket policy, the key policy, and from the
management account the SCPs and RCPs on each of those accounts' path from the root. The same
code reads AWS during a scan and the recorded answers in ``verify --recompute``: ``clients``
is either. A source that cannot be read is named in ``unread``: the trail is then ERROR.

``start`` puts every read on the run's executor at once (``orgscan.tamper.reader``) and returns;
``Pending.result`` waits for the answers and evaluates each trail on them, as a pure function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field

from orgscan.model import Status
from orgscan.tamper.evaluate import (
    Organization,
    OrgPolicies,
    Principal,
    Target,
    weakeners,
)
from orgscan.tamper.policydoc import PolicyDoc
from orgscan.tamper.reader import Clients, Reader
from orgscan.tamper.sources import Unread
from orgscan.tamper.status import tamper_status
from orgscan.weakeners import TargetKind, Weakener

__all__ = ["Clients", "Pending", "TamperResult", "TrailSubject", "assess", "start"]


@dataclass(frozen=True, slots=True)
class TrailSubject:
    """A trail and what its protection rests on, as the scan found them."""

    trail_arn: str
    account_id: str
    home_region: str
    bucket_name: str
    bucket_account_id: str | None
    bucket_region: str | None
    governance: bool
    kms_key_arn: str | None = None


@dataclass(frozen=True)
class TamperResult:
    """Every weakener row, and per trail ARN its (tamper_status, tamper_reason)."""

    weakeners: tuple[Weakener, ...] = ()
    statuses: Mapping[str, tuple[Status, str]] = field(default_factory=dict)
    #: The break-glass ARN patterns the rows were judged with.
    break_glass: tuple[str, ...] = ()


def root_of(account_id: str, partition: str = "aws") -> Principal:
    """An account's root user: guardable only by an SCP (no IAM policy binds it)."""
    return Principal(f"arn:{partition}:iam::{account_id}:root", account_id)


def assess(
    subjects: Sequence[TrailSubject],
    clients: Clients,
    region: str,
    organization: Organization,
    org_account: str,
    break_glass: Sequence[str] = (),
    executor: Executor | None = None,
) -> TamperResult:
    """Read the sources of every trail once per account, then evaluate each trail.

    ``org_account`` reads the SCPs and RCPs (the caller's account); without a management
    account (``--no-org``) there are none to read. Without ``executor`` the reads are made one
    after the other in this thread.
    """
    known: Future[Organization] = Future()
    known.set_result(organization)
    management = organization.management_account_id
    return start(
        subjects,
        clients,
        region,
        known,
        org_account,
        break_glass,
        executor,
        management_hint=management,
    ).result()


def start(
    subjects: Sequence[TrailSubject],
    clients: Clients,
    region: str,
    organization: Future[Organization],
    org_account: str,
    break_glass: Sequence[str] = (),
    executor: Executor | None = None,
    *,
    management_hint: str | None = None,
) -> Pending:
    """Start reading every source the trails rest on, on ``executor``, without waiting.

    ``organization`` may still be read; ``management_hint`` (the management account the plan
    knows) lets the member accounts' paths start meanwhile. Should the organization name
    another, what its answer needs is read when the trails are evaluated.
    """
    reader = Reader(clients, region, org_account, executor)
    ordered = tuple(sorted(subjects, key=lambda item: item.trail_arn))
    owners = sorted({account for subject in ordered for account in _owners(subject)})
    # The paths first: their chains of ListParents are the longest wait of the step.
    if management_hint is not None:
        for account in owners:
            if account != management_hint:
                reader.request_path(account)
    for account in owners:
        reader.request_principals(account)
    for subject in ordered:
        if subject.bucket_account_id is not None:
            reader.request_bucket_policy(
                subject.bucket_account_id,
                subject.bucket_name,
                subject.bucket_region or subject.home_region,
            )
        if subject.kms_key_arn:
            reader.request_key_policy(subject.kms_key_arn.split(":")[4], subject.kms_key_arn)
    return Pending(ordered, reader, organization, tuple(break_glass))


def _owners(subject: TrailSubject) -> set[str]:
    """The accounts that own the trail, its bucket (when known) and its key."""
    owners = {subject.account_id}
    if subject.bucket_account_id is not None:
        owners.add(subject.bucket_account_id)
    if subject.kms_key_arn:
        owners.add(subject.kms_key_arn.split(":")[4])
    return owners


@dataclass(frozen=True)
class Pending:
    """The tamper step with its reads under way; ``result`` evaluates once they are answered."""

    subjects: tuple[TrailSubject, ...]
    reader: Reader
    organization: Future[Organization]
    break_glass: tuple[str, ...]

    def result(self) -> TamperResult:
        """Wait for each trail's sources and evaluate it (pure: the answers decide)."""
        organization = self.organization.result()
        rows: list[Weakener] = []
        statuses: dict[str, tuple[Status, str]] = {}
        for subject in self.subjects:
            unread: list[str] = []
            targets = _targets(subject, self.reader, unread)
            owners = sorted({target.account_id for target in targets})
            principals: list[Principal] = []
            policies: dict[str, OrgPolicies] = {}
            for account in owners:
                principals.append(root_of(account, subject.trail_arn.split(":")[1]))
                try:
                    principals.extend(self.reader.principals(account))
                except Unread as exc:
                    unread.append(str(exc))
                try:
                    policies[account] = _org_policies(self.reader, organization, account)
                except Unread as exc:
                    unread.append(str(exc))
            scoped = Organization(
                organization.management_account_id, organization.organization_id, policies
            )
            found = weakeners(targets, principals, scoped, self.break_glass)
            rows.extend(found)
            statuses[subject.trail_arn] = tamper_status(found, unread)
        return TamperResult(tuple(rows), statuses, self.break_glass)


def _org_policies(reader: Reader, organization: Organization, account_id: str) -> OrgPolicies:
    """The SCPs and RCPs binding ``account_id``: none for the management account, or without
    an organization."""
    management = organization.management_account_id
    if management is None or account_id == management:
        return OrgPolicies()
    return reader.org_policies(account_id)


def _targets(subject: TrailSubject, reader: Reader, unread: list[str]) -> list[Target]:
    """The trail, its bucket (when its owner is known) and its key, with their policies."""
    targets = [Target(subject.trail_arn, TargetKind.TRAIL, subject.trail_arn, subject.account_id)]
    if subject.bucket_account_id is None:
        unread.append(f"the owner of bucket {subject.bucket_name}")
    else:
        try:
            policy = reader.bucket_policy(
                subject.bucket_account_id,
                subject.bucket_name,
                subject.bucket_region or subject.home_region,
            )
        except Unread as exc:
            unread.append(str(exc))
            policy = None
        logs = f"arn:aws:s3:::{subject.bucket_name}/AWSLogs/{subject.account_id}/CloudTrail/"
        targets.append(
            Target(
                subject.trail_arn,
                TargetKind.BUCKET,
                f"arn:{subject.trail_arn.split(':')[1]}:s3:::{subject.bucket_name}",
                subject.bucket_account_id,
                policy,
                logs + "log.json.gz",
                subject.governance,
            )
        )
    if subject.kms_key_arn:
        key_account = subject.kms_key_arn.split(":")[4]
        try:
            key_policy: PolicyDoc | None = reader.key_policy(key_account, subject.kms_key_arn)
        except Unread as exc:
            unread.append(str(exc))
            key_policy = None
        targets.append(
            Target(subject.trail_arn, TargetKind.KEY, subject.kms_key_arn, key_account, key_policy)
        )
    return targets
