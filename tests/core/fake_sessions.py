"""A small fake AWS for the scan's core: a session factory whose clients answer from a few dicts.

Passed to ``execute_scan`` in place of ``SessionFactory``, it lets a test decide exactly which
account owns which bucket, which roles cannot be assumed, and which trails each account lists,
and records every call as (account, operation, region) to show where the coordinator sent it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from orgscan.aws.organization import Organization
from orgscan.aws.sessions import AssumeRoleError, CallerIdentity
from orgscan.config import build_settings
from orgscan.facts import Account
from orgscan.model import AccountState, ScanResult
from orgscan.scan.coordinator import execute_scan
from orgscan.scan.executors import MainThreadExecutor
from orgscan.scan.planning import ScanPlan

MANAGEMENT = "111111111111"
REGIONS = ("us-east-1", "eu-west-1")


def trail(owner: str, name: str, bucket: str, *, home: str = "us-east-1") -> dict[str, Any]:
    """A multi-region ``trailList`` entry of ``owner`` delivering to ``bucket``."""
    return {
        "Name": name,
        "TrailARN": f"arn:aws:cloudtrail:{home}:{owner}:trail/{name}",
        "S3BucketName": bucket,
        "HomeRegion": home,
        "IsMultiRegionTrail": True,
        "IsOrganizationTrail": False,
    }


@dataclass
class FakeWorld:
    """What AWS holds: bucket name -> owner id (``locked`` ones with a 400-day COMPLIANCE
    default retention), each account's trails, and the accounts whose role cannot be assumed."""

    buckets: dict[str, str] = field(default_factory=dict)
    locked: set[str] = field(default_factory=set)
    trails: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    unassumable: set[str] = field(default_factory=set)
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    # Every client asked for, as (account, service, region), the role checked after.
    clients: list[tuple[str, str, str]] = field(default_factory=list)

    def called(self, operation: str) -> list[tuple[str, str]]:
        """(account, region) of every call of ``operation``, in order."""
        return [(account, region) for account, op, region in self.calls if op == operation]


def _error(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, operation)


class _Pages:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self._pages = pages

    def paginate(self, **_: Any) -> Iterator[dict[str, Any]]:
        return iter(self._pages)


@dataclass(frozen=True)
class _Meta:
    region_name: str


class FakeClient:
    """One account's client of one service in one region, answering from the world."""

    def __init__(self, world: FakeWorld, account: str, region: str) -> None:
        self.world = world
        self.account = account
        self.meta = _Meta(region)

    def _call(self, operation: str) -> None:
        self.world.calls.append((self.account, operation, self.meta.region_name))

    def describe_regions(self) -> dict[str, Any]:
        self._call("DescribeRegions")
        return {"Regions": [{"RegionName": r, "OptInStatus": "opted-in"} for r in REGIONS]}

    def describe_trails(self, **_: Any) -> dict[str, Any]:
        self._call("DescribeTrails")
        return {"trailList": self.world.trails.get(self.account, [])}

    def get_trail_status(self, Name: str) -> dict[str, Any]:
        self._call("GetTrailStatus")
        return {"IsLogging": True}

    def get_event_selectors(self, TrailName: str) -> dict[str, Any]:
        self._call("GetEventSelectors")
        return {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}

    def get_paginator(self, operation: str) -> _Pages:
        assert operation == "list_buckets"
        self._call("ListBuckets")
        owned = [name for name, owner in self.world.buckets.items() if owner == self.account]
        return _Pages([{"Buckets": [{"Name": n, "BucketRegion": "us-east-1"} for n in owned]}])

    def _readable(self, bucket: str, operation: str) -> None:
        self._call(operation)
        if bucket not in self.world.buckets:
            raise _error("NoSuchBucket", operation)
        if self.world.buckets[bucket] != self.account:
            raise _error("AccessDenied", operation)

    def head_bucket(self, Bucket: str) -> dict[str, Any]:
        self._readable(Bucket, "HeadBucket")
        return {"BucketRegion": "us-east-1"}

    def get_object_lock_configuration(self, Bucket: str) -> dict[str, Any]:
        self._readable(Bucket, "GetObjectLockConfiguration")
        if Bucket not in self.world.locked:
            raise _error("ObjectLockConfigurationNotFoundError", "GetObjectLockConfiguration")
        rule = {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 400}}
        return {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled", "Rule": rule}}

    def get_bucket_versioning(self, Bucket: str) -> dict[str, Any]:
        self._readable(Bucket, "GetBucketVersioning")
        return {"Status": "Enabled"}

    # The integrity reads (contract 5.2): nothing configured, and the account's block on.
    def get_bucket_lifecycle_configuration(self, Bucket: str) -> dict[str, Any]:
        self._readable(Bucket, "GetBucketLifecycleConfiguration")
        raise _error("NoSuchLifecycleConfiguration", "GetBucketLifecycleConfiguration")

    def get_bucket_policy_status(self, Bucket: str) -> dict[str, Any]:
        self._readable(Bucket, "GetBucketPolicyStatus")
        raise _error("NoSuchBucketPolicy", "GetBucketPolicyStatus")

    def get_public_access_block(
        self, Bucket: str | None = None, AccountId: str | None = None
    ) -> dict[str, Any]:
        if Bucket is not None:
            self._readable(Bucket, "GetPublicAccessBlock")
            raise _error("NoSuchPublicAccessBlockConfiguration", "GetPublicAccessBlock")
        self._call("GetPublicAccessBlock")
        on = dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
            True,
        )
        return {"PublicAccessBlockConfiguration": on}


class FakeSessions:
    """The part of ``SessionFactory`` the scan's units use, over a ``FakeWorld``."""

    default_region = "us-east-1"
    caller_account_id = MANAGEMENT

    def __init__(self, world: FakeWorld) -> None:
        self.world = world

    def credentials_for(self, account_id: str) -> None:
        if account_id in self.world.unassumable:
            raise AssumeRoleError(account_id, "AccessDenied", "not authorized to assume the role")

    def client(self, account_id: str, service: str, region: str) -> FakeClient:
        self.world.clients.append((account_id, service, region))
        if account_id != MANAGEMENT:
            self.credentials_for(account_id)
        return FakeClient(self.world, account_id, region)


def account(account_id: str, name: str, state: str = AccountState.ACTIVE) -> Account:
    """An account of the organization, directly under the root."""
    return Account(account_id, name, "Root", state)


def scan(world: FakeWorld, accounts: Iterable[Account], in_scope: Iterable[str]) -> ScanResult:
    """Scan the organization of ``accounts`` (the management account first), ``in_scope``
    only, serially, through the fake world."""
    settings = build_settings(None, {"regions": list(REGIONS), "workers": 2, "serial": True})
    plan = ScanPlan(
        settings=settings,
        identity=CallerIdentity(MANAGEMENT, f"arn:aws:iam::{MANAGEMENT}:user/auditor"),
        organization=Organization("o-example", MANAGEMENT, tuple(accounts)),
        in_scope=frozenset(in_scope),
        partition_regions=REGIONS,
    )
    return execute_scan(plan, FakeSessions(world), MainThreadExecutor())  # type: ignore[arg-type]
