"""The demo world of the reliability tests: the demo organization in moto, and scans of it
with faults injected."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orgscan.aws.sessions import SessionFactory
from orgscan.config import ScanSettings, build_settings
from orgscan.model import ScanResult
from orgscan.scan import scan_organization
from orgscan.simulate import SimulatedOrg
from tests.faults import FaultInjector

#: Attempts per call in these tests (botocore's standard mode default is 3 too).
MAX_ATTEMPTS = 3
#: The caller's credentials in the demo world: recognisable, so a leak can be found by grep.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAORGSCANLEAKTEST7",
    "AWS_SECRET_ACCESS_KEY": "orgscan/secret+NEVER-WRITE-ME/0123456789abcdef",
    "AWS_SESSION_TOKEN": "orgscan-session-token-NEVER-WRITE-ME-FwoGZXIvYXdzEJr",
}


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
            "regions": list(self.org.regions),
            "workers": 8,
            "min_retention_days": self.org.policy.min_retention_days,
            "require_mode": self.org.policy.require_mode.value,
            "exclude_accounts": [self.account("sandbox-bob")],
        }
        return build_settings(None, values | overrides)

    def sessions(self, faults: FaultInjector, settings: ScanSettings) -> SessionFactory:
        """A session factory for a scan with ``faults`` injected."""
        return SessionFactory(
            role_name=settings.role_name,
            external_id=settings.external_id,
            role_session_name=settings.role_session_name,
            max_pool_connections=settings.workers,
            max_attempts=MAX_ATTEMPTS,
            configure_session=faults.configure,
        )

    def scan(self, faults: FaultInjector | None = None, **overrides: Any) -> ScanResult:
        """Scan the demo organization with ``faults`` injected."""
        settings = self.settings(**overrides)
        return scan_organization(settings, self.sessions(faults or FaultInjector(), settings))
