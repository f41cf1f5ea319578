"""Fixtures shared by every test folder: an offline, fake AWS environment for moto, the demo
organization for tests that only read it, and the ``orgscan`` logger given back after a CLI
test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from orgscan.aws.loader import new_session
from orgscan.simulate import SimulatedOrg, build_demo_org, demo_mock
from tests.environment import use_fake_aws
from tests.fake_org import fake_demo
from tests.logger_state import orgscan_logger_kept


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The e2e tests (subprocesses, the AWS CLI: the slowest) run first. pytest-xdist hands
    tests out in collection order, so a long test collected last keeps one worker busy while
    the other has nothing left to do."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS credentials and ``us-east-1`` for the test, and nothing else from the user's
    environment (profiles, endpoints, real keys, retry or moto settings). Start ``mock_aws``
    after this fixture."""
    use_fake_aws(monkeypatch)


@pytest.fixture(scope="session", autouse=True)
def private_runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A runtime folder of the test session (``XDG_RUNTIME_DIR``), so the lock files of the
    shared logs the tests write go to the session's temporary folder, not the machine's."""
    runtime = tmp_path_factory.mktemp("runtime")
    runtime.chmod(0o700)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_RUNTIME_DIR", str(runtime))
        yield runtime


@pytest.fixture(scope="session", autouse=True)
def shared_botocore_data() -> Iterator[None]:
    """boto3's default session, which moto replaces each time a mock starts, reads botocore's
    data files through the process's shared loader, as orgscan's own sessions do: each service
    model is parsed once per test process, not once per test."""

    def setup_default_session(**kwargs: Any) -> None:
        boto3.DEFAULT_SESSION = boto3.Session(botocore_session=new_session(), **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boto3, "setup_default_session", setup_default_session)
        yield


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


@pytest.fixture(scope="module")
def fake_demo_org() -> Iterator[SimulatedOrg]:
    """The demo organization answered by the in-process responder (see ``tests/fake_org.py``):
    for tests that only read it and need no moto server. Every session made meanwhile is
    answered by it, so a call it does not know fails the test."""
    with fake_demo() as simulated:
        yield simulated


@pytest.fixture
def restore_orgscan_logger() -> Iterator[None]:
    """Later tests get the ``orgscan`` logger back as it was before the test."""
    with orgscan_logger_kept():
        yield
