"""A full scan of the demo organization: exactly the expected findings, coverage and errors.

The organization is answered by the in-process responder (it only reads); scans of a part of it
that see the organization trail differently in moto are in ``test_scan_scope.py``."""

from __future__ import annotations

import functools
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from orgscan.aws.organization import discover_organization, select_accounts
from orgscan.aws.sessions import SessionFactory
from orgscan.config import build_settings
from orgscan.error_codes import DENIED_BY_ORGANIZATION_POLICY
from orgscan.errors import InputError
from orgscan.model import (
    AccountCoverage,
    AccountVerdictCode,
    ErrorStage,
    GapWhy,
    LockMode,
    ReasonCode,
    ScanResult,
    Status,
    Versioning,
)
from orgscan.scan import scan_organization
from orgscan.scan.progress import ScanProgress
from orgscan.simulate import SimulatedOrg
from tests.core.scanning import (
    RecordedScan,
    demo_settings,
    ou_ids,
    reasons,
    recorded_scan,
    run_scan,
)


@pytest.fixture(scope="module")
def demo_org(fake_demo_org: SimulatedOrg) -> SimulatedOrg:
    """The demo organization on the in-process responder: every test here only reads it."""
    return fake_demo_org


@pytest.fixture(scope="module")
def full_scan(demo_org: SimulatedOrg) -> RecordedScan:
    """One full scan of the demo organization (it only reads), shared by this module."""
    return recorded_scan(demo_settings(demo_org))


def finding_named(result: ScanResult, trail_name: str) -> Any:
    (finding,) = [f for f in result.findings if f.trail_name == trail_name]
    return finding


def test_the_demo_scan_reports_exactly_the_expected_trails(
    demo_org: SimulatedOrg, full_scan: RecordedScan
) -> None:
    result = full_scan.result
    assert reasons(result) == demo_org.expected_reasons
    assert not set(demo_org.skipped_trails) & set(reasons(result))
    for finding in result.findings:
        expected = {t.trail_arn: t for t in demo_org.trails}[finding.trail_arn]
        assert finding.account_id == expected.account_id
        assert finding.home_region == expected.home_region
        assert finding.bucket_name == expected.bucket_name
        assert finding.is_multi_region is expected.is_multi_region
        assert finding.is_organization_trail is expected.is_organization_trail
    # An SCP denies sandbox-bob's DescribeTrails in one region: the evidence is incomplete.
    assert result.run.complete is False
    assert result.run.organization_id == demo_org.organization_id
    assert result.run.regions == tuple(sorted(demo_org.regions))
    assert result.run.caller_arn.split(":")[4] == demo_org.management_account_id


def test_serial_mode_gives_the_same_result_and_reports_progress(
    demo_org: SimulatedOrg, full_scan: RecordedScan
) -> None:
    seen: list[ScanProgress] = []
    settings = build_settings(None, demo_settings(demo_org, serial=True))
    result = scan_organization(settings, SessionFactory(), progress=seen.append)
    parallel = full_scan.result
    assert (result.findings, result.accounts, result.errors) == (
        parallel.findings,
        parallel.accounts,
        parallel.errors,
    )
    assert seen
    # The total is the accounts planned from the start: it never grows as work is found.
    scannable = sum(1 for account in result.accounts if account.state == "ACTIVE")
    assert {snapshot.accounts_planned for snapshot in seen} == {scannable}
    assert seen[-1].accounts_done == scannable
    # Regions read include the one an SCP denies, which is not scanned.
    denied = sum(len(regions) for regions in demo_org.scp_denied.values())
    assert denied == 1
    assert seen[-1].regions_read == denied + sum(a.regions_scanned for a in result.accounts)
    assert seen[-1].buckets_read == len({finding.bucket_name for finding in result.findings})
    assert [s.accounts_done for s in seen] == sorted(s.accounts_done for s in seen)


