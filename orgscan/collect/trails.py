"""Trails: ``DescribeTrails`` in one region of one account, shadow trails included.

With ``includeShadowTrails`` (the default) a region answers with every trail that records its
activity: trails homed there, multi-region trails homed elsewhere and, in a member account, the
organization trail. The caller de-duplicates by ARN across the organization.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orgscan.identifiers import ACCOUNT_ID_RE
from orgscan.model import Trail


@dataclass(frozen=True)
class MalformedTrail:
    """A trail entry without the keys a finding needs (kept so nothing vanishes silently)."""

    description: str


def describe_trails(client: Any, region: str) -> tuple[list[Trail], list[MalformedTrail]]:
    """Every trail that records activity in ``region``; raises botocore errors."""
    reply = client.describe_trails(includeShadowTrails=True)
    trails: list[Trail] = []
    malformed: list[MalformedTrail] = []
    for raw in reply.get("trailList") or []:
        trail = parse_trail(raw)
        if trail is None:
            malformed.append(MalformedTrail(description=repr(raw)[:200]))
        elif trail.records_activity_in(region):
            trails.append(trail)
    return trails, malformed


def parse_trail(raw: dict[str, Any]) -> Trail | None:
    """A ``Trail`` from one ``trailList`` entry, or None when ARN or bucket is missing."""
    arn = raw.get("TrailARN")
    bucket = raw.get("S3BucketName")
    if not isinstance(arn, str) or not isinstance(bucket, str) or not bucket:
        return None
    parts = arn.split(":")
    # The owner's id names files (remediation/<account>.sh): only a real account id will do.
    if len(parts) < 6 or not ACCOUNT_ID_RE.match(parts[4]):
        return None
    home_region = raw.get("HomeRegion") or parts[3]
    name = raw.get("Name") or parts[5].split("/", 1)[-1]
    return Trail(
        trail_arn=arn,
        trail_name=str(name),
        account_id=parts[4],
        home_region=str(home_region),
        is_organization_trail=bool(raw.get("IsOrganizationTrail", False)),
        is_multi_region=bool(raw.get("IsMultiRegionTrail", False)),
        bucket_name=bucket,
        s3_key_prefix=raw.get("S3KeyPrefix"),
        kms_key_id=raw.get("KmsKeyId"),
    )
