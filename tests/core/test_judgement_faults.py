"""What real organizations do that moto does not: SCP denials, refused tokens in enabled
regions, unreadable trail status, and the limits of "outside the organization"."""

from __future__ import annotations

from typing import Any

from orgscan.cli.exitcodes import scan_exit_code
from orgscan.config import FailOn
from orgscan.error_codes import DENIED_BY_ORGANIZATION_POLICY
from orgscan.model import AccountVerdictCode, ErrorStage, ReasonCode, ScanResult, Status
from orgscan.simulate import SimulatedOrg
from tests.core.scanning import demo_settings, reasons, run_scan
from tests.faults import Call, FaultInjector, on

SCP_MESSAGE = (
    "User: arn:aws:sts::111111111111:assumed-role/OrganizationAccountAccessRole/"
    "orgscan is not authorized to perform: cloudtrail:DescribeTrails with an explicit "
    "deny in a service control policy"
)


def fail_in_region(operation: str, region: str, code: str, message: str) -> Any:
    """A session hook: ``service.Operation`` fails with ``code`` in ``region``, for every
    account."""
    service, name = operation.split(".")
    faults = FaultInjector()
    faults.error(on(service, name, region=region), code, 400, message=message)
    return faults.configure


def finding(result: ScanResult, name: str) -> Any:
    return next(f for f in result.findings if f.trail_name == name)


def test_an_scp_denied_region_is_a_row_of_its_own_kind(demo_org: SimulatedOrg) -> None:
    result = run_scan(
        demo_settings(demo_org),
        configure=fail_in_region(
            "cloudtrail.DescribeTrails", "eu-central-1", "AccessDeniedException", SCP_MESSAGE
        ),
    )
    denied = [e for e in result.errors if e.error_code == DENIED_BY_ORGANIZATION_POLICY]
    scanned = [a.account_id for a in result.accounts if a.scanned]
    assert sorted(e.account_id for e in denied) == sorted(scanned)
    assert {(e.region, e.stage) for e in denied} == {("eu-central-1", ErrorStage.REGIONS)}
    assert "denied by organization policy" in denied[0].message
    assert not result.run.complete
    # A denied region no trail known from elsewhere records is UNKNOWN; one the account's
    # multi-region trail records is still protected.
    by_id = {a.account_id: a for a in result.accounts}
    analytics = by_id[demo_org.accounts["analytics-prod"]]
    assert (analytics.verdict, analytics.gaps) == (Status.PASS, ())
    dave = by_id[demo_org.accounts["sandbox-dave"]]
    assert ("eu-central-1", AccountVerdictCode.UNKNOWN) in [(g.region, g.code) for g in dave.gaps]


def test_regions_known_to_be_denied_keep_the_run_complete(demo_org: SimulatedOrg) -> None:
    result = run_scan(
        demo_settings(demo_org, denied_regions=["eu-central-1"]),
        configure=fail_in_region(
            "cloudtrail.DescribeTrails", "eu-central-1", "AccessDeniedException", SCP_MESSAGE
        ),
    )
    # Only the demo's unreadable foreign bucket is a row; the denials are not.
    assert [e.stage for e in result.errors] == [ErrorStage.BUCKET]
    assert result.run.complete
    analytics = next(
        a for a in result.accounts if a.account_id == demo_org.accounts["analytics-prod"]
    )
    assert (analytics.verdict, analytics.regions_scanned) == (Status.PASS, 2)


def test_a_refused_token_in_an_enabled_region_is_not_a_disabled_region(
    demo_org: SimulatedOrg,
) -> None:
    result = run_scan(
        demo_settings(demo_org),
        configure=fail_in_region(
            "cloudtrail.DescribeTrails",
            "eu-west-1",
            "UnrecognizedClientException",
            "The security token included in the request is invalid",
        ),
    )
    rows = [e for e in result.errors if e.stage is not ErrorStage.BUCKET]
    assert {(e.region, e.stage, e.error_code) for e in rows} == {
        ("eu-west-1", ErrorStage.TRAILS, "UnrecognizedClientException")
    }
    assert all("credentials refused in an enabled region" in e.message for e in rows)


