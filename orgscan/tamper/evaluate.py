"""Who can weaken a trail's protection: a local, explainable evaluation (contract 5.3).

Pure: the caller passes the principals of the accounts that own a trail, its bucket or its
key (from ``GetAccountAuthorizationDetails``), the bucket and key policies, and the SCPs and
RCPs on each account's path from the root. The order follows AWS's policy evaluation logic:
an explicit deny anywhere wins, then the RCPs of the resource's account, then the SCPs of the
principal's account (each level of the path must allow), then the identity and resource
policies (either within an account, both across accounts; a KMS key only through its key
policy). A condition the scan cannot decide makes a row ``conditional``; it is never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from orgscan.tamper.policydoc import (
    Effect,
    Match,
    PolicyDoc,
    Request,
    glob_match,
    strongest,
    surer,
)
from orgscan.weakeners import TargetKind, Weakener

#: The weakening actions per target (contract 5.3), in the order rows are listed.
ACTIONS: Mapping[TargetKind, tuple[str, ...]] = {
    TargetKind.BUCKET: (
        "s3:PutBucketObjectLockConfiguration",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:PutLifecycleConfiguration",
        "s3:PutBucketVersioning",
    ),
    TargetKind.TRAIL: (
        "cloudtrail:StopLogging",
        "cloudtrail:DeleteTrail",
        "cloudtrail:UpdateTrail",
        "cloudtrail:PutEventSelectors",
    ),
    TargetKind.KEY: ("kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"),
}
#: GOVERNANCE retention yields to this permission, but only used with one of ``COMPANIONS``.
BYPASS = "s3:BypassGovernanceRetention"
COMPANIONS = ("s3:DeleteObjectVersion", "s3:PutObjectRetention")
#: RCPs govern these services' resources, not CloudTrail's (AWS documentation).
RCP_TARGETS = frozenset({TargetKind.BUCKET, TargetKind.KEY})


@dataclass(frozen=True, slots=True)
class Principal:
    """An IAM user or role (or an account's root user) and the policies that grant it.

    ``policies`` are its identity policies (inline, attached, through groups); ``boundary``
    its permissions boundary. The root user needs no identity policy in its own account.
    """

    arn: str
    account_id: str
    policies: tuple[PolicyDoc, ...] = ()
    boundary: PolicyDoc | None = None

    @property
    def is_root(self) -> bool:
        """True for an account's root user."""
        return self.arn.endswith(":root")


@dataclass(frozen=True, slots=True)
class Target:
    """A bucket, trail or key a trail's protection rests on.

    ``object_arn`` (buckets) names a log file, for the object actions of the GOVERNANCE
    bypass; ``governance`` is True when the bucket's default retention is GOVERNANCE.
    """

    trail_arn: str
    kind: TargetKind
    arn: str
    account_id: str
    resource_policy: PolicyDoc | None = None
    object_arn: str | None = None
    governance: bool = False


@dataclass(frozen=True, slots=True)
class OrgPolicies:
    """The SCPs and RCPs on one account's path, one tuple per level (root, OUs, account).

    An empty tuple of levels means the policy type is not in force for the account.
    """

    scp_levels: tuple[tuple[PolicyDoc, ...], ...] = ()
    rcp_levels: tuple[tuple[PolicyDoc, ...], ...] = ()


@dataclass(frozen=True)
class Organization:
    """The organization as the evaluator needs it: its management account and policies."""

    management_account_id: str | None = None
    organization_id: str | None = None
    policies: Mapping[str, OrgPolicies] | None = None

    def of(self, account_id: str) -> OrgPolicies:
        """The SCPs and RCPs of ``account_id``; none in force for the management account."""
        if account_id == self.management_account_id or self.policies is None:
            return OrgPolicies()
        return self.policies.get(account_id, OrgPolicies())


@dataclass(frozen=True, slots=True)
class Access:
    """Whether one principal may take one action: its grant, doubt and block."""

    granted_by: str
    conditional: bool
    blocked_by: str | None


def _grant(principal: Principal, target: Target, request: Request) -> tuple[Match, str | None]:
    """What allows the request before deny and organization policies: the best grant."""
    if principal.is_root and principal.account_id == target.account_id:
        identity: tuple[Match, str | None] = (Match.YES, "root")
    else:
        identity = (Match.NO, None)
        for doc in principal.policies:
            found = strongest(doc, Effect.ALLOW, request)
            identity = surer(identity, found)
        if principal.boundary is not None and identity[0] is not Match.NO:
            bound, _ = strongest(principal.boundary, Effect.ALLOW, request)
            identity = (min(identity[0], bound), identity[1])
    resource = strongest(target.resource_policy, Effect.ALLOW, request)
    if target.kind is TargetKind.KEY:
        # A key policy is the only door: identity policies count only where it trusts the
        # account's root (the default key policy does).
        root = Request(
            request.action,
            request.resource,
            f"arn:aws:iam::{target.account_id}:root",
            target.account_id,
            target.account_id,
            request.organization_id,
        )
        trusted, _ = strongest(target.resource_policy, Effect.ALLOW, root)
        if principal.account_id == target.account_id and not principal.is_root:
            delegated = (min(trusted, identity[0]), identity[1])
            return surer(resource, delegated)
        if principal.account_id != target.account_id:
            return (min(resource[0], identity[0]), resource[1])
        return resource
    if principal.account_id == target.account_id:
        return surer(identity, resource)
    return (min(identity[0], resource[0]), resource[1])


def _explicit_deny(principal: Principal, target: Target, request: Request) -> Match:
    """The surest explicit deny among identity, boundary and resource policies."""
    docs = [*principal.policies, principal.boundary, target.resource_policy]
    return max((strongest(doc, Effect.DENY, request)[0] for doc in docs), default=Match.NO)


def _organization_block(
    levels: Sequence[Sequence[PolicyDoc]], request: Request
) -> tuple[str | None, str | None, bool]:
    """An SCP or RCP path's verdict: (explicit deny ref, implicit deny ref, doubtful).

    Every level of the path must allow; a level with no policy means the type is not in
    force there. Refs are the smallest that apply, whatever order AWS listed policies in.
    """
    denials: list[str] = []
    implicit: list[str] = []
    doubtful = False
    for level in levels:
        allowed = Match.NO
        for doc in level:
            match, ref = strongest(doc, Effect.DENY, request)
            if match is Match.YES and ref is not None:
                denials.append(ref)
            doubtful = doubtful or match is Match.MAYBE
            allowed = max(allowed, strongest(doc, Effect.ALLOW, request)[0])
        if level and allowed is Match.NO:
            implicit.append(f"{min(doc.source for doc in level)}#implicit-deny")
        doubtful = doubtful or (bool(level) and allowed is Match.MAYBE)
    return min(denials, default=None), min(implicit, default=None), doubtful


def access(
    principal: Principal,
    target: Target,
    action: str,
    organization: Organization,
    resource: str | None = None,
) -> Access | None:
    """Whether ``principal`` may take ``action`` on ``target``; None when nothing grants it
    or an identity or resource policy denies it outright."""
    request = Request(
        action,
        resource or target.arn,
        principal.arn,
        principal.account_id,
        target.account_id,
        organization.organization_id,
    )
    granted, granted_by = _grant(principal, target, request)
    if granted is Match.NO or granted_by is None:
        return None
    denied = _explicit_deny(principal, target, request)
    if denied is Match.YES:
        return None
    conditional = granted is Match.MAYBE or denied is Match.MAYBE
    rcp_levels = organization.of(target.account_id).rcp_levels
    if target.kind not in RCP_TARGETS:
        rcp_levels = ()
    scp_levels = organization.of(principal.account_id).scp_levels
    rcp_deny, rcp_implicit, rcp_doubt = _organization_block(rcp_levels, request)
    scp_deny, scp_implicit, scp_doubt = _organization_block(scp_levels, request)
    blocked_by = rcp_deny or scp_deny or rcp_implicit or scp_implicit
    if blocked_by is None:
        conditional = conditional or rcp_doubt or scp_doubt
    return Access(granted_by, conditional, blocked_by)


def _bypass(principal: Principal, target: Target, organization: Organization) -> Access | None:
    """GOVERNANCE bypass: the bypass permission together with a companion object action."""
    bypass = access(principal, target, BYPASS, organization, target.object_arn)
    if bypass is None:
        return None
    companions = [
        found
        for found in (
            access(principal, target, action, organization, target.object_arn)
            for action in COMPANIONS
        )
        if found is not None
    ]
    if not companions:
        return None
    # The easiest companion: unblocked before blocked, certain before conditional.
    companion = min(companions, key=lambda item: (item.blocked_by is not None, item.conditional))
    return Access(
        bypass.granted_by,
        bypass.conditional or companion.conditional,
        bypass.blocked_by or companion.blocked_by,
    )


def is_break_glass(principal_arn: str, patterns: Iterable[str]) -> bool:
    """True when ``principal_arn`` matches one of the accepted ARN patterns."""
    return any(glob_match(pattern, principal_arn) for pattern in patterns)


def weakeners(
    targets: Sequence[Target],
    principals: Sequence[Principal],
    organization: Organization,
    break_glass: Sequence[str] = (),
) -> tuple[Weakener, ...]:
    """Every (principal, action, target) that can weaken a trail's protection.

    Rows come target by target in the order given, actions in the contract's order,
    principals in the order given; the caller sorts for display.
    """
    return tuple(_rows(targets, principals, organization, break_glass))


def _rows(
    targets: Sequence[Target],
    principals: Sequence[Principal],
    organization: Organization,
    break_glass: Sequence[str],
) -> Iterator[Weakener]:
    for target in targets:
        actions = list(ACTIONS[target.kind])
        if target.kind is TargetKind.BUCKET and target.governance and target.object_arn:
            actions.append(BYPASS)
        for action in actions:
            for principal in principals:
                found = (
                    _bypass(principal, target, organization)
                    if action == BYPASS
                    else access(principal, target, action, organization)
                )
                if found is None:
                    continue
                yield Weakener(
                    trail_arn=target.trail_arn,
                    target=target.kind,
                    target_arn=target.arn,
                    action=action,
                    principal_arn=principal.arn,
                    principal_account_id=principal.account_id,
                    granted_by=found.granted_by,
                    conditional=found.conditional,
                    blocked_by=found.blocked_by,
                    break_glass=is_break_glass(principal.arn, break_glass),
                    management_account=principal.account_id == organization.management_account_id,
                )
