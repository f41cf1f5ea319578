"""The bucket policy ``remediate --apply`` writes: the bucket's current statements merged by
``Sid`` with orgscan's and, for a new bucket, the old bucket's that still apply; and the preview
of each such policy shown before the operator confirms.

Two integrity fixes (contract 5.2) edit a bucket's own policy the same way, read live:
``DELIVERY`` merges CloudTrail's two statements in, unless the policy lets CloudTrail deliver
the entry's trails already (in any form: nothing is written); ``PUBLIC_ACCESS`` takes out only
the statements that allow everyone without a condition and keeps every other one. A policy left
with no statement is deleted, as AWS takes no policy without one.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from orgscan.aws.sessions import AssumeRoleError
from orgscan.bucket_policy import grants_delivery, statements
from orgscan.model import IntegrityCode
from orgscan.remediation.buckets import (
    makes_public,
    merge_by_sid,
    opens_access,
    partition_of,
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

    @property
    def empty(self) -> bool:
        """True when no statement is left: the bucket's policy is deleted instead."""
        return not self.document["Statement"]


def _label(statement: Mapping[str, Any], number: int) -> str:
    return f"statement {statement.get('Sid') or f'#{number} (no Sid)'}"


def merged_policy(
    entry: PlanEntry, step: Step, client: Any, clients: ClientFactory
) -> MergedPolicy:
    """The policy ``step`` will write on its bucket, read and merged now (``client`` acts as
    the step's account; ``clients`` reads the old bucket as its owner)."""
    bucket = str(step.parameters["Bucket"])
    owner = {"Bucket": bucket, "ExpectedBucketOwner": step.account_id}
    # A bucket the plan creates does not exist before the apply: it has no policy yet.
    current = _policy_statements(client, owner, ("NoSuchBucketPolicy", "NoSuchBucket"))
    if entry.check is IntegrityCode.PUBLIC_ACCESS:
        return _without_public_statements(bucket, current)
    bucket_arn = f"arn:{partition_of(entry.findings[0])}:s3:::{bucket}" if entry.findings else ""
    if entry.check is IntegrityCode.DELIVERY and all(
        grants_delivery(current, bucket_arn, arn) for arn in entry.findings
    ):
        note = "the policy lets CloudTrail deliver already: nothing is written"
        return MergedPolicy(bucket, tuple(current), _document(current), (note,))
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


def _document(found: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": found}


def _without_public_statements(bucket: str, current: list[dict[str, Any]]) -> MergedPolicy:
    """The bucket's policy without the statements that allow everyone without a condition,
    each named (with its text) in the notes, as every statement kept."""
    notes = [
        f"removed {_label(s, n)}, which allows everyone without a condition: "
        f"{json.dumps(s, separators=(',', ':'))}"
        if makes_public(s)
        else f"kept {_label(s, n)}"
        for n, s in enumerate(current, start=1)
    ]
    kept = [s for s in current if not makes_public(s)]
    if not kept and current:
        notes.append("no statement is left: the policy is deleted (AWS takes none without one)")
    return MergedPolicy(bucket, tuple(current), _document(kept), tuple(notes))


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
