"""Faults during a scan of the demo organization: AWS errors, throttling, network failures.

Each test injects faults into some units of work and checks that the scan completes, that the
faulted units become ERROR findings or coverage errors carrying the AWS error code, that
everything else is identical to a fault-free scan, and that ``run.complete`` and the exit code
tell the truth.
"""

from __future__ import annotations

import pytest

from orgscan.cli.exitcodes import ExitCode, scan_exit_code
from orgscan.config import FailOn
from orgscan.errors import AwsUnavailableError, InputError
from orgscan.model import ReasonCode, ScanResult, Status
from tests.faults import Call, FaultInjector, Match, on
from tests.reliability.compare import assert_only_changed, assert_verdicts
from tests.reliability.world import MAX_ATTEMPTS, DemoWorld

CENTRAL_BUCKET = "acme-log-archive-cloudtrail"

#: What each protocol's services answer when they throttle (codes botocore retries as such).
THROTTLE_BY_PROTOCOL = {
    "json": ("ThrottlingException", 400),  # CloudTrail, Organizations
    "query": ("Throttling", 400),  # STS
    "ec2": ("RequestLimitExceeded", 503),  # EC2 DescribeRegions
    "rest-xml": ("SlowDown", 503),  # S3
}


def assert_exit_codes(result: ScanResult, *, never: int, fail: int = ExitCode.FINDINGS) -> None:
    """The exit code with ``--fail-on never`` shows coverage alone; with FAIL, findings win."""
    assert scan_exit_code(result, FailOn.NEVER) == never
    assert scan_exit_code(result, FailOn.FAIL) == fail


def test_baseline_is_complete_and_clean(demo_world: DemoWorld) -> None:
    baseline = demo_world.baseline
    assert baseline.run.complete
    assert baseline.errors == ()
    assert {f.trail_arn: f.reason_code for f in baseline.findings} == {
        arn: reason
        for arn, reason in demo_world.org.expected_reasons.items()
        if reason is not ReasonCode.BUCKET_OUTSIDE_ORGANIZATION
    }  # sandbox-bob is excluded
    assert_exit_codes(baseline, never=ExitCode.OK)


def test_scp_denies_describe_trails_in_one_region(demo_world: DemoWorld) -> None:
    orders_dev = demo_world.account("orders-dev")
    management = demo_world.org.management_account_id
    faults = FaultInjector()
    # An SCP denying cloudtrail:DescribeTrails outside the approved regions.
    for account, region in ((orders_dev, "us-east-1"), (management, "eu-west-1")):
        faults.error(
            on("cloudtrail", "DescribeTrails", account=account, region=region),
            "AccessDeniedException",
            message="explicit deny in a service control policy",
        )

    result = demo_world.scan(faults)

    # orders-dev's only trail is homed in the denied region: it cannot be seen. The
    # organization trail is homed in us-east-1, which the management account still reads.
    delta = assert_only_changed(
        demo_world.baseline,
        result,
        findings={demo_world.trail_arn("orders-dev-trail")},
        accounts={orders_dev, management},
    )
    assert delta.findings[demo_world.trail_arn("orders-dev-trail")][1] is None
    for _, after_row in delta.accounts.values():
        assert after_row is not None
        assert after_row["regions_scanned"] == 2
    assert sorted(
        (e["account_id"], e["region"], e["stage"], e["error_code"]) for e in delta.new_errors
    ) == sorted(
        [
            (orders_dev, "us-east-1", "regions", "DeniedByOrganizationPolicy"),
            (management, "eu-west-1", "regions", "DeniedByOrganizationPolicy"),
        ]
    )
    assert not result.run.complete
    assert_exit_codes(result, never=ExitCode.INCOMPLETE)


def test_bucket_deleted_during_the_scan_is_bucket_missing(demo_world: DemoWorld) -> None:
    bucket = "acme-orders-prod-cloudtrail"
    faults = FaultInjector()
    faults.error(
        on("s3", "GetObjectLockConfiguration", bucket=bucket),
        "NoSuchBucket",
        404,
        message="The specified bucket does not exist",
    )

    result = demo_world.scan(faults)

    arn = demo_world.trail_arn("orders-prod-trail")
    delta = assert_only_changed(demo_world.baseline, result, findings={arn})
    [after] = assert_verdicts(delta, {arn}, "FAIL", "BUCKET_MISSING")
    assert after["object_lock_enabled"] is None
    assert delta.new_errors == []  # a missing bucket is a finding, not a coverage gap
    assert result.run.complete
    assert_exit_codes(result, never=ExitCode.OK)


