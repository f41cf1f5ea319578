"""The scanner finds in the simulated organizations exactly what the simulator expects.

The demo's own full-scan test lives with the scanner; these cover the drifted demo and a scale
organization, whose expected verdicts come from a seeded mix rather than a hand-written table.
"""

from __future__ import annotations

from orgscan.aws.sessions import SessionFactory
from orgscan.diff import DiffClass, diff_results
from orgscan.model import ScanResult, Status
from orgscan.scan import scan_organization
from orgscan.simulate import SimulatedOrg, build_demo_org, build_scale_org, demo_mock
from tests.builders import settings_for


def _scan(org: SimulatedOrg) -> ScanResult:
    settings = settings_for(org, serial=False)
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


def test_account_verdicts_agree_with_the_simulation() -> None:
    with demo_mock():
        org = build_scale_org(12, regions=("us-east-1", "eu-west-1"), seed=4)
        result = _scan(org)
    verdicts = {a.account_id: a.verdict_code for a in result.accounts if a.scanned}
    assert verdicts == org.expected_verdicts
    stopped = [t for t in org.trails if not t.is_logging]
    assert stopped, "the scale organization has stopped trails"
    found = {f.trail_arn: (f.is_logging, f.management_events) for f in result.findings}
    assert found == {t.trail_arn: (t.is_logging, t.management_events) for t in org.trails}


def test_a_suspended_accounts_failing_trail_is_not_assessed_not_resolved() -> None:
    with demo_mock():
        before = _scan(build_demo_org())
    with demo_mock():
        after_org = build_demo_org(drift=True)
        after = _scan(after_org)
    diff = diff_results(before, after)
    by_name = {entry.trail_name: entry for entry in diff.entries}
    alice = by_name["sandbox-alice-trail"]  # its account was closed; its bucket was missing
    assert (alice.diff_class, alice.status_old, alice.status_new) == (
        DiffClass.NOT_ASSESSED,
        Status.FAIL,
        None,
    )
    assert by_name["payments-dev-trail"].diff_class is DiffClass.RESOLVED
    assert by_name["analytics-prod-trail"].diff_class is DiffClass.NEW_FAILURE
    accounts = {entry.account_id: entry.diff_class for entry in diff.accounts}
    assert accounts[after_org.accounts["sandbox-alice"]] is DiffClass.NOT_ASSESSED
    assert accounts[after_org.accounts["analytics-prod"]] is DiffClass.NEW_FAILURE
    assert not [
        e for e in diff.entries if e.diff_class is DiffClass.RESOLVED and e.status_new is None
    ]
