"""A fast, in-process stand-in for AWS that answers from an organization's description.

moto spends milliseconds of CPU on every call (its first EC2 call in an account takes most of a
second: it builds default VPCs in every region), and that time would be measured as orgscan's.
``FakeAws`` answers instead, from an ``OrgSpec`` (``orgscan.simulate``'s description of an
organization), with the bytes AWS would send: XML for STS, EC2 and S3, JSON for CloudTrail and
Organizations. It answers on botocore's ``before-send`` event, i.e. after the request has been
built, its endpoint resolved and signed, and before any socket: everything botocore does for a
real call still happens (serialisation, signing, response parsing, retries), only the network
is skipped. Nothing can leak to AWS: an operation it does not know raises.

It behaves as AWS does where that matters to a scan: resources are kept apart per account by the
credentials a request is signed with (``AssumeRole`` hands out keys naming the account), S3
reads of another account's bucket are denied, ``DescribeTrails`` lists shadow trails (multi-region
trails homed elsewhere, and the organization trail in every member account), ``ListBuckets``
gives each bucket's region, ``DescribeTrails`` in a region an SCP denies the account (as
``orgscan.simulate.denials`` does in moto) is an explicit-deny AccessDenied, and Organizations
pages its lists 20 at a time. Because it needs no moto state, an organization of thousands of
accounts is ready in milliseconds.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from botocore.awsrequest import AWSResponse

from orgscan.model import AccountState, ManagementEvents, ReasonCode
from orgscan.simulate import MOTO_DEFAULT_ACCOUNT_ID
from orgscan.simulate.build import _describe
from orgscan.simulate.denials import SCP_DENY_CODE
from orgscan.simulate.spec import (
    ROOT_PATH,
    BucketSpec,
    OrgSpec,
    SimulatedOrg,
    TrailSpec,
    bucket_reason,
    scp_deny_message,
    skip_reason,
)

ORGANIZATION_ID = "o-fakeaws001"
ROOT_ID = "r-fake"
#: Organizations' own page size for the account and OU listings.
ORG_PAGE_SIZE = 20
_KEY_PREFIX = "ASIAFAKE"
_S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
_EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
_CREDENTIAL_RE = re.compile(r"Credential=([^/]+)/")
_CREATED = "2026-01-01T00:00:00.000Z"


class _Body(bytes):
    """A response body botocore can read as if it came from a socket."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield bytes(self)


@dataclass(frozen=True)
class _Bucket:
    owner: str
    spec: BucketSpec


@dataclass(frozen=True)
class _Trail:
    arn: str
    spec: TrailSpec


