"""Regions as real AWS gives them, STS endpoints, SCP denials and the Organizations walk."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from orgscan.aws.organization import discover_organization
from orgscan.aws.regions import (
    enabled_regions,
    in_partition,
    means_region_disabled,
    region_failure_code,
)
from orgscan.aws.sessions import SessionFactory
from orgscan.error_codes import DENIED_BY_ORGANIZATION_POLICY


class _Regions:
    def __init__(self, regions: list[dict[str, str]]) -> None:
        self.regions = regions

    def describe_regions(self) -> dict[str, Any]:
        return {"Regions": self.regions}


def test_a_region_newer_than_botocore_is_scanned_when_enabled() -> None:
    client = _Regions(
        [
            {"RegionName": "us-east-1", "OptInStatus": "opt-in-not-required"},
            {"RegionName": "ap-future-9", "OptInStatus": "opted-in"},  # not in the static list
            {"RegionName": "me-south-1", "OptInStatus": "not-opted-in"},
            {"RegionName": "us-gov-west-1", "OptInStatus": "opt-in-not-required"},  # moto lists it
            {"RegionName": "cn-north-1"},
        ]
    )
    assert enabled_regions(client, ["us-east-1", "me-south-1"], "aws") == [
        "ap-future-9",
        "us-east-1",
    ]
    assert enabled_regions(client, ["us-gov-west-1"], "aws-us-gov") == ["us-gov-west-1"]


@pytest.mark.parametrize(
    ("region", "partition", "belongs"),
    [
        ("eu-central-3", "aws", True),
        ("us-gov-east-1", "aws", False),
        ("us-gov-east-1", "aws-us-gov", True),
        ("cn-northwest-1", "aws-cn", True),
        ("mars-1", "aws", False),
        ("eu-west-1\n", "aws", False),
        ("eu-west-123", "aws", False),
        # AWS European Sovereign Cloud: a four-letter location prefix, partition aws-eusc.
        ("eusc-de-east-1", "aws-eusc", True),
        ("eusc-de-east-1", "aws", False),
        ("eusc-de-east-1\n", "aws-eusc", False),
    ],
)
def test_partition_of_a_region_name(region: str, partition: str, belongs: bool) -> None:
    assert in_partition(region, partition) is belongs


def test_an_explicit_scp_deny_has_its_own_code() -> None:
    message = (
        "User: arn:aws:sts::222222222222:assumed-role/Scan/orgscan is not authorized to "
        "perform: cloudtrail:DescribeTrails with an explicit deny in a service control "
        "policy"
    )
    assert region_failure_code("AccessDeniedException", message) == DENIED_BY_ORGANIZATION_POLICY
    assert region_failure_code("AccessDeniedException", "not authorized") == "AccessDeniedException"


def test_an_auth_failure_in_an_enabled_region_is_not_a_disabled_region() -> None:
    assert means_region_disabled("InvalidClientTokenId", known_enabled=False)
    assert not means_region_disabled("InvalidClientTokenId", known_enabled=True)
    assert not means_region_disabled("AccessDenied", known_enabled=False)


def test_sts_is_called_at_the_regional_endpoint(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy")  # an old default, overridden
    sessions = SessionFactory()
    client = sessions.shared_client("sts", "ap-southeast-3")
    assert client.meta.endpoint_url == "https://sts.ap-southeast-3.amazonaws.com"
    assert (
        sessions.shared_client("sts", "us-east-1").meta.endpoint_url
        == "https://sts.us-east-1.amazonaws.com"
    )


class _WideOrganization:
    """Organizations with 30 OUs under the root; counts calls in flight."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.most = 0

    def describe_organization(self) -> dict[str, Any]:
        return {"Organization": {"Id": "o-abc", "MasterAccountId": "111111111111"}}

    def list_roots(self) -> dict[str, Any]:
        return {"Roots": [{"Id": "r-abcd", "Name": "Root"}]}

    def get_paginator(self, name: str) -> Any:
        outer = self

        class _Pages:
            def paginate(self, ParentId: str) -> list[dict[str, Any]]:
                with outer.lock:
                    outer.now += 1
                    outer.most = max(outer.most, outer.now)
                time.sleep(0.002)  # long enough for calls to overlap if they may
                with outer.lock:
                    outer.now -= 1
                if name == "list_organizational_units_for_parent":
                    ous = (
                        [{"Id": f"ou-abcd-{n:08d}", "Name": f"ou{n}"} for n in range(30)]
                        if ParentId == "r-abcd"
                        else []
                    )
                    return [{"OrganizationalUnits": ous}]
                number = int(ParentId[-8:]) if ParentId.startswith("ou-") else 99
                return [{"Accounts": [{"Id": f"{number:012d}", "Name": "a", "State": "ACTIVE"}]}]

        return _Pages()


def test_the_ou_walk_keeps_few_organizations_calls_in_flight() -> None:
    client = _WideOrganization()
    with ThreadPoolExecutor(32) as pool:
        organization = discover_organization(client, pool, in_flight=4)
    assert len(organization.accounts) == 31
    assert {a.ou_path for a in organization.accounts} >= {"/Root", "/Root/ou7"}
    assert client.most <= 4