def test_coverage_lists_every_account_and_never_scans_the_closed_one(
    demo_org: SimulatedOrg, full_scan: RecordedScan
) -> None:
    result = full_scan.result
    by_id = {account.account_id: account for account in result.accounts}
    assert set(by_id) == set(demo_org.accounts.values())
    (closed,) = demo_org.closed_account_ids
    assert by_id[closed] == AccountCoverage(
        closed,
        "sandbox-legacy",
        "/Root/Sandbox",
        "SUSPENDED",
        scanned=False,
        regions_scanned=0,
        error_code=None,
    )
    for account_id, account in by_id.items():
        assert account.ou_path == demo_org.ou_paths[account_id]
        assert account.ou_path is not None
        assert account.ou_path.startswith("/Root")
        if account_id != closed:
            # A region an SCP denies is not scanned (it is an error row, not the account's).
            regions = 3 - len(demo_org.scp_denied.get(account_id, ()))
            assert (
                account.state,
                account.scanned,
                account.regions_scanned,
                account.error_code,
            ) == ("ACTIVE", True, regions, None)
    assert by_id[demo_org.accounts["analytics-prod"]].ou_path == "/Root/Workloads/Prod"
    assert by_id[demo_org.accounts["sandbox-bob"]].regions_scanned == 2


def test_buckets_are_read_with_their_owners_credentials(
    demo_org: SimulatedOrg, full_scan: RecordedScan
) -> None:
    result = full_scan.result
    archive = demo_org.log_archive_account_id
    for name in ("acme-org-trail", "identity-prod-trail"):  # trails of two other accounts
        finding = finding_named(result, name)
        assert finding.account_id != archive
        assert (finding.bucket_name, finding.bucket_account_id, finding.bucket_region) == (
            "acme-log-archive-cloudtrail",
            archive,
            "us-east-1",
        )
        assert (
            finding.object_lock_enabled,
            finding.lock_mode,
            finding.retention_days,
            finding.versioning,
        ) == (True, LockMode.COMPLIANCE, 365, Versioning.ENABLED)
        assert (finding.status, finding.reason_code) == (Status.PASS, ReasonCode.COMPLIANT)


def test_a_bucket_outside_the_organization_fails(
    demo_org: SimulatedOrg, full_scan: RecordedScan
) -> None:
    result = full_scan.result
    bob = demo_org.accounts["sandbox-bob"]
    finding = finding_named(result, "sandbox-bob-trail")
    # Every ACTIVE account listed its buckets without it, and it exists (403, not 404).
    assert (finding.status, finding.reason_code) == (
        Status.FAIL,
        ReasonCode.BUCKET_OUTSIDE_ORGANIZATION,
    )
    assert (
        finding.bucket_account_id,
        finding.object_lock_enabled,
        finding.lock_mode,
        finding.versioning,
    ) == (None, None, None, None)
    assert "partner-siem-cloudtrail-intake" in finding.reason
    # The only errors of the whole scan are bob's: the unreadable bucket, recorded against the
    # trail owner, and the region an SCP denies him. (Every trail's status and selectors
    # were read.)
    assert [(e.account_id, e.region, e.stage, e.error_code) for e in result.errors] == [
        (bob, None, ErrorStage.BUCKET, "AccessDenied"),
        (bob, "eu-central-1", ErrorStage.REGIONS, DENIED_BY_ORGANIZATION_POLICY),
    ]
    assert "partner-siem-cloudtrail-intake" in result.errors[0].message


def test_a_deleted_bucket_is_bucket_missing_not_an_error(
    demo_org: SimulatedOrg, full_scan: RecordedScan
) -> None:
    result = full_scan.result
    finding = finding_named(result, "sandbox-alice-trail")
    assert (finding.status, finding.reason_code) == (Status.FAIL, ReasonCode.BUCKET_MISSING)
    assert finding.object_lock_enabled is None
    assert finding.bucket_name == "acme-sandbox-alice-cloudtrail"
    assert not [e for e in result.errors if e.account_id == finding.account_id]


