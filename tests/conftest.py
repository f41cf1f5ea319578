"""Fixtures shared by every test folder: an offline, fake AWS environment for moto."""

from __future__ import annotations

import os

import pytest

#: Fake credentials and a default region; moto answers them as account 123456789012.
FAKE_AWS_VARIABLES = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    # Never wait for an instance metadata service that is not there.
    "AWS_EC2_METADATA_DISABLED": "true",
    # moto loads thousands of AMIs per account on the first EC2 call; no test needs them.
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}


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
