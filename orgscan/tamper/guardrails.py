"""Guardrails for tamper paths (contract 5.3): an SCP and an RCP that deny the weakening
actions on the trails, buckets and keys a run found open, except for break-glass principals.

Pure: from the ``weakeners`` rows to policy documents, each under the 5,120-character limit
Organizations puts on a policy (split into several when longer), and the AWS CLI commands that
create and attach them from the management account. The SCP binds the principals of member
accounts (CloudTrail, S3 and KMS actions); the RCP binds S3 buckets and KMS keys whatever the
principal (RCPs do not govern CloudTrail). Neither protects the management account: its rows
are left to the reader, and the notes say so. A root takes at most ``ATTACH_LIMIT`` policies
of each type, so both ways of attaching them count first and refuse a set that does not fit.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orgscan.tamper.evaluate import BYPASS, RCP_TARGETS
from orgscan.weakeners import TargetKind, Weakener

#: Organizations' size limit for an SCP or RCP document (characters, whitespace included).
POLICY_LIMIT = 5120
#: Organizations' quota on the policies of one type attached directly to one root, OU or
#: account; the AWS-managed FullAWSAccess (SCP) and RCPFullAWSAccess (RCP) count against it.
ATTACH_LIMIT = 5
SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
_SHORT = {SCP: "SCPs", RCP: "RCPs"}


@dataclass(frozen=True)
class Guardrail:
    """One generated policy: its file name, Organizations type and document."""

    name: str
    kind: str
    document: Mapping[str, Any]

    @property
    def text(self) -> str:
        """The document as Organizations measures and stores it (compact JSON)."""
        return compact(self.document)


def compact(document: Mapping[str, Any]) -> str:
    """A policy document as compact JSON."""
    return json.dumps(document, separators=(",", ":"), sort_keys=False)


def guarded_rows(rows: Iterable[Weakener]) -> list[Weakener]:
    """The rows a guardrail can close: open (not blocked, not break-glass) and outside the
    management account, which SCPs and RCPs never bind."""
    return [row for row in rows if row.is_open and not row.management_account]


def guardrails(rows: Iterable[Weakener], break_glass: Sequence[str]) -> list[Guardrail]:
    """The SCPs and RCPs that deny every guarded row's action on its target, except for the
    ``break_glass`` ARN patterns; none when no row needs one."""
    guarded = guarded_rows(rows)
    scp = _statements(guarded, break_glass, resource_policy=False)
    rcp = _statements([r for r in guarded if r.target in RCP_TARGETS], break_glass, True)
    return [
        *(Guardrail(f"scp-{i}.json", SCP, doc) for i, doc in enumerate(_pack(scp), start=1)),
        *(Guardrail(f"rcp-{i}.json", RCP, doc) for i, doc in enumerate(_pack(rcp), start=1)),
    ]


def _statements(
    rows: Sequence[Weakener], break_glass: Sequence[str], resource_policy: bool
) -> list[dict[str, Any]]:
    """One Deny statement per target kind and action set, naming every target's ARN."""
    by_kind: dict[TargetKind, tuple[set[str], set[str]]] = {}
    for row in rows:
        actions, resources = by_kind.setdefault(row.target, (set(), set()))
        actions.add(row.action)
        # The GOVERNANCE bypass is asked on the log objects, not on the bucket.
        resources.add(f"{row.target_arn}/*" if row.action == BYPASS else row.target_arn)
    statements = []
    for kind in TargetKind:
        if kind not in by_kind:
            continue
        actions, resources = by_kind[kind]
        for part, chunk in enumerate(_chunks(sorted(resources), sorted(actions), break_glass)):
            statement: dict[str, Any] = {
                "Sid": f"DenyWeaken{kind.value.title()}{part + 1}",
                "Effect": "Deny",
                **({"Principal": "*"} if resource_policy else {}),
                "Action": sorted(actions),
                "Resource": chunk,
            }
            if break_glass:
                statement["Condition"] = {"ArnNotLike": {"aws:PrincipalArn": list(break_glass)}}
            statements.append(statement)
    return statements


