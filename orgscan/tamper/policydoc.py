"""IAM policy documents as statements, and whether one statement applies to one request.

A statement applies YES, NO or MAYBE: MAYBE when it matches the action, resource and principal
but carries a condition the scan cannot decide (MFA, source IP, tags, ...). The scan never
guesses a condition's value; it knows only the principal, the accounts and the organization.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import lru_cache
from urllib.parse import unquote


class Match(IntEnum):
    """Whether a statement applies: NO < MAYBE (an undecided condition) < YES."""

    NO = 0
    MAYBE = 1
    YES = 2


class Effect(StrEnum):
    """A statement's effect."""

    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement; ``ref`` names it in results: ``<source>#<Sid or index>``.

    ``actions``/``resources``/``principals`` are None when the statement uses the ``Not`` form
    (then ``not_*`` holds the list) or, for principals, when it names none (identity policies).
    """

    ref: str
    effect: Effect
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principals: tuple[str, ...] | None
    not_principals: tuple[str, ...] | None
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class PolicyDoc:
    """A named policy document: ``source`` is a policy ARN or id, ``bucket-policy``, ..."""

    source: str
    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class Request:
    """What the evaluator asks of a statement: who does what to which resource.

    ``principal_arn`` for the account's root user is ``arn:<partition>:iam::<id>:root``.
    ``organization_id`` decides ``aws:PrincipalOrgID`` when known.
    """

    action: str
    resource: str
    principal_arn: str
    principal_account_id: str
    resource_account_id: str
    organization_id: str | None = None


def parse_document(source: str, document: object) -> PolicyDoc:
    """The statements of ``document`` (a dict, JSON text or IAM's URL-encoded JSON text).

    Raises ValueError for a document that is not a policy: the caller records "could not read"
    rather than evaluating half a policy.
    """
    if isinstance(document, str):
        text = document if document.lstrip().startswith("{") else unquote(document)
        document = json.loads(text)
    if not isinstance(document, Mapping):
        raise ValueError(f"{source}: a policy document is a JSON object")
    raw = document.get("Statement", [])
    items = [raw] if isinstance(raw, Mapping) else list(raw)
    statements = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or item.get("Effect") not in ("Allow", "Deny"):
            raise ValueError(f"{source}: statement {index} has no Allow or Deny effect")
        sid = item.get("Sid")
        ref = f"{source}#{sid if isinstance(sid, str) and sid else index}"
        statements.append(
            Statement(
                ref=ref,
                effect=Effect(item["Effect"]),
                actions=_strings(item.get("Action")),
                not_actions=_strings(item.get("NotAction")),
                resources=_strings(item.get("Resource")),
                not_resources=_strings(item.get("NotResource")),
                principals=_principals(item.get("Principal")),
                not_principals=_principals(item.get("NotPrincipal")),
                conditions=_conditions(item.get("Condition")),
            )
        )
    return PolicyDoc(source, tuple(statements))


def _strings(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(str(item) for item in value) if isinstance(value, Iterable) else None


def _principals(value: object) -> tuple[str, ...] | None:
    """AWS principals as ARNs or ``*``; a bare account id becomes its root's ARN.

    Service and federated principals are kept under their own prefix so they never match an
    IAM principal.
    """
    if value is None:
        return None
    if value == "*":
        return ("*",)
    if not isinstance(value, Mapping):
        return ()
    found: list[str] = []
    for kind, names in value.items():
        for name in _strings(names) or ():
            if kind != "AWS":
                found.append(f"{kind}:{name}")
            elif name.isdigit():
                found.append(f"arn:aws:iam::{name}:root")
            else:
                found.append(name)
    return tuple(found)


def _conditions(value: object) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    if not isinstance(value, Mapping):
        return ()
    found = []
    for operator, block in value.items():
        if isinstance(block, Mapping):
            for key, values in block.items():
                found.append((str(operator), str(key), _strings(values) or ()))
    return tuple(found)


@lru_cache(maxsize=4096)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one character."""
    body = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in glob
    )
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_match(glob: str, value: str, *, ignore_case: bool = False) -> bool:
    """True when ``value`` matches the IAM wildcard pattern ``glob``."""
    return bool(_pattern(glob, ignore_case).match(value))


def _any(globs: Sequence[str], value: str, *, ignore_case: bool = False) -> bool:
    return any(glob_match(glob, value, ignore_case=ignore_case) for glob in globs)


