"""The session factory: one AssumeRole per account, refreshed before expiry, shared clients."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orgscan.aws.sessions import AssumeRoleError, SessionFactory
from tests.faults import FaultInjector, on

CALLER = "123456789012"  # moto's account for unknown credentials
MEMBER = "111122223333"
OTHER = "444455556666"


class AssumeRoleLog:
    """Every AssumeRole request body the factory sends."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def register(self, session: Any) -> None:
        session.register("before-call.sts.AssumeRole", self._record)

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        with self.lock:
            self.bodies.append(dict(params["body"]))


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


def test_the_caller_uses_its_own_credentials_and_members_assume_the_role(moto: None) -> None:
    log = AssumeRoleLog()
    sessions = SessionFactory(
        role_name="AuditRole",
        external_id="ext-1234",
        role_session_name="nightly-audit",
        configure_session=log.register,
    )
    assert sessions.caller_account_id == CALLER
    sessions.client(CALLER, "s3", "us-east-1").list_buckets()
    assert log.bodies == []
    sessions.client(MEMBER, "s3", "us-east-1").list_buckets()
    sessions.client(MEMBER, "cloudtrail", "eu-west-1").describe_trails()
    assert [
        (b["RoleArn"], b["RoleSessionName"], b["ExternalId"], b["DurationSeconds"])
        for b in log.bodies
    ] == [(f"arn:aws:iam::{MEMBER}:role/AuditRole", "nightly-audit", "ext-1234", 3600)]


def test_calls_act_in_the_member_account(moto: None) -> None:
    sessions = SessionFactory()
    sessions.client(MEMBER, "s3", "us-east-1").create_bucket(Bucket="member-bucket")
    assert [
        b["Name"] for b in sessions.client(MEMBER, "s3", "us-east-1").list_buckets()["Buckets"]
    ] == ["member-bucket"]
    assert sessions.client(CALLER, "s3", "us-east-1").list_buckets()["Buckets"] == []
    assert sessions.client(OTHER, "s3", "us-east-1").list_buckets()["Buckets"] == []
    identity = sessions.client(MEMBER, "sts", "us-east-1").get_caller_identity()
    assert identity["Account"] == MEMBER
    pages = sessions.client(MEMBER, "s3", "us-east-1").get_paginator("list_buckets").paginate()
    assert [b["Name"] for page in pages for b in page["Buckets"]] == ["member-bucket"]


def test_clients_are_shared_across_accounts(moto: None) -> None:
    sessions = SessionFactory()
    for account in (CALLER, MEMBER, OTHER):
        for region in ("us-east-1", "eu-west-1"):
            sessions.client(account, "s3", region)
            sessions.client(account, "cloudtrail", region)
    # sts for the caller's identity and the role, then one client per (service, region).
    assert sessions.clients_created == 1 + 4


def test_one_assume_role_per_account_under_threads(moto: None) -> None:
    log = AssumeRoleLog()
    sessions = SessionFactory(configure_session=log.register)
    sessions.identify()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: sessions.credentials_for([MEMBER, OTHER][i % 2]), range(64)))
    assert sorted(b["RoleArn"].split(":")[4] for b in log.bodies) == [MEMBER, OTHER]


def test_credentials_are_refreshed_before_they_expire(moto: None) -> None:
    log = AssumeRoleLog()
    sessions = SessionFactory(configure_session=log.register)
    credentials = sessions.credentials_for(MEMBER)
    first_key = credentials.get_frozen_credentials().access_key
    # As if an hour had passed: the token is about to expire (botocore keeps it in a private
    # attribute, which its stubs leave out).
    credentials._expiry_time = datetime.now(UTC) + timedelta(seconds=30)  # type: ignore[attr-defined]
    identity = sessions.client(MEMBER, "sts", "us-east-1").get_caller_identity()
    assert identity["Account"] == MEMBER
    assert len(log.bodies) == 2
    assert credentials.get_frozen_credentials().access_key != first_key
    assert credentials._expiry_time > datetime.now(UTC) + timedelta(minutes=30)  # type: ignore[attr-defined]


def test_a_denied_role_raises_with_the_aws_code(moto: None) -> None:
    faults = FaultInjector()
    faults.error(on("sts", "AssumeRole"), "AccessDenied", 403, message="no trust")
    sessions = SessionFactory(configure_session=faults.configure)
    with pytest.raises(AssumeRoleError) as caught:
        sessions.client(MEMBER, "s3", "us-east-1")
    assert (caught.value.account_id, caught.value.error_code, caught.value.message) == (
        MEMBER,
        "AccessDenied",
        "no trust",
    )


def test_the_default_region_comes_from_the_environment(
    moto: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    assert SessionFactory().default_region == "eu-west-1"
    assert boto3.client("sts").meta.region_name == "eu-west-1"
