"""The fake AWS environment every test runs in: no real credentials, profile or endpoint."""

from __future__ import annotations

import os

import pytest

from orgscan.simulate.mock import fake_aws_environment

#: Fake credentials and a default region; moto answers them as account 123456789012.
FAKE_AWS_VARIABLES = fake_aws_environment("us-east-1")


def use_fake_aws(patch: pytest.MonkeyPatch) -> None:
    """Only fake AWS settings in the environment: every AWS_ and MOTO_ variable of the user
    (profiles, endpoints, keys, retry settings) is removed first."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "MOTO_")):
            patch.delenv(name)
    for name, value in FAKE_AWS_VARIABLES.items():
        patch.setenv(name, value)