def test_multi_region_trails_are_counted_once(
    demo_org: SimulatedOrg, full_scan: RecordedScan
) -> None:
    result = full_scan.result
    arns = [finding.trail_arn for finding in result.findings]
    assert len(arns) == len(set(arns))
    analytics = finding_named(result, "analytics-prod-trail")
    assert (analytics.home_region, analytics.is_multi_region) == ("eu-west-1", True)
    assert analytics.trail_arn.startswith("arn:aws:cloudtrail:eu-west-1:")
    org_trail = finding_named(result, "acme-org-trail")
    assert (org_trail.is_organization_trail, org_trail.is_multi_region) == (True, False)


def test_no_org_scans_only_the_callers_account(demo_org: SimulatedOrg) -> None:
    result = run_scan(demo_settings(demo_org, org=False))
    management = demo_org.management_account_id
    assert [(a.account_id, a.scanned, a.regions_scanned) for a in result.accounts] == [
        (management, True, 3)
    ]
    # The organization trail's bucket belongs to the log archive, which --no-org cannot enter.
    assert [(f.trail_name, f.reason_code) for f in result.findings] == [
        ("acme-org-trail", ReasonCode.ACCESS_DENIED)
    ]
    assert result.run.organization_id is None


def test_calls_per_operation_account_and_bucket(
    demo_org: SimulatedOrg, full_scan: RecordedScan
) -> None:
    result, recorder = full_scan.result, full_scan.recorder
    scanned = [a.account_id for a in result.accounts if a.scanned]
    members = [a for a in scanned if a != demo_org.management_account_id]
    regions = len(demo_org.regions)
    per_operation = recorder.per_operation()
    assert per_operation["sts.GetCallerIdentity"] == 1
    assert per_operation["sts.AssumeRole"] == len(members)  # once per account, never refreshed
    assert per_operation["ec2.DescribeRegions"] == len(scanned)
    assert per_operation["cloudtrail.DescribeTrails"] == len(scanned) * regions
    assert per_operation["s3.ListBuckets"] == len(scanned)
    assert per_operation["organizations.DescribeOrganization"] == 1
    # Health is read once per unique trail, by its owner (the org trail by the management).
    assert per_operation["cloudtrail.GetTrailStatus"] == len(result.findings)
    assert per_operation["cloudtrail.GetEventSelectors"] == len(result.findings)
    # Each readable bucket is read once, however many trails deliver into it.
    per_bucket = recorder.per_bucket()
    readable = {
        f.bucket_name
        for f in result.findings
        if f.reason_code
        not in (
            ReasonCode.ACCESS_DENIED,
            ReasonCode.BUCKET_MISSING,
            ReasonCode.BUCKET_OUTSIDE_ORGANIZATION,
        )
    }
    for bucket in readable:
        assert per_bucket[("s3.GetObjectLockConfiguration", bucket)] == 1
        assert per_bucket[("s3.GetBucketVersioning", bucket)] == 1
    assert per_bucket[("s3.GetObjectLockConfiguration", "acme-log-archive-cloudtrail")] == 1
    # The closed account is never entered, and no role is assumed twice.
    (closed,) = demo_org.closed_account_ids
    assumed = [target for operation, target, _ in recorder.calls if operation == "sts.AssumeRole"]
    assert closed not in assumed
    assert sorted(assumed) == sorted(members)
    credentials = {id(full_scan.sessions.credentials_for(a)): a for a in members}
    per_account = recorder.per_account(credentials, demo_org.management_account_id)
    assert closed not in per_account
    _print_measurements(per_operation, per_account, per_bucket, len(scanned), len(readable))


def _print_measurements(
    per_operation: Any, per_account: Any, per_bucket: Any, accounts: int, buckets: int
) -> None:
    """Shown with ``pytest -s``: how many AWS calls a scan makes."""
    print(f"\nAWS calls of a demo scan ({accounts} scanned accounts, {buckets} readable buckets):")
    for operation, count in sorted(per_operation.items()):
        print(f"  {operation:47} {count}")
    print("  per acting account:", dict(sorted(per_account.items())))
    print("  per bucket:", dict(sorted(per_bucket.items())))


