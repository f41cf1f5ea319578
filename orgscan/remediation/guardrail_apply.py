"""``remediate --apply --guardrails``: create the run's generated SCPs and RCPs and attach them
at the organization's root, from the management account (contract §5.3).

The same policies, names and target as ``remediation/guardrails/attach.sh``. Idempotent: a
policy of the same name whose content is the same document is reused, and one already
attached to the root is not attached again, so a second run changes nothing. A policy of that
name with other content (an earlier run's, or edited by hand) is never overwritten: the
guardrail stops with one line, and so do the ones after it. A policy type not enabled at the
root stops it too: enabling SCPs or RCPs changes every account of the organization and is
left to its owners (``aws organizations enable-policy-type``).

A root takes at most ``ATTACH_LIMIT`` policies of each type, the AWS-managed allow-all one
included: before anything is created, the run's policies of a type not yet attached there are
counted against the room left, and a set that does not fit stops every guardrail with one line
per type, so that no run leaves some attached and the rest not.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from orgscan.model import ScanResult
from orgscan.remediation.apply import StepOutcome, StepStatus
from orgscan.remediation.client_calls import STOPPED, ClientFactory, StepFailed, call
from orgscan.tamper.guardrails import ATTACH_LIMIT, Guardrail, guardrails, no_room

DESCRIPTION = "Denies weakening trail protection (orgscan)"


def run_guardrails(result: ScanResult) -> list[Guardrail]:
    """The guardrail policies of a run (those ``remediation/guardrails/`` holds)."""
    return guardrails(result.weakeners or (), result.run.break_glass_principals or ())


def policy_name(policy: Guardrail) -> str:
    """The name the policy gets in Organizations (as ``attach.sh`` names it)."""
    return f"orgscan-guardrail-{policy.name.removesuffix('.json')}"


def guardrails_text(policies: Sequence[Guardrail]) -> str:
    """What ``--guardrails`` will do, shown before the confirmation."""
    lines = [
        f"Guardrails: create and attach at the organization's root, from the management "
        f"account, {len(policies)} polic{'y' if len(policies) == 1 else 'ies'} "
        "(a policy of the same name and content is reused; the root takes at most "
        f"{ATTACH_LIMIT} of each type, counted before anything is created):"
    ]
    for kind in dict.fromkeys(p.kind for p in policies):
        count = sum(p.kind == kind for p in policies)
        if count > ATTACH_LIMIT:
            lines.append(
                f"    {count} of type {kind}: more than a root takes ({ATTACH_LIMIT}), so none "
                "will be created"
            )
    lines += [
        f"    {policy_name(p)} ({p.kind}, {len(p.text)} characters): {p.text}" for p in policies
    ]
    return "\n".join(lines) + "\n"


def apply_guardrails(
    policies: Sequence[Guardrail],
    clients: ClientFactory,
    management_account: str,
    region: str,
    on_step: Callable[[StepOutcome], None] | None = None,
) -> list[StepOutcome]:
    """Create (or reuse) and attach every policy with the caller's credentials, which must be
    the organization's management account's (``management_account``); Organizations answers
    in ``region`` of the caller's partition. After the first failure the others are not run."""
    outcomes: list[StepOutcome] = []
    stop: StepFailed | None = None
    root: dict[str, Any] = {}
    try:
        client = clients.client(management_account, "organizations", region)
        root = _root(client, management_account)
        full = _no_room(client, policies, root)
    except StepFailed as exc:
        stop = exc
    else:
        if full:  # one line per type, and nothing is created
            refused = [
                _outcome(management_account, region, "AttachPolicy", root["Id"], STOPPED, line)
                for line in full
            ]
            for outcome in refused:
                if on_step is not None:
                    on_step(outcome)
            return refused
    for policy in policies:
        name = policy_name(policy)
        if stop is None:
            found = _one(client, policy, name, root, management_account, region)
        elif outcomes:
            message = "an earlier guardrail failed"
            found = [_outcome(management_account, region, "CreatePolicy", name, None, message)]
        else:  # the organization could not be read: the first guardrail says why
            found = [
                _outcome(management_account, region, "CreatePolicy", name, stop.code, stop.message)
            ]
        for outcome in found:
            outcomes.append(outcome)
            if on_step is not None:
                on_step(outcome)
        if outcomes[-1].status in (StepStatus.FAILED, StepStatus.NOT_RUN):
            stop = stop or StepFailed(STOPPED, "an earlier guardrail failed")
    return outcomes


def _root(client: Any, management_account: str) -> dict[str, Any]:
    """The organization's root, once the caller is shown to be its management account."""
    organization = call(client, "DescribeOrganization", {})["Organization"]
    if organization.get("MasterAccountId") != management_account:
        raise StepFailed(
            STOPPED,
            f"account {management_account} is not the organization's management account "
            f"({organization.get('MasterAccountId')}): guardrails are attached only from it",
        )
    roots = call(client, "ListRoots", {})["Roots"]
    return dict(roots[0])


