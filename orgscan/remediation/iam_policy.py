"""The IAM policy ``orgscan remediate --apply`` and the scripts need for one plan.

Generated from the plan rather than granted on ``*``: every write, check, guard and live
precondition of the plan becomes its IAM action on the one bucket or trail it is made on, in
the run's partition (``aws``, ``aws-cn``, ``aws-us-gov``, read from the trails' ARNs). Actions
on the same set of resources share a statement. What the plan cannot name ahead of time is
left out on purpose: the replication destinations read just before Object Lock is enabled in
place (without ``s3:GetBucketObjectLockConfiguration`` on them the step stops, it never goes
ahead blind).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from orgscan.remediation.buckets import partition_of
from orgscan.remediation.plan_model import (
    APPLIED_KINDS,
    Check,
    EntryKind,
    Guard,
    Plan,
    Service,
    Strategy,
)
from orgscan.remediation.retrolock import ROLE_NAME, role_policy, trust_policy
from orgscan.remediation.safety import preconditions

#: API operations whose IAM action is not named "<service>:<Operation>".
ACTION_OF_OPERATION: Mapping[tuple[Service, str], str] = {
    (Service.S3, "HeadBucket"): "s3:ListBucket",
    (Service.S3, "GetObjectLockConfiguration"): "s3:GetBucketObjectLockConfiguration",
    (Service.S3, "PutObjectLockConfiguration"): "s3:PutBucketObjectLockConfiguration",
    (Service.S3, "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    (Service.S3, "PutPublicAccessBlock"): "s3:PutBucketPublicAccessBlock",
    (Service.S3, "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    (Service.S3, "PutBucketEncryption"): "s3:PutEncryptionConfiguration",
    (Service.S3, "GetBucketReplication"): "s3:GetReplicationConfiguration",
    (Service.S3, "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    (Service.S3, "PutBucketLifecycleConfiguration"): "s3:PutLifecycleConfiguration",
    (Service.S3CONTROL, "CreateJob"): "s3:CreateJob",
    (Service.S3CONTROL, "ListJobs"): "s3:ListJobs",
}


def iam_action(service: Service, operation: str) -> str:
    """The IAM action that authorizes ``operation`` of ``service``."""
    return ACTION_OF_OPERATION.get((service, operation), f"{service.value}:{operation}")


def plan_partition(plan: Plan) -> str:
    """The partition of the run the plan was built from (``aws`` when it has no trail)."""
    arn = next((arn for entry in plan.entries for arn in entry.findings), "")
    return partition_of(arn)


def _resource(service: Service, parameters: Mapping[str, Any], partition: str) -> str:
    if service is Service.S3:
        return f"arn:{partition}:s3:::{parameters['Bucket']}"
    if service is Service.KMS:
        return str(parameters["KeyId"])  # a key id: its ARN is built in _grants
    if service is Service.S3CONTROL:
        return "*"  # s3:CreateJob and s3:ListJobs take no resource
    # Trail calls name the trail by its ARN (event selectors as TrailName); a trail the plan
    # creates is named by its name alone, so its ARN is built (the step's account and region).
    return str(parameters.get("Name", parameters.get("TrailName")))


def _trail_arn(name: str, account_id: str, region: str, partition: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:{partition}:cloudtrail:{region}:{account_id}:trail/{name}"


def _grants(
    plan: Plan, partition: str, accounts: Collection[str] | None, kinds: Collection[EntryKind]
) -> Iterator[tuple[str, str]]:
    for entry in plan.entries:
        if entry.kind not in kinds:
            continue
        for step in entry.steps:
            if accounts is not None and step.account_id not in accounts:
                continue
            resource = _resource(step.service, step.parameters, partition)
            if step.service is Service.CLOUDTRAIL:
                resource = _trail_arn(resource, step.account_id, step.region, partition)
            if step.service is Service.KMS:
                resource = f"arn:{partition}:kms:{step.region}:{step.account_id}:key/{resource}"
            if step.operation == "CreateJob":
                # The job runs as orgscan's role: the caller hands it over to S3.
                yield "iam:PassRole", str(step.parameters["RoleArn"])
            yield iam_action(step.service, step.operation), resource
            reads: list[Check | Guard] = [step.check] if step.check is not None else []
            for read in [*reads, *step.guards]:
                yield (
                    iam_action(step.service, read.operation),
                    _resource(step.service, read.parameters, partition)
                    if step.service not in (Service.CLOUDTRAIL, Service.KMS)
                    else resource,
                )
            if step.operation == "CreateTrail":
                # An organization trail: CloudTrail checks the organization and its
                # service-linked role as the caller (these Organizations reads take no resource).
                yield "organizations:DescribeOrganization", "*"
                yield "organizations:ListAWSServiceAccessForOrganization", "*"
                role = (
                    f"arn:{partition}:iam::{step.account_id}:role/aws-service-role/"
                    "cloudtrail.amazonaws.com/*"
                )
                yield "iam:GetRole", role
                yield "iam:CreateServiceLinkedRole", role
            if step.operation == "PutEventSelectors":
                # --apply reads the trail's selectors to keep its data events.
                yield "cloudtrail:GetEventSelectors", resource
            if (
                step.operation == "PutBucketPolicy"
                and entry.strategy is Strategy.NEW_BUCKET
                and entry.bucket_account_id
            ):
                # --apply reads the old bucket's policy to copy what still applies.
                yield "s3:GetBucketPolicy", f"arn:{partition}:s3:::{entry.bucket_name}"
            if step.operation == "PutBucketPolicy":
                yield "s3:GetBucketPolicy", _resource(step.service, step.parameters, partition)
            if step.operation == "PutBucketLifecycleConfiguration":
                # --apply reads the bucket's rules to merge into, and (below) each trail.
                yield "s3:GetLifecycleConfiguration", resource
            if step.operation == "PutBucketPolicy" and "Policy" not in step.parameters:
                # Taking the public grants out may leave no statement: the policy is deleted.
                yield "s3:DeleteBucketPolicy", _resource(step.service, step.parameters, partition)
        # The live preconditions read trails and the old bucket as the account that owns
        # them, which may not be the step's.
        for step in entry.steps:
            if step.operation == "PutBucketLifecycleConfiguration":
                # Each trail's log folder, read by the trail's owner.
                for arn in step.fixes:
                    if accounts is None or arn.split(":")[4] in accounts:
                        yield "cloudtrail:GetTrail", arn
            for condition in preconditions(entry, step):
                for live in condition.reads:
                    if accounts is None or live.account_id in accounts:
                        yield (
                            iam_action(live.service, live.check.operation),
                            _resource(live.service, live.check.parameters, partition),
                        )


def remediation_policy(
    plan: Plan,
    accounts: Collection[str] | None = None,
    kinds: Collection[EntryKind] = APPLIED_KINDS,
) -> dict[str, Any]:
    """The least-privilege policy for applying ``plan`` (only the steps of ``accounts`` when
    given, of the entries of ``kinds``): only its actions, only on its buckets and trails.
    Attach it to the identity (or role) that applies the plan in each acting account; a plan
    without steps gives a policy that allows nothing."""
    partition = plan_partition(plan)
    by_action: dict[str, set[str]] = {}
    for action, resource in _grants(plan, partition, accounts, kinds):
        by_action.setdefault(action, set()).add(resource)
    by_resources: dict[tuple[str, ...], list[str]] = {}
    for action, resources in sorted(by_action.items()):
        by_resources.setdefault(tuple(sorted(resources)), []).append(action)
    statements = []
    ordered = sorted(by_resources.items(), key=lambda item: (item[1][0].split(":")[0], item[1]))
    for number, (targets, actions) in enumerate(ordered, start=1):
        name = (
            "PointTrails"
            if actions[0].startswith("cloudtrail:")
            else "RetroLock"
            if {"iam:PassRole", "s3:CreateJob"} & set(actions)
            else "FixBuckets"
        )
        statements.append(
            {
                "Sid": f"{name}{number}",
                "Effect": "Allow",
                "Action": actions if len(actions) > 1 else actions[0],
                "Resource": list(targets) if len(targets) > 1 else targets[0],
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def retro_lock_roles(plan: Plan, accounts: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Per account with retro-lock jobs, the role the jobs run as: its ARN, its permissions
    (list the account's buckets, put retention on their objects, write the completion
    report) and its trust policy (S3 Batch Operations, for this account only)."""
    partition = plan_partition(plan)
    buckets: dict[str, set[str]] = {}
    for entry in plan.entries:
        account = entry.acting_account_id
        if (
            entry.kind is EntryKind.RETRO_LOCK
            and account
            and entry.steps
            and (accounts is None or account in accounts)
        ):
            buckets.setdefault(account, set()).add(entry.bucket_name)
    return [
        {
            "account_id": account,
            "role_arn": f"arn:{partition}:iam::{account}:role/{ROLE_NAME}",
            "policy": role_policy(sorted(names), partition),
            "trust_policy": trust_policy(account),
        }
        for account, names in sorted(buckets.items())
    ]
