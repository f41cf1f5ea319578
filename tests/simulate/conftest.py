"""Fixtures of the simulated-organization tests: the demo organization built in a fresh mock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from orgscan.simulate import SimulatedOrg, build_demo_org, demo_mock


@pytest.fixture(scope="module")
def demo_org() -> Iterator[SimulatedOrg]:
    """The demo organization, built once per module inside ``demo_mock``, which stays active.

    Tests using it only read: one build serves them all.
    """
    with demo_mock():
        yield build_demo_org()


def client_as(account_id: str, service: str, region: str = "us-east-1") -> Any:
    """A client acting in ``account_id`` (through the organization's access role)."""
    sts = boto3.client("sts", region_name="us-east-1")
    issued = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
        RoleSessionName="test",
    )["Credentials"]
    return boto3.client(
        service,
        region_name=region,
        aws_access_key_id=issued["AccessKeyId"],
        aws_secret_access_key=issued["SecretAccessKey"],
        aws_session_token=issued["SessionToken"],
    )
