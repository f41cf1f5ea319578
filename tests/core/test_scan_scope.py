"""Scans of a part of the demo organization, in moto: which trails a member account's scan sees.

moto lists the organization trail only in the management account; the in-process responder
(like AWS) also shows it in member accounts, so these scans stay on moto.
"""

from __future__ import annotations

from orgscan.model import ReasonCode
from orgscan.simulate import SimulatedOrg
from tests.core.scanning import demo_settings, ou_ids, reasons, run_scan


def test_a_trail_homed_elsewhere_is_found_from_a_region_it_records_in(
    demo_org: SimulatedOrg,
) -> None:
    # Scanning only us-east-1 still finds the trail homed in eu-west-1 (it records there too).
    east = run_scan(
        demo_settings(demo_org, regions="us-east-1", accounts=demo_org.accounts["analytics-prod"])
    )
    assert [(f.trail_name, f.home_region) for f in east.findings] == [
        ("analytics-prod-trail", "eu-west-1")
    ]


def test_a_single_region_trail_in_an_unscanned_region_is_not_reported(
    demo_org: SimulatedOrg,
) -> None:
    carol = demo_org.accounts["sandbox-carol"]
    (arn,) = [arn for arn in demo_org.skipped_trails if f":{carol}:" in arn]
    without = run_scan(demo_settings(demo_org, accounts=carol))
    assert without.findings == ()
    assert without.run.complete is True
    with_region = run_scan(
        demo_settings(demo_org, accounts=carol, regions="us-east-1,ap-southeast-2")
    )
    assert [(f.trail_arn, f.reason_code) for f in with_region.findings] == [
        (arn, ReasonCode.LOCK_NOT_CONFIGURED)
    ]


def test_an_ou_scan_covers_nested_ous_only(demo_org: SimulatedOrg) -> None:
    workloads = ou_ids()["/Root/Workloads"]
    result = run_scan(demo_settings(demo_org, ou=[workloads]))
    scanned = {a.account_id for a in result.accounts if a.scanned}
    assert {
        a for a, path in demo_org.ou_paths.items() if path.startswith("/Root/Workloads/")
    } == scanned
    assert len(scanned) == 9
    expected = {t.trail_arn: t.expected_reason for t in demo_org.trails if t.account_id in scanned}
    assert reasons(result) == expected
    # Accounts left out on purpose are listed, not scanned, and the coverage stays complete.
    assert len(result.accounts) == len(demo_org.accounts)
    assert all(a.error_code is None for a in result.accounts)
    assert result.run.complete is True
