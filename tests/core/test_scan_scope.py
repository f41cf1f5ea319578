"""Scans of a part of the demo organization, in moto: which trails a member account's scan sees.

moto lists the organization trail only in the management account; the in-process responder
(like AWS) also shows it in member accounts, so these scans stay on moto. The caller is the
management account: its organization trails count for the members scanned without it.
"""

from __future__ import annotations

from orgscan.model import (
    AccountGap,
    AccountVerdictCode,
    GapWhy,
    ReasonCode,
    ScanResult,
    Status,
)
from orgscan.simulate import SimulatedOrg
from orgscan.simulate.denials import simulated_answers
from tests.core.scanning import demo_settings, ou_ids, reasons, run_scan


def test_a_trail_homed_elsewhere_is_found_from_a_region_it_records_in(
    demo_org: SimulatedOrg,
) -> None:
    # Scanning only us-east-1 still finds the trail homed in eu-west-1 (it records there too).
    east = run_scan(
        demo_settings(demo_org, regions="us-east-1", accounts=demo_org.accounts["analytics-prod"])
    )
    assert [(f.trail_name, f.home_region) for f in east.findings] == [
        ("acme-org-trail", "us-east-1"),
        ("analytics-prod-trail", "eu-west-1"),
    ]


def test_a_single_region_trail_in_an_unscanned_region_is_not_reported(
    demo_org: SimulatedOrg,
) -> None:
    carol = demo_org.accounts["sandbox-carol"]
    (arn,) = [arn for arn in demo_org.skipped_trails if f":{carol}:" in arn]
    without = run_scan(demo_settings(demo_org, accounts=carol))
    # Only the organization trail, read from the caller's own account.
    assert [f.trail_name for f in without.findings] == ["acme-org-trail"]
    assert without.run.complete is True
    with_region = run_scan(
        demo_settings(demo_org, accounts=carol, regions="us-east-1,ap-southeast-2")
    )
    assert [
        (f.trail_arn, f.reason_code) for f in with_region.findings if not f.is_organization_trail
    ] == [(arn, ReasonCode.LOCK_NOT_CONFIGURED)]


def test_an_ou_scan_covers_nested_ous_only(demo_org: SimulatedOrg) -> None:
    workloads = ou_ids()["/Root/Workloads"]
    result = run_scan(demo_settings(demo_org, ou=[workloads]))
    scanned = {a.account_id for a in result.accounts if a.scanned}
    assert {
        a for a, path in demo_org.ou_paths.items() if path.startswith("/Root/Workloads/")
    } == scanned
    assert len(scanned) == 9
    # Their own trails, and the organization trail that records them.
    expected = {
        t.trail_arn: t.expected_reason
        for t in demo_org.trails
        if t.account_id in scanned or t.is_organization_trail
    }
    assert reasons(result) == expected
    # Accounts left out on purpose are listed, not scanned, and the coverage stays complete.
    assert len(result.accounts) == len(demo_org.accounts)
    assert all(a.error_code is None for a in result.accounts)
    assert result.run.complete is True


def _verdicts(
    result: ScanResult, account_id: str
) -> tuple[Status | None, AccountVerdictCode | None, tuple[str, ...], tuple[AccountGap, ...]]:
    (account,) = [a for a in result.accounts if a.account_id == account_id]
    return account.verdict, account.verdict_code, account.protected_by, account.gaps


def test_a_member_scanned_alone_gets_the_verdict_of_a_full_scan(demo_org: SimulatedOrg) -> None:
    # moto does not show the organization trail to members: before, a member scanned alone
    # had no trail in us-east-1 (NOT_RECORDED, NO_TRAIL) where a full scan found it protected.
    full = run_scan(demo_settings(demo_org), configure=simulated_answers(demo_org))
    org_trail = demo_org.trail("acme-org-trail").trail_arn
    for name in ("security-tooling", "payments-prod", "billing-prod", "log-archive"):
        account_id = demo_org.accounts[name]
        alone = run_scan(
            demo_settings(demo_org, accounts=account_id), configure=simulated_answers(demo_org)
        )
        assert _verdicts(alone, account_id) == _verdicts(full, account_id), name
    tooling = _verdicts(full, demo_org.accounts["security-tooling"])
    assert tooling[2] == (org_trail,)
    assert [(g.region, g.why) for g in tooling[3]] == [
        ("eu-central-1", GapWhy.NO_TRAIL),
        ("eu-west-1", GapWhy.NO_TRAIL),
    ]