def _chunks(
    resources: list[str], actions: list[str], break_glass: Sequence[str]
) -> Iterable[list[str]]:
    """``resources`` in lists small enough that one statement fits a policy on its own."""
    overhead = len(compact(_document([{"Action": actions, "Condition": list(break_glass)}])))
    chunk: list[str] = []
    size = overhead + 200  # Sid, Effect, Principal, keys: a generous allowance
    for resource in resources:
        cost = len(json.dumps(resource)) + 1
        if chunk and size + cost > POLICY_LIMIT:
            yield chunk
            chunk, size = [], overhead + 200
        chunk.append(resource)
        size += cost
    if chunk:
        yield chunk


def _document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}


def _pack(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Statements packed, in order, into as few documents under the limit as they fit."""
    documents: list[list[dict[str, Any]]] = []
    for statement in statements:
        if documents and len(compact(_document([*documents[-1], statement]))) <= POLICY_LIMIT:
            documents[-1].append(statement)
        else:
            documents.append([statement])
    return [_document(group) for group in documents]


def no_room(kind: str, needed: int | str, attached: int | str, room: int | str) -> str:
    """The line that refuses to attach ``needed`` more policies of ``kind`` at a root that
    holds ``attached`` and has ``room`` for that many more; the numbers may be shell
    expansions (``attach.sh`` counts when it runs)."""
    return (
        f"{_SHORT[kind]} to attach at the root: {needed}, room for {room} ({ATTACH_LIMIT} "
        f"attached at most, {attached} attached now): nothing was created; attach them to OUs "
        "or accounts yourself, detach others from the root, or close tamper paths at their "
        "source so that fewer are needed (break_glass_principals drops accepted principals)"
    )


def attach_commands(policies: Sequence[Guardrail], run_id: str) -> str:
    """A bash script (shown, not run by ``remediate``) creating each policy and attaching it
    to the organization's root, from the management account; it changes nothing without
    ``--apply``, and stops before creating anything when the root has no room for them."""
    lines = [
        "#!/usr/bin/env bash",
        "# Guardrails against the tamper paths this run found (orgscan, run "
        + shlex.quote(run_id)
        + ").",
        "# Run from the management account. Prints every command; changes nothing unless",
        "# given --apply. RCPs must be enabled first (enable-policy-type RESOURCE_CONTROL_POLICY).",
        "# SCPs and RCPs never bind the management account: its principals stay as listed.",
        "set -euo pipefail",
        'APPLY=""; [ "${1:-}" = "--apply" ] && APPLY=1',
        'run() { printf "+ %s\\n" "$*"; if [ -n "$APPLY" ]; then "$@"; fi; }',
        'HERE="$(cd "$(dirname "$0")" && pwd)"',
        "ROOT_ID=\"$(aws organizations list-roots --query 'Roots[0].Id' --output text)\"",
        f"# A root takes at most {ATTACH_LIMIT} policies of each type: count before creating any.",
        'STOP=""; [ -n "$APPLY" ] || STOP="--apply would stop: "; FULL=""',
    ]
    for kind in (SCP, RCP):
        needed = sum(policy.kind == kind for policy in policies)
        if not needed:
            continue
        room = f"$(( {ATTACH_LIMIT} - ATTACHED ))"
        lines += [
            'ATTACHED="$(aws organizations list-policies-for-target --target-id "$ROOT_ID" '
            f"--filter {kind} --query 'length(Policies)' --output text)\"",
            f'if [ {needed} -gt {room} ]; then FULL=1; printf "%s%s\\n" "$STOP" '
            f'"{no_room(kind, needed, "$ATTACHED", room)}" >&2; fi',
        ]
    lines.append('if [ -n "$FULL" ]; then exit 1; fi')
    for policy in policies:
        name = f"orgscan-guardrail-{policy.name.removesuffix('.json')}"
        lines += [
            f"# {policy.name}: {policy.kind}, {len(policy.text)} characters.",
            f'if [ -n "$APPLY" ]; then POLICY_ID="$(aws organizations create-policy --type '
            f"{policy.kind} --name {shlex.quote(name)} --description "
            f"{shlex.quote('Denies weakening trail protection (orgscan)')} "
            f'--content "file://$HERE/{policy.name}" --query Policy.PolicySummary.Id '
            '--output text)"; else POLICY_ID="<new policy id>"; fi',
            f"printf '+ aws organizations create-policy --type {policy.kind} --name %s "
            f'--content file://%s\\n\' {shlex.quote(name)} "$HERE/{policy.name}"',
            'run aws organizations attach-policy --policy-id "$POLICY_ID" --target-id "$ROOT_ID"',
        ]
    return "\n".join(lines) + "\n"
