"""The integrity fixes (contract 5.2) that edit a bucket's own policy, by its owner in its region:

- ``DELIVERY`` FAIL with ``AccessDenied`` (the bucket policy does not let CloudTrail write):
  CloudTrail's two statements (``delivery_statements``) for every trail of the run that delivers
  there, merged by ``Sid`` into the policy read at apply time; nothing is written when the
  policy lets CloudTrail deliver those trails already. Any other delivery error (a KMS key, a
  missing bucket) is someone else's fix and stays advice.
- ``PUBLIC_ACCESS`` FAIL (``GetBucketPolicyStatus.IsPublic``): the statements that allow
  everyone without a condition taken out, every other statement kept, then Block Public Access
  on. A statement that allows everyone under a condition is the owner's call and stays.

Each step's parameters follow from findings.json alone, so ``integrity_fixes`` rebuilds them
to check a plan before it runs (``allowed_policy_steps``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from orgscan.model import Finding, IntegrityCode, Status
from orgscan.remediation.buckets import delivery_statements
from orgscan.remediation.integrity_steps import (
    bucket_block_step,
    delivery_grant_step,
    public_grants_step,
)
from orgscan.remediation.plan_model import Service, Step

#: The delivery errors a bucket policy causes (S3's answer to CloudTrail's write).
POLICY_DELIVERY_ERRORS = frozenset({"AccessDenied"})


def _fails(finding: Finding, check: IntegrityCode) -> bool:
    return any(c.check is check and c.status is Status.FAIL for c in finding.integrity)


def _public(finding: Finding) -> bool:
    return _fails(finding, IntegrityCode.PUBLIC_ACCESS)


def fixable_delivery(finding: Finding) -> bool:
    """True when the finding's ``DELIVERY`` check fails because the bucket policy refuses
    CloudTrail, on a bucket whose owner and region are known."""
    return (
        _fails(finding, IntegrityCode.DELIVERY)
        and finding.latest_delivery_error in POLICY_DELIVERY_ERRORS
        and finding.bucket_account_id is not None
        and finding.bucket_region is not None
    )


def _delivering_into(bucket: str, findings: Iterable[Finding]) -> list[Finding]:
    # Every trail of the run that delivers there: a merge by Sid then drops none of them.
    return sorted((f for f in findings if f.bucket_name == bucket), key=lambda f: f.trail_arn)


def _grant_policy(bucket: str, findings: Iterable[Finding], organization_id: str | None) -> str:
    statements = delivery_statements(bucket, _delivering_into(bucket, findings), organization_id)
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))


def delivery_fix(
    first: Finding,
    fixes: tuple[str, ...],
    findings: Iterable[Finding],
    organization_id: str | None,
) -> tuple[str, list[Step]]:
    """The explanation and step of a ``DELIVERY`` entry for the trails ``fixes`` (``first``
    among them), ``findings`` being every finding of the run."""
    bucket, owner, region = first.bucket_name, first.bucket_account_id, first.bucket_region
    assert owner is not None  # fixable_delivery
    assert region is not None
    policy = _grant_policy(bucket, findings, organization_id)
    names = ", ".join(arn.rsplit("/", 1)[-1] for arn in fixes)
    explanation = (
        f"CloudTrail reports AccessDenied and delivers nothing from trail(s) {names} into "
        f"bucket {bucket}: its bucket policy does not let cloudtrail.amazonaws.com write there. "
        "Add CloudTrail's two statements (s3:GetBucketAcl on the bucket, s3:PutObject under "
        "AWSLogs/ with bucket-owner-full-control, both limited by aws:SourceArn to the trails "
        "that deliver there), merged by Sid into the policy read when the step runs: every "
        "other statement is kept, and nothing is written if the policy lets CloudTrail deliver "
        f"already. Before: aws s3api get-bucket-policy --bucket {bucket} "
        f"--expected-bucket-owner {owner}; after: the same statements and these two "
        "(orgscan remediate --apply shows the merged policy before it asks, and records what "
        "it sent)."
    )
    return explanation, [delivery_grant_step(owner, region, bucket, policy, fixes)]


def public_policy_fix(first: Finding, fixes: tuple[str, ...]) -> tuple[str, list[Step]]:
    """The explanation and steps of a ``PUBLIC_ACCESS`` FAIL: the public grants out of the
    bucket's policy, then Block Public Access fully on."""
    bucket, owner, region = first.bucket_name, first.bucket_account_id, first.bucket_region
    read = (
        f"aws s3api get-bucket-policy --bucket {bucket} --expected-bucket-owner "
        f"{owner or '<bucket owner>'}"
    )
    explanation = (
        f"Bucket {bucket}'s policy makes it public: take out the statements that allow "
        'everyone (Principal "*" or AWS "*") without a condition, read when the step runs '
        "(each removed statement is named, with its text, before and after), keep every other "
        "statement, then turn on all four Block Public Access settings. A policy left with no "
        "statement is deleted, as AWS takes no policy without one. A statement that allows "
        "everyone under a condition is kept: if the bucket is still public, it is that one "
        f"(the owner's call). Before: {read}; after: the same without those statements."
    )
    if owner is None or region is None:
        return explanation, []
    return explanation, [
        public_grants_step(owner, region, bucket, fixes),
        bucket_block_step(owner, region, bucket, fixes),
    ]


def allowed_policy_steps(
    check: IntegrityCode | None,
    mine: list[Finding],
    findings: Mapping[str, Finding],
    organization_id: str | None,
) -> list[tuple[tuple[Any, ...], Mapping[str, Any]]]:
    """The (service, operation, account, region) and parameters of each bucket policy step
    orgscan makes for ``check`` on the findings ``mine`` (``findings``: the run's, by ARN)."""
    allowed: list[tuple[tuple[Any, ...], Mapping[str, Any]]] = []
    for f in mine:
        if f.bucket_account_id is None or f.bucket_region is None:
            continue
        shape = (Service.S3, "PutBucketPolicy", f.bucket_account_id, f.bucket_region)
        if check is IntegrityCode.DELIVERY and fixable_delivery(f):
            policy = _grant_policy(f.bucket_name, findings.values(), organization_id)
            allowed.append((shape, {**_bucket_of(f), "Policy": policy}))
        elif check is IntegrityCode.PUBLIC_ACCESS and _public(f):
            allowed.append((shape, _bucket_of(f)))
    return allowed


def _bucket_of(finding: Finding) -> dict[str, Any]:
    return {"Bucket": finding.bucket_name, "ExpectedBucketOwner": finding.bucket_account_id}
