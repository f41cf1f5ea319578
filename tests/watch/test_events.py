"""Event -> scope, table-tested on events shaped as AWS documents them (cloudtrail_events)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orgscan.watch.events import (
    WATCHED_EVENTS,
    EventScope,
    Rejected,
    RejectKind,
    Target,
    arn_account,
    parse_event,
)
from tests.watch.cloudtrail_events import (
    body,
    cloudtrail_event,
    disable_key,
    put_object_lock_configuration,
    stop_logging,
)

ACCOUNT = "222222222222"
TRAIL_ARN = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/main"
KEY_ARN = "arn:aws:kms:eu-west-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _scope(event: dict[str, Any]) -> EventScope:
    scope = parse_event(body(event))
    assert isinstance(scope, EventScope), scope
    return scope


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            stop_logging(TRAIL_ARN, account=ACCOUNT, region="eu-west-1"),
            {"target": Target.TRAIL, "trail": TRAIL_ARN, "region": "eu-west-1"},
        ),
        (
            cloudtrail_event(
                "PutEventSelectors",
                "cloudtrail.amazonaws.com",
                {"trailName": "main", "eventSelectors": []},
                account=ACCOUNT,
            ),
            {"target": Target.TRAIL, "trail": "main"},
        ),
        (
            cloudtrail_event(
                "UpdateTrail",
                "cloudtrail.amazonaws.com",
                {"name": "main", "s3BucketName": "new-logs"},
                account=ACCOUNT,
            ),
            {"target": Target.TRAIL, "trail": "main", "new_bucket": "new-logs"},
        ),
        (
            put_object_lock_configuration("central-logs", 1, account=ACCOUNT),
            {"target": Target.BUCKET, "bucket": "central-logs", "trail": None},
        ),
        (
            cloudtrail_event(
                "DeleteBucketPolicy",
                "s3.amazonaws.com",
                {"bucketName": "central-logs", "Host": "central-logs.s3.amazonaws.com"},
                account=ACCOUNT,
            ),
            {"target": Target.BUCKET, "bucket": "central-logs"},
        ),
        (
            disable_key(KEY_ARN, account=ACCOUNT),
            {"target": Target.KEY, "key": KEY_ARN},
        ),
        (
            cloudtrail_event(
                "CloseAccount",
                "organizations.amazonaws.com",
                {"accountId": "444444444444"},
                account=ACCOUNT,
            ),
            {"target": Target.ORGANIZATION, "named_account": "444444444444"},
        ),
        (
            cloudtrail_event(
                "CreateAccount",
                "organizations.amazonaws.com",
                {"accountName": "new", "email": "HIDDEN_DUE_TO_SECURITY_REASONS"},
                account=ACCOUNT,
            ),
            {"target": Target.ORGANIZATION, "named_account": None},
        ),
    ],
    ids=lambda value: value.get("detail", {}).get("eventName", "") if "detail" in value else "",
)
def test_each_watched_event_gives_its_account_region_and_named_thing(event, expected):
    scope = _scope(event)
    assert scope.account_id == ACCOUNT
    assert scope.event_name == event["detail"]["eventName"]
    assert scope.event_id == event["detail"]["eventID"]
    for name, value in {"region": "us-east-1", **expected}.items():
        assert getattr(scope, name) == value, name


def test_the_account_comes_from_the_detail_not_the_envelope():
    # moto's envelope has no account; a forwarded event's detail always names it.
    event = stop_logging("main", account=ACCOUNT, with_envelope_account=False)
    assert _scope(event).account_id == ACCOUNT
    event = stop_logging("main", account=ACCOUNT)
    event["account"] = "999999999999"  # the central bus's account, say
    assert _scope(event).account_id == ACCOUNT


def _without(event: dict[str, Any], key: str) -> dict[str, Any]:
    del event["detail"][key]
    return event


@pytest.mark.parametrize(
    ("text", "kind", "reason"),
    [
        ("{not json", RejectKind.MALFORMED, "not JSON"),
        ("[]", RejectKind.MALFORMED, "not an EventBridge event"),
        (
            body({**stop_logging("main"), "detail-type": "Object Created"}),
            RejectKind.UNRELATED,
            "detail-type",
        ),
        (
            body(cloudtrail_event("ListTrails", "cloudtrail.amazonaws.com", {})),
            RejectKind.UNRELATED,
            "ListTrails cannot weaken",
        ),
        (
            # A watched name from another service is not the watched call.
            body(cloudtrail_event("DeleteBucket", "s3-outposts.amazonaws.com", {})),
            RejectKind.UNRELATED,
            "DeleteBucket cannot weaken",
        ),
        (
            body(stop_logging("main", error_code="AccessDenied")),
            RejectKind.UNRELATED,
            "StopLogging failed (AccessDenied)",
        ),
        (
            body(_without(stop_logging("main"), "recipientAccountId")),
            RejectKind.MALFORMED,
            "recipientAccountId",
        ),
        (
            body(_without(stop_logging("main"), "awsRegion")),
            RejectKind.MALFORMED,
            "awsRegion",
        ),
        (
            body(cloudtrail_event("StopLogging", "cloudtrail.amazonaws.com", None)),
            RejectKind.MALFORMED,
            "without requestParameters",
        ),
        (
            body(cloudtrail_event("DeleteBucket", "s3.amazonaws.com", {"Host": "x"})),
            RejectKind.MALFORMED,
            "names no bucket",
        ),
        (
            body(cloudtrail_event("DisableKey", "kms.amazonaws.com", {"keyId": 7})),
            RejectKind.MALFORMED,
            "names no key",
        ),
        ("x" * (256 * 1024 + 1), RejectKind.MALFORMED, "longer than any SQS message"),
    ],
)
def test_unreadable_and_unrelated_events_are_rejected_with_a_reason(text, kind, reason):
    rejected = parse_event(text)
    assert isinstance(rejected, Rejected)
    assert rejected.kind is kind
    assert reason in rejected.reason


def test_every_watched_event_of_the_contract_is_mapped():
    assert set(WATCHED_EVENTS) == {
        *("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "CreateTrail"),
        *("PutObjectLockConfiguration", "PutBucketPolicy", "DeleteBucketPolicy"),
        *("PutBucketLifecycle", "DeleteBucketLifecycle", "PutBucketVersioning", "DeleteBucket"),
        *("DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy"),
        *("CreateAccount", "RemoveAccountFromOrganization", "CloseAccount"),
    }


def test_an_arn_names_its_owner_a_bare_id_does_not():
    assert arn_account(KEY_ARN) == "333333333333"
    assert arn_account(TRAIL_ARN) == ACCOUNT
    assert arn_account("1234abcd-12ab-34cd-56ef-1234567890ab") is None
    assert arn_account("alias/trail-key") is None


def test_the_log_line_names_the_event_where_and_what():
    scope = _scope(stop_logging(TRAIL_ARN, account=ACCOUNT, region="eu-west-1"))
    assert scope.describe() == f"StopLogging in {ACCOUNT}/eu-west-1 on trail {TRAIL_ARN}"
    assert json.loads(body(stop_logging("x")))["detail"]["eventName"] == "StopLogging"
