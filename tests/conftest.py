"""Fixtures shared by every test folder: an offline, fake AWS environment for moto."""

from __future__ import annotations

import os

import pytest

#: Variables that could reach a real account, a real endpoint or change retry behaviour.
AWS_VARIABLES_TO_CLEAR = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "MOTO_ACCOUNT_ID",
)

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


def use_fake_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point boto3 at fake credentials and nothing else (no profile, endpoint or real keys)."""
    for name in AWS_VARIABLES_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_AWS_VARIABLES.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS credentials and ``us-east-1`` for the test; start ``mock_aws`` after this."""
    use_fake_aws(monkeypatch)
