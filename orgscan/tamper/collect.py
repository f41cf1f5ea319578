"""Reading what tamper paths rest on, read-only, once per owning account (contract 5.3).

For every trail: the identity policies of the accounts that own the trail, its bucket and its
key (``iam:GetAccountAuthorizationDetails``), the bucket policy, the key policy, and from the
management account the SCPs and RCPs on each of those accounts' path from the root. The same
code reads AWS during a scan and the recorded answers in ``verify --recompute``: ``clients``
is either. A source that cannot be read is named in ``unread``: the trail is then ERROR.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from orgscan.model import Status
from orgscan.tamper.evaluate import (
    Organization,
    OrgPolicies,
    Principal,
    Target,
    weakeners,
)
from orgscan.tamper.policydoc import PolicyDoc, parse_document
from orgscan.tamper.status import tamper_status
from orgscan.weakeners import TargetKind, Weakener

POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
_ENTITIES = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]
#: Service-linked roles are AWS's to manage and cannot be given other policies: left out by
#: design (IAM's own guidance), and the README says so.
_SERVICE_LINKED_PATH = "/aws-service-role/"
#: The longest path from an account to the root: Organizations nests OUs five deep, so an
#: account, five OUs and the root.
_MAX_PATH = 7


class Clients(Protocol):
    """Gives a client acting as an account (``SessionFactory``, or a replay of evidence)."""

    def client(self, account_id: str, service: str, region: str) -> Any:
        """A boto3-like client for ``service`` as ``account_id`` in ``region``."""


@dataclass(frozen=True)
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


class _Unread(Exception):
    """A source could not be read; its message names it."""


@dataclass
class _Reader:
    clients: Clients
    region: str
    management_account_id: str | None
    #: The account whose credentials read Organizations: the caller (the management account
    #: or a delegated administrator).
    org_account: str
    cache: dict[tuple[str, ...], Any] = field(default_factory=dict)

    def once(self, key: tuple[str, ...], read: Callable[[], Any]) -> Any:
        """``read()`` the first time ``key`` is asked, its answer (or failure) after."""
        if key not in self.cache:
            try:
                self.cache[key] = read()
            # NotImplementedError: a client that cannot make the call at all (a simulated AWS
            # without it) leaves the source unread, as a refusal would: "could not tell".
            except (
                ClientError,
                BotoCoreError,
                ValueError,
                KeyError,
                TypeError,
                NotImplementedError,
            ) as exc:
                self.cache[key] = _Unread(f"{' '.join(key)} ({_code(exc)})")
        found = self.cache[key]
        if isinstance(found, _Unread):
            raise found
        return found

    def principals(self, account_id: str) -> tuple[Principal, ...]:
        found: tuple[Principal, ...] = self.once(
            ("iam", account_id), lambda: _principals(self._iam(account_id))
        )
        return found

    def _iam(self, account_id: str) -> list[dict[str, Any]]:
        client = self.clients.client(account_id, "iam", self.region)
        paginator = client.get_paginator("get_account_authorization_details")
        return list(paginator.paginate(Filter=_ENTITIES))

    def bucket_policy(self, account_id: str, bucket: str, region: str) -> PolicyDoc | None:
        def read() -> PolicyDoc | None:
            client = self.clients.client(account_id, "s3", region)
            try:
                answer = client.get_bucket_policy(Bucket=bucket)
            except ClientError as exc:
                if _code(exc) == "NoSuchBucketPolicy":
                    return None
                raise
            return parse_document("bucket-policy", answer["Policy"])

        return self.once(("s3", account_id, bucket), read)  # type: ignore[no-any-return]

    def key_policy(self, account_id: str, key_arn: str) -> PolicyDoc:
        def read() -> PolicyDoc:
            client = self.clients.client(account_id, "kms", key_arn.split(":")[3])
            answer = client.get_key_policy(KeyId=key_arn, PolicyName="default")
            return parse_document("key-policy", answer["Policy"])

        return self.once(("kms", account_id, key_arn), read)  # type: ignore[no-any-return]

    def org_policies(self, account_id: str) -> OrgPolicies:
        if self.management_account_id is None or account_id == self.management_account_id:
            return OrgPolicies()
        found: OrgPolicies = self.once(
            ("organizations", account_id), lambda: self._org_path(account_id)
        )
        return found

    def _org_path(self, account_id: str) -> OrgPolicies:
        client = self.clients.client(self.org_account, "organizations", self.region)
        path = [account_id]
        while True:
            parents = client.list_parents(ChildId=path[-1])["Parents"]
            # An account or OU has exactly one parent. Any other answer, or a path longer than
            # an organization can nest (a loop), is one that cannot be read: ValueError.
            if len(parents) != 1 or len(path) > _MAX_PATH:
                raise ValueError(f"ListParents of {path[-1]}: {len(parents)} parents")
            path.append(parents[0]["Id"])
            if parents[0]["Type"] == "ROOT":
                break
        path.reverse()  # root, OUs, account
        levels = {
            kind: tuple(self._attached(client, target, kind) for target in path)
            for kind in POLICY_TYPES
        }
        return OrgPolicies(levels[POLICY_TYPES[0]], levels[POLICY_TYPES[1]])

    def _attached(self, client: Any, target: str, kind: str) -> tuple[PolicyDoc, ...]:
        def read() -> tuple[PolicyDoc, ...]:
            pages = client.get_paginator("list_policies_for_target")
            ids = [
                policy["Id"]
                for page in pages.paginate(TargetId=target, Filter=kind)
                for policy in page["Policies"]
            ]
            return tuple(self._policy(client, policy_id) for policy_id in sorted(ids))

        return self.once(("attached", target, kind), read)  # type: ignore[no-any-return]

    def _policy(self, client: Any, policy_id: str) -> PolicyDoc:
        def read() -> PolicyDoc:
            content = client.describe_policy(PolicyId=policy_id)["Policy"]["Content"]
            return parse_document(policy_id, content)

        return self.once(("policy", policy_id), read)  # type: ignore[no-any-return]


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__


def _principals(pages: Iterable[Mapping[str, Any]]) -> tuple[Principal, ...]:
    """The users and roles of an account with their policies; ``KeyError`` when one names a
    managed policy the answer does not hold (its document unread: never assumed harmless)."""
    managed: dict[str, PolicyDoc] = {}
    groups: dict[str, list[PolicyDoc]] = {}
    entities: list[tuple[str, Mapping[str, Any]]] = []
    for page in pages:
        for policy in page.get("Policies", []):
            for version in policy.get("PolicyVersionList", []):
                if version.get("IsDefaultVersion"):
                    managed[policy["Arn"]] = parse_document(policy["Arn"], version["Document"])
        entities += [("user", user) for user in page.get("UserDetailList", [])]
        entities += [("role", role) for role in page.get("RoleDetailList", [])]
        entities += [("group", group) for group in page.get("GroupDetailList", [])]
    for kind, group in entities:
        if kind == "group":
            groups[group["GroupName"]] = _own_policies(group, "GroupPolicyList", managed)
    found = []
    for kind, entity in entities:
        if kind == "group" or entity.get("Path", "").startswith(_SERVICE_LINKED_PATH):
            continue
        inline = "UserPolicyList" if kind == "user" else "RolePolicyList"
        policies = _own_policies(entity, inline, managed)
        for group in entity.get("GroupList", []):
            policies += groups.get(group, [])
        boundary_arn = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        boundary = managed[boundary_arn] if boundary_arn else None
        arn = entity["Arn"]
        found.append(Principal(arn, arn.split(":")[4], tuple(policies), boundary))
    return tuple(sorted(found, key=lambda principal: principal.arn))


def _own_policies(
    entity: Mapping[str, Any], inline: str, managed: Mapping[str, PolicyDoc]
) -> list[PolicyDoc]:
    own = [
        parse_document(f"{entity['Arn']}:inline/{item['PolicyName']}", item["PolicyDocument"])
        for item in entity.get(inline, [])
    ]
    return own + [managed[item["PolicyArn"]] for item in entity.get("AttachedManagedPolicies", [])]


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
) -> TamperResult:
    """Read the sources of every trail once per account, then evaluate each trail.

    ``org_account`` reads the SCPs and RCPs (the caller's account); without a management
    account (``--no-org``) there are none to read.
    """
    reader = _Reader(clients, region, organization.management_account_id, org_account)
    rows: list[Weakener] = []
    statuses: dict[str, tuple[Status, str]] = {}
    for subject in sorted(subjects, key=lambda item: item.trail_arn):
        unread: list[str] = []
        targets = _targets(subject, reader, unread)
        owners = sorted({target.account_id for target in targets})
        principals: list[Principal] = []
        policies: dict[str, OrgPolicies] = {}
        for account in owners:
            principals.append(root_of(account, subject.trail_arn.split(":")[1]))
            try:
                principals.extend(reader.principals(account))
            except _Unread as exc:
                unread.append(str(exc))
            try:
                policies[account] = reader.org_policies(account)
            except _Unread as exc:
                unread.append(str(exc))
        scoped = Organization(
            organization.management_account_id, organization.organization_id, policies
        )
        found = weakeners(targets, principals, scoped, break_glass)
        rows.extend(found)
        statuses[subject.trail_arn] = tamper_status(found, unread)
    return TamperResult(tuple(rows), statuses, tuple(break_glass))


def _targets(subject: TrailSubject, reader: _Reader, unread: list[str]) -> list[Target]:
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
        except _Unread as exc:
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
        except _Unread as exc:
            unread.append(str(exc))
            key_policy = None
        targets.append(
            Target(subject.trail_arn, TargetKind.KEY, subject.kms_key_arn, key_account, key_policy)
        )
    return targets


def policy_json(doc: Mapping[str, Any]) -> str:
    """A policy document as the compact JSON IAM and Organizations measure."""
    return json.dumps(doc, separators=(",", ":"))
