"""The demo organization: structure, buckets and the verdict each trail must get."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from orgscan.model import Policy, ReasonCode
from orgscan.simulate import DEMO_REGIONS, SimulatedOrg
from orgscan.simulate.demo import CENTRAL_BUCKET, PARTNER_ACCOUNT_ID
from tests.simulate.clients import client_as

EXPECTED = {
    "acme-org-trail": ReasonCode.COMPLIANT,
    "payments-prod-trail": ReasonCode.LOCK_NOT_CONFIGURED,
    "orders-prod-trail": ReasonCode.COMPLIANT,
    "identity-prod-trail": ReasonCode.COMPLIANT,
    "analytics-prod-trail": ReasonCode.COMPLIANT,
    "payments-dev-trail": ReasonCode.NO_DEFAULT_RETENTION,
    "orders-dev-trail": ReasonCode.RETENTION_TOO_SHORT,
    "sandbox-alice-trail": ReasonCode.BUCKET_MISSING,
    "sandbox-bob-trail": ReasonCode.BUCKET_OUTSIDE_ORGANIZATION,
    "log-archive-trail": ReasonCode.COMPLIANT,
    "audit-prod-trail": ReasonCode.COMPLIANT,
    "billing-prod-trail": ReasonCode.COMPLIANT,
    "legacy-prod-trail": ReasonCode.COMPLIANT,
}


def _ou_path(org: SimulatedOrg, account_id: str) -> str:
    """The account's OU path as Organizations reports it, read parent by parent."""
    client = boto3.client("organizations", region_name="us-east-1")
    names: list[str] = []
    child = account_id
    while True:
        parent = client.list_parents(ChildId=child)["Parents"][0]
        if parent["Type"] == "ROOT":
            names.append(client.list_roots()["Roots"][0]["Name"])
            break
        names.append(
            client.describe_organizational_unit(OrganizationalUnitId=parent["Id"])[
                "OrganizationalUnit"
            ]["Name"]
        )
        child = parent["Id"]
    return "/" + "/".join(reversed(names))


def test_expected_reasons_cover_every_case(demo_org: SimulatedOrg) -> None:
    assert {trail.name: trail.expected_reason for trail in demo_org.trails} == EXPECTED
    assert demo_org.policy == Policy(min_retention_days=90, require_log_file_validation=True)
    assert demo_org.regions == DEMO_REGIONS


def test_ou_paths_match_organizations(demo_org: SimulatedOrg) -> None:
    assert demo_org.ou_paths[demo_org.accounts["payments-prod"]] == "/Root/Workloads/Prod"
    assert demo_org.ou_paths[demo_org.log_archive_account_id] == "/Root/Security"
    for account_id, path in demo_org.ou_paths.items():
        assert _ou_path(demo_org, account_id) == path


def test_accounts_and_states(demo_org: SimulatedOrg) -> None:
    client = boto3.client("organizations", region_name="us-east-1")
    listed = {
        account["Id"]: (account["Name"], account["State"])
        for page in client.get_paginator("list_accounts").paginate()
        for account in page["Accounts"]
    }
    assert {name: listed[account_id][0] for name, account_id in demo_org.accounts.items()} == {
        name: name for name in demo_org.accounts
    }
    assert set(listed) == set(demo_org.accounts.values())
    assert len(listed) == 17
    assert demo_org.closed_account_ids == {demo_org.accounts["sandbox-legacy"]}
    assert {i for i, (_, state) in listed.items() if state == "SUSPENDED"} == {
        demo_org.accounts["sandbox-legacy"]
    }
    assert demo_org.management_account_id == "123456789012"
    assert PARTNER_ACCOUNT_ID not in listed
    assert demo_org.outside_accounts == {"partner-siem": PARTNER_ACCOUNT_ID}