def test_unreadable_trail_status_is_null_an_error_row_and_unknown(demo_org: SimulatedOrg) -> None:
    result = run_scan(
        demo_settings(demo_org),
        configure=fail_in_region(
            "cloudtrail.GetTrailStatus", "us-east-1", "AccessDeniedException", "no"
        ),
    )
    org_trail = finding(result, "acme-org-trail")
    assert (org_trail.is_logging, org_trail.management_events) == (None, "All")
    assert (org_trail.status, org_trail.reason_code) == (Status.PASS, ReasonCode.COMPLIANT)
    assert [e.error_code for e in result.errors if org_trail.trail_arn in e.message] == [
        "AccessDeniedException"
    ]
    assert result.run.complete  # the trail was seen; only what decides a verdict is missing
    security = next(
        a for a in result.accounts if a.account_id == demo_org.accounts["security-tooling"]
    )
    # us-east-1 would be protected by the organization trail: now it cannot be told.
    assert ("us-east-1", AccountVerdictCode.UNKNOWN) in [(g.region, g.code) for g in security.gaps]
    assert scan_exit_code(result, FailOn.NEVER) == 3


def test_an_outside_bucket_stays_access_denied_when_a_listing_failed(
    demo_org: SimulatedOrg,
) -> None:
    dave = demo_org.accounts["sandbox-dave"]

    faults = FaultInjector()

    def into_dave(call: Call) -> bool:
        return (
            call.operation == "AssumeRole"
            and str(call.params.get("RoleArn", "")).split(":")[4] == dave
        )

    faults.error(into_dave, "AccessDenied", 403, message="not authorized")
    result = run_scan(demo_settings(demo_org), configure=faults.configure)
    bob = finding(result, "sandbox-bob-trail")
    assert (bob.status, bob.reason_code) == (Status.ERROR, ReasonCode.ACCESS_DENIED)


def test_without_the_organization_an_unowned_bucket_is_an_error(demo_org: SimulatedOrg) -> None:
    result = run_scan(demo_settings(demo_org, org=False))
    assert reasons(result) == {
        finding(result, "acme-org-trail").trail_arn: ReasonCode.ACCESS_DENIED
    }


OUTSIDE_BUCKET = "partner-siem-cloudtrail-intake"  # the demo's bucket of a vendor's account


def test_a_throttled_head_bucket_cannot_tell_outside_the_organization(
    demo_org: SimulatedOrg,
) -> None:
    # Every listing succeeds and nobody owns the bucket, but HeadBucket never answered: it may
    # not exist at all, so "outside the organization" cannot be claimed.
    faults = FaultInjector()
    faults.error(on("s3", "HeadBucket", bucket=OUTSIDE_BUCKET), "SlowDown", 503)
    result = run_scan(demo_settings(demo_org), configure=faults.configure, max_attempts=1)
    bob = finding(result, "sandbox-bob-trail")
    assert (bob.status, bob.reason_code) == (Status.ERROR, ReasonCode.API_ERROR)
    assert bob.reason == f"Reading bucket {OUTSIDE_BUCKET} failed: 503 (Service Unavailable)."
    assert bob.bucket_account_id is None
    assert scan_exit_code(result, FailOn.NEVER) == 3
    # Without the fault the same bucket is outside the organization (FAIL).
    unfaulted = finding(run_scan(demo_settings(demo_org)), "sandbox-bob-trail")
    assert unfaulted.reason_code is ReasonCode.BUCKET_OUTSIDE_ORGANIZATION


def test_a_bucket_name_botocore_rejects_is_an_error_not_outside(demo_org: SimulatedOrg) -> None:
    forged = "partner/siem"  # botocore refuses to send it: ParamValidationError, no request

    def rename(reply: dict[str, Any]) -> None:
        for trail in reply.get("trailList", []):
            if trail.get("Name") == "sandbox-bob-trail":
                trail["S3BucketName"] = forged

    faults = FaultInjector()
    faults.mutate(on("cloudtrail", "DescribeTrails"), rename)
    result = run_scan(demo_settings(demo_org), configure=faults.configure)
    bob = finding(result, "sandbox-bob-trail")
    assert bob.bucket_name == forged
    assert (bob.status, bob.reason_code) == (Status.ERROR, ReasonCode.API_ERROR)
    assert bob.reason.startswith(f"Reading bucket {forged} failed: ParamValidationError")
    assert any(
        e.stage is ErrorStage.BUCKET and e.error_code == "ParamValidationError"
        for e in result.errors
    )
