"""Injected faults: a denied role, a disabled region, throttling, and the organization trail
as member accounts see it (moto does not copy it into them)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.retries.standard import ExponentialBackoff

from orgscan.model import (
    AccountCoverage,
    ErrorStage,
    ReasonCode,
    ScanError,
    ScanResult,
    Status,
)
from orgscan.simulate import SimulatedOrg
from tests.builders import timeless
from tests.core.scanning import demo_settings, reasons, run_scan
from tests.faults import Call, FaultInjector, on


@pytest.fixture(scope="module")
def baseline(demo_org: SimulatedOrg) -> ScanResult:
    """The fault-free scan every faulty one is compared with."""
    result = run_scan(demo_settings(demo_org))
    assert reasons(result) == demo_org.expected_reasons
    return result


def deny_assume_role(account_id: str) -> FaultInjector:
    """Faults that make AssumeRole into ``account_id`` fail with AccessDenied."""
    faults = FaultInjector()

    def into_account(call: Call) -> bool:
        return (
            call.operation == "AssumeRole"
            and str(call.params.get("RoleArn", "")).split(":")[4] == account_id
        )

    faults.error(
        into_account,
        "AccessDenied",
        403,
        message=f"not authorized to assume a role in {account_id}",
    )
    return faults


def coverage(result: ScanResult, account_id: str) -> AccountCoverage:
    (row,) = [a for a in result.accounts if a.account_id == account_id]
    return row


def test_a_denied_role_skips_that_account_only(
    demo_org: SimulatedOrg, baseline: ScanResult
) -> None:
    payments = demo_org.accounts["payments-prod"]
    result = run_scan(demo_settings(demo_org), configure=deny_assume_role(payments).configure)
    row = coverage(result, payments)
    assert (row.scanned, row.regions_scanned, row.error_code) == (False, 0, "AccessDenied")
    assert [
        (e.account_id, e.region, e.stage, e.error_code)
        for e in result.errors
        if e.stage is ErrorStage.ASSUME_ROLE
    ] == [(payments, None, ErrorStage.ASSUME_ROLE, "AccessDenied")]
    assert result.run.complete is False
    # Every other account and finding is exactly as without the fault, except the bucket no
    # account of the organization was seen to own: with one listing missing, it could be
    # payments-prod's, so "outside the organization" cannot be told.
    others = [a for a in result.accounts if a.account_id != payments]
    assert others == [a for a in baseline.accounts if a.account_id != payments]
    outside = "partner-siem-cloudtrail-intake"
    assert [f for f in timeless(result.findings) if f.bucket_name != outside] == [
        f
        for f in timeless(baseline.findings)
        if f.account_id != payments and f.bucket_name != outside
    ]
    (bob,) = [f for f in result.findings if f.bucket_name == outside]
    assert (bob.status, bob.reason_code) == (Status.ERROR, ReasonCode.ACCESS_DENIED)


def test_a_denied_log_archive_makes_its_bucket_an_error_never_a_pass(
    demo_org: SimulatedOrg,
) -> None:
    archive = demo_org.log_archive_account_id
    result = run_scan(demo_settings(demo_org), configure=deny_assume_role(archive).configure)
    central = [f for f in result.findings if f.bucket_name == "acme-log-archive-cloudtrail"]
    assert sorted(f.trail_name for f in central) == ["acme-org-trail", "identity-prod-trail"]
    for finding in central:
        assert (finding.status, finding.reason_code) == (Status.ERROR, ReasonCode.ACCESS_DENIED)
        assert finding.object_lock_enabled is None
    assert coverage(result, archive).error_code == "AccessDenied"
    assert result.run.complete is False


def test_a_refused_token_in_a_listed_region_is_an_error_row_not_a_crash(
    demo_org: SimulatedOrg, baseline: ScanResult
) -> None:
    payments_dev = demo_org.accounts["payments-dev"]  # its only trail is homed in eu-central-1
    faults = FaultInjector()
    faults.error(
        on("cloudtrail", "DescribeTrails", account=payments_dev, region="eu-central-1"),
        "UnrecognizedClientException",
        400,
        message="The security token included in the request is invalid.",
    )
    result = run_scan(demo_settings(demo_org), configure=faults.configure)

    # DescribeRegions listed the region as enabled: the credentials were refused there (as a
    # global STS token is in an opt-in region), which is not "region not enabled".
    assert [
        (e.account_id, e.region, e.stage, e.error_code)
        for e in result.errors
        if e.account_id == payments_dev
    ] == [(payments_dev, "eu-central-1", ErrorStage.TRAILS, "UnrecognizedClientException")]
    row = coverage(result, payments_dev)
    assert (row.scanned, row.regions_scanned, row.error_code) == (True, 2, None)
    assert result.run.complete is False
    assert timeless(result.findings) == tuple(
        f for f in timeless(baseline.findings) if f.account_id != payments_dev
    )
    others = [a for a in result.accounts if a.account_id != payments_dev]
    assert others == [a for a in baseline.accounts if a.account_id != payments_dev]


def test_a_requested_region_that_is_not_enabled_is_an_error_row(demo_org: SimulatedOrg) -> None:
    orders = demo_org.accounts["orders-prod"]
    faults = FaultInjector()

    def drop_eu_west_1(parsed: dict[str, Any]) -> None:
        parsed["Regions"] = [r for r in parsed["Regions"] if r["RegionName"] != "eu-west-1"]

    # Members only: the caller keeps it.
    faults.mutate(on("ec2", "DescribeRegions", account=orders), drop_eu_west_1)
    result = run_scan(demo_settings(demo_org, accounts=orders), configure=faults.configure)
    assert [(e.account_id, e.region, e.stage, e.error_code) for e in result.errors] == [
        (orders, "eu-west-1", ErrorStage.REGIONS, "RegionNotEnabled")
    ]
    assert coverage(result, orders).regions_scanned == 2
    assert result.run.complete is False
    assert [f.trail_name for f in result.findings] == ["acme-org-trail", "orders-prod-trail"]


def org_trail_for_members(demo_org: SimulatedOrg) -> FaultInjector:
    """Members' DescribeTrails also return the management account's organization trail, as in
    AWS (same ARN); moto leaves it out."""
    management_trails = boto3.client("cloudtrail", region_name="us-east-1").describe_trails()
    (org_trail,) = [t for t in management_trails["trailList"] if t.get("IsOrganizationTrail")]
    management = demo_org.management_account_id
    assert org_trail["TrailARN"].split(":")[4] == management

    def add_org_trail(parsed: dict[str, Any]) -> None:
        parsed.setdefault("trailList", []).append(dict(org_trail))

    faults = FaultInjector()
    faults.mutate(
        lambda call: call.operation == "DescribeTrails" and call.account != management,
        add_org_trail,
    )
    return faults


def test_the_organization_trail_seen_by_every_member_is_one_finding(
    demo_org: SimulatedOrg, baseline: ScanResult
) -> None:
    result = run_scan(demo_settings(demo_org), configure=org_trail_for_members(demo_org).configure)
    assert timeless(result.findings) == timeless(baseline.findings)
    org_findings = [f for f in result.findings if f.is_organization_trail]
    assert [(f.account_id, f.trail_name) for f in org_findings] == [
        (demo_org.management_account_id, "acme-org-trail")
    ]


def test_a_member_alone_reports_the_organization_trail_owned_by_management(
    demo_org: SimulatedOrg,
) -> None:
    tooling = demo_org.accounts["security-tooling"]  # no trail of its own
    result = run_scan(
        demo_settings(demo_org, accounts=tooling),
        configure=org_trail_for_members(demo_org).configure,
    )
    (finding,) = result.findings
    assert (finding.account_id, finding.trail_name, finding.is_organization_trail) == (
        demo_org.management_account_id,
        "acme-org-trail",
        True,
    )
    # The bucket's owner is outside the scope but in the organization: read as the owner.
    assert finding.bucket_account_id == demo_org.log_archive_account_id
    assert (finding.status, finding.reason_code) == (Status.PASS, ReasonCode.COMPLIANT)
    assert result.run.complete is True
    assert [a.account_id for a in result.accounts if a.scanned] == [tooling]


#: Operation -> the throttling error its service answers with, and its HTTP status.
THROTTLED = {
    ("sts", "GetCallerIdentity"): ("Throttling", 400),
    ("organizations", "ListAccountsForParent"): ("ThrottlingException", 400),
    ("cloudtrail", "DescribeTrails"): ("ThrottlingException", 400),
    ("sts", "AssumeRole"): ("Throttling", 400),
    ("ec2", "DescribeRegions"): ("RequestLimitExceeded", 400),
    ("s3", "ListBuckets"): ("SlowDown", 503),
    ("s3", "HeadBucket"): ("SlowDown", 503),
    ("s3", "GetObjectLockConfiguration"): ("SlowDown", 503),
    ("s3", "GetBucketVersioning"): ("SlowDown", 503),
}


def throttle(operations: list[tuple[str, str]], times: int) -> tuple[FaultInjector, list[Any]]:
    """Faults that throttle the first ``times`` attempts of each of ``operations``."""
    faults = FaultInjector()
    rules = [
        faults.error(on(service, operation), *THROTTLED[service, operation], times=times)
        for service, operation in operations
    ]
    return faults, rules


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries happen at once: botocore's backoff sleeps are real otherwise."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


def comparable(result: ScanResult) -> tuple[Any, ...]:
    return timeless(result.findings), result.accounts, result.errors, result.run.complete


def test_throttling_is_retried_to_the_same_findings(
    demo_org: SimulatedOrg, baseline: ScanResult, no_backoff: None
) -> None:
    faults, rules = throttle(list(THROTTLED), times=3)
    result = run_scan(demo_settings(demo_org), configure=faults.configure, max_attempts=4)
    assert [rule.hits for rule in rules] == [3] * len(THROTTLED)
    assert comparable(result) == comparable(baseline)


def test_without_retries_throttling_shows_as_errors(
    demo_org: SimulatedOrg, no_backoff: None
) -> None:
    # The other side of the test above: the throttle really fails calls.
    orders = demo_org.accounts["orders-prod"]
    faults, _ = throttle([("cloudtrail", "DescribeTrails")], times=2)
    result = run_scan(
        demo_settings(demo_org, accounts=orders, serial=True),
        configure=faults.configure,
        max_attempts=1,
    )
    assert [(e.account_id, e.stage, e.error_code) for e in result.errors] == [
        (orders, ErrorStage.TRAILS, "ThrottlingException")
    ] * 2
    assert coverage(result, orders).regions_scanned == 1
    assert result.run.complete is False


def test_aws_max_attempts_from_the_environment_is_honoured(
    demo_org: SimulatedOrg, baseline: ScanResult, no_backoff: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Four throttles in a row on one call: botocore's default of three attempts would fail.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "5")
    orders = demo_org.accounts["orders-prod"]
    faults, (rule,) = throttle([("cloudtrail", "DescribeTrails")], times=4)
    result = run_scan(
        demo_settings(demo_org, accounts=orders, serial=True), configure=faults.configure
    )
    assert rule.hits == 4
    assert result.errors == ()
    assert coverage(result, orders).regions_scanned == 3
    # The organization trail, read from the caller's account, counts for orders-prod too.
    assert timeless(result.findings) == tuple(
        f for f in timeless(baseline.findings) if f.account_id == orders or f.is_organization_trail
    )


def test_error_rows_carry_messages(demo_org: SimulatedOrg) -> None:
    archive = demo_org.log_archive_account_id
    result = run_scan(
        demo_settings(demo_org, accounts=archive), configure=deny_assume_role(archive).configure
    )
    assert result.errors == (
        ScanError(
            archive,
            None,
            ErrorStage.ASSUME_ROLE,
            "AccessDenied",
            f"not authorized to assume a role in {archive}",
        ),
    )