# ----------------------------------------------------------------------- discovery and scope


def test_discovery_walks_nested_ous(demo_org: SimulatedOrg) -> None:
    sessions = SessionFactory()
    client = sessions.client(sessions.caller_account_id, "organizations", "us-east-1")
    with ThreadPoolExecutor(4) as pool:
        organization = discover_organization(client, pool)
    assert organization.organization_id == demo_org.organization_id
    assert organization.management_account_id == demo_org.management_account_id
    assert {a.account_id: a.ou_path for a in organization.accounts} == dict(demo_org.ou_paths)
    assert [a.account_id for a in organization.accounts] == sorted(demo_org.accounts.values())
    states = {a.account_id: a.state for a in organization.accounts}
    assert {i for i, state in states.items() if state == "SUSPENDED"} == set(
        demo_org.closed_account_ids
    )
    assert set(states.values()) == {"ACTIVE", "SUSPENDED"}
    ids = ou_ids()
    workloads = {
        demo_org.accounts[name]
        for name in (
            "payments-prod",
            "orders-prod",
            "identity-prod",
            "analytics-prod",
            "payments-dev",
            "orders-dev",
            "audit-prod",
            "billing-prod",
            "legacy-prod",
        )
    }
    assert organization.accounts_under[ids["/Root/Workloads"]] == workloads
    assert organization.accounts_under[ids["/Root"]] == set(demo_org.accounts.values())
    assert organization.accounts_under[ids["/Root/Workloads/Dev"]] == {
        demo_org.accounts["payments-dev"],
        demo_org.accounts["orders-dev"],
    }

    select = functools.partial(select_accounts, organization)
    assert select([], [], [ids["/Root/Workloads"]]) == workloads
    assert select([], [demo_org.accounts["orders-dev"]], [ids["/Root/Workloads/Dev"]]) == {
        demo_org.accounts["payments-dev"]
    }
    assert select(
        [demo_org.accounts["orders-dev"], demo_org.log_archive_account_id],
        [],
        [ids["/Root/Workloads"]],
    ) == {demo_org.accounts["orders-dev"]}
    assert select([], [demo_org.log_archive_account_id], []) == set(demo_org.accounts.values()) - {
        demo_org.log_archive_account_id
    }
    with pytest.raises(InputError, match="not in the organization: 999999999999"):
        select(["999999999999"], [], [])
    with pytest.raises(InputError, match="not in the organization: 999999999999"):
        select([], ["999999999999"], [])
    with pytest.raises(InputError, match="OU not found in the organization: ou-zzzz-zzzzzzzz"):
        select([], [], ["ou-zzzz-zzzzzzzz"])


def test_an_excluded_log_archive_still_lends_its_credentials(demo_org: SimulatedOrg) -> None:
    archive = demo_org.log_archive_account_id
    result = run_scan(demo_settings(demo_org, exclude_accounts=archive))
    # Everything but its own trail, which is not scanned when it is excluded.
    own = demo_org.trail("log-archive-trail").trail_arn
    assert reasons(result) == {
        arn: code for arn, code in demo_org.expected_reasons.items() if arn != own
    }
    assert not next(a for a in result.accounts if a.account_id == archive).scanned
    identity = finding_named(result, "identity-prod-trail")
    assert (identity.bucket_account_id, identity.reason_code) == (archive, ReasonCode.COMPLIANT)


def test_a_closed_account_in_the_chosen_ou_is_listed_not_scanned(demo_org: SimulatedOrg) -> None:
    sandbox = ou_ids()["/Root/Sandbox"]
    (closed,) = demo_org.closed_account_ids
    result = run_scan(demo_settings(demo_org, ou=[sandbox], accounts=closed))
    assert [
        (a.account_id, a.state, a.scanned) for a in result.accounts if a.account_id == closed
    ] == [(closed, "SUSPENDED", False)]
    assert result.findings == ()
    assert not any(a.scanned for a in result.accounts)