class FakeAws:
    """Answers every AWS call a scan (or a naive scan) makes, for the organization ``spec``.

    ``register(botocore_session)`` installs it on a session; ``ids`` maps account names to ids;
    ``expected`` holds the reason code a full scan must give each trail (by ARN), derived from
    the description alone; ``responder_seconds`` is the CPU time spent answering, so that a
    measurement can tell it apart from the scan's own.
    """

    def __init__(self, spec: OrgSpec, *, management_id: str = MOTO_DEFAULT_ACCOUNT_ID) -> None:
        self.spec = spec
        self.management_id = management_id
        self.ids = _account_ids(spec, management_id)
        self._accounts = {self.ids[a.name]: a for a in spec.all_accounts}
        self._buckets = {
            bucket.name: _Bucket(self.ids[account.name], bucket)
            for account in spec.all_accounts
            for bucket in account.buckets
            if not bucket.deleted
        }
        self._ou_ids = {ROOT_PATH: ROOT_ID} | {
            path: f"ou-fake-{index:08d}" for index, path in enumerate(spec.ou_paths, 1)
        }
        self._children: dict[str, tuple[list[str], list[str]]] = {
            ou: ([], []) for ou in self._ou_ids.values()
        }
        for path, ou in self._ou_ids.items():
            if path != ROOT_PATH:
                self._children[self._ou_ids[path.rpartition("/")[0]]][0].append(ou)
        for account in spec.all_accounts:
            if account.in_organization:
                self._children[self._ou_ids[account.ou_path]][1].append(self.ids[account.name])
        self._org_trails = [
            _Trail(f"arn:aws:cloudtrail:{t.home_region}:{management_id}:trail/{t.name}", t)
            for t in spec.management.trails
            if t.organization
        ]
        # Every trail by ARN, with its owner: only the owner reads its status and selectors.
        self._trails = {
            f"arn:aws:cloudtrail:{t.home_region}:{self.ids[a.name]}:trail/{t.name}": (
                self.ids[a.name],
                t,
            )
            for a in spec.all_accounts
            for t in a.trails
        }
        self.expected = self._expected()
        self._lock = threading.Lock()
        self.responder_seconds = 0.0
        self._handlers = {
            "sts.GetCallerIdentity": self._get_caller_identity,
            "sts.AssumeRole": self._assume_role,
            "ec2.DescribeRegions": self._describe_regions,
            "organizations.DescribeOrganization": self._describe_organization,
            "organizations.ListRoots": self._list_roots,
            "organizations.ListOrganizationalUnitsForParent": self._list_ous,
            "organizations.ListAccountsForParent": self._list_accounts,
            "cloudtrail.DescribeTrails": self._describe_trails,
            "cloudtrail.ListTrails": self._list_trails,
            "cloudtrail.GetTrailStatus": self._get_trail_status,
            "cloudtrail.GetEventSelectors": self._get_event_selectors,
            "s3.ListBuckets": self._list_buckets,
            "s3.HeadBucket": self._head_bucket,
            "s3.GetObjectLockConfiguration": self._get_object_lock,
            "s3.GetBucketVersioning": self._get_versioning,
        }

    def _expected(self) -> dict[str, tuple[TrailSpec, ReasonCode]]:
        """Trail ARN → (trail, reason code) for every trail a full scan must report."""
        owners = {
            bucket.name: (account, bucket)
            for account in self.spec.all_accounts
            for bucket in account.buckets
        }
        expected: dict[str, tuple[TrailSpec, ReasonCode]] = {}
        for account in self.spec.all_accounts:
            for trail in account.trails:
                if skip_reason(account, trail, self.spec.regions) is not None:
                    continue
                owner, bucket = owners.get(trail.bucket, (None, None))
                readable = owner is not None and owner.in_organization and not owner.closed
                arn = (
                    f"arn:aws:cloudtrail:{trail.home_region}:{self.ids[account.name]}:trail/"
                    f"{trail.name}"
                )
                expected[arn] = (trail, bucket_reason(bucket, readable, self.spec.policy))
        return expected

    def bucket(self, name: str) -> BucketSpec | None:
        """The existing bucket called ``name``, or None (never created, or deleted)."""
        found = self._buckets.get(name)
        return found.spec if found else None

    def simulated_org(self) -> SimulatedOrg:
        """The organization as a scan through this responder must see it: ids, structure and
        expected findings, as ``materialise`` describes one it built in moto."""
        return _describe(self.spec, ORGANIZATION_ID, self.ids, self.spec.management.name)

    def register(self, session: Any) -> None:
        """Answer every request of clients made from the botocore ``session``."""
        session.register("before-send", self._respond)

    # ------------------------------------------------------------------ dispatch

    def _respond(self, request: Any, event_name: str, **_: Any) -> AWSResponse:
        started = time.thread_time()
        try:
            operation = event_name.split(".", 1)[1]
            handler = self._handlers.get(operation)
            if handler is None:
                raise NotImplementedError(f"the fake AWS does not answer {operation}")
            return handler(request, self._caller(request))
        finally:
            spent = time.thread_time() - started
            with self._lock:
                self.responder_seconds += spent

    def _caller(self, request: Any) -> str:
        auth = request.headers.get("Authorization") or b""
        text = auth.decode() if isinstance(auth, bytes) else str(auth)
        match = _CREDENTIAL_RE.search(text)
        key = match.group(1) if match else ""
        return key[len(_KEY_PREFIX) :] if key.startswith(_KEY_PREFIX) else self.management_id

    # ------------------------------------------------------------------ STS, EC2

    def _get_caller_identity(self, request: Any, caller: str) -> AWSResponse:
        arn = f"arn:aws:iam::{caller}:user/bench"
        return _xml(
            request,
            _STS_NS,
            "GetCallerIdentity",
            f"<Arn>{arn}</Arn><UserId>AIDAFAKE</UserId><Account>{caller}</Account>",
        )

    def _assume_role(self, request: Any, caller: str) -> AWSResponse:
        params = urllib.parse.parse_qs(_text(request.body))
        role_arn = params["RoleArn"][0]
        account = role_arn.split(":")[4]
        expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        result = (
            f"<Credentials><AccessKeyId>{_KEY_PREFIX}{account}</AccessKeyId>"
            f"<SecretAccessKey>fake-secret</SecretAccessKey><SessionToken>fake-token-{account}"
            f"</SessionToken><Expiration>{expires}</Expiration></Credentials>"
            f"<AssumedRoleUser><AssumedRoleId>AROAFAKE:bench</AssumedRoleId>"
            f"<Arn>{escape(role_arn)}</Arn></AssumedRoleUser>"
        )
        return _xml(request, _STS_NS, "AssumeRole", result)

    def _describe_regions(self, request: Any, caller: str) -> AWSResponse:
        items = "".join(
            f"<item><regionName>{region}</regionName><regionEndpoint>ec2.{region}.amazonaws.com"
            f"</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>"
            for region in self.spec.regions
        )
        body = (
            f'<DescribeRegionsResponse xmlns="{_EC2_NS}"><requestId>fake</requestId>'
            f"<regionInfo>{items}</regionInfo></DescribeRegionsResponse>"
        )
        return _response(request, 200, body.encode(), "text/xml")

    # ------------------------------------------------------------------ Organizations

    def _describe_organization(self, request: Any, caller: str) -> AWSResponse:
        return _json(
            request,
            {
                "Organization": {
                    "Id": ORGANIZATION_ID,
                    "Arn": f"arn:aws:organizations::{self.management_id}:organization/"
                    f"{ORGANIZATION_ID}",
                    "FeatureSet": "ALL",
                    "MasterAccountId": self.management_id,
                    "MasterAccountArn": f"arn:aws:organizations::{self.management_id}:account/"
                    f"{ORGANIZATION_ID}/{self.management_id}",
                    "MasterAccountEmail": self.spec.management.email,
                }
            },
        )

    def _list_roots(self, request: Any, caller: str) -> AWSResponse:
        return _json(
            request,
            {
                "Roots": [
                    {
                        "Id": ROOT_ID,
                        "Name": "Root",
                        "PolicyTypes": [],
                        "Arn": f"arn:aws:organizations::{self.management_id}:root/"
                        f"{ORGANIZATION_ID}/{ROOT_ID}",
                    }
                ]
            },
        )

    def _list_ous(self, request: Any, caller: str) -> AWSResponse:
        params = json.loads(request.body)
        names = {ou: path.rsplit("/", 1)[1] for path, ou in self._ou_ids.items()}
        page, token = _page(self._children[params["ParentId"]][0], params.get("NextToken"))
        reply: dict[str, Any] = {
            "OrganizationalUnits": [
                {
                    "Id": ou,
                    "Name": names[ou],
                    "Arn": f"arn:aws:organizations::{self.management_id}:ou/{ORGANIZATION_ID}/{ou}",
                }
                for ou in page
            ]
        }
        return _json(request, reply | ({"NextToken": token} if token else {}))

    def _list_accounts(self, request: Any, caller: str) -> AWSResponse:
        params = json.loads(request.body)
        page, token = _page(self._children[params["ParentId"]][1], params.get("NextToken"))
        accounts = []
        for account_id in page:
            spec = self._accounts[account_id]
            state = AccountState.SUSPENDED if spec.closed else AccountState.ACTIVE
            accounts.append(
                {
                    "Id": account_id,
                    "Name": spec.name,
                    "Email": spec.email,
                    "Status": state,
                    "State": state,
                    "JoinedMethod": "CREATED",
                    "JoinedTimestamp": 1767225600.0,
                    "Arn": f"arn:aws:organizations::{self.management_id}:account/"
                    f"{ORGANIZATION_ID}/{account_id}",
                }
            )
        return _json(request, {"Accounts": accounts} | ({"NextToken": token} if token else {}))

    # ------------------------------------------------------------------ CloudTrail

    def _visible_trails(self, caller: str, region: str) -> list[_Trail]:
        """The trails ``DescribeTrails`` lists in ``region``: shadow trails included."""
        account = self._accounts.get(caller)
        own = [
            _Trail(f"arn:aws:cloudtrail:{t.home_region}:{caller}:trail/{t.name}", t)
            for t in (account.trails if account else ())
        ]
        shared = self._org_trails if caller != self.management_id else []
        return [
            trail
            for trail in itertools.chain(own, shared)
            if trail.spec.multi_region or trail.spec.home_region == region
        ]

    def _describe_trails(self, request: Any, caller: str) -> AWSResponse:
        region = _signing_region(request)
        account = self._accounts.get(caller)
        if account is not None and region in account.scp_denied_regions:
            return _json_error(request, SCP_DENY_CODE, scp_deny_message(caller))
        return _json(
            request,
            {
                "trailList": [
                    {
                        "Name": trail.spec.name,
                        "S3BucketName": trail.spec.bucket,
                        "IncludeGlobalServiceEvents": trail.spec.multi_region,
                        "IsMultiRegionTrail": trail.spec.multi_region,
                        "HomeRegion": trail.spec.home_region,
                        "TrailARN": trail.arn,
                        "LogFileValidationEnabled": False,
                        "HasCustomEventSelectors": False,
                        "HasInsightSelectors": False,
                        "IsOrganizationTrail": trail.spec.organization,
                    }
                    for trail in self._visible_trails(caller, region)
                ]
            },
        )

    def _list_trails(self, request: Any, caller: str) -> AWSResponse:
        region = _signing_region(request)
        return _json(
            request,
            {
                "Trails": [
                    {
                        "TrailARN": trail.arn,
                        "Name": trail.spec.name,
                        "HomeRegion": trail.spec.home_region,
                    }
                    for trail in self._visible_trails(caller, region)
                ]
            },
        )

    def _owned_trail(
        self, request: Any, caller: str, key: str
    ) -> tuple[TrailSpec | None, AWSResponse | None]:
        """The trail a request names, when its caller owns it (as moto: members can neither
        list nor read the organization trail); else the error moto answers with."""
        arn = json.loads(_text(request.body)).get(key, "")
        owner, trail = self._trails.get(arn, (None, None))
        if trail is None or owner != caller:
            return None, _json_error(
                request, "TrailNotFoundException", f"Unknown trail: {arn} for the user: {caller}"
            )
        return trail, None

    def _get_trail_status(self, request: Any, caller: str) -> AWSResponse:
        trail, error = self._owned_trail(request, caller, "Name")
        if error is not None:
            return error
        assert trail is not None
        return _json(request, {"IsLogging": trail.logging})

    def _get_event_selectors(self, request: Any, caller: str) -> AWSResponse:
        trail, error = self._owned_trail(request, caller, "TrailName")
        if error is not None:
            return error
        assert trail is not None
        if trail.management_events is ManagementEvents.NONE:
            return _json(
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
        return _json(
            request,
            {
                "EventSelectors": [
                    {
                        "ReadWriteType": trail.management_events.value,
                        "IncludeManagementEvents": True,
                        "DataResources": [],
                        "ExcludeManagementEventSources": [],
                    }
                ]
            },
        )

    # ------------------------------------------------------------------ S3

    def _list_buckets(self, request: Any, caller: str) -> AWSResponse:
        account = self._accounts.get(caller)
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
        return _response(request, 200, body.encode(), "application/xml")

    def _readable(self, request: Any, caller: str) -> tuple[_Bucket | None, AWSResponse | None]:
        """The bucket the request names, or the error AWS would answer with instead."""
        name = _bucket_name(request.url)
        bucket = self._buckets.get(name)
        if bucket is None:
            return None, _s3_error(
                request, 404, "NoSuchBucket", "The specified bucket does not exist"
            )
        if bucket.owner != caller:  # no bucket policy grants other accounts anything
            # AWS adds the bucket's region header here, moto does not; as moto, so that both
            # give the same findings.
            return None, _s3_error(request, 403, "AccessDenied", "Access Denied")
        return bucket, None

    def _head_bucket(self, request: Any, caller: str) -> AWSResponse:
        bucket, error = self._readable(request, caller)
        if error is not None:  # HeadBucket answers with the status alone
            return _response(request, error.status_code, b"", "application/xml")
        assert bucket is not None
        return _response(
            request, 200, b"", "application/xml", {"x-amz-bucket-region": bucket.spec.region}
        )

    def _get_object_lock(self, request: Any, caller: str) -> AWSResponse:
        bucket, error = self._readable(request, caller)
        if error is not None:
            return error
        assert bucket is not None
        spec = bucket.spec
        if not spec.object_lock:
            return _s3_error(
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
        return _response(request, 200, body.encode(), "application/xml")

    def _get_versioning(self, request: Any, caller: str) -> AWSResponse:
        bucket, error = self._readable(request, caller)
        if error is not None:
            return error
        assert bucket is not None
        status = (
            "<Status>Enabled</Status>" if bucket.spec.versioning or bucket.spec.object_lock else ""
        )
        body = f'<VersioningConfiguration xmlns="{_S3_NS}">{status}</VersioningConfiguration>'
        return _response(request, 200, body.encode(), "application/xml")


# ---------------------------------------------------------------------- helpers


def _account_ids(spec: OrgSpec, management_id: str) -> dict[str, str]:
    """Account name → a 12-digit id: the management's, then members in order (or fixed ids)."""
    ids = {spec.management.name: management_id}
    for index, account in enumerate(spec.members, 1):
        ids[account.name] = account.fixed_id or f"{200000000000 + index:012d}"
    return ids


def _page(items: list[str], token: str | None) -> tuple[list[str], str | None]:
    start = int(token or 0)
    end = start + ORG_PAGE_SIZE
    return items[start:end], (str(end) if end < len(items) else None)


def _text(body: Any) -> str:
    return body.decode() if isinstance(body, bytes) else str(body or "")


def _signing_region(request: Any) -> str:
    """The region a request was sent to, from its endpoint (``service.<region>.amazonaws.com``)."""
    host = urllib.parse.urlsplit(request.url).hostname or ""
    return host.split(".")[1]


def _bucket_name(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if host.startswith("s3.") or host.startswith("s3-"):  # path style: /bucket
        return parts.path.lstrip("/").split("/", 1)[0]
    return host.partition(".s3.")[0]


def _response(
    request: Any, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> AWSResponse:
    all_headers: Any = {"Content-Type": content_type, "x-amzn-RequestId": "fake", **(headers or {})}
    return AWSResponse(request.url, status, all_headers, _Body(body))


def _xml(request: Any, namespace: str, operation: str, result: str) -> AWSResponse:
    body = (
        f'<{operation}Response xmlns="{namespace}"><{operation}Result>{result}'
        f"</{operation}Result><ResponseMetadata><RequestId>fake</RequestId>"
        f"</ResponseMetadata></{operation}Response>"
    )
    return _response(request, 200, body.encode(), "text/xml")


def _json(request: Any, reply: dict[str, Any]) -> AWSResponse:
    return _response(request, 200, json.dumps(reply).encode(), "application/x-amz-json-1.1")


def _json_error(request: Any, code: str, message: str) -> AWSResponse:
    body = json.dumps({"__type": code, "message": message}).encode()
    return _response(request, 400, body, "application/x-amz-json-1.1")


def _s3_error(request: Any, status: int, code: str, message: str) -> AWSResponse:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>{message}</Message><RequestId>fake</RequestId></Error>"
    )
    return _response(request, status, body.encode(), "application/xml")
