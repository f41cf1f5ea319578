"""The bucket policy ``remediate --apply`` writes: the bucket's current statements merged by
``Sid`` with orgscan's and, for a new bucket, the old bucket's that still apply; and the preview
of each such policy shown before the operator confirms.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from orgscan.aws.sessions import AssumeRoleError
from orgscan.remediation.buckets import (
    merge_by_sid,
    opens_access,
    partition_of,
    statements,
    statements_to_copy,
)
from orgscan.remediation.client_calls import STOPPED, ClientFactory, StepFailed, read_state
from orgscan.remediation.plan_model import Plan, PlanEntry, Step, Strategy


@dataclass(frozen=True)
class MergedPolicy:
    """A bucket policy as ``--apply`` will write it: the bucket's current statements merged by
    ``Sid`` with orgscan's and the old bucket's that still apply (``notes`` say which)."""

    bucket: str
    current: tuple[Mapping[str, Any], ...]
    document: Mapping[str, Any]
    notes: tuple[str, ...]

    @property
    def changes(self) -> bool:
        """True when writing the document changes the bucket's policy."""
        return list(self.document["Statement"]) != list(self.current)


def merged_policy(
    entry: PlanEntry, step: Step, client: Any, clients: ClientFactory
) -> MergedPolicy:
    """The policy ``step`` will write on its bucket, read and merged now (``client`` acts as
    the step's account; ``clients`` reads the old bucket as its owner)."""
    bucket = str(step.parameters["Bucket"])
    owner = {"Bucket": bucket, "ExpectedBucketOwner": step.account_id}
    # A bucket the plan creates does not exist before the apply: it has no policy yet.
    current = _policy_statements(client, owner, ("NoSuchBucketPolicy", "NoSuchBucket"))
    planned = statements(str(step.parameters["Policy"]))
    notes: list[str] = []
    if entry.strategy is Strategy.NEW_BUCKET and entry.bucket_account_id and entry.region:
        old_client = clients.client(entry.bucket_account_id, "s3", entry.region)
        old = _policy_statements(
            old_client,
            {"Bucket": entry.bucket_name, "ExpectedBucketOwner": entry.bucket_account_id},
            ("NoSuchBucketPolicy", "NoSuchBucket"),
        )
        copy = statements_to_copy(old, entry.bucket_name, bucket, partition_of(entry.findings[0]))
        planned = [*[s for s in copy.copied if s not in current], *planned]
        notes += [
            f"copied from {entry.bucket_name}: statement {s.get('Sid') or '(no Sid)'}"
            for s in copy.copied
        ]
        notes += [f"not copied from {entry.bucket_name}: {text}" for text in copy.not_copied]
    if any(opens_access(statement) for statement in planned):
        raise StepFailed(STOPPED, "the planned bucket policy would allow anyone")
    replaced = {statement.get("Sid") for statement in planned}
    notes += [
        f"kept statement {s.get('Sid') or '(no Sid)'}"
        for s in current
        if s.get("Sid") is None or s.get("Sid") not in replaced
    ]
    return MergedPolicy(
        bucket=bucket,
        current=tuple(current),
        document=merge_by_sid(current, planned),
        notes=tuple(notes),
    )


def _policy_statements(
    client: Any, parameters: Mapping[str, Any], absent: Collection[str]
) -> list[dict[str, Any]]:
    response = read_state(client, "GetBucketPolicy", parameters, absent)
    try:
        return statements(response["Policy"] if response else None)
    except ValueError as exc:
        raise StepFailed(
            "MalformedPolicy", f"the policy of {parameters['Bucket']} cannot be read: {exc}"
        ) from None


def preview_policies(
    plan: Plan, clients: ClientFactory, *, accounts: Collection[str] | None = None
) -> list[tuple[str, MergedPolicy | str]]:
    """Each bucket policy the apply would write, read and merged now without writing, for
    the operator to see before confirming; a string says why it cannot be previewed."""
    previews: list[tuple[str, MergedPolicy | str]] = []
    for entry in plan.entries:
        for step in entry.steps:
            if step.operation != "PutBucketPolicy" or (
                accounts is not None and step.account_id not in accounts
            ):
                continue
            bucket = str(step.parameters["Bucket"])
            try:
                client = clients.client(step.account_id, step.service.value, step.region)
                previews.append((bucket, merged_policy(entry, step, client, clients)))
            except StepFailed as exc:
                previews.append((bucket, f"{exc.code}: {exc.message}"))
            except AssumeRoleError as exc:
                previews.append(
                    (bucket, f"cannot assume the role in {exc.account_id}: {exc.message}")
                )
    return previews