@pytest.mark.parametrize(
    ("cli", "message"),
    [
        ({"accounts": "999999999999"}, "not in the organization: 999999999999"),
        ({"exclude_accounts": "999999999999"}, "not in the organization: 999999999999"),
        ({"ou": ["ou-zzzz-zzzzzzzz"]}, "OU not found in the organization: ou-zzzz-zzzzzzzz"),
        ({"regions": "xx-nowhere-9"}, "unknown region for partition aws: xx-nowhere-9"),
        ({"org": False, "accounts": "999999999999"}, "--no-org scans only the caller's account"),
    ],
)
def test_unknown_scope_is_bad_input(
    demo_org: SimulatedOrg, cli: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        run_scan(demo_settings(demo_org, **cli))


def test_trail_health_and_account_verdicts_as_simulated(
    demo_org: SimulatedOrg, full_scan: RecordedScan
) -> None:
    result = full_scan.result
    for expected in demo_org.trails:
        finding = next(f for f in result.findings if f.trail_arn == expected.trail_arn)
        assert (finding.is_logging, finding.management_events) == (
            expected.is_logging,
            expected.management_events,
        ), expected.name
        assert finding.delivering is expected.delivering, expected.name
        assert finding.global_service_events is expected.global_events, expected.name
        assert (finding.latest_delivery_error is None) is expected.delivering, expected.name
    verdicts = {a.account_id: a.verdict_code for a in result.accounts if a.scanned}
    assert verdicts == demo_org.expected_verdicts
    # Every code the demo can show without a fault: protected, not recorded, unprotected.
    assert set(verdicts.values()) == {
        AccountVerdictCode.PROTECTED,
        AccountVerdictCode.NOT_RECORDED,
        AccountVerdictCode.UNPROTECTED,
    }
    by_name = {
        name: next(a for a in result.accounts if a.account_id == account_id)
        for name, account_id in demo_org.accounts.items()
    }
    payments = by_name["payments-prod"]
    assert (payments.verdict, payments.verdict_code) == (
        Status.FAIL,
        AccountVerdictCode.UNPROTECTED,
    )
    # us-east-1 is protected by the single-region organization trail; the rest is not.
    assert [(g.region, g.code) for g in payments.gaps] == [
        ("eu-central-1", AccountVerdictCode.UNPROTECTED),
        ("eu-west-1", AccountVerdictCode.UNPROTECTED),
    ]
    assert payments.protected_by == (demo_org.trail("acme-org-trail").trail_arn,)
    archive = by_name["log-archive"]
    assert (archive.verdict, archive.gaps) == (Status.PASS, ())
    stopped = by_name["identity-prod"]
    assert (stopped.verdict_code, [g.region for g in stopped.gaps]) == (
        AccountVerdictCode.NOT_RECORDED,
        ["eu-central-1", "eu-west-1"],
    )
    # Each read as protected before contract v3; each gap now says why it is not.
    for name, why in (
        ("audit-prod", GapWhy.EXCLUDED_SOURCES),
        ("billing-prod", GapWhy.NOT_DELIVERING),
    ):
        assert [(g.region, g.code, g.why) for g in by_name[name].gaps] == [
            ("eu-central-1", AccountVerdictCode.NOT_RECORDED, why),
            ("eu-west-1", AccountVerdictCode.NOT_RECORDED, why),
        ], name
    legacy = demo_org.trail("legacy-prod-trail").trail_arn
    assert legacy not in by_name["legacy-prod"].protected_by
    assert next(f for f in result.findings if f.trail_arn == legacy).reason_code is (
        ReasonCode.COMPLIANT
    )
    closed = next(a for a in result.accounts if a.account_id in demo_org.closed_account_ids)
    assert (closed.verdict, closed.verdict_code, closed.gaps) == (None, None, ())
