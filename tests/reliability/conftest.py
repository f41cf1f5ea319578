"""Fixtures of the reliability tests: the demo organization in moto, scans with faults injected,
and retries without their back-off sleeps (the retry logic itself stays botocore's)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.retries.standard import ExponentialBackoff

from orgscan.aws.sessions import SessionFactory
from orgscan.config import ScanSettings, build_settings
from orgscan.model import ScanResult
from orgscan.scan import scan_organization
from orgscan.simulate import SimulatedOrg, build_demo_org, demo_mock
from tests.conftest import FAKE_AWS_VARIABLES
from tests.reliability.faults import FaultInjector

#: Attempts per call in these tests (botocore's standard mode default is 3 too).
MAX_ATTEMPTS = 3
#: The caller's credentials in the demo world: recognisable, so a leak can be found by grep.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAORGSCANLEAKTEST7",
    "AWS_SECRET_ACCESS_KEY": "orgscan/secret+NEVER-WRITE-ME/0123456789abcdef",
    "AWS_SESSION_TOKEN": "orgscan-session-token-NEVER-WRITE-ME-FwoGZXIvYXdzEJr",
}


def use_fake_aws(patch: pytest.MonkeyPatch) -> None:
    """Only fake AWS settings in the environment: every AWS_ and MOTO_ variable of the user
    (profiles, endpoints, keys, retry settings) is removed first."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "MOTO_")):
            patch.delenv(name)
    for name, value in FAKE_AWS_VARIABLES.items():
        patch.setenv(name, value)


@pytest.fixture(autouse=True)
def no_backoff_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries happen as botocore decides, without waiting between attempts."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


@dataclass
class DemoWorld:
    """The demo organization in an active mock, and a fault-free scan of it."""

    org: SimulatedOrg
    baseline: ScanResult = field(init=False)
    #: The calls of the baseline scan.
    baseline_calls: FaultInjector = field(default_factory=FaultInjector)

    def account(self, name: str) -> str:
        """The id of the demo account called ``name``."""
        return self.org.accounts[name]

    def trail_arn(self, name: str) -> str:
        """The ARN of the demo trail called ``name``."""
        return self.org.trail(name).trail_arn

    def settings(self, **overrides: Any) -> ScanSettings:
        """The demo's scan settings; sandbox-bob (whose bucket nobody may read) is left out,
        so that a fault-free scan is complete and has no ERROR finding."""
        values: dict[str, Any] = {
            "regions": list(self.org.regions), "workers": 8,
            "min_retention_days": self.org.policy.min_retention_days,
            "require_mode": self.org.policy.require_mode.value,
            "exclude_accounts": [self.account("sandbox-bob")],
        }
        return build_settings(None, values | overrides)

    def sessions(self, faults: FaultInjector, settings: ScanSettings) -> SessionFactory:
        """A session factory for a scan with ``faults`` injected."""
        return SessionFactory(role_name=settings.role_name, external_id=settings.external_id,
                              role_session_name=settings.role_session_name,
                              max_pool_connections=settings.workers, max_attempts=MAX_ATTEMPTS,
                              configure_session=faults.configure)

    def scan(self, faults: FaultInjector | None = None, **overrides: Any) -> ScanResult:
        """Scan the demo organization with ``faults`` injected."""
        settings = self.settings(**overrides)
        return scan_organization(settings, self.sessions(faults or FaultInjector(), settings))


@pytest.fixture(scope="module")
def demo_world() -> Iterator[DemoWorld]:
    """The demo organization, built once per module (scans only read it)."""
    with pytest.MonkeyPatch.context() as patch:
        use_fake_aws(patch)
        patch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
        with demo_mock():
            for name, value in FAKE_CREDENTIALS.items():
                patch.setenv(name, value)
            org = build_demo_org()
            world = DemoWorld(org)
            world.baseline = world.scan(world.baseline_calls)
            yield world


@pytest.fixture
def moto_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """One account with a PASS, a WARN and a FAIL trail in an in-process moto (the run-folder
    tests scan it into output folders they then damage)."""
    from moto import mock_aws

    from tests.ops.conftest import build_account, fake_aws

    fake_aws(monkeypatch)
    with mock_aws():
        build_account()
        yield
