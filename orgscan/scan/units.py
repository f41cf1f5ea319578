"""The scan's units of work: plain functions that run in a worker thread and return values.

Each takes the session factory and what to read, calls AWS, and returns what it learned or an
``AwsError``; none of them changes shared state. ``run_unit`` runs one of them so that a bug or
an unexpected response in one unit becomes an error value for that unit, not the end of the scan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orgscan.aws.regions import enabled_regions
from orgscan.aws.sessions import AssumeRoleError, SessionFactory
from orgscan.collect import buckets
from orgscan.collect.trails import TrailHealth, describe_trails, read_trail_health
from orgscan.error_codes import ACCESS_DENIED_CODES
from orgscan.facts import AwsError, BucketFacts, Trail

log = logging.getLogger(__name__)

# Accounts tried, in order, for a bucket read: its owner, then the accounts of its trails.
MAX_READ_CANDIDATES = 3


@dataclass(frozen=True)
class Prepared:
    """An account made ready: its role assumed and its enabled regions read.

    ``assume_error`` set: the account cannot be scanned. ``regions`` None: DescribeRegions
    failed (``regions_error``), the account is scanned in the regions asked for."""

    regions: list[str] | None = None
    regions_error: AwsError | None = None
    assume_error: AwsError | None = None


@dataclass(frozen=True)
class TrailsRead:
    """The trails of one account and region, and how many entries were too malformed to use."""

    trails: list[Trail]
    malformed: int = 0
    error: AwsError | None = None


@dataclass(frozen=True)
class BucketsListed:
    """An account's buckets, by name, with their region where ``ListBuckets`` told it."""

    owned: dict[str, str | None]
    error: AwsError | None = None


@dataclass(frozen=True)
class BucketRequest:
    """Which bucket to read, what is known of it, and the accounts to read it with."""

    bucket: str
    owner: str | None
    region: str | None
    lookup_region: str
    candidates: tuple[str, ...]
    #: Read the bucket's lifecycle and public access too (not for a probe of its existence).
    integrity: bool = True


def run_unit(work: Callable[..., Any], sessions: SessionFactory, *args: Any) -> Any:
    """``work(sessions, *args)``, with an AWS failure or an unexpected exception as an
    ``AwsError`` (the traceback goes to the log)."""
    try:
        return work(sessions, *args)
    except (ClientError, BotoCoreError) as exc:
        return AwsError.of(exc)
    except Exception as exc:
        log.exception("unexpected failure in %s%r", work.__name__, args)
        return AwsError(type(exc).__name__, str(exc) or type(exc).__name__)


def prepare_account(
    sessions: SessionFactory,
    account_id: str,
    partition_regions: tuple[str, ...],
    partition: str = "aws",
) -> Prepared:
    """Assume the account's role and read which regions of ``partition`` it has enabled
    (``partition_regions`` are those botocore knows; newer enabled ones are kept too)."""
    if account_id != sessions.caller_account_id:
        try:
            sessions.credentials_for(account_id)
        except AssumeRoleError as exc:
            return Prepared(assume_error=AwsError(exc.error_code, exc.message))
    ec2 = sessions.client(account_id, "ec2", sessions.default_region)
    try:
        regions = enabled_regions(ec2, partition_regions, partition)
    except (ClientError, BotoCoreError) as exc:
        return Prepared(regions_error=AwsError.of(exc))
    if not regions:  # every account has regions that cannot be disabled: a malformed reply
        return Prepared(
            regions_error=AwsError("MalformedResponse", "DescribeRegions listed no enabled region")
        )
    return Prepared(regions=regions)


def read_trails(sessions: SessionFactory, account_id: str, region: str) -> TrailsRead:
    """The trails ``DescribeTrails`` lists in one account and region."""
    client = sessions.client(account_id, "cloudtrail", region)
    try:
        trails, malformed = describe_trails(client, region)
    except (ClientError, BotoCoreError) as exc:
        return TrailsRead(trails=[], error=AwsError.of(exc))
    return TrailsRead(trails=trails, malformed=len(malformed))


def read_health(sessions: SessionFactory, trail: Trail) -> TrailHealth:
    """GetTrailStatus and GetEventSelectors of one trail, by its owner, in its home region.

    The owner of an organization trail is the management account: members can neither list
    nor read it, so it is read there whatever the scope.
    """
    try:
        client = sessions.client(trail.account_id, "cloudtrail", trail.home_region)
    except AssumeRoleError as exc:
        error = AwsError(exc.error_code, f"cannot assume role in {trail.account_id}: {exc.message}")
        return TrailHealth(None, None, None, status_error=error, selectors_error=error)
    return read_trail_health(client, trail.trail_arn)


def list_buckets(sessions: SessionFactory, account_id: str) -> BucketsListed:
    """The buckets ``account_id`` owns."""
    try:
        client = sessions.client(account_id, "s3", sessions.default_region)
        return BucketsListed(owned=buckets.list_owned_buckets(client))
    except buckets.MalformedListing as exc:
        return BucketsListed(owned={}, error=AwsError("MalformedResponse", str(exc)))
    except AssumeRoleError as exc:
        return BucketsListed(owned={}, error=AwsError(exc.error_code, exc.message))
    except (ClientError, BotoCoreError) as exc:
        return BucketsListed(owned={}, error=AwsError.of(exc))


def read_bucket(sessions: SessionFactory, request: BucketRequest) -> BucketFacts:
    """Read the bucket's lock and versioning with the first candidate account allowed to."""
    bucket, owner, region = request.bucket, request.owner, request.region
    facts: BucketFacts | None = None
    for account_id in request.candidates:
        try:
            if account_id != sessions.caller_account_id:
                sessions.credentials_for(account_id)
        except AssumeRoleError as exc:
            facts = BucketFacts.unreadable(
                bucket,
                owner,
                region,
                AwsError("AccessDenied", f"cannot assume role in {account_id}: {exc.error_code}"),
            )
            continue

        def client_for(client_region: str, acting: str = account_id) -> Any:
            return sessions.client(acting, "s3", client_region)

        facts = buckets.read_bucket(
            client_for, bucket, owner, region, request.lookup_region, request.integrity
        )
        if facts.error_code not in ACCESS_DENIED_CODES:
            return facts
    return facts or BucketFacts.unreadable(
        bucket, owner, region, AwsError("AccessDenied", "no account of the scan can read it")
    )
