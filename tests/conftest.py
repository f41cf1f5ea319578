"""Fixtures shared by every test folder: an offline, fake AWS environment for moto."""

from __future__ import annotations

import pytest

from tests.environment import use_fake_aws


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS credentials and ``us-east-1`` for the test, and nothing else from the user's
    environment (profiles, endpoints, real keys, retry or moto settings). Start ``mock_aws``
    after this fixture."""
    use_fake_aws(monkeypatch)
