"""Odd replies during a scan: credentials that expire mid-scan, malformed or partial responses.

botocore refreshes ``RefreshableCredentials`` when fewer than
``botocore.credentials._DEFAULT_ADVISORY_REFRESH_TIMEOUT`` (15 min) remain, and blocks on a
refresh when fewer than ``_DEFAULT_MANDATORY_REFRESH_TIMEOUT`` (10 min) remain. The tests make
AssumeRole hand out credentials inside those windows and check that the role is assumed again.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore import credentials as botocore_credentials

from orgscan.cli.exitcodes import ExitCode, scan_exit_code
from orgscan.config import FailOn
from orgscan.errors import InputError
from tests.faults import Call, FaultInjector, on
from tests.reliability.compare import assert_only_changed, assert_verdicts
from tests.reliability.world import DemoWorld

# botocore's private refresh windows, which its stubs leave out.
ADVISORY = timedelta(seconds=botocore_credentials._DEFAULT_ADVISORY_REFRESH_TIMEOUT)  # type: ignore[attr-defined]
MANDATORY = timedelta(seconds=botocore_credentials._DEFAULT_MANDATORY_REFRESH_TIMEOUT)  # type: ignore[attr-defined]
#: Accounts whose own bucket is read after their buckets are listed.
BUCKET_OWNERS = (
    "log-archive",
    "payments-prod",
    "orders-prod",
    "analytics-prod",
    "payments-dev",
    "orders-dev",
)


def _assumed_account(call: Call) -> str:
    return str(call.params.get("RoleArn", "")).split(":")[4]


def _first_credentials_expire_at(faults: FaultInjector, when: Any) -> None:
    """Make the first AssumeRole of each account return credentials expiring at ``when()``."""
    seen: set[str] = set()

    def shorten(reply: dict[str, Any]) -> None:
        key = reply["AssumedRoleUser"]["Arn"].split(":")[4]
        if key not in seen:
            seen.add(key)
            reply["Credentials"]["Expiration"] = when()

    faults.mutate(on("sts", "AssumeRole"), shorten)


def _assume_role_counts(faults: FaultInjector) -> Counter[str]:
    return Counter(
        _assumed_account(call) for call in faults.calls if call.operation == "AssumeRole"
    )


def test_expired_credentials_are_refreshed_before_use(demo_world: DemoWorld) -> None:
    faults = FaultInjector()
    # Issued already inside the mandatory window (as if the clock had run on): refresh first.
    _first_credentials_expire_at(faults, lambda: datetime.now(UTC) + MANDATORY / 2)

    result = demo_world.scan(faults)

    assert_only_changed(demo_world.baseline, result)
    counts = _assume_role_counts(faults)
    members = set(demo_world.org.accounts.values()) - {
        demo_world.org.management_account_id,
        *demo_world.org.closed_account_ids,
    }
    assert set(counts) == members
    assert all(count >= 2 for count in counts.values()), counts


def test_credentials_expiring_mid_scan_are_refreshed(demo_world: DemoWorld) -> None:
    faults = FaultInjector()
    # Outside the advisory window for half a second, then inside it ...
    _first_credentials_expire_at(
        faults, lambda: datetime.now(UTC) + ADVISORY + timedelta(seconds=0.5)
    )
    # ... which each account reaches while listing its buckets, before its bucket is read.
    faults.delay(
        lambda call: (
            call.operation == "ListBuckets" and call.account != demo_world.org.management_account_id
        ),
        0.8,
    )

    result = demo_world.scan(faults)

    assert_only_changed(demo_world.baseline, result)
    counts = _assume_role_counts(faults)
    owners = [demo_world.account(name) for name in BUCKET_OWNERS]
    assert all(counts[account] >= 2 for account in owners), counts
    # The bucket reads after the refresh were signed with the new credentials.
    lock_reads = [call for call in faults.calls if call.operation == "GetObjectLockConfiguration"]
    assert {call.account for call in lock_reads} >= set(owners)


def _drop_keys(entry_matches: Any, *keys: str) -> Any:
    def change(reply: dict[str, Any]) -> None:
        for entry in reply.get("trailList", []):
            if entry_matches(entry):
                for key in keys:
                    entry.pop(key, None)

    return change


def _drop_account_keys(*keys: str, name: str | None = None) -> Any:
    """A change of ListAccountsForParent replies: ``keys`` removed from the account called
    ``name`` (every account when None)."""

    def change(reply: dict[str, Any]) -> None:
        for account in reply.get("Accounts", []):
            if name is None or account.get("Name") == name:
                for key in keys:
                    account.pop(key, None)

    return change


def test_trail_entries_without_arn_or_bucket(demo_world: DemoWorld) -> None:
    orders_prod = demo_world.trail_arn("orders-prod-trail")
    payments_prod = demo_world.trail_arn("payments-prod-trail")
    faults = FaultInjector()
    faults.mutate(
        on("cloudtrail", "DescribeTrails"),
        _drop_keys(lambda e: e.get("TrailARN") == orders_prod, "TrailARN"),
    )
    faults.mutate(
        on("cloudtrail", "DescribeTrails"),
        _drop_keys(lambda e: e.get("TrailARN") == payments_prod, "S3BucketName"),
    )

    result = demo_world.scan(faults)

    delta = assert_only_changed(
        demo_world.baseline,
        result,
        findings={orders_prod, payments_prod},
        accounts={demo_world.account("orders-prod"), demo_world.account("payments-prod")},
    )
    # Both trails are multi-region: every region lists the bad entry, and none is counted.
    for _, after_row in delta.accounts.values():
        assert after_row is not None
        assert after_row["regions_scanned"] == 0
    assert all(after is None for _, after in delta.findings.values())
    assert sorted(
        (e["account_id"], e["region"], e["stage"], e["error_code"]) for e in delta.new_errors
    ) == sorted(
        (demo_world.account(name), region, "trails", "MalformedResponse")
        for name in ("orders-prod", "payments-prod")
        for region in demo_world.org.regions
    )
    # Two trails could not be judged: the evidence is incomplete, and the exit code says so.
    assert not result.run.complete
    assert scan_exit_code(result, FailOn.NEVER) == ExitCode.INCOMPLETE


def test_trail_arn_without_an_account_id(demo_world: DemoWorld) -> None:
    payments_prod = demo_world.trail_arn("payments-prod-trail")
    faults = FaultInjector()

    def odd_arn(reply: dict[str, Any]) -> None:
        for entry in reply.get("trailList", []):
            if entry.get("TrailARN") == payments_prod:
                entry["TrailARN"] = payments_prod.replace(
                    demo_world.account("payments-prod"), "../../../outside"
                )

    faults.mutate(on("cloudtrail", "DescribeTrails"), odd_arn)

    result = demo_world.scan(faults)

    # The account in a trail's ARN names files: an ARN without one is a malformed entry.
    account = demo_world.account("payments-prod")
    delta = assert_only_changed(
        demo_world.baseline, result, findings={payments_prod}, accounts={account}
    )
    # A multi-region trail: every region lists it.
    assert [(e["account_id"], e["error_code"]) for e in delta.new_errors] == [
        (account, "MalformedResponse")
    ] * len(demo_world.org.regions)
    assert all(len(f.account_id) == 12 for f in result.findings)


def test_organization_account_without_id_is_refused(demo_world: DemoWorld) -> None:
    faults = FaultInjector()
    faults.mutate(
        on("organizations", "ListAccountsForParent"), _drop_account_keys("Id", name="orders-dev")
    )

    # Without the id, which accounts exist is unknown: no run folder, a clear error (exit 2).
    with pytest.raises(InputError, match="account without a valid id"):
        demo_world.scan(faults)


def test_list_buckets_without_buckets(demo_world: DemoWorld) -> None:
    log_archive = demo_world.account("log-archive")
    faults = FaultInjector()
    faults.mutate(
        on("s3", "ListBuckets", account=log_archive), lambda reply: reply.pop("Buckets", None)
    )

    result = demo_world.scan(faults)

    # A reply without a Buckets list proves nothing: the listing failed (a row), so the central
    # bucket is never called "outside the organization". Its owner is unknown now; log-archive's
    # own trail still lets it be read with log-archive's credentials, so the verdict stands.
    users = {
        demo_world.trail_arn(name)
        for name in ("acme-org-trail", "identity-prod-trail", "log-archive-trail")
    }
    delta = assert_only_changed(demo_world.baseline, result, findings=users)
    for after in assert_verdicts(delta, users, "PASS", "COMPLIANT"):
        assert after["bucket_account_id"] is None
    assert [(e["account_id"], e["stage"], e["error_code"]) for e in delta.new_errors] == [
        (log_archive, "bucket", "MalformedResponse")
    ]


def test_account_without_state_uses_status(demo_world: DemoWorld) -> None:
    faults = FaultInjector()
    faults.mutate(on("organizations", "ListAccountsForParent"), _drop_account_keys("State"))

    result = demo_world.scan(faults)

    assert_only_changed(demo_world.baseline, result)
    assert scan_exit_code(result, FailOn.NEVER) == ExitCode.OK


def test_account_without_any_state_is_not_silently_skipped(demo_world: DemoWorld) -> None:
    orders_dev = demo_world.account("orders-dev")
    faults = FaultInjector()
    faults.mutate(
        on("organizations", "ListAccountsForParent"),
        _drop_account_keys("State", "Status", name="orders-dev"),
    )

    result = demo_world.scan(faults)

    # Its trails are still scanned (or the run would have to admit the gap).
    delta = assert_only_changed(demo_world.baseline, result, accounts={orders_dev})
    before, after = delta.accounts[orders_dev]
    assert before is not None
    assert after == {**before, "state": "UNKNOWN"}
    assert result.run.complete


def test_describe_regions_without_regions(demo_world: DemoWorld) -> None:
    management = demo_world.org.management_account_id
    faults = FaultInjector()
    faults.mutate(on("ec2", "DescribeRegions"), lambda reply: reply.pop("Regions", None))

    # Without --regions the scan would cover what DescribeRegions lists: here, nothing.
    result = demo_world.scan(faults, org=False, exclude_accounts=[], regions=None)

    [account] = result.accounts
    assert account.account_id == management
    assert [e.error_code for e in result.errors if e.stage.value == "regions"] == [
        "MalformedResponse"
    ]
    # An empty answer is not "no region to scan": every region is tried, and the gap shown.
    assert account.regions_scanned > 0
    assert not result.run.complete
    assert scan_exit_code(result, FailOn.NEVER) == ExitCode.INCOMPLETE