def test_central_bucket_is_locked_and_only_its_owner_reads_it(demo_org: SimulatedOrg) -> None:
    owner = client_as(demo_org.log_archive_account_id, "s3")
    config = owner.get_object_lock_configuration(Bucket=CENTRAL_BUCKET)["ObjectLockConfiguration"]
    assert config["ObjectLockEnabled"] == "Enabled"
    assert config["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"
    assert config["Rule"]["DefaultRetention"]["Days"] == 365
    assert owner.list_objects_v2(Bucket=CENTRAL_BUCKET)["KeyCount"] == 0
    for other in (demo_org.accounts["identity-prod"], demo_org.management_account_id):
        s3 = client_as(other, "s3") if other != "123456789012" else boto3.client("s3")
        with pytest.raises(ClientError) as denied:
            s3.get_object_lock_configuration(Bucket=CENTRAL_BUCKET)
        assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_trails_exist_where_the_data_says(demo_org: SimulatedOrg) -> None:
    for trail in demo_org.trails:
        client = client_as(trail.account_id, "cloudtrail", trail.home_region)
        if trail.account_id == demo_org.management_account_id:
            client = boto3.client("cloudtrail", region_name=trail.home_region)
        (found,) = [
            t
            for t in client.describe_trails(includeShadowTrails=False)["trailList"]
            if t["TrailARN"] == trail.trail_arn
        ]
        assert found["S3BucketName"] == trail.bucket_name
        assert found["IsMultiRegionTrail"] == trail.is_multi_region
        assert found["IsOrganizationTrail"] == trail.is_organization_trail
    assert demo_org.trail("analytics-prod-trail").home_region == "eu-west-1"
    assert demo_org.trail("analytics-prod-trail").is_multi_region
    assert demo_org.trail("identity-prod-trail").bucket_name == CENTRAL_BUCKET


def test_bucket_states_behind_the_failing_reasons(demo_org: SimulatedOrg) -> None:
    alice = client_as(demo_org.accounts["sandbox-alice"], "s3")
    with pytest.raises(ClientError) as missing:
        alice.head_bucket(Bucket="acme-sandbox-alice-cloudtrail")
    assert missing.value.response["Error"]["Code"] == "404"
    payments = client_as(demo_org.accounts["payments-prod"], "s3")
    with pytest.raises(ClientError) as unlocked:
        payments.get_object_lock_configuration(Bucket="acme-payments-prod-cloudtrail")
    assert unlocked.value.response["Error"]["Code"] == "ObjectLockConfigurationNotFoundError"
    dev = client_as(demo_org.accounts["payments-dev"], "s3")
    config = dev.get_object_lock_configuration(Bucket="acme-payments-dev-cloudtrail")
    assert config["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    assert "Rule" not in config["ObjectLockConfiguration"]
    partner = client_as(PARTNER_ACCOUNT_ID, "s3")
    assert [b["Name"] for b in partner.list_buckets()["Buckets"]] == [
        "partner-siem-cloudtrail-intake"
    ]
    # No account is left with a helper bucket from building the trails.
    bob = client_as(demo_org.accounts["sandbox-bob"], "s3")
    assert bob.list_buckets()["Buckets"] == []


def test_skipped_trails_exist_but_are_not_findings(demo_org: SimulatedOrg) -> None:
    carol = demo_org.accounts["sandbox-carol"]
    legacy = demo_org.accounts["sandbox-legacy"]
    carol_arn = f"arn:aws:cloudtrail:ap-southeast-2:{carol}:trail/sandbox-carol-trail"
    legacy_arn = f"arn:aws:cloudtrail:us-east-1:{legacy}:trail/sandbox-legacy-trail"
    assert set(demo_org.skipped_trails) == {carol_arn, legacy_arn}
    assert "ap-southeast-2" in demo_org.skipped_trails[carol_arn]
    assert "closed" in demo_org.skipped_trails[legacy_arn]
    assert not set(demo_org.skipped_trails) & set(demo_org.expected_reasons)
    trails = client_as(carol, "cloudtrail", "ap-southeast-2").describe_trails()["trailList"]
    assert [t["TrailARN"] for t in trails] == [carol_arn]
