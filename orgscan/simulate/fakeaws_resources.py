"""The in-process responder's answers about an account's resources: CloudTrail's trails and S3's
buckets (``orgscan.simulate.fakeaws``), each a function of the index, the request and the calling
account."""

from __future__ import annotations

import html
import itertools
import json
import urllib.parse
from typing import Any

from botocore.awsrequest import AWSResponse

from orgscan.bucket_policy import grants_delivery, statements
from orgscan.model import ManagementEvents
from orgscan.simulate.build_integrity import bucket_policy
from orgscan.simulate.denials import SCP_DENY_CODE
from orgscan.simulate.fakeaws_index import (
    Answer,
    FakeBucket,
    FakeIndex,
    FakeTrail,
    fake_key_arn,
)
from orgscan.simulate.fakeaws_wire import (
    body_text,
    bucket_name,
    json_error,
    json_reply,
    response,
    s3_error,
    signing_region,
)
from orgscan.simulate.logfiles import log_keys, written_before_lock
from orgscan.simulate.spec import TrailSpec, basic_selector, scp_deny_message

_S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_CREATED = "2026-01-01T00:00:00.000Z"


# ---------------------------------------------------------------------- CloudTrail


def _visible_trails(index: FakeIndex, caller: str, region: str) -> list[FakeTrail]:
    """The trails ``DescribeTrails`` lists in ``region``: shadow trails included."""
    account = index.accounts.get(caller)
    own = [
        FakeTrail(f"arn:aws:cloudtrail:{t.home_region}:{caller}:trail/{t.name}", t)
        for t in (account.trails if account else ())
    ]
    shared = index.org_trails if caller != index.management_id else []
    return [
        trail
        for trail in itertools.chain(own, shared)
        if trail.spec.multi_region or trail.spec.home_region == region
    ]