def _enabled(root: dict[str, Any]) -> set[str]:
    """The policy types enabled at the root."""
    return {t.get("Type") for t in root.get("PolicyTypes", []) if t.get("Status") == "ENABLED"}


def _no_room(client: Any, policies: Sequence[Guardrail], root: dict[str, Any]) -> list[str]:
    """The lines refusing each policy type whose policies not yet attached at the root
    outnumber its free slots (a policy of the same name attached there is already in place).
    A type not enabled at the root is left to the guardrail that says so."""
    lines = []
    for kind in dict.fromkeys(p.kind for p in policies):
        if kind not in _enabled(root):
            continue
        parameters = {"TargetId": root["Id"], "Filter": kind}
        attached = [
            p.get("Name") for p in _pages(client, "ListPoliciesForTarget", parameters, "Policies")
        ]
        needed = sum(p.kind == kind and policy_name(p) not in attached for p in policies)
        room = ATTACH_LIMIT - len(attached)
        if needed > room:
            lines.append(no_room(kind, needed, len(attached), room))
    return lines


def _one(
    client: Any, policy: Guardrail, name: str, root: dict[str, Any], account: str, region: str
) -> list[StepOutcome]:
    try:
        if policy.kind not in _enabled(root):
            raise StepFailed(
                STOPPED,
                f"{policy.kind} is not enabled at the root; enable it with aws organizations "
                f"enable-policy-type --root-id {root['Id']} --policy-type {policy.kind}",
            )
        policy_id, created = _policy(client, policy, name)
    except StepFailed as exc:
        return [_outcome(account, region, "CreatePolicy", name, exc.code, exc.message)]
    made = _outcome(
        account,
        region,
        "CreatePolicy",
        name,
        status=StepStatus.APPLIED if created else StepStatus.ALREADY_DONE,
        sent={"Name": name, "Type": policy.kind, "Content": policy.text} if created else None,
        notes=(f"policy {policy_id}",),
    )
    try:
        targets = _attached_targets(client, policy_id)
        if root["Id"] in targets:
            done = StepStatus.ALREADY_DONE
            return [made, _outcome(account, region, "AttachPolicy", name, status=done)]
        sent = {"PolicyId": policy_id, "TargetId": root["Id"]}
        call(client, "AttachPolicy", sent)
    except StepFailed as exc:
        return [made, _outcome(account, region, "AttachPolicy", name, exc.code, exc.message)]
    applied = StepStatus.APPLIED
    return [made, _outcome(account, region, "AttachPolicy", name, status=applied, sent=sent)]


def _policy(client: Any, policy: Guardrail, name: str) -> tuple[str, bool]:
    """The id of the policy named ``name`` (reused when its content is the same document,
    else ``StepFailed``), or of the one created now; and whether it was created."""
    for summary in _pages(client, "ListPolicies", {"Filter": policy.kind}, "Policies"):
        if summary.get("Name") != name:
            continue
        found = call(client, "DescribePolicy", {"PolicyId": summary["Id"]})["Policy"]
        if json.loads(found.get("Content", "null")) != json.loads(policy.text):
            raise StepFailed(
                STOPPED,
                f"a policy named {name} ({summary['Id']}) exists with other content; it is "
                "not changed: compare it with this run's, then delete or rename it",
            )
        return str(summary["Id"]), False
    created = call(
        client,
        "CreatePolicy",
        {"Content": policy.text, "Description": DESCRIPTION, "Name": name, "Type": policy.kind},
    )
    return str(created["Policy"]["PolicySummary"]["Id"]), True


def _attached_targets(client: Any, policy_id: str) -> set[str]:
    pages = _pages(client, "ListTargetsForPolicy", {"PolicyId": policy_id}, "Targets")
    return {str(target.get("TargetId")) for target in pages}


def _pages(client: Any, operation: str, parameters: dict[str, Any], key: str) -> list[Any]:
    """Every item of a paginated Organizations list (``NextToken``)."""
    items: list[Any] = []
    token: str | None = None
    while True:
        reply = call(client, operation, {**parameters, **({"NextToken": token} if token else {})})
        items += reply.get(key, [])
        token = reply.get("NextToken")
        if not token:
            return items


def _outcome(
    account: str,
    region: str,
    operation: str,
    name: str,
    code: str | None = None,
    message: str | None = None,
    *,
    status: StepStatus | None = None,
    sent: dict[str, Any] | None = None,
    notes: tuple[str, ...] = (),
) -> StepOutcome:
    """An outcome; without ``status``: failed with ``code``, or not run without one."""
    if status is None:
        status = StepStatus.FAILED if code is not None else StepStatus.NOT_RUN
    return StepOutcome(
        account_id=account,
        region=region,
        bucket_name="",
        service="organizations",
        operation=operation,
        status=status,
        error_code=code,
        message=message,
        resource=name,
        sent=sent,
        notes=notes,
    )
