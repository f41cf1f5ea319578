"""Fixtures shared by every test folder: an offline, fake AWS environment for moto."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from orgscan.simulate.mock import fake_aws_environment
from tests.logger_state import orgscan_logger_kept

#: Fake credentials and a default region; moto answers them as account 123456789012.
FAKE_AWS_VARIABLES = fake_aws_environment("us-east-1")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS credentials and ``us-east-1`` for the test, and nothing else from the user's
    environment (profiles, endpoints, real keys, retry or moto settings). Start ``mock_aws``
    after this fixture."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "MOTO_")):
            monkeypatch.delenv(name)
    for name, value in FAKE_AWS_VARIABLES.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def restore_orgscan_logger() -> Iterator[None]:
    """Later tests get the ``orgscan`` logger back as it was before the test."""
    with orgscan_logger_kept():
        yield
