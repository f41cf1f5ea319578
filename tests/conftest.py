"""Fixtures shared by every test folder: an offline, fake AWS environment for moto, and the
demo organization for tests that only read it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orgscan.simulate import SimulatedOrg, build_demo_org, demo_mock
from tests.environment import use_fake_aws


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS credentials and ``us-east-1`` for the test, and nothing else from the user's
    environment (profiles, endpoints, real keys, retry or moto settings). Start ``mock_aws``
    after this fixture."""
    use_fake_aws(monkeypatch)


@pytest.fixture(scope="module")
def demo_org() -> Iterator[SimulatedOrg]:
    """The demo organization inside ``demo_mock`` (cross-account S3 reads denied).

    Built once per module because scans only read it; tests that change moto state build
    their own organization.
    """
    with pytest.MonkeyPatch.context() as patch:
        # The first EC2 call per account would load thousands of AMIs no test needs.
        patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        for name in ("AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "MOTO_ACCOUNT_ID"):
            patch.delenv(name, raising=False)
        with demo_mock():
            yield build_demo_org()