def test_access_denied_on_one_bucket_is_error_not_fail(demo_world: DemoWorld) -> None:
    faults = FaultInjector()
    faults.error(
        on("s3", "GetObjectLockConfiguration", bucket=CENTRAL_BUCKET),
        "AccessDenied",
        403,
        message="Access Denied",
    )

    result = demo_world.scan(faults)

    users = {
        demo_world.trail_arn(name)
        for name in ("acme-org-trail", "identity-prod-trail", "log-archive-trail")
    }
    delta = assert_only_changed(demo_world.baseline, result, findings=users)
    for after in assert_verdicts(delta, users, "ERROR", "ACCESS_DENIED"):
        assert after["object_lock_enabled"] is None
        assert "AccessDenied" in after["reason"]
    assert [(e["stage"], e["error_code"]) for e in delta.new_errors] == [("bucket", "AccessDenied")]
    assert CENTRAL_BUCKET in delta.new_errors[0]["message"]
    assert result.run.complete  # the bucket was visited; the ERROR finding says what failed
    assert_exit_codes(result, never=ExitCode.INCOMPLETE)


def _throttle_everything(
    faults: FaultInjector, times: int | None, matches: Match | None = None
) -> None:
    """Throttle every call of every service ``times`` attempts in a row (None: always)."""
    for protocol, (code, status) in THROTTLE_BY_PROTOCOL.items():

        def of_protocol(call: Call, protocol: str = protocol) -> bool:
            return call.protocol == protocol and (matches is None or matches(call))

        faults.error(of_protocol, code, status, times=times, per_call=True, message="Rate exceeded")


def test_throttling_storm_within_the_retry_budget_changes_nothing(demo_world: DemoWorld) -> None:
    faults = FaultInjector()
    _throttle_everything(faults, times=MAX_ATTEMPTS - 1)

    result = demo_world.scan(faults)

    assert_only_changed(demo_world.baseline, result)
    assert result.errors == ()
    # Every call of every service was throttled and retried until it succeeded.
    assert {call.service for call in faults.calls} == {
        "sts",
        "organizations",
        "ec2",
        "cloudtrail",
        "s3",
        "s3control",
        "kms",
    }
    assert len(faults.attempts) == MAX_ATTEMPTS * len(faults.calls)
    assert_exit_codes(result, never=ExitCode.OK)


def test_throttling_longer_than_the_retry_budget_fails_only_those_units(
    demo_world: DemoWorld,
) -> None:
    payments_dev = demo_world.account("payments-dev")
    analytics = demo_world.account("analytics-prod")
    faults = FaultInjector()
    # Throttled for good: trails of one region, one bucket, and one account's AssumeRole ...
    endless = [
        on("cloudtrail", "DescribeTrails", account=payments_dev, region="eu-central-1"),
        on("s3", "GetObjectLockConfiguration", bucket="acme-orders-dev-cloudtrail"),
        lambda call: (
            call.operation == "AssumeRole" and f"::{analytics}:" in str(call.params.get("RoleArn"))
        ),
    ]
    _throttle_everything(faults, times=None, matches=lambda call: any(m(call) for m in endless))
    # ... while every other call of every service is throttled once and then succeeds.
    _throttle_everything(faults, times=1)

    result = demo_world.scan(faults)

    trails = {
        name: demo_world.trail_arn(name)
        for name in ("payments-dev-trail", "orders-dev-trail", "analytics-prod-trail")
    }
    delta = assert_only_changed(
        demo_world.baseline,
        result,
        findings=set(trails.values()),
        accounts={payments_dev, analytics},
    )
    assert delta.findings[trails["payments-dev-trail"]][1] is None  # its only region failed
    assert delta.findings[trails["analytics-prod-trail"]][1] is None  # account not scanned
    [orders_dev] = assert_verdicts(delta, {trails["orders-dev-trail"]}, "ERROR", "API_ERROR")
    assert "SlowDown" in orders_dev["reason"]
    before, after = delta.accounts[analytics]
    assert before is not None
    assert after == {
        **before,  # the account row says why it has no findings
        "scanned": False,
        "regions_scanned": 0,
        "error_code": "Throttling",
    }
    assert sorted(
        (e["account_id"], e["region"], e["stage"], e["error_code"]) for e in delta.new_errors
    ) == sorted(
        [
            (payments_dev, "eu-central-1", "trails", "ThrottlingException"),
            (analytics, None, "assume_role", "Throttling"),
            (demo_world.account("orders-dev"), "us-east-1", "bucket", "SlowDown"),
        ]
    )
    assert not result.run.complete
    assert_exit_codes(result, never=ExitCode.INCOMPLETE)


