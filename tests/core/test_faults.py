"""Injected faults: a denied role, a disabled region, throttling, and the organization trail
as member accounts see it (moto does not copy it into them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.retries.standard import ExponentialBackoff

from orgscan.aws.sessions import SessionFactory
from orgscan.config import build_settings
from orgscan.model import AccountCoverage, ErrorStage, ReasonCode, ScanError, ScanResult, Status
from orgscan.scan import scan_organization
from orgscan.simulate import SimulatedOrg
from tests.core.scanning import (
    Throttle,
    acting_credentials,
    demo_settings,
    error_response,
    reasons,
    run_scan,
)


@pytest.fixture(scope="module")
def baseline(demo_org: SimulatedOrg) -> ScanResult:
    """The fault-free scan every faulty one is compared with."""
    result = run_scan(demo_settings(demo_org))
    assert reasons(result) == demo_org.expected_reasons
    return result


def deny_assume_role(account_id: str) -> Any:
    """A session hook that makes AssumeRole into ``account_id`` fail with AccessDenied."""

    def handler(params: dict[str, Any], **_: Any) -> Any:
        if params["body"]["RoleArn"].split(":")[4] == account_id:
            return error_response("AccessDenied", f"not authorized to assume a role in "
                                                  f"{account_id}")
        return None

    return lambda session: session.register("before-call.sts.AssumeRole", handler)


def coverage(result: ScanResult, account_id: str) -> AccountCoverage:
    (row,) = [a for a in result.accounts if a.account_id == account_id]
    return row


def test_a_denied_role_skips_that_account_only(demo_org: SimulatedOrg,
                                               baseline: ScanResult) -> None:
    payments = demo_org.accounts["payments-prod"]
    result = run_scan(demo_settings(demo_org), configure=deny_assume_role(payments))
    row = coverage(result, payments)
    assert (row.scanned, row.regions_scanned, row.error_code) == (False, 0, "AccessDenied")
    assert [(e.account_id, e.region, e.stage, e.error_code) for e in result.errors
            if e.stage is ErrorStage.ASSUME_ROLE] == [
        (payments, None, ErrorStage.ASSUME_ROLE, "AccessDenied")]
    assert result.run.complete is False
    # Every other account and finding is exactly as without the fault, except the bucket no
    # account of the organization was seen to own: with one listing missing, it could be
    # payments-prod's, so "outside the organization" cannot be told.
    others = [a for a in result.accounts if a.account_id != payments]
    assert others == [a for a in baseline.accounts if a.account_id != payments]
    outside = "partner-siem-cloudtrail-intake"
    assert [f for f in result.findings if f.bucket_name != outside] == [
        f for f in baseline.findings if f.account_id != payments and f.bucket_name != outside]
    (bob,) = [f for f in result.findings if f.bucket_name == outside]
    assert (bob.status, bob.reason_code) == (Status.ERROR, ReasonCode.ACCESS_DENIED)


def test_a_denied_log_archive_makes_its_bucket_an_error_never_a_pass(
        demo_org: SimulatedOrg) -> None:
    archive = demo_org.log_archive_account_id
    result = run_scan(demo_settings(demo_org), configure=deny_assume_role(archive))
    central = [f for f in result.findings if f.bucket_name == "acme-log-archive-cloudtrail"]
    assert sorted(f.trail_name for f in central) == ["acme-org-trail", "identity-prod-trail"]
    for finding in central:
        assert (finding.status, finding.reason_code) == (Status.ERROR, ReasonCode.ACCESS_DENIED)
        assert finding.object_lock_enabled is None
    assert coverage(result, archive).error_code == "AccessDenied"
    assert result.run.complete is False


@dataclass
class DisabledRegion:
    """DescribeTrails answers UnrecognizedClientException in ``region`` for the account whose
    credentials are ``credentials`` (set once the factory has assumed its role)."""

    region: str
    credentials: Any = None

    def register(self, session: botocore.session.Session) -> None:
        session.register("before-call.cloudtrail.DescribeTrails", self._handler)

    def _handler(self, context: dict[str, Any], **_: Any) -> Any:
        acting = acting_credentials(context)
        if context.get("client_region") == self.region and acting is not None \
                and acting is self.credentials:
            return error_response("UnrecognizedClientException",
                                  "The security token included in the request is invalid.", 400)
        return None


def test_a_refused_token_in_a_listed_region_is_an_error_row_not_a_crash(
        demo_org: SimulatedOrg, baseline: ScanResult) -> None:
    payments_dev = demo_org.accounts["payments-dev"]  # its only trail is homed in eu-central-1
    disabled = DisabledRegion("eu-central-1")
    sessions = SessionFactory(configure_session=disabled.register)
    disabled.credentials = sessions.credentials_for(payments_dev)
    result = scan_organization(build_settings(None, demo_settings(demo_org)), sessions)

    # DescribeRegions listed the region as enabled: the credentials were refused there (as a
    # global STS token is in an opt-in region), which is not "region not enabled".
    assert [(e.account_id, e.region, e.stage, e.error_code) for e in result.errors
            if e.account_id == payments_dev] == [
        (payments_dev, "eu-central-1", ErrorStage.TRAILS, "UnrecognizedClientException")]
    row = coverage(result, payments_dev)
    assert (row.scanned, row.regions_scanned, row.error_code) == (True, 2, None)
    assert result.run.complete is False
    assert result.findings == tuple(f for f in baseline.findings
                                    if f.account_id != payments_dev)
    others = [a for a in result.accounts if a.account_id != payments_dev]
    assert others == [a for a in baseline.accounts if a.account_id != payments_dev]


def test_a_requested_region_that_is_not_enabled_is_an_error_row(demo_org: SimulatedOrg) -> None:
    orders = demo_org.accounts["orders-prod"]

    def drop_eu_west_1(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if acting_credentials(context) is not None:  # members only: the caller keeps it
            parsed["Regions"] = [r for r in parsed["Regions"] if r["RegionName"] != "eu-west-1"]

    result = run_scan(demo_settings(demo_org, accounts=orders),
                      configure=lambda s: s.register("after-call.ec2.DescribeRegions",
                                                     drop_eu_west_1))
    assert [(e.account_id, e.region, e.stage, e.error_code) for e in result.errors] == [
        (orders, "eu-west-1", ErrorStage.REGIONS, "RegionNotEnabled")]
    assert coverage(result, orders).regions_scanned == 2
    assert result.run.complete is False
    assert [f.trail_name for f in result.findings] == ["orders-prod-trail"]


def org_trail_for_members(demo_org: SimulatedOrg) -> Any:
    """Members' DescribeTrails also return the management account's organization trail, as in
    AWS (same ARN); moto leaves it out."""
    management_trails = boto3.client("cloudtrail", region_name="us-east-1").describe_trails()
    (org_trail,) = [t for t in management_trails["trailList"] if t.get("IsOrganizationTrail")]
    assert org_trail["TrailARN"].split(":")[4] == demo_org.management_account_id

    def add_org_trail(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if acting_credentials(context) is not None:
            parsed.setdefault("trailList", []).append(dict(org_trail))

    def configure(session: botocore.session.Session) -> None:
        session.register("after-call.cloudtrail.DescribeTrails", add_org_trail)

    return configure


def test_the_organization_trail_seen_by_every_member_is_one_finding(
        demo_org: SimulatedOrg, baseline: ScanResult) -> None:
    result = run_scan(demo_settings(demo_org), configure=org_trail_for_members(demo_org))
    assert result.findings == baseline.findings
    org_findings = [f for f in result.findings if f.is_organization_trail]
    assert [(f.account_id, f.trail_name) for f in org_findings] == [
        (demo_org.management_account_id, "acme-org-trail")]


def test_a_member_alone_reports_the_organization_trail_owned_by_management(
        demo_org: SimulatedOrg) -> None:
    tooling = demo_org.accounts["security-tooling"]  # no trail of its own
    result = run_scan(demo_settings(demo_org, accounts=tooling),
                      configure=org_trail_for_members(demo_org))
    (finding,) = result.findings
    assert (finding.account_id, finding.trail_name, finding.is_organization_trail) == (
        demo_org.management_account_id, "acme-org-trail", True)
    # The bucket's owner is outside the scope but in the organization: read as the owner.
    assert finding.bucket_account_id == demo_org.log_archive_account_id
    assert (finding.status, finding.reason_code) == (Status.PASS, ReasonCode.COMPLIANT)
    assert result.run.complete is True
    assert [a.account_id for a in result.accounts if a.scanned] == [tooling]


THROTTLED = {
    "sts.GetCallerIdentity": "query",
    "organizations.ListAccountsForParent": "json",
    "cloudtrail.DescribeTrails": "json",
    "sts.AssumeRole": "query",
    "ec2.DescribeRegions": "ec2",
    "s3.ListBuckets": "rest-xml",
    "s3.HeadBucket": "rest-xml",
    "s3.GetObjectLockConfiguration": "rest-xml",
    "s3.GetBucketVersioning": "rest-xml",
}


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries happen at once: botocore's backoff sleeps are real otherwise."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


def comparable(result: ScanResult) -> tuple[Any, ...]:
    return result.findings, result.accounts, result.errors, result.run.complete


def test_throttling_is_retried_to_the_same_findings(demo_org: SimulatedOrg,
                                                    baseline: ScanResult,
                                                    no_backoff: None) -> None:
    throttle = Throttle(THROTTLED, times=3)
    result = run_scan(demo_settings(demo_org), configure=throttle.register, max_attempts=4)
    assert throttle.throttled == dict.fromkeys(THROTTLED, 3)
    assert comparable(result) == comparable(baseline)


def test_without_retries_throttling_shows_as_errors(demo_org: SimulatedOrg,
                                                   no_backoff: None) -> None:
    # The other side of the test above: the throttle really fails calls.
    orders = demo_org.accounts["orders-prod"]
    throttle = Throttle({"cloudtrail.DescribeTrails": "json"}, times=2)
    result = run_scan(demo_settings(demo_org, accounts=orders, serial=True),
                      configure=throttle.register, max_attempts=1)
    assert [(e.account_id, e.stage, e.error_code) for e in result.errors] == [
        (orders, ErrorStage.TRAILS, "ThrottlingException")] * 2
    assert coverage(result, orders).regions_scanned == 1
    assert result.run.complete is False


def test_aws_max_attempts_from_the_environment_is_honoured(
        demo_org: SimulatedOrg, baseline: ScanResult, no_backoff: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Four throttles in a row on one call: botocore's default of three attempts would fail.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "5")
    orders = demo_org.accounts["orders-prod"]
    throttle = Throttle({"cloudtrail.DescribeTrails": "json"}, times=4)
    result = run_scan(demo_settings(demo_org, accounts=orders, serial=True),
                      configure=throttle.register)
    assert throttle.throttled["cloudtrail.DescribeTrails"] == 4
    assert result.errors == ()
    assert coverage(result, orders).regions_scanned == 3
    assert result.findings == tuple(f for f in baseline.findings if f.account_id == orders)


def test_error_rows_carry_messages(demo_org: SimulatedOrg) -> None:
    archive = demo_org.log_archive_account_id
    result = run_scan(demo_settings(demo_org, accounts=archive),
                      configure=deny_assume_role(archive))
    assert result.errors == (ScanError(archive, None, ErrorStage.ASSUME_ROLE, "AccessDenied",
                                       f"not authorized to assume a role in {archive}"),)
