"""Pure helpers for bucket policies and the ``new-bucket`` strategy: the new bucket's name, its
bucket policy, a merge by statement id, and which statements of the old bucket still apply."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from orgscan.bucket_policy import CLOUDTRAIL_SERVICE
from orgscan.model import Finding

SUFFIX = "-locked"
_MAX_LEN = 63
_INVALID = re.compile(r"[^a-z0-9.-]+")


def new_bucket_name(old: str) -> str:
    """The deterministic name of the locked replacement of bucket ``old``: ``<old>-locked``.

    The result is a valid S3 bucket name (3-63 characters of lowercase letters, digits, dots and
    hyphens, starting and ending with a letter or digit, no ``..``, ``.-`` or ``-.``): legacy
    names with capitals or underscores are folded, and a long name is trimmed before the suffix.
    """
    base = _INVALID.sub("-", old.lower())
    # A lone dot stays; any run of dots and hyphens holding a dot ("..", ".-", "-.") becomes "-".
    base = re.sub(r"[.-]*\.[.-]*", lambda run: "." if run.group() == "." else "-", base)
    base = base[: _MAX_LEN - len(SUFFIX)].strip(".-")
    if base.startswith("xn--"):  # reserved for internationalised domain names
        base = "xn-" + base[4:]
    return (base or "cloudtrail-logs") + SUFFIX


def partition_of(arn: str) -> str:
    """The partition of an ARN (``aws``, ``aws-us-gov``, ``aws-cn``); ``aws`` if it is not one."""
    parts = arn.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1] else "aws"


#: The statement ids orgscan writes; a merge replaces these and keeps every other statement.
ACL_CHECK_SID = "OrgscanCloudTrailAclCheck"
WRITE_SID = "OrgscanCloudTrailWrite"
TLS_SID = "OrgscanDenyInsecureTransport"
ORGSCAN_SIDS = (ACL_CHECK_SID, WRITE_SID, TLS_SID)


def delivery_policy(bucket: str, trails: Iterable[Finding], organization_id: str | None) -> str:
    """The bucket policy that lets CloudTrail deliver the logs of ``trails`` into ``bucket``:
    ``delivery_statements``, and a third statement denying every request not sent over TLS.
    Returns compact JSON text (what ``PutBucketPolicy`` takes).
    """
    trail_list = sorted(trails, key=lambda finding: finding.trail_arn)
    partition = partition_of(trail_list[0].trail_arn) if trail_list else "aws"
    document = {
        "Version": "2012-10-17",
        "Statement": [
            *delivery_statements(bucket, trail_list, organization_id),
            tls_only_statement(f"arn:{partition}:s3:::{bucket}"),
        ],
    }
    return json.dumps(document, separators=(",", ":"))


def delivery_statements(
    bucket: str, trails: Iterable[Finding], organization_id: str | None
) -> list[dict[str, Any]]:
    """The two statements that let CloudTrail deliver the logs of ``trails`` into ``bucket``.

    CloudTrail needs ``s3:GetBucketAcl`` on the bucket and ``s3:PutObject`` on
    ``[prefix/]AWSLogs/<account>/*`` (plus ``AWSLogs/<org-id>/*`` for an organization trail) with
    ``s3:x-amz-acl = bucket-owner-full-control``, both limited by ``aws:SourceArn`` to the trails.
    The trail's key prefix is not in the findings, so a second pattern covers prefixed paths.
    """
    trail_list = sorted(trails, key=lambda finding: finding.trail_arn)
    partition = partition_of(trail_list[0].trail_arn) if trail_list else "aws"
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    log_roots: list[str] = []
    for trail in trail_list:
        log_roots.append(trail.account_id)
        if trail.is_organization_trail and organization_id:
            log_roots.append(organization_id)
    roots = sorted(set(log_roots))
    objects = [f"{bucket_arn}/AWSLogs/{root}/*" for root in roots]
    objects += [f"{bucket_arn}/*/AWSLogs/{root}/*" for root in roots]
    source_arns = [trail.trail_arn for trail in trail_list]
    principal = {"Service": CLOUDTRAIL_SERVICE}
    return [
        {
            "Sid": ACL_CHECK_SID,
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"aws:SourceArn": source_arns}},
        },
        {
            "Sid": WRITE_SID,
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": {
                "StringEquals": {
                    "s3:x-amz-acl": "bucket-owner-full-control",
                    "aws:SourceArn": source_arns,
                }
            },
        },
    ]


def tls_only_statement(bucket_arn: str) -> dict[str, Any]:
    """The statement that denies every request to the bucket not sent over TLS."""
    return {
        "Sid": TLS_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def merge_by_sid(
    current: list[dict[str, Any]],
    planned: list[dict[str, Any]],
) -> dict[str, Any]:
    """A policy document holding ``planned`` and every statement of ``current`` whose ``Sid``
    is not one of ``planned``'s (an existing policy keeps its statements, in their order)."""
    replaced = {statement.get("Sid") for statement in planned}
    kept = [
        statement
        for statement in current
        if statement.get("Sid") is None or statement.get("Sid") not in replaced
    ]
    return {"Version": "2012-10-17", "Statement": [*kept, *planned]}


def grants_everyone(statement: Mapping[str, Any]) -> bool:
    """True when ``statement`` allows a ``Principal`` of ``*`` (or ``{"AWS": "*"}``)."""
    if statement.get("Effect") != "Allow":
        return False
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        values = principal.get("AWS", [])
        values = [values] if isinstance(values, str) else values
        return "*" in values
    return False


def makes_public(statement: Mapping[str, Any]) -> bool:
    """True when ``statement`` allows everyone without a condition: what makes S3's
    ``GetBucketPolicyStatus`` call a bucket public (a condition is the owner's call to judge)."""
    return grants_everyone(statement) and "Condition" not in statement


def opens_access(statement: Mapping[str, Any]) -> bool:
    """True when ``statement`` allows anyone (``Principal: *`` or ``{"AWS": "*"}``), or uses
    ``NotPrincipal``/``NotAction``/``NotResource`` to allow (which cannot be bounded here)."""
    if statement.get("Effect") != "Allow":
        return False
    if any(key in statement for key in ("NotPrincipal", "NotAction", "NotResource")):
        return True
    return grants_everyone(statement)


@dataclass(frozen=True)
class CopiedStatements:
    """The old bucket's statements that still apply to the new bucket, and why others do not."""

    copied: tuple[dict[str, Any], ...]
    not_copied: tuple[str, ...]


def statements_to_copy(
    old_statements: list[dict[str, Any]], old_bucket: str, new_bucket: str, partition: str
) -> CopiedStatements:
    """The statements of the old bucket's policy that still apply to the new one.

    A statement is copied, its resources renamed to the new bucket, when every resource names
    the old bucket or its objects. Not copied: orgscan's own statements and CloudTrail's
    (replaced by the new policy), statements that allow anyone (the new bucket never opens
    access), and statements about other resources (S3 refuses them on another bucket).
    """
    old_arn, new_arn = f"arn:{partition}:s3:::{old_bucket}", f"arn:{partition}:s3:::{new_bucket}"
    copied: list[dict[str, Any]] = []
    skipped: list[str] = []
    for number, statement in enumerate(old_statements, start=1):
        label = f"statement {statement.get('Sid') or number}"
        principal = json.dumps(statement.get("Principal", ""))
        if statement.get("Sid") in ORGSCAN_SIDS or CLOUDTRAIL_SERVICE in principal:
            continue
        if opens_access(statement):
            skipped.append(f"{label} (allows anyone)")
            continue
        resources = statement.get("Resource")
        resources = [resources] if isinstance(resources, str) else resources
        if (
            not isinstance(resources, list)
            or not resources
            or not all(
                isinstance(r, str) and (r == old_arn or r.startswith(old_arn + "/"))
                for r in resources
            )
        ):
            skipped.append(f"{label} (names other resources)")
            continue
        renamed = [new_arn + r[len(old_arn) :] for r in resources]
        copied.append({**statement, "Resource": renamed[0] if len(renamed) == 1 else renamed})
    return CopiedStatements(copied=tuple(copied), not_copied=tuple(skipped))
