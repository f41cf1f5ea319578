"""The tamper-path reads (contract 5.3), each source once, as futures on the run's executor.

``request`` starts every read a set of trails rests on without waiting for any: the identity
policies of each owning account, each bucket and key policy, and each member account's path
from the root with the SCPs and RCPs attached along it. A path is walked one ``ListParents`` at a
time from the answer's callback, each child's parent read once (an OU's parent is read once for
every account under it). The accessors then wait for an answer, or raise ``Unread``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from typing import Any, Protocol

from botocore.exceptions import ClientError

from orgscan.tamper.evaluate import OrgPolicies, Principal
from orgscan.tamper.policydoc import PolicyDoc, parse_document
from orgscan.tamper.sources import (
    READ_ERRORS,
    Answer,
    Reading,
    Sources,
    Unread,
    error_code,
    value,
)

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


class Reader:
    """Reads each source once: ``org_account`` (the caller) reads Organizations."""

    def __init__(
        self, clients: Clients, region: str, org_account: str, executor: Executor | None = None
    ) -> None:
        self.clients = clients
        self.region = region
        self.org_account = org_account
        self._sources = Sources(executor)

    def principals(self, account_id: str) -> tuple[Principal, ...]:
        """The users and roles of ``account_id`` with their policies."""
        found: tuple[Principal, ...] = value(self.request_principals(account_id))
        return found

    def request_principals(self, account_id: str) -> Answer:
        """Start reading ``account_id``'s identity policies."""
        return self._sources.once(("iam", account_id), lambda: _principals(self._iam(account_id)))

    def _iam(self, account_id: str) -> list[dict[str, Any]]:
        client = self.clients.client(account_id, "iam", self.region)
        paginator = client.get_paginator("get_account_authorization_details")
        return list(paginator.paginate(Filter=_ENTITIES))

    def bucket_policy(self, account_id: str, bucket: str, region: str) -> PolicyDoc | None:
        """The bucket's policy, None when it has none."""
        return value(self.request_bucket_policy(account_id, bucket, region))  # type: ignore[no-any-return]

    def request_bucket_policy(self, account_id: str, bucket: str, region: str) -> Answer:
        """Start reading the bucket's policy, as its owner in its region."""

        def read() -> PolicyDoc | None:
            client = self.clients.client(account_id, "s3", region)
            try:
                answer = client.get_bucket_policy(Bucket=bucket)
            except ClientError as exc:
                if error_code(exc) == "NoSuchBucketPolicy":
                    return None
                raise
            return parse_document("bucket-policy", answer["Policy"])

        return self._sources.once(("s3", account_id, bucket), read)

    def key_policy(self, account_id: str, key_arn: str) -> PolicyDoc:
        """The key's default policy."""
        return value(self.request_key_policy(account_id, key_arn))  # type: ignore[no-any-return]

    def request_key_policy(self, account_id: str, key_arn: str) -> Answer:
        """Start reading the key's policy, as its owner in its region."""

        def read() -> PolicyDoc:
            client = self.clients.client(account_id, "kms", key_arn.split(":")[3])
            answer = client.get_key_policy(KeyId=key_arn, PolicyName="default")
            return parse_document("key-policy", answer["Policy"])

        return self._sources.once(("kms", account_id, key_arn), read)

    def org_policies(self, account_id: str) -> OrgPolicies:
        """The SCPs and RCPs on the member account's path, root first."""
        try:
            path: tuple[str, ...] = value(self.request_path(account_id))
        except Unread as exc:
            raise Unread(f"organizations {account_id} ({exc.code})", exc.code) from None
        levels = {
            kind: tuple(value(self._attached(target, kind)) for target in path)
            for kind in POLICY_TYPES
        }
        return OrgPolicies(levels[POLICY_TYPES[0]], levels[POLICY_TYPES[1]])

    def request_path(self, account_id: str) -> Answer:
        """Start walking the member account's path to the root, and reading the policies
        attached to the account at once (the rest once their targets are known)."""
        for kind in POLICY_TYPES:
            self._attached(account_id, kind)
        return self._sources.started(
            ("path", account_id), lambda done: self._walk([account_id], done)
        )

    def _walk(self, path: list[str], done: Reading) -> None:
        """Ask the parent of ``path[-1]``; its answer's callback goes on, then fills ``done``
        with the path, root first (or ``Unread``). No thread waits for an answer."""

        def step(asked: Answer) -> None:
            try:
                parents = value(asked)
                # An account or OU has exactly one parent. Any other answer, or a path longer
                # than an organization can nest (a loop), is one that cannot be read.
                if len(parents) != 1 or len(path) > _MAX_PATH:
                    raise ValueError(f"ListParents of {path[-1]}: {len(parents)} parents")
                path.append(parents[0]["Id"])
                if parents[0]["Type"] != "ROOT":
                    self._walk(path, done)
                    return
            except Unread as exc:
                done.set_result(exc)
                return
            except READ_ERRORS as exc:
                done.set_result(Unread(str(exc), error_code(exc)))
                return
            except BaseException as exc:  # the waiter must hear of it, whatever it is
                done.set_exception(exc)
                raise
            walked = tuple(reversed(path))  # root, OUs, account
            # The chain goes on here: the policies of the OUs and the root are read in this
            # thread, not behind every other read already queued.
            for target in walked[:-1]:
                for kind in POLICY_TYPES:
                    self._attached(target, kind, here=True)
            done.set_result(walked)

        self._parent(path[-1], here=len(path) > 1).add_done_callback(step)

    def _parent(self, child: str, *, here: bool) -> Answer:
        """``ListParents`` of ``child``, once per child: an OU's parent once for all under it."""

        def read() -> list[dict[str, Any]]:
            client = self.clients.client(self.org_account, "organizations", self.region)
            # Only the parents are kept, not the whole answer: one is held for every account.
            parents: list[dict[str, Any]] = client.list_parents(ChildId=child)["Parents"]
            return parents

        return self._sources.once(("parents", child), read, here=here)

    def _attached(self, target: str, kind: str, *, here: bool = False) -> Answer:
        def read() -> tuple[PolicyDoc, ...]:
            client = self.clients.client(self.org_account, "organizations", self.region)
            pages = client.get_paginator("list_policies_for_target")
            ids = [
                policy["Id"]
                for page in pages.paginate(TargetId=target, Filter=kind)
                for policy in page["Policies"]
            ]
            # Each policy once: read here, after the listing that names it.
            return tuple(value(self._policy(client, policy_id)) for policy_id in sorted(ids))

        return self._sources.once(("attached", target, kind), read, here=here)

    def _policy(self, client: Any, policy_id: str) -> Answer:
        def read() -> PolicyDoc:
            content = client.describe_policy(PolicyId=policy_id)["Policy"]["Content"]
            return parse_document(policy_id, content)

        return self._sources.once(("policy", policy_id), read, here=True)


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
