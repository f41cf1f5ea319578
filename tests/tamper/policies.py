"""Builders of principals, targets and policies for the tamper-path tests."""

from __future__ import annotations

from typing import Any

from orgscan.tamper.evaluate import (
    Organization,
    OrgPolicies,
    Principal,
    Target,
)
from orgscan.tamper.policydoc import PolicyDoc, parse_document
from orgscan.weakeners import TargetKind

MGMT, LOGS, WORK = "111111111111", "222222222222", "333333333333"
TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org"
BUCKET_ARN = "arn:aws:s3:::org-trail-logs"
OBJECT_ARN = f"{BUCKET_ARN}/AWSLogs/{MGMT}/CloudTrail/log.json.gz"
KEY_ARN = f"arn:aws:kms:us-east-1:{LOGS}:key/1234"
ROLE = f"arn:aws:iam::{LOGS}:role/LogAdmin"
OTHER_ROLE = f"arn:aws:iam::{WORK}:role/Auditor"


def stmt(
    effect: str = "Allow", action: Any = "*", resource: Any = "*", **extra: Any
) -> dict[str, Any]:
    """One statement; ``extra`` holds Sid, NotAction, Principal, Condition, ..."""
    found: dict[str, Any] = {"Effect": effect, **extra}
    if "NotAction" not in extra:
        found["Action"] = action
    if "NotResource" not in extra:
        found["Resource"] = resource
    return found


def doc(source: str, *statements: dict[str, Any]) -> PolicyDoc:
    """A parsed policy document named ``source``."""
    return parse_document(source, {"Version": "2012-10-17", "Statement": list(statements)})


def principal(
    *statements: dict[str, Any], arn: str = ROLE, boundary: PolicyDoc | None = None
) -> Principal:
    """A role of the account in ``arn`` with one inline policy of ``statements``."""
    account = arn.split(":")[4]
    policies = (doc(f"{arn}/inline", *statements),) if statements else ()
    return Principal(arn, account, policies, boundary)


def bucket(policy: PolicyDoc | None = None, governance: bool = False) -> Target:
    """The trail's bucket, owned by the log archive account."""
    return Target(TRAIL_ARN, TargetKind.BUCKET, BUCKET_ARN, LOGS, policy, OBJECT_ARN, governance)


def trail() -> Target:
    """The trail, owned by the management account... or, for tests, the log account."""
    return Target(TRAIL_ARN, TargetKind.TRAIL, TRAIL_ARN, LOGS)


def key(policy: PolicyDoc | None) -> Target:
    """The trail's KMS key with its key policy."""
    return Target(TRAIL_ARN, TargetKind.KEY, KEY_ARN, LOGS, policy)


FULL_ACCESS = doc("p-FullAWSAccess", stmt())
RCP_FULL_ACCESS = doc("p-RCPFullAWSAccess", stmt(Principal="*"))


def org(
    *,
    scps: tuple[tuple[PolicyDoc, ...], ...] = (),
    rcps: tuple[tuple[PolicyDoc, ...], ...] = (),
    account: str = LOGS,
    bare: bool = False,
) -> Organization:
    """An organization whose ``account`` has the AWS-managed allow-all policy at the root and
    the given extra SCP and RCP levels (each a tuple of documents), each level also holding the
    allow-all policy unless ``bare``, as AWS attaches it to every OU and account by default."""
    scp_extra = tuple(level if bare else (*level, FULL_ACCESS) for level in scps)
    rcp_extra = tuple(level if bare else (*level, RCP_FULL_ACCESS) for level in rcps)
    policies = OrgPolicies(
        scp_levels=((FULL_ACCESS,), *scp_extra) if scps else (),
        rcp_levels=((RCP_FULL_ACCESS,), *rcp_extra) if rcps else (),
    )
    return Organization(MGMT, "o-example", {account: policies, WORK: policies})
