"""Reading trails from one DescribeTrails answer: which trails count for the region, and how."""

from __future__ import annotations

from typing import Any

from orgscan.collect.trails import describe_trails, parse_trail
from orgscan.facts import Trail

MGMT, MEMBER = "123456789012", "111122223333"


def raw(account: str, region: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "TrailARN": f"arn:aws:cloudtrail:{region}:{account}:trail/{name}",
        "HomeRegion": region,
        "S3BucketName": f"{name}-bucket",
        **extra,
    }


class FakeCloudTrail:
    def __init__(self, trails: list[dict[str, Any]]) -> None:
        self.trails = trails
        self.calls: list[dict[str, Any]] = []

    def describe_trails(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"trailList": self.trails}


def test_only_trails_that_record_the_region_count() -> None:
    client = FakeCloudTrail(
        [
            raw(MEMBER, "us-east-1", "home"),
            raw(MEMBER, "eu-west-1", "everywhere", IsMultiRegionTrail=True),
            raw(MGMT, "us-east-1", "org", IsMultiRegionTrail=True, IsOrganizationTrail=True),
            # A single-region trail of another region must not count here, even if listed.
            raw(MEMBER, "ap-southeast-2", "elsewhere"),
        ]
    )
    trails, malformed = describe_trails(client, "us-east-1")
    assert client.calls == [{"includeShadowTrails": True}]
    assert malformed == []
    assert [
        (t.trail_name, t.account_id, t.home_region, t.is_multi_region, t.is_organization_trail)
        for t in trails
    ] == [
        ("home", MEMBER, "us-east-1", False, False),
        ("everywhere", MEMBER, "eu-west-1", True, False),
        ("org", MGMT, "us-east-1", True, True),
    ]


def test_entries_without_arn_or_bucket_are_reported_not_dropped() -> None:
    client = FakeCloudTrail(
        [
            {"Name": "no-arn", "S3BucketName": "b", "HomeRegion": "us-east-1"},
            {**raw(MEMBER, "us-east-1", "no-bucket"), "S3BucketName": ""},
            raw(MEMBER, "us-east-1", "fine"),
        ]
    )
    trails, malformed = describe_trails(client, "us-east-1")
    assert [t.trail_name for t in trails] == ["fine"]
    assert len(malformed) == 2
    assert "no-arn" in malformed[0].description


def test_owner_and_home_come_from_the_arn_when_missing() -> None:
    entry = raw(MGMT, "eu-central-1", "org-trail", KmsKeyId="key", S3KeyPrefix="logs")
    del entry["HomeRegion"], entry["Name"]
    assert parse_trail(entry) == Trail(
        trail_arn=f"arn:aws:cloudtrail:eu-central-1:{MGMT}:trail/org-trail",
        trail_name="org-trail",
        account_id=MGMT,
        home_region="eu-central-1",
        is_organization_trail=False,
        is_multi_region=False,
        bucket_name="org-trail-bucket",
        s3_key_prefix="logs",
        kms_key_id="key",
    )
    assert parse_trail({**entry, "TrailARN": "not-an-arn"}) is None