def _principal_named(principals: Sequence[str], request: Request) -> bool:
    """True when the principal list names the requester, or anyone, or (across accounts) the
    requester's account.

    Naming an account's root trusts the account: across accounts its principals get through
    when their identity policies also allow; within the resource's own account it names only
    the root user (IAM principals there need their identity policies, checked apart).
    """
    root = f"arn:aws:iam::{request.principal_account_id}:root"
    trusts_account = request.principal_account_id != request.resource_account_id
    return any(
        name == "*" or glob_match(name, request.principal_arn) or (trusts_account and name == root)
        for name in principals
    )


def statement_match(statement: Statement, request: Request) -> Match:
    """Whether ``statement`` applies to ``request``, ignoring its effect."""
    if statement.actions is not None:
        if not _any(statement.actions, request.action, ignore_case=True):
            return Match.NO
    elif statement.not_actions is None or _any(
        statement.not_actions, request.action, ignore_case=True
    ):
        return Match.NO
    if statement.resources is not None:
        if not _any(statement.resources, request.resource):
            return Match.NO
    elif statement.not_resources is not None and _any(statement.not_resources, request.resource):
        return Match.NO
    if statement.principals is not None and not _principal_named(statement.principals, request):
        return Match.NO
    if statement.not_principals is not None and _principal_named(statement.not_principals, request):
        return Match.NO
    return _conditions_match(statement.conditions, request)


def _context(request: Request) -> dict[str, str]:
    """The condition keys the scan knows for certain, by lower-case name."""
    known = {
        "aws:principalarn": request.principal_arn,
        "aws:principalaccount": request.principal_account_id,
        "aws:resourceaccount": request.resource_account_id,
        "aws:principalisawsservice": "false",
    }
    if request.organization_id:
        known["aws:principalorgid"] = request.organization_id
        known["aws:resourceorgid"] = request.organization_id
    return known


_DECIDED = {
    "StringEquals": (False, False, False),
    "StringNotEquals": (False, False, True),
    "StringEqualsIgnoreCase": (False, True, False),
    "StringNotEqualsIgnoreCase": (False, True, True),
    "StringLike": (True, False, False),
    "StringNotLike": (True, False, True),
    "ArnEquals": (True, False, False),
    "ArnLike": (True, False, False),
    "ArnNotEquals": (True, False, True),
    "ArnNotLike": (True, False, True),
}


def _conditions_match(
    conditions: Sequence[tuple[str, str, tuple[str, ...]]], request: Request
) -> Match:
    """All conditions hold (YES), one fails (NO), or one cannot be decided (MAYBE)."""
    context = _context(request)
    result = Match.YES
    for operator, key, values in conditions:
        result = min(result, _condition(operator, key.lower(), values, context))
        if result is Match.NO:
            return Match.NO
    return result


def _condition(operator: str, key: str, values: Sequence[str], context: Mapping[str, str]) -> Match:
    """One condition operator on one key: decided only for known keys and string/ARN tests."""
    name = operator.removesuffix("IfExists")
    if key not in context:
        return Match.MAYBE
    actual = context[key]
    if name == "Null":
        # The known keys are all present: Null true fails, Null false holds.
        return Match.NO if "true" in [value.lower() for value in values] else Match.YES
    if name == "Bool":
        return Match.YES if actual in [value.lower() for value in values] else Match.NO
    if name not in _DECIDED:
        return Match.MAYBE
    wildcard, ignore_case, negated = _DECIDED[name]
    if wildcard:
        hit = _any(values, actual, ignore_case=ignore_case)
    elif ignore_case:
        hit = actual.lower() in [value.lower() for value in values]
    else:
        hit = actual in values
    return Match.YES if hit != negated else Match.NO


def strongest(doc: PolicyDoc | None, effect: Effect, request: Request) -> tuple[Match, str | None]:
    """The surest statement of ``effect`` in ``doc`` applying to ``request``, and its ref."""
    best: tuple[Match, str | None] = (Match.NO, None)
    for statement in doc.statements if doc else ():
        if statement.effect is effect:
            best = surer(best, (statement_match(statement, request), statement.ref))
    return best


def surer(
    one: tuple[Match, str | None], other: tuple[Match, str | None]
) -> tuple[Match, str | None]:
    """The surer of two (match, ref); between equals the smaller ref, so that the statement
    named never depends on the order statements or policies were written in."""
    if one[0] != other[0]:
        return one if one[0] > other[0] else other
    if one[1] is None or (other[1] is not None and other[1] < one[1]):
        return other
    return one
