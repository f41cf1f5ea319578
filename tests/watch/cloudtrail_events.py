"""Fixture events: "AWS API Call via CloudTrail" as EventBridge delivers them to SQS.

Shaped after AWS's documentation, not after moto (which never emits CloudTrail events):
- the envelope: https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
  (``version``, ``id``, ``detail-type``, ``source``, ``account``, ``time``, ``region``,
  ``resources``, ``detail``);
- events from AWS services delivered through CloudTrail (``detail-type`` "AWS API Call via
  CloudTrail", ``source`` ``aws.<service>``):
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html;
- ``detail`` is the CloudTrail record (``eventSource``, ``eventName``, ``awsRegion``,
  ``requestParameters``, ``recipientAccountId``, ``eventID``, ``errorCode`` for a failed call):
  https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html;
- request parameters as CloudTrail logs them per service (e.g. S3's ``bucketName``, KMS's
  ``keyId``, CloudTrail's ``name``/``trailName``), from each service's "Logging ... API calls
  with AWS CloudTrail" page.

Forwarded to a central bus, an event keeps ``detail`` whole; the envelope's ``account`` is the
source account in AWS but absent in moto's copy, so ``account`` can be left out here.
"""

from __future__ import annotations

import json
from typing import Any

_SOURCES = {
    "cloudtrail.amazonaws.com": "aws.cloudtrail",
    "s3.amazonaws.com": "aws.s3",
    "kms.amazonaws.com": "aws.kms",
    "organizations.amazonaws.com": "aws.organizations",
}


def cloudtrail_event(
    event_name: str,
    event_source: str,
    request_parameters: dict[str, Any] | None,
    *,
    account: str = "111111111111",
    region: str = "us-east-1",
    event_id: str = "6e0f3c1a-2b4d-4f5e-9a8b-7c6d5e4f3a2b",
    error_code: str | None = None,
    with_envelope_account: bool = True,
) -> dict[str, Any]:
    """One event as EventBridge delivers it, with the CloudTrail record in ``detail``."""
    detail: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLEID:admin",
            "arn": f"arn:aws:sts::{account}:assumed-role/Admin/admin",
            "accountId": account,
        },
        "eventTime": "2026-12-07T10:15:00Z",
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": request_parameters,
        "responseElements": None,
        "requestID": "b5e8d1b2-1111-2222-3333-444455556666",
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    if error_code is not None:
        detail["errorCode"] = error_code
        detail["errorMessage"] = "User is not authorized to perform this operation"
    envelope: dict[str, Any] = {
        "version": "0",
        "id": "0d079340-135a-c8c6-95c2-41fb8f496c53",
        "detail-type": "AWS API Call via CloudTrail",
        "source": _SOURCES.get(event_source, "aws.unknown"),
        "time": "2026-12-07T10:15:00Z",
        "region": region,
        "resources": [],
        "detail": detail,
    }
    if with_envelope_account:
        envelope["account"] = account
    return envelope


def stop_logging(trail: str, **options: Any) -> dict[str, Any]:
    """``cloudtrail:StopLogging`` on ``trail`` (its name or ARN, as the caller gave it)."""
    return cloudtrail_event("StopLogging", "cloudtrail.amazonaws.com", {"name": trail}, **options)


def put_object_lock_configuration(bucket: str, days: int, **options: Any) -> dict[str, Any]:
    """``s3:PutObjectLockConfiguration`` setting a GOVERNANCE default retention of ``days``."""
    parameters = {
        "bucketName": bucket,
        "Host": f"{bucket}.s3.amazonaws.com",
        "object-lock": "",
        "ObjectLockConfiguration": {
            "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": days}},
        },
    }
    return cloudtrail_event("PutObjectLockConfiguration", "s3.amazonaws.com", parameters, **options)


def disable_key(key: str, **options: Any) -> dict[str, Any]:
    """``kms:DisableKey`` on ``key`` (a key id or ARN)."""
    return cloudtrail_event("DisableKey", "kms.amazonaws.com", {"keyId": key}, **options)


def body(event: dict[str, Any]) -> str:
    """The SQS message body EventBridge writes for ``event``: the event as JSON."""
    return json.dumps(event)
