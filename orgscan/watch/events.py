"""One EventBridge event, "AWS API Call via CloudTrail", mapped to what it touches (pure).

The envelope and its ``detail`` (the CloudTrail record) are AWS's documented formats:
https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html and
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html.
The account is read from ``detail.recipientAccountId``, never from the envelope's ``account``:
an event forwarded to a central bus keeps the account it happened in only there (and moto's
envelope has no ``account`` at all).

An event this module cannot read, or that cannot weaken protection, is a ``Rejected`` value,
never an exception: the caller logs it and leaves the message for the dead-letter queue.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from orgscan.identifiers import ACCOUNT_ID_RE, REGION_RE

DETAIL_TYPE = "AWS API Call via CloudTrail"


class Target(StrEnum):
    """What kind of thing an event changes."""

    TRAIL = "trail"
    BUCKET = "bucket"
    KEY = "key"
    ORGANIZATION = "organization"


#: The events that can weaken a trail's protection (contract §5.6), each with what it changes.
WATCHED_EVENTS: Mapping[str, Target] = {
    **dict.fromkeys(
        ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "CreateTrail"),
        Target.TRAIL,
    ),
    **dict.fromkeys(
        (
            "PutObjectLockConfiguration",
            "PutBucketPolicy",
            "DeleteBucketPolicy",
            "PutBucketLifecycle",
            "DeleteBucketLifecycle",
            "PutBucketVersioning",
            "DeleteBucket",
        ),
        Target.BUCKET,
    ),
    **dict.fromkeys(("DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy"), Target.KEY),
    **dict.fromkeys(
        ("CreateAccount", "RemoveAccountFromOrganization", "CloseAccount"), Target.ORGANIZATION
    ),
}
#: The service each watched event comes from (``detail.eventSource``); the templates' rules
#: match on the same names.
EVENT_SOURCES: Mapping[Target, str] = {
    Target.TRAIL: "cloudtrail.amazonaws.com",
    Target.BUCKET: "s3.amazonaws.com",
    Target.KEY: "kms.amazonaws.com",
    Target.ORGANIZATION: "organizations.amazonaws.com",
}
# The request parameter that names the changed thing, per kind (CloudTrail records the
# API's parameters under their API names, first letter lower-cased).
_TRAIL_PARAMETERS = ("name", "trailName")
_BUCKET_PARAMETER = "bucketName"
_KEY_PARAMETER = "keyId"
_ACCOUNT_PARAMETER = "accountId"
_MAX_MESSAGE = 256 * 1024  # SQS's largest message: anything longer was not sent by SQS


@dataclass(frozen=True)
class EventScope:
    """What one event touches: the account and region it happened in, and the trail, bucket,
    key or account it names (each empty when the event names none)."""

    event_id: str
    event_name: str
    target: Target
    account_id: str
    region: str
    trail: str | None = None
    bucket: str | None = None
    key: str | None = None
    #: An account an organization event names (closed or removed).
    named_account: str | None = None
    #: The trail's new bucket (``CreateTrail``/``UpdateTrail``), its owner to be read too.
    new_bucket: str | None = None

    def describe(self) -> str:
        """``StopLogging in 111111111111/us-east-1 on trail main``: for the log."""
        named = [
            f"{kind} {value}"
            for kind, value in (
                ("trail", self.trail),
                ("bucket", self.bucket or self.new_bucket),
                ("key", self.key),
                ("account", self.named_account),
            )
            if value
        ]
        where = f"{self.event_name} in {self.account_id}/{self.region}"
        return f"{where} on {', '.join(named)}" if named else where


class RejectKind(StrEnum):
    """Why an event is not acted on: unreadable, or not one that can weaken protection."""

    MALFORMED = "malformed"
    UNRELATED = "unrelated"


@dataclass(frozen=True)
class Rejected:
    """An event that is not acted on, and why (one sentence for the log)."""

    kind: RejectKind
    reason: str


def parse_event(body: str) -> EventScope | Rejected:
    """The scope of the event in an SQS message ``body``, or why it has none."""
    if len(body) > _MAX_MESSAGE:
        return Rejected(RejectKind.MALFORMED, "longer than any SQS message")
    try:
        event = json.loads(body)
    except ValueError:  # JSONDecodeError, and UnicodeDecodeError from odd surrogates
        return Rejected(RejectKind.MALFORMED, "not JSON")
    return event_scope(event)


def event_scope(event: Any) -> EventScope | Rejected:
    """The scope of one parsed EventBridge event, or why it has none."""
    if not isinstance(event, dict) or not isinstance(event.get("detail"), dict):
        return Rejected(RejectKind.MALFORMED, "not an EventBridge event with a detail object")
    if event.get("detail-type") != DETAIL_TYPE:
        return Rejected(RejectKind.UNRELATED, f"detail-type is not {DETAIL_TYPE!r}")
    detail: dict[str, Any] = event["detail"]
    name = detail.get("eventName")
    if not isinstance(name, str):
        return Rejected(RejectKind.MALFORMED, "detail.eventName is missing")
    target = WATCHED_EVENTS.get(name)
    if target is None or detail.get("eventSource") != EVENT_SOURCES[target]:
        return Rejected(RejectKind.UNRELATED, f"{name} cannot weaken a trail's protection")
    if detail.get("errorCode"):
        # The call failed: nothing changed. Left for the dead-letter queue, where an attempt
        # on the audit trail stays visible.
        return Rejected(RejectKind.UNRELATED, f"{name} failed ({detail['errorCode']})")
    account, region = detail.get("recipientAccountId"), detail.get("awsRegion")
    if not isinstance(account, str) or not ACCOUNT_ID_RE.match(account):
        return Rejected(RejectKind.MALFORMED, "detail.recipientAccountId is not an account id")
    if not isinstance(region, str) or not REGION_RE.match(region):
        return Rejected(RejectKind.MALFORMED, "detail.awsRegion is not a region name")
    parameters = detail.get("requestParameters")
    if not isinstance(parameters, dict):
        return Rejected(RejectKind.MALFORMED, f"{name} without requestParameters")
    event_id = detail.get("eventID")
    scope = EventScope(
        event_id=event_id if isinstance(event_id, str) else str(event.get("id", "")),
        event_name=name,
        target=target,
        account_id=account,
        region=region,
    )
    return _named(scope, parameters)


def _named(scope: EventScope, parameters: dict[str, Any]) -> EventScope | Rejected:
    """``scope`` with the thing ``parameters`` name; ``Rejected`` when the event's kind must
    name one and does not."""
    kind = scope.target
    if kind is Target.TRAIL:
        trail = _first_text(parameters, _TRAIL_PARAMETERS)
        if trail is None:
            return Rejected(RejectKind.MALFORMED, f"{scope.event_name} names no trail")
        new_bucket = _text(parameters.get("s3BucketName"))
        return replace(scope, trail=trail, new_bucket=new_bucket)
    if kind is Target.BUCKET:
        bucket = _text(parameters.get(_BUCKET_PARAMETER))
        if bucket is None:
            return Rejected(RejectKind.MALFORMED, f"{scope.event_name} names no bucket")
        return replace(scope, bucket=bucket)
    if kind is Target.KEY:
        key = _text(parameters.get(_KEY_PARAMETER))
        if key is None:
            return Rejected(RejectKind.MALFORMED, f"{scope.event_name} names no key")
        return replace(scope, key=key)
    # CreateAccount names no account yet (AWS creates it asynchronously); the others do.
    named = _text(parameters.get(_ACCOUNT_PARAMETER))
    if named is not None and not ACCOUNT_ID_RE.match(named):
        return Rejected(RejectKind.MALFORMED, f"{scope.event_name} names no account id")
    return replace(scope, named_account=named)


def arn_account(name: str) -> str | None:
    """The account in an ARN (``arn:aws:kms:REGION:ACCOUNT:key/ID``,
    ``arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME``); None for a bare name, key id or alias,
    which name a thing of the event's own account."""
    parts = name.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and ACCOUNT_ID_RE.match(parts[4]):
        return parts[4]
    return None


def _first_text(parameters: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = _text(parameters.get(key))
        if value is not None:
            return value
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
