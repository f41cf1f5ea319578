"""The evaluator, table-tested against AWS's policy evaluation logic, and its properties.

Each row of the table is one rule of "Policy evaluation logic" in the IAM User Guide (explicit
deny wins; SCPs and RCPs must allow at every level; within an account identity or resource
policy suffices, across accounts both are needed; KMS keys only through their key policy;
permissions boundaries cap identity grants), or of S3's GOVERNANCE bypass.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgscan.tamper.evaluate import (
    Organization,
    OrgPolicies,
    Principal,
    Target,
    access,
    weakeners,
)
from orgscan.tamper.policydoc import PolicyDoc, parse_document
from orgscan.weakeners import Weakener
from tests.tamper.policies import (
    FULL_ACCESS,
    LOGS,
    MGMT,
    OTHER_ROLE,
    ROLE,
    WORK,
    bucket,
    doc,
    key,
    org,
    principal,
    stmt,
    trail,
)

PUT_POLICY = "s3:PutBucketPolicy"
NO_ORG = Organization()
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
ADMIN_KEY_POLICY = doc(
    "key-policy", stmt(Sid="EnableIAM", Principal={"AWS": f"arn:aws:iam::{LOGS}:root"})
)

# (principal, target, action, organization, expected (granted_by, conditional, blocked_by) or None)
TABLE = [
    pytest.param(
        principal(stmt(Sid="Admin")),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        (f"{ROLE}/inline#Admin", False, None),
        id="identity-allow",
    ),
    pytest.param(principal(), bucket(), PUT_POLICY, NO_ORG, None, id="implicit-deny"),
    pytest.param(
        principal(stmt(action="s3:Get*")),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        None,
        id="wildcard-does-not-reach",
    ),
    pytest.param(
        principal(stmt(action="s3:Put*")),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        (f"{ROLE}/inline#0", False, None),
        id="wildcard-action",
    ),
    pytest.param(
        principal(stmt(action="S3:PUTBUCKETPOLICY")),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        (f"{ROLE}/inline#0", False, None),
        id="actions-ignore-case",
    ),
    pytest.param(
        principal(stmt(NotAction="iam:*")),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        (f"{ROLE}/inline#0", False, None),
        id="not-action-allows-the-rest",
    ),
    pytest.param(
        principal(stmt(NotAction="s3:*")),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        None,
        id="not-action-excludes",
    ),
    pytest.param(
        principal(stmt(NotResource="arn:aws:s3:::org-trail-*")),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        None,
        id="not-resource-excludes",
    ),
    pytest.param(
        principal(stmt(resource="arn:aws:s3:::other")),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        None,
        id="other-resource",
    ),
    pytest.param(
        principal(stmt(), stmt("Deny", "s3:PutBucket*")),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        None,
        id="explicit-deny-wins",
    ),
    pytest.param(
        principal(stmt(), stmt("Deny", "s3:*", Condition=MFA)),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        (f"{ROLE}/inline#0", True, None),
        id="conditional-deny-is-conditional",
    ),
    pytest.param(
        principal(stmt(Condition=MFA)),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        (f"{ROLE}/inline#0", True, None),
        id="mfa-allow-is-conditional",
    ),
    pytest.param(
        principal(stmt(Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        (f"{ROLE}/inline#0", True, None),
        id="source-ip-is-conditional",
    ),
    pytest.param(
        principal(stmt(Condition={"StringEquals": {"aws:PrincipalAccount": WORK}})),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        None,
        id="decided-condition-false",
    ),
    pytest.param(
        principal(stmt(Condition={"StringEquals": {"aws:PrincipalAccount": LOGS}})),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        (f"{ROLE}/inline#0", False, None),
        id="decided-condition-true",
    ),
    pytest.param(
        principal(stmt(), boundary=doc("boundary", stmt(action="s3:Get*"))),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        None,
        id="boundary-caps-identity",
    ),
    pytest.param(
        principal(stmt(), boundary=doc("boundary", stmt())),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        (f"{ROLE}/inline#0", False, None),
        id="boundary-allows",
    ),
    pytest.param(
        principal(),
        bucket(doc("bucket-policy", stmt(Sid="Ops", Principal={"AWS": ROLE}))),
        PUT_POLICY,
        NO_ORG,
        ("bucket-policy#Ops", False, None),
        id="same-account-resource-policy-suffices",
    ),
    pytest.param(
        principal(),
        bucket(doc("bucket-policy", stmt(Principal={"AWS": f"arn:aws:iam::{LOGS}:root"}))),
        PUT_POLICY,
        NO_ORG,
        None,
        id="same-account-root-principal-delegates-only",
    ),
    pytest.param(
        principal(stmt(), arn=OTHER_ROLE),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        None,
        id="cross-account-identity-alone",
    ),
    pytest.param(
        principal(arn=OTHER_ROLE),
        bucket(doc("bucket-policy", stmt(Principal="*"))),
        PUT_POLICY,
        NO_ORG,
        None,
        id="cross-account-resource-alone",
    ),
    pytest.param(
        principal(stmt(), arn=OTHER_ROLE),
        bucket(doc("bucket-policy", stmt(Principal={"AWS": WORK}))),
        PUT_POLICY,
        NO_ORG,
        ("bucket-policy#0", False, None),
        id="cross-account-both-sides",
    ),
    pytest.param(
        principal(stmt()),
        bucket(),
        PUT_POLICY,
        org(scps=((doc("p-guard", stmt("Deny", "s3:PutBucketPolicy", Sid="NoPolicy")),),)),
        (f"{ROLE}/inline#0", False, "p-guard#NoPolicy"),
        id="scp-deny-blocks",
    ),
    pytest.param(
        principal(stmt()),
        bucket(),
        PUT_POLICY,
        org(scps=((doc("p-ou", stmt(action="ec2:*")),),), bare=True),
        (f"{ROLE}/inline#0", False, "p-ou#implicit-deny"),
        id="scp-level-without-allow-blocks",
    ),
    pytest.param(
        principal(stmt()),
        bucket(),
        PUT_POLICY,
        org(scps=((doc("p-guard", stmt("Deny", "s3:*", Condition=MFA)),),)),
        (f"{ROLE}/inline#0", True, None),
        id="scp-conditional-deny",
    ),
    pytest.param(
        principal(stmt()),
        bucket(),
        PUT_POLICY,
        org(
            scps=(
                (
                    doc(
                        "p-guard",
                        stmt(
                            "Deny",
                            "s3:*",
                            Condition={
                                "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/BreakGlass"}
                            },
                        ),
                    ),
                ),
            )
        ),
        (f"{ROLE}/inline#0", False, "p-guard#0"),
        id="scp-deny-except-other-principal",
    ),
    pytest.param(
        principal(stmt(), arn=f"arn:aws:iam::{LOGS}:role/BreakGlass"),
        bucket(),
        PUT_POLICY,
        org(
            scps=(
                (
                    doc(
                        "p-guard",
                        stmt(
                            "Deny",
                            "s3:*",
                            Condition={
                                "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/BreakGlass"}
                            },
                        ),
                    ),
                ),
            )
        ),
        ("arn:aws:iam::222222222222:role/BreakGlass/inline#0", False, None),
        id="scp-deny-exempts-break-glass",
    ),
    pytest.param(
        principal(stmt(), arn=f"arn:aws:iam::{MGMT}:role/Admin"),
        Target(bucket().trail_arn, bucket().kind, bucket().arn, MGMT),
        PUT_POLICY,
        org(account=MGMT, scps=((doc("p-guard", stmt("Deny", "s3:*")),),)),
        (f"arn:aws:iam::{MGMT}:role/Admin/inline#0", False, None),
        id="scp-never-binds-management-account",
    ),
    pytest.param(
        principal(stmt()),
        bucket(),
        PUT_POLICY,
        org(rcps=((doc("p-rcp", stmt("Deny", "s3:*", Principal="*", Sid="Lock")),),)),
        (f"{ROLE}/inline#0", False, "p-rcp#Lock"),
        id="rcp-deny-blocks-s3",
    ),
    pytest.param(
        principal(stmt()),
        trail(),
        "cloudtrail:StopLogging",
        org(rcps=((doc("p-rcp", stmt("Deny", "*", Principal="*")),),)),
        (f"{ROLE}/inline#0", False, None),
        id="rcp-does-not-govern-cloudtrail",
    ),
    pytest.param(
        principal(stmt()),
        bucket(),
        PUT_POLICY,
        org(
            scps=((doc("p-scp", stmt("Deny", "s3:*")),),),
            rcps=((doc("p-rcp", stmt("Deny", "s3:*", Principal="*")),),),
        ),
        (f"{ROLE}/inline#0", False, "p-rcp#0"),
        id="rcp-named-before-scp",
    ),
    pytest.param(
        Principal(f"arn:aws:iam::{LOGS}:root", LOGS),
        bucket(),
        PUT_POLICY,
        NO_ORG,
        ("root", False, None),
        id="resource-account-root",
    ),
    pytest.param(
        Principal(f"arn:aws:iam::{LOGS}:root", LOGS),
        bucket(),
        PUT_POLICY,
        org(scps=((doc("p-guard", stmt("Deny", "s3:PutBucketPolicy")),),)),
        ("root", False, "p-guard#0"),
        id="root-guarded-by-scp",
    ),
    pytest.param(
        principal(stmt()),
        key(doc("key-policy", stmt(Principal={"AWS": OTHER_ROLE}))),
        "kms:DisableKey",
        NO_ORG,
        None,
        id="key-policy-without-root-ignores-iam",
    ),
    pytest.param(
        principal(stmt()),
        key(ADMIN_KEY_POLICY),
        "kms:DisableKey",
        NO_ORG,
        (f"{ROLE}/inline#0", False, None),
        id="key-policy-delegates-to-iam",
    ),
    pytest.param(
        principal(),
        key(ADMIN_KEY_POLICY),
        "kms:DisableKey",
        NO_ORG,
        None,
        id="key-delegation-needs-identity",
    ),
    pytest.param(
        principal(),
        key(doc("key-policy", stmt(Sid="Admins", Principal={"AWS": ROLE}))),
        "kms:ScheduleKeyDeletion",
        NO_ORG,
        ("key-policy#Admins", False, None),
        id="key-policy-names-principal",
    ),
]


@pytest.mark.parametrize(("who", "target", "action", "organization", "expected"), TABLE)
def test_access_follows_aws_evaluation_logic(
    who: Principal,
    target: Target,
    action: str,
    organization: Organization,
    expected: tuple[str, bool, str | None] | None,
) -> None:
    found = access(who, target, action, organization)
    got = None if found is None else (found.granted_by, found.conditional, found.blocked_by)
    assert got == expected


def _bypass_rows(who: Principal, governance: bool) -> list[Weakener]:
    rows = weakeners([bucket(governance=governance)], [who], NO_ORG)
    return [row for row in rows if row.action == "s3:BypassGovernanceRetention"]


def test_governance_bypass_needs_a_companion_action() -> None:
    alone = principal(stmt(action="s3:BypassGovernanceRetention"))
    with_delete = principal(
        stmt(action=["s3:BypassGovernanceRetention", "s3:DeleteObjectVersion"], Sid="Purge")
    )
    with_retention = principal(
        stmt(action=["s3:BypassGovernanceRetention", "s3:PutObjectRetention"])
    )
    assert _bypass_rows(alone, governance=True) == []
    assert [row.granted_by for row in _bypass_rows(with_delete, governance=True)] == [
        f"{ROLE}/inline#Purge"
    ]
    assert len(_bypass_rows(with_retention, governance=True)) == 1
    assert _bypass_rows(with_delete, governance=False) == []  # COMPLIANCE yields to nobody


def test_bucket_policy_limited_to_other_objects_does_not_grant_bypass() -> None:
    who = principal(
        stmt(action="s3:BypassGovernanceRetention"),
        stmt(action="s3:DeleteObjectVersion", resource="arn:aws:s3:::org-trail-logs/tmp/*"),
    )
    assert _bypass_rows(who, governance=True) == []


def test_rows_carry_break_glass_and_management_flags() -> None:
    glass = principal(stmt(), arn=f"arn:aws:iam::{LOGS}:role/BreakGlass")
    admin = principal(stmt(action="cloudtrail:StopLogging"), arn=f"arn:aws:iam::{MGMT}:role/A")
    target = Target(trail().trail_arn, trail().kind, trail().arn, MGMT)
    rows = weakeners([target, bucket()], [glass, admin], org(), ["arn:aws:iam::*:role/Break*"])
    summary = {
        (r.principal_arn.split("/")[-1], r.action, r.break_glass, r.management_account)
        for r in rows
    }
    assert ("A", "cloudtrail:StopLogging", False, True) in summary
    assert ("BreakGlass", "s3:PutBucketPolicy", True, False) in summary
    assert all(r.principal_arn != admin.arn or r.target.value == "trail" for r in rows)


def test_unreadable_policy_is_refused_not_half_read() -> None:
    with pytest.raises(ValueError, match="no Allow or Deny"):
        parse_document("p-x", {"Statement": [{"Effect": "Maybe", "Action": "*"}]})


def test_iam_url_encoded_documents_are_read() -> None:
    encoded = quote('{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')
    assert parse_document("p", encoded).statements[0].actions == ("*",)


# --- properties -----------------------------------------------------------------------------

ACTION_POOL = [
    "*",
    "s3:*",
    "s3:Put*",
    "s3:PutBucketPolicy",
    "cloudtrail:*",
    "kms:Disable*",
    "s3:BypassGovernanceRetention",
    "s3:DeleteObjectVersion",
    "iam:*",
]
RESOURCE_POOL = [
    "*",
    "arn:aws:s3:::org-trail-logs",
    "arn:aws:s3:::org-trail-logs/*",
    "arn:aws:cloudtrail:*",
    "arn:aws:kms:*",
    "arn:aws:s3:::other",
]
CONDITION_POOL = [None, MFA, {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Log*"}}]

statements = st.builds(
    lambda effect, action, negate, resource, condition, sid: {
        "Effect": effect,
        ("NotAction" if negate else "Action"): action,
        "Resource": resource,
        "Sid": f"S{sid}",
        **({"Condition": condition} if condition else {}),
    },
    st.sampled_from(["Allow", "Allow", "Deny"]),
    st.sampled_from(ACTION_POOL),
    st.booleans(),
    st.sampled_from(RESOURCE_POOL),
    st.sampled_from(CONDITION_POOL),
    st.integers(0, 99),
)
statement_lists = st.lists(statements, min_size=0, max_size=5)


def _doc(source: str, items: list[dict[str, Any]]) -> PolicyDoc:
    return parse_document(source, {"Statement": items})


Statements = list[dict[str, Any]]


def _scenario(
    identity: Statements, scp: Statements, resource: Statements
) -> tuple[list[Target], Principal, Organization]:
    who = Principal(ROLE, LOGS, (_doc("identity", identity),))
    target_policy = _doc("bucket-policy", [{**item, "Principal": "*"} for item in resource])
    targets = [bucket(target_policy, governance=True), trail(), key(ADMIN_KEY_POLICY)]
    organization = Organization(
        MGMT,
        "o-example",
        {LOGS: OrgPolicies(scp_levels=((FULL_ACCESS,), (FULL_ACCESS, _doc("p-scp", scp))))},
    )
    return targets, who, organization


def _open(rows: tuple[Weakener, ...]) -> set[tuple[str, str, bool]]:
    return {(r.target_arn, r.action, r.conditional) for r in rows if r.blocked_by is None}


def _reach(rows: tuple[Weakener, ...]) -> set[tuple[str, str]]:
    return {(r.target_arn, r.action) for r in rows if r.blocked_by is None}


@settings(max_examples=150, deadline=None)
@given(
    statement_lists, statement_lists, statement_lists, statements, st.sampled_from(["i", "s", "r"])
)
def test_adding_a_deny_never_widens_access(identity, scp, resource, extra, where) -> None:
    targets, who, organization = _scenario(identity, scp, resource)
    before = weakeners(targets, [who], organization)
    deny = {**extra, "Effect": "Deny", "Sid": "Added"}
    grown = (
        ([*identity, deny], scp, resource)
        if where == "i"
        else (identity, [*scp, deny], resource)
        if where == "s"
        else (identity, scp, [*resource, deny])
    )
    targets, who, organization = _scenario(*grown)
    after = weakeners(targets, [who], organization)
    assert _reach(after) <= _reach(before)
    certain_before = {(t, a) for t, a, c in _open(before) if not c}
    assert {(t, a) for t, a, c in _open(after) if not c} <= certain_before


@settings(max_examples=100, deadline=None)
@given(statement_lists, statement_lists, statement_lists)
def test_an_allow_all_rcp_changes_nothing(identity, scp, resource) -> None:
    targets, who, organization = _scenario(identity, scp, resource)
    before = weakeners(targets, [who], organization)
    allow_all = _doc(
        "p-RCPFullAWSAccess",
        [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}],
    )
    policies = organization.of(LOGS)
    with_rcp = Organization(
        MGMT, "o-example", {LOGS: OrgPolicies(policies.scp_levels, ((allow_all,), (allow_all,)))}
    )
    assert weakeners(targets, [who], with_rcp) == before


@settings(max_examples=100, deadline=None)
@given(statement_lists, statement_lists, statement_lists, st.randoms(use_true_random=False))
def test_statement_order_is_irrelevant(identity, scp, resource, rnd) -> None:
    targets, who, organization = _scenario(identity, scp, resource)
    before = weakeners(targets, [who], organization)
    for items in (identity, scp, resource):
        rnd.shuffle(items)
    targets, who, organization = _scenario(identity, scp, resource)
    assert weakeners(targets, [who], organization) == before