def _describe_trails(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    region = signing_region(request)
    account = index.accounts.get(caller)
    if account is not None and region in account.scp_denied_regions:
        return json_error(request, SCP_DENY_CODE, scp_deny_message(caller))
    return json_reply(
        request,
        {
            "trailList": [
                {
                    "Name": trail.spec.name,
                    "S3BucketName": trail.spec.bucket,
                    "IncludeGlobalServiceEvents": trail.spec.global_events,
                    "IsMultiRegionTrail": trail.spec.multi_region,
                    "HomeRegion": trail.spec.home_region,
                    "TrailARN": trail.arn,
                    "LogFileValidationEnabled": trail.spec.log_file_validation,
                    **_key_of(trail),
                    "HasCustomEventSelectors": False,
                    "HasInsightSelectors": False,
                    "IsOrganizationTrail": trail.spec.organization,
                }
                for trail in _visible_trails(index, caller, region)
            ]
        },
    )


def _key_of(trail: FakeTrail) -> dict[str, str]:
    """``KmsKeyId`` of a trail that encrypts its files, as its owner's key ARN."""
    key = trail.spec.kms_key
    if key is None:
        return {}
    owner = trail.arn.split(":")[4]
    return {"KmsKeyId": fake_key_arn(owner, trail.spec.home_region, key.name)}


def _list_trails(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    region = signing_region(request)
    return json_reply(
        request,
        {
            "Trails": [
                {
                    "TrailARN": trail.arn,
                    "Name": trail.spec.name,
                    "HomeRegion": trail.spec.home_region,
                }
                for trail in _visible_trails(index, caller, region)
            ]
        },
    )


def _owned_trail(
    index: FakeIndex, request: Any, caller: str, key: str
) -> tuple[TrailSpec | None, AWSResponse | None]:
    """The trail a request names, when its caller owns it (as moto: members can neither
    list nor read the organization trail); else the error moto answers with."""
    arn = json.loads(body_text(request.body)).get(key, "")
    owner, trail = index.trails.get(arn, (None, None))
    if trail is None or owner != caller:
        return None, json_error(
            request, "TrailNotFoundException", f"Unknown trail: {arn} for the user: {caller}"
        )
    return trail, None


def _get_trail_status(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    trail, error = _owned_trail(index, request, caller, "Name")
    if error is not None:
        return error
    assert trail is not None
    status: dict[str, Any] = {"IsLogging": trail.logging}
    arn = f"arn:aws:cloudtrail:{trail.home_region}:{caller}:trail/{trail.name}"
    if trail.delivery_error is not None and not grants_delivery(
        statements(fake_bucket_policy(index, trail.bucket)), f"arn:aws:s3:::{trail.bucket}", arn
    ):  # failing since before any recent delivery, as long as the policy refuses CloudTrail
        status["LatestDeliveryError"] = trail.delivery_error
    elif trail.logging:  # as moto: a logging trail delivered a moment ago
        status["LatestDeliveryTime"] = index.delivered_at
    return json_reply(request, status)


def _get_event_selectors(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    trail, error = _owned_trail(index, request, caller, "TrailName")
    if error is not None:
        return error
    assert trail is not None
    if trail.management_events is ManagementEvents.NONE:
        return json_reply(
            request,
            {
                "AdvancedEventSelectors": [
                    {
                        "Name": "S3 data events only",
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                        ],
                    }
                ]
            },
        )
    return json_reply(
        request,
        {
            "EventSelectors": [
                {
                    "DataResources": [],
                    "ExcludeManagementEventSources": [],
                    **basic_selector(trail.management_events),
                }
            ]
        },
    )


# ---------------------------------------------------------------------- S3


def _list_buckets(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    account = index.accounts.get(caller)
    owned = [bucket for bucket in (account.buckets if account else ()) if not bucket.deleted]
    items = "".join(
        f"<Bucket><Name>{bucket.name}</Name><CreationDate>{_CREATED}</CreationDate>"
        f"<BucketRegion>{bucket.region}</BucketRegion></Bucket>"
        for bucket in owned
    )
    body = (
        f'<ListAllMyBucketsResult xmlns="{_S3_NS}"><Owner><ID>{caller}</ID></Owner>'
        f"<Buckets>{items}</Buckets></ListAllMyBucketsResult>"
    )
    return response(request, 200, body.encode(), "application/xml")


def fake_bucket_policy(index: FakeIndex, name: str) -> str | None:
    """The policy of the described bucket ``name`` (None: no policy, or no such bucket)."""
    bucket = index.buckets.get(name)
    if bucket is None:
        return None
    spec = bucket.spec
    return bucket_policy(
        name, bucket.owner, public=spec.public, withholds_delivery=spec.withholds_delivery
    )


def readable_bucket(
    index: FakeIndex, request: Any, caller: str
) -> tuple[FakeBucket | None, AWSResponse | None]:
    """The bucket the request names, or the error AWS would answer with instead."""
    name = bucket_name(request.url)
    bucket = index.buckets.get(name)
    if bucket is None:
        return None, s3_error(request, 404, "NoSuchBucket", "The specified bucket does not exist")
    if bucket.owner != caller:  # no bucket policy grants other accounts anything
        # AWS adds the bucket's region header here, moto does not; as moto, so that both
        # give the same findings.
        return None, s3_error(request, 403, "AccessDenied", "Access Denied")
    return bucket, None


def _head_bucket(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    bucket, error = readable_bucket(index, request, caller)
    if error is not None:  # HeadBucket answers with the status alone
        return response(request, error.status_code, b"", "application/xml")
    assert bucket is not None
    return response(
        request, 200, b"", "application/xml", {"x-amz-bucket-region": bucket.spec.region}
    )


def _get_object_lock(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    bucket, error = readable_bucket(index, request, caller)
    if error is not None:
        return error
    assert bucket is not None
    spec = bucket.spec
    if not spec.object_lock:
        return s3_error(
            request,
            404,
            "ObjectLockConfigurationNotFoundError",
            "Object Lock configuration does not exist for this bucket",
        )
    rule = ""
    if spec.retention is not None:
        period = (
            f"<Days>{spec.retention.days}</Days>"
            if spec.retention.days is not None
            else f"<Years>{spec.retention.years}</Years>"
        )
        rule = (
            f"<Rule><DefaultRetention><Mode>{spec.retention.mode.value}</Mode>{period}"
            f"</DefaultRetention></Rule>"
        )
    body = (
        f'<ObjectLockConfiguration xmlns="{_S3_NS}"><ObjectLockEnabled>Enabled'
        f"</ObjectLockEnabled>{rule}</ObjectLockConfiguration>"
    )
    return response(request, 200, body.encode(), "application/xml")


def _get_versioning(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    bucket, error = readable_bucket(index, request, caller)
    if error is not None:
        return error
    assert bucket is not None
    status = "<Status>Enabled</Status>" if bucket.spec.versioning or bucket.spec.object_lock else ""
    body = f'<VersioningConfiguration xmlns="{_S3_NS}">{status}</VersioningConfiguration>'
    return response(request, 200, body.encode(), "application/xml")


def _list_inventories(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    # The simulated buckets have no S3 Inventory configuration: the pre-lock count samples.
    _, error = readable_bucket(index, request, caller)
    if error is not None:
        return error
    body = (
        f'<ListInventoryConfigurationsResult xmlns="{_S3_NS}"><IsTruncated>false</IsTruncated>'
        "</ListInventoryConfigurationsResult>"
    )
    return response(request, 200, body.encode(), "application/xml")


def _list_versions(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    # The bucket's simulated log files, one version each, listed in key order as S3 does.
    bucket, error = readable_bucket(index, request, caller)
    if error is not None:
        return error
    assert bucket is not None
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.url).query)
    prefix = query.get("prefix", [""])[0]
    keys = [key for key in log_keys(bucket.spec, bucket.owner) if key.startswith(prefix)]
    versions = "".join(
        f"<Version><Key>{html.escape(key)}</Key><VersionId>v{n}</VersionId>"
        f"<IsLatest>true</IsLatest><LastModified>{_CREATED}</LastModified><Size>2</Size>"
        "<StorageClass>STANDARD</StorageClass></Version>"
        for n, key in enumerate(sorted(keys))
    )
    body = (
        f'<ListVersionsResult xmlns="{_S3_NS}"><Name>{bucket.spec.name}</Name><Prefix>'
        f"{html.escape(prefix)}</Prefix><KeyMarker></KeyMarker><VersionIdMarker>"
        f"</VersionIdMarker><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>{versions}"
        "</ListVersionsResult>"
    )
    return response(request, 200, body.encode(), "application/xml")


def _head_object(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    # A log file written after the lock carries the default retention; one from before, none.
    bucket, error = readable_bucket(index, request, caller)
    if error is not None:
        return response(request, error.status_code, b"", "application/xml")
    assert bucket is not None
    path = urllib.parse.urlsplit(request.url).path.lstrip("/")
    if path.startswith(f"{bucket.spec.name}/"):  # path style: /bucket/key
        path = path[len(bucket.spec.name) + 1 :]
    key = urllib.parse.unquote(path)
    if key not in log_keys(bucket.spec, bucket.owner):
        return response(request, 404, b"", "application/xml")
    headers = {"Content-Length": "2", "Last-Modified": "Sun, 01 Nov 2026 00:00:00 GMT"}
    if not written_before_lock(key) and bucket.spec.retention is not None:
        headers["x-amz-object-lock-mode"] = bucket.spec.retention.mode.value
        headers["x-amz-object-lock-retain-until-date"] = "2099-01-01T00:00:00.000Z"
    return response(request, 200, b"", "binary/octet-stream", headers)


#: Operation -> answer, for the operations of this module.
RESOURCE_ANSWERS: dict[str, Answer] = {
    "cloudtrail.DescribeTrails": _describe_trails,
    "cloudtrail.ListTrails": _list_trails,
    "cloudtrail.GetTrailStatus": _get_trail_status,
    "cloudtrail.GetEventSelectors": _get_event_selectors,
    "s3.ListBuckets": _list_buckets,
    "s3.HeadBucket": _head_bucket,
    "s3.GetObjectLockConfiguration": _get_object_lock,
    "s3.GetBucketVersioning": _get_versioning,
    "s3.ListBucketInventoryConfigurations": _list_inventories,
    "s3.ListObjectVersions": _list_versions,
    "s3.HeadObject": _head_object,
}
