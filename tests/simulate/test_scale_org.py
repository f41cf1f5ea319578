"""The seeded scale organization: counts, spread and consistency with what moto holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import boto3
import pytest

from orgscan.model import ReasonCode
from orgscan.simulate import DEFAULT_REGIONS, SimulatedOrg, build_scale_org, demo_mock
from orgscan.simulate.scale import CENTRAL_BUCKET, scale_spec
from tests.simulate.clients import client_as

REGIONS = ("us-east-1", "eu-west-1", "ap-northeast-1")
N = 20
SEED = 2


def test_default_regions_are_the_17_commercial_ones() -> None:
    assert len(DEFAULT_REGIONS) == len(set(DEFAULT_REGIONS)) == 17
    assert all(not r.startswith(("cn-", "us-gov-")) for r in DEFAULT_REGIONS)


@pytest.fixture(scope="module")
def scale_org() -> Iterator[SimulatedOrg]:
    """20 workload accounts over three regions; seed 2 gives every reason and closed accounts."""
    with demo_mock():
        yield build_scale_org(N, regions=REGIONS, seed=SEED)


def test_scale_org_counts(scale_org: SimulatedOrg) -> None:
    spec = scale_spec(N, regions=REGIONS, seed=SEED)
    listed = boto3.client("organizations").list_accounts()["Accounts"]
    assert len(listed) == len(scale_org.accounts) == N + 2  # workloads, management, log-archive
    assert len([name for name in scale_org.accounts if name.startswith("workload-")]) == N
    spec_trails = sum(len(account.trails) for account in spec.all_accounts)
    assert len(scale_org.trails) + len(scale_org.skipped_trails) == spec_trails
    per_account = Counter(t.account_id for t in scale_org.trails)
    assert all(1 <= count <= 3 for count in per_account.values())
    assert {t.home_region for t in scale_org.trails} <= set(REGIONS)
    assert set(scale_org.ou_paths.values()) >= {"/Root", "/Root/Security"}
    assert scale_org.trail("acme-org-trail").is_organization_trail


def test_closed_accounts_are_suspended_and_skipped(scale_org: SimulatedOrg) -> None:
    listed = boto3.client("organizations").list_accounts()["Accounts"]
    suspended = {a["Id"] for a in listed if a["State"] == "SUSPENDED"}
    assert suspended == scale_org.closed_account_ids
    assert len(suspended) == 2
    assert not {t.account_id for t in scale_org.trails} & suspended
    assert {arn.split(":")[4] for arn in scale_org.skipped_trails} == suspended


def test_every_expected_trail_exists_in_moto(scale_org: SimulatedOrg) -> None:
    for trail in scale_org.trails:
        if trail.account_id == scale_org.management_account_id:
            continue
        client = client_as(trail.account_id, "cloudtrail", trail.home_region)
        found = {t["TrailARN"]: t for t in client.describe_trails()["trailList"]}
        assert found[trail.trail_arn]["S3BucketName"] == trail.bucket_name


def test_scale_org_shows_every_reason_a_scan_can_judge(scale_org: SimulatedOrg) -> None:
    assert {t.expected_reason for t in scale_org.trails} == {
        ReasonCode.COMPLIANT,
        ReasonCode.LOCK_NOT_CONFIGURED,
        ReasonCode.NO_DEFAULT_RETENTION,
        ReasonCode.RETENTION_TOO_SHORT,
        ReasonCode.BUCKET_MISSING,
    }


def test_central_share_and_lock_mix_follow_the_arguments() -> None:
    spec = scale_spec(400, regions=REGIONS, central_share=0.4, seed=1)
    trails = [t for account in spec.members for t in account.trails]
    central = sum(t.bucket == CENTRAL_BUCKET for t in trails) / len(trails)
    assert 0.35 < central < 0.45
    assert 0.15 < sum(t.multi_region for t in trails) / len(trails) < 0.35
    none_central = scale_spec(50, regions=REGIONS, central_share=0.0, seed=1)
    assert all(t.bucket != CENTRAL_BUCKET for a in none_central.members for t in a.trails)
    assert scale_spec(30, seed=5) == scale_spec(30, seed=5)
    assert scale_spec(30, seed=5) != scale_spec(30, seed=6)


@pytest.mark.parametrize(
    ("n", "kwargs", "message"),
    [
        (-1, {}, "negative"),
        (3, {"trails_per_account": (2, 1)}, "low <= high"),
        (3, {"regions": ()}, "at least one region"),
    ],
)
def test_bad_scale_arguments(n: int, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        scale_spec(n, **kwargs)  # type: ignore[arg-type]
