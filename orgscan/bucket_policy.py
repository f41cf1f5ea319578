"""Reading S3 bucket policies: the statements of a policy's text, and whether they let
CloudTrail deliver a trail's log files into the bucket.

CloudTrail needs, from the bucket policy (AWS CloudTrail user guide, "Amazon S3 bucket policy
for CloudTrail"): ``s3:GetBucketAcl`` on the bucket and ``s3:PutObject`` on
``[prefix/]AWSLogs/<account>/*``, granted to the service principal
``cloudtrail.amazonaws.com``; AWS's own policy limits both with ``aws:SourceArn`` (the trail)
and the write with ``s3:x-amz-acl = bucket-owner-full-control`` (what CloudTrail sends). Without
them a delivery fails with ``AccessDenied``. The remediation uses this to skip a policy that
grants it already (in whatever form), and the simulation to decide when ``GetTrailStatus``
reports that error.

An Allow's condition is understood only on those keys (any other key, or operator, leaves the
statement out: "cannot tell" never counts as granted); a Deny that reaches CloudTrail's call
refuses it unless its condition is understood and does not hold (the usual deny of requests
without TLS does not: CloudTrail writes over TLS).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping
from typing import Any

CLOUDTRAIL_SERVICE = "cloudtrail.amazonaws.com"
#: The ACL CloudTrail sends with each log file.
_OWNER_ACL = "bucket-owner-full-control"
#: Operators whose values are compared as they are (Equals) or as wildcards (Like).
_EXACT = frozenset({"stringequals", "arnequals", "bool"})
_LIKE = frozenset({"stringlike", "arnlike"})


def statements(policy_text: str | None) -> list[dict[str, Any]]:
    """The statements of a bucket policy's text (none when there is no policy).

    Raises ``ValueError`` when the text is not a policy document.
    """
    if not policy_text:
        return []
    document = json.loads(policy_text)
    if not isinstance(document, dict):
        raise ValueError("the bucket policy is not a JSON object")
    found = document.get("Statement", [])
    found = [found] if isinstance(found, dict) else found
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise ValueError("the bucket policy's Statement is not a list of objects")
    return found


def _listed(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


def _to_cloudtrail(principal: Any) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    return CLOUDTRAIL_SERVICE in _listed(principal.get("Service")) or "*" in _listed(
        principal.get("AWS")
    )


def _condition(condition: Any, facts: Mapping[str, str]) -> bool | None:
    """Whether a statement's ``condition`` holds for CloudTrail's call; None when it cannot
    be told (an operator or key not understood here)."""
    if condition is None:
        return True
    if not isinstance(condition, Mapping):
        return None
    holds = True
    for operator, tests in condition.items():
        kind = str(operator).lower()
        if kind not in _EXACT | _LIKE or not isinstance(tests, Mapping):
            return None
        for key, values in tests.items():
            fact = facts.get(str(key).lower())
            if fact is None:
                return None
            patterns = [str(value) for value in _listed(values)]
            if kind == "bool":
                fact, patterns = fact.lower(), [value.lower() for value in patterns]
            if not any(
                fnmatch.fnmatchcase(fact, p) if kind in _LIKE else fact == p for p in patterns
            ):
                holds = False
    return holds


def _reaches(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    """The statement names CloudTrail's call: its principal, action and resource."""
    return (
        _to_cloudtrail(statement.get("Principal"))
        and any(
            fnmatch.fnmatch(action.lower(), str(a).lower())
            for a in _listed(statement.get("Action"))
        )
        and any(fnmatch.fnmatchcase(resource, str(r)) for r in _listed(statement.get("Resource")))
    )


def _allowed(
    found: list[Mapping[str, Any]], action: str, resource: str, facts: Mapping[str, str]
) -> bool:
    """An Allow grants the call, and no Deny may refuse it (an explicit deny wins)."""
    return not any(
        s.get("Effect") == "Deny"
        and _reaches(s, action, resource)
        and _condition(s.get("Condition"), facts) is not False
        for s in found
    ) and any(
        s.get("Effect") == "Allow"
        and _reaches(s, action, resource)
        and _condition(s.get("Condition"), facts) is True
        for s in found
    )


def grants_delivery(found: Iterable[Mapping[str, Any]], bucket_arn: str, trail_arn: str) -> bool:
    """True when the bucket policy statements ``found`` let CloudTrail deliver the log files of
    the trail ``trail_arn`` into the bucket ``bucket_arn`` (under ``AWSLogs/<its account>/``)."""
    account = trail_arn.split(":")[4] if trail_arn.count(":") >= 5 else ""
    facts = {
        "aws:sourcearn": trail_arn,
        "aws:sourceaccount": account,
        "s3:x-amz-acl": _OWNER_ACL,
        "aws:securetransport": "true",  # CloudTrail writes over TLS
    }
    log_file = f"{bucket_arn}/AWSLogs/{account}/CloudTrail/"
    listed = list(found)
    return _allowed(listed, "s3:GetBucketAcl", bucket_arn, facts) and _allowed(
        listed, "s3:PutObject", log_file, facts
    )
