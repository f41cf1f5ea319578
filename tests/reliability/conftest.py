"""Fixtures of the reliability tests: the demo organization, scans with faults injected,
and retries without their back-off sleeps (the retry logic itself stays botocore's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.retries.standard import ExponentialBackoff

from orgscan.simulate.demo import demo_spec
from orgscan.simulate.fakeaws import FakeAws
from tests.fake_org import answered_by
from tests.reliability.world import FAKE_CREDENTIALS, DemoWorld


@pytest.fixture(autouse=True)
def no_backoff_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries happen as botocore decides, without waiting between attempts."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


@pytest.fixture(scope="module")
def demo_world() -> Iterator[DemoWorld]:
    """The demo organization, answered by the in-process responder (scans only read it; faults
    are injected ahead of it), built once per module."""
    fake = FakeAws(demo_spec())
    with answered_by(fake), pytest.MonkeyPatch.context() as patch:
        patch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
        for name, value in FAKE_CREDENTIALS.items():
            patch.setenv(name, value)
        world = DemoWorld(fake.simulated_org())
        world.baseline = world.scan(world.baseline_calls)
        yield world


@pytest.fixture
def moto_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """One account with a PASS, a WARN and a FAIL trail in an in-process moto (the run-folder
    tests scan it into output folders they then damage)."""
    from moto import mock_aws

    from tests.ops.accounts import build_account, fake_aws

    fake_aws(monkeypatch)
    with mock_aws():
        build_account()
        yield
