"""Fixtures of the tests of unattended runs: a small account in moto with one trail per status."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from tests.ops.accounts import Account, build_account, fake_aws


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    """The test account, built in a fresh in-process moto for each test."""
    fake_aws(monkeypatch)
    with mock_aws():
        yield build_account()
