"""The scanner finds in the simulated organizations exactly what the simulator expects.

The demo's own full-scan test lives with the scanner; these cover the drifted demo and a scale
organization, whose expected verdicts come from a seeded mix rather than a hand-written table.
"""

from __future__ import annotations

from orgscan.aws.sessions import SessionFactory
from orgscan.config import ScanSettings
from orgscan.model import ScanResult
from orgscan.scan import scan_organization
from orgscan.simulate import SimulatedOrg, build_demo_org, build_scale_org, demo_mock


def _scan(org: SimulatedOrg) -> ScanResult:
    settings = ScanSettings(regions=org.regions, policy=org.policy, workers=4, serial=False)
    return scan_organization(settings, SessionFactory(max_pool_connections=4))


def _assert_agrees(org: SimulatedOrg, result: ScanResult) -> None:
    found = {finding.trail_arn: finding.reason_code for finding in result.findings}
    assert found == org.expected_reasons
    scanned = {account.account_id for account in result.accounts if account.scanned}
    assert scanned == set(org.accounts.values()) - org.closed_account_ids
    assert result.run.complete


def test_the_drifted_demo_scans_as_expected() -> None:
    with demo_mock():
        org = build_demo_org(drift=True)
        _assert_agrees(org, _scan(org))


def test_a_scale_organization_scans_as_expected() -> None:
    with demo_mock():
        org = build_scale_org(12, regions=("us-east-1", "eu-west-1"), seed=4)
        _assert_agrees(org, _scan(org))
