"""The same organization, ids and ARNs on every build: in-process and in a moto server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from orgscan.errors import InputError
from orgscan.simulate import (
    DEMO_SEED,
    SimulatedOrg,
    build_demo_org,
    build_scale_org,
    demo_mock,
    reset_moto_server,
    seed_moto,
)
from orgscan.simulate.mock import patched_environ
from tests.simulate.clients import client_as


@pytest.fixture(scope="module")
def reference() -> SimulatedOrg:
    """The demo organization built in a fresh mock, to compare other builds with."""
    with demo_mock():
        return build_demo_org()


def test_two_demo_builds_in_fresh_mocks_are_identical(reference: SimulatedOrg) -> None:
    with demo_mock():
        assert build_demo_org() == reference
        with pytest.raises(InputError, match="already holds an organization"):
            build_demo_org()
    assert len(set(reference.accounts.values())) == len(reference.accounts)


def test_the_builder_reseeds_even_after_other_random_draws(reference: SimulatedOrg) -> None:
    with demo_mock():
        seed_moto(1)  # something else drew from moto's generator first
        assert build_demo_org() == reference


def test_another_seed_gives_other_ids(reference: SimulatedOrg) -> None:
    with demo_mock():
        other = build_demo_org(seed=DEMO_SEED + 1)
    assert set(other.accounts) == set(reference.accounts)
    assert other.accounts["log-archive"] != reference.accounts["log-archive"]


def test_scale_builds_repeat() -> None:
    with demo_mock():
        first = build_scale_org(5, regions=("us-east-1", "eu-west-1"), seed=3)
    with demo_mock():
        second = build_scale_org(5, regions=("us-east-1", "eu-west-1"), seed=3)
    assert first == second


def test_demo_mock_sets_and_restores_the_environment() -> None:
    sentinel = {"AWS_PROFILE": "prod-admin", "MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS": None}
    with patched_environ(sentinel):
        with demo_mock(region="eu-west-1"):
            assert "AWS_PROFILE" not in os.environ
            assert os.environ["AWS_DEFAULT_REGION"] == "eu-west-1"
            assert os.environ["MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS"] == "false"
            assert os.environ["AWS_ACCESS_KEY_ID"]
        assert os.environ["AWS_PROFILE"] == "prod-admin"
        assert "MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS" not in os.environ


@pytest.fixture
def moto_server() -> Iterator[str]:
    """A moto server on a free port; yields its endpoint."""
    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _build_against(endpoint: str) -> SimulatedOrg:
    reset_moto_server(endpoint)
    environment = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PROFILE": None,
        "AWS_SESSION_TOKEN": None,
        "MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS": "false",
    }
    with patched_environ(environment):
        return build_demo_org()


def test_a_moto_server_gives_the_same_organization(
    moto_server: str, reference: SimulatedOrg
) -> None:
    assert _build_against(moto_server) == reference
    assert _build_against(moto_server) == reference


def test_refuses_to_build_outside_moto_default_account() -> None:
    with demo_mock():
        other = client_as("210987654321", "sts")
        identity = other.get_caller_identity()
        assert identity["Account"] == "210987654321"

        def as_other_account(service: str, region: str, credentials: object) -> Any:
            # Every client, the "caller's own" included, acts in another account.
            return client_as("210987654321", service, region)

        with pytest.raises(InputError, match="built only in moto"):
            build_demo_org(clients=as_other_account)
        with pytest.raises(ClientError, match="AWSOrganizationsNotInUseException"):
            boto3.client("organizations").describe_organization()