def test_connection_errors_and_read_timeouts(demo_world: DemoWorld) -> None:
    analytics = demo_world.account("analytics-prod")
    faults = FaultInjector()
    # Lasting: one region's CloudTrail endpoint times out, one bucket's endpoint refuses.
    faults.fail_network(
        on("cloudtrail", "DescribeTrails", account=analytics, region="eu-west-1"), "read"
    )
    faults.fail_network(
        on("s3", "GetObjectLockConfiguration", bucket="acme-orders-prod-cloudtrail"), "connect"
    )
    # Passing: every other call fails once, half by timeout, half by refused connection.
    faults.fail_network(
        lambda call: call.service in ("cloudtrail", "sts", "ec2"), "read", times=1, per_call=True
    )
    faults.fail_network(
        lambda call: call.service in ("s3", "organizations"), "connect", times=1, per_call=True
    )

    result = demo_world.scan(faults)

    # analytics-prod's trail is multi-region: the other regions still show it.
    orders_prod = demo_world.trail_arn("orders-prod-trail")
    delta = assert_only_changed(
        demo_world.baseline, result, findings={orders_prod}, accounts={analytics}
    )
    [after] = assert_verdicts(delta, {orders_prod}, "ERROR", "API_ERROR")
    assert "EndpointConnectionError" in after["reason"]
    assert sorted(
        (e["account_id"], e["region"], e["stage"], e["error_code"]) for e in delta.new_errors
    ) == sorted(
        [
            (analytics, "eu-west-1", "trails", "ReadTimeoutError"),
            (demo_world.account("orders-prod"), "us-east-1", "bucket", "EndpointConnectionError"),
        ]
    )
    assert not result.run.complete
    assert_exit_codes(result, never=ExitCode.INCOMPLETE)


def test_everything_unreachable_still_writes_an_honest_result(demo_world: DemoWorld) -> None:
    faults = FaultInjector()
    # Identity and discovery work; after that, no endpoint answers.
    faults.fail_network(
        lambda call: (
            call.service not in ("organizations",) and call.operation != "GetCallerIdentity"
        ),
        "connect",
    )

    result = demo_world.scan(faults)

    assert result.findings == ()
    assert not result.run.complete
    assert all(account.regions_scanned == 0 for account in result.accounts)
    # Only the caller's own account needs no AssumeRole; every member account failed there.
    assert [a.account_id for a in result.accounts if a.scanned] == [
        demo_world.org.management_account_id
    ]
    assert {error.error_code for error in result.errors} == {"EndpointConnectionError"}
    assert_exit_codes(result, never=ExitCode.INCOMPLETE, fail=ExitCode.INCOMPLETE)


def test_status_never_pass_when_the_lock_read_failed(demo_world: DemoWorld) -> None:
    faults = FaultInjector()
    faults.error(
        on("s3", "GetObjectLockConfiguration"),
        "InternalError",
        500,
        message="We encountered an internal error. Please try again.",
    )

    result = demo_world.scan(faults)

    assert {(f.status, f.reason_code) for f in result.findings} <= {
        (Status.ERROR, ReasonCode.API_ERROR),
        (Status.FAIL, ReasonCode.BUCKET_MISSING),
    }
    assert all("InternalError" in f.reason for f in result.findings if f.status is Status.ERROR)
    assert_exit_codes(result, never=ExitCode.INCOMPLETE)


def test_discovery_that_cannot_complete_is_a_clear_error(demo_world: DemoWorld) -> None:
    # Before any account is scanned nothing is written: a one-line error that names the AWS
    # error instead of a half-discovered organization. AWS not answering is not bad input
    # (exit 3, try again); an organization the caller may not read is (exit 2).
    throttled = FaultInjector()
    throttled.error(
        on("organizations", "ListAccountsForParent"),
        "TooManyRequestsException",
        message="AWS Organizations can't complete your request",
    )
    with pytest.raises(AwsUnavailableError, match=r"cannot read the organization.*TooManyRequests"):
        demo_world.scan(throttled)
    unreachable = FaultInjector()
    unreachable.fail_network(on("sts", "GetCallerIdentity"), "connect")
    with pytest.raises(AwsUnavailableError, match=r"EndpointConnectionError|Could not connect"):
        demo_world.scan(unreachable)
    busy = FaultInjector()
    busy.error(on("sts", "GetCallerIdentity"), "Throttling", message="Rate exceeded")
    with pytest.raises(AwsUnavailableError, match="Throttling") as caught:
        demo_world.scan(busy)
    assert not isinstance(caught.value, InputError)
    denied = FaultInjector()
    denied.error(
        on("organizations", "ListRoots"),
        "AccessDeniedException",
        message="not the management account",
    )
    with pytest.raises(InputError, match=r"cannot read the organization.*AccessDenied"):
        demo_world.scan(denied)
    assert "rejected the credentials" not in str(caught.value)  # they were never checked
