"""Account discovery with AWS Organizations: every account, its state and its OU path."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from typing import Any

from orgscan.errors import InputError
from orgscan.facts import Account
from orgscan.identifiers import ACCOUNT_ID_RE
from orgscan.model import AccountState


@dataclass(frozen=True)
class Organization:
    """The organization as discovered: accounts in a stable order and the OU tree."""

    organization_id: str | None
    management_account_id: str | None
    accounts: tuple[Account, ...]
    # Every OU (and root) id -> the ids of all accounts below it, nested OUs included.
    accounts_under: dict[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Node:
    node_id: str
    path: str


#: Organizations calls in flight at once during the OU walk. Organizations throttles at a few
#: calls per second per account: a wide tree walked with every worker would burst and retry.
ORGANIZATIONS_IN_FLIGHT = 4

# The two listings of a node's children: reply key -> paginated operation.
_CHILD_KINDS = {
    "OrganizationalUnits": "list_organizational_units_for_parent",
    "Accounts": "list_accounts_for_parent",
}


def account_state(raw: dict[str, Any]) -> str:
    """``State`` (current API) or ``Status`` (being retired), upper-case; ``UNKNOWN`` when the
    reply carries neither."""
    return str(raw.get("State") or raw.get("Status") or AccountState.UNKNOWN).upper()


def discover_organization(
    client: Any, executor: Executor, in_flight: int = ORGANIZATIONS_IN_FLIGHT
) -> Organization:
    """Walk the OU tree from the root, listing OUs' children in parallel, ``in_flight`` calls
    at most at once."""
    # Two independent calls, made at the same time.
    described = executor.submit(client.describe_organization)
    roots = client.list_roots()["Roots"]
    description = described.result()["Organization"]
    accounts: dict[str, Account] = {}
    parents: dict[str, str] = {}  # node id -> parent node id
    account_parent: dict[str, str] = {}
    # A node's OUs and its accounts are listed at the same time: one latency less per level.
    pending: dict[Future[list[dict[str, Any]]], tuple[_Node, str]] = {}
    waiting: deque[tuple[_Node, str]] = deque()

    def visit(node: _Node) -> None:
        waiting.extend((node, kind) for kind in _CHILD_KINDS)

    def fill() -> None:
        while waiting and len(pending) < max(1, in_flight):
            node, kind = waiting.popleft()
            pending[executor.submit(_children, client, node.node_id, kind)] = (node, kind)

    for root in roots:
        visit(_Node(root["Id"], "/" + str(root.get("Name") or "Root")))
    fill()
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            node, kind = pending.pop(future)
            children = future.result()
            child_ous = children if kind == "OrganizationalUnits" else []
            child_accounts = children if kind == "Accounts" else []
            for raw in child_accounts:
                account_id = raw.get("Id")
                if not isinstance(account_id, str) or not ACCOUNT_ID_RE.match(account_id):
                    # Unidentifiable, it could be neither scanned nor reported as missed.
                    raise InputError(
                        "cannot read the organization: it listed an account "
                        f"without a valid id ({account_id!r:.40})"
                    )
                account = Account(
                    account_id=account_id,
                    name=raw.get("Name"),
                    ou_path=node.path,
                    state=account_state(raw),
                )
                accounts[account.account_id] = account
                account_parent[account.account_id] = node.node_id
            for ou in child_ous:
                child = _Node(ou["Id"], f"{node.path}/{ou.get('Name') or ou['Id']}")
                parents[child.node_id] = node.node_id
                visit(child)
        fill()
    accounts_under: dict[str, set[str]] = {}
    for account_id, parent in account_parent.items():
        node_id: str | None = parent
        while node_id is not None:
            accounts_under.setdefault(node_id, set()).add(account_id)
            node_id = parents.get(node_id)
    for node_id in set(parents) | {root["Id"] for root in roots}:
        accounts_under.setdefault(node_id, set())
    return Organization(
        organization_id=description.get("Id"),
        management_account_id=description.get("MasterAccountId"),
        accounts=tuple(sorted(accounts.values(), key=lambda a: a.account_id)),
        accounts_under={key: frozenset(value) for key, value in accounts_under.items()},
    )


def _children(client: Any, parent_id: str, kind: str) -> list[dict[str, Any]]:
    """The child OUs or the accounts (``kind``, the reply's key) directly below ``parent_id``."""
    return [
        child
        for page in client.get_paginator(_CHILD_KINDS[kind]).paginate(ParentId=parent_id)
        for child in page[kind]
    ]


def select_accounts(
    org: Organization, include: Sequence[str], exclude: Iterable[str], ous: Sequence[str]
) -> frozenset[str]:
    """The account ids whose trails are scanned; unknown ids or OUs are bad input."""
    known = {account.account_id for account in org.accounts}
    unknown = [account_id for account_id in [*include, *exclude] if account_id not in known]
    if unknown:
        raise InputError(f"not in the organization: {', '.join(unknown)}")
    missing_ous = [ou for ou in ous if ou not in org.accounts_under]
    if missing_ous:
        raise InputError(f"OU not found in the organization: {', '.join(missing_ous)}")
    chosen = set(include) if include else set(known)
    if ous:
        under = set().union(*(org.accounts_under[ou] for ou in ous))
        chosen &= under
    chosen -= set(exclude)
    return frozenset(chosen)
