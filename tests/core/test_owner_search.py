"""The search for the owner of a bucket no scanned account owns, on a fake AWS
(``tests/core/fake_sessions.py``): the owner found, "could not tell", or outside the
organization; and ``OwnerSearch``'s own bookkeeping."""

from __future__ import annotations

from orgscan.aws.organization import Organization
from orgscan.aws.sessions import CallerIdentity
from orgscan.config import build_settings
from orgscan.facts import Account
from orgscan.model import AccountState, ReasonCode, Status
from orgscan.scan.owners import OwnerSearch, search_order
from orgscan.scan.planning import ScanPlan
from tests.core.fake_sessions import MANAGEMENT, REGIONS, FakeWorld, account, scan, trail

MEMBER = "222222222222"
WORKLOAD = "333333333333"
ARCHIVE = "444444444444"
OUTSIDER = "999999999999"
ACCOUNTS = (
    account(MANAGEMENT, "management"),
    account(MEMBER, "member"),
    account(WORKLOAD, "workload"),
    account(ARCHIVE, "log-archive"),
)
IN_SCOPE = (MANAGEMENT, MEMBER)


def _world(owner: str | None, **changes: object) -> FakeWorld:
    """The member's one trail delivers to ``central-logs``, owned by ``owner`` (None: no one)."""
    world = FakeWorld(
        buckets={"member-own": MEMBER} | ({"central-logs": owner} if owner else {}),
        locked={"central-logs"},
        trails={MEMBER: [trail(MEMBER, "main", "central-logs")]},
    )
    for name, value in changes.items():
        setattr(world, name, value)
    return world


def test_a_bucket_owned_outside_the_scope_is_read_with_its_owners_credentials() -> None:
    world = _world(ARCHIVE)
    result = scan(world, ACCOUNTS, IN_SCOPE)
    (finding,) = result.findings
    assert finding.bucket_account_id == ARCHIVE
    assert (finding.status, finding.reason_code) == (Status.PASS, ReasonCode.COMPLIANT)
    assert (ARCHIVE, "us-east-1") in world.called("GetObjectLockConfiguration")
    # The likely log archive is listed first (both other accounts are one batch of workers=2).
    listed_outside = [a for a, _ in world.called("ListBuckets") if a not in IN_SCOPE]
    assert listed_outside == [ARCHIVE, WORKLOAD]


def test_an_owner_inside_the_scope_needs_no_search() -> None:
    world = _world(MANAGEMENT)
    result = scan(world, ACCOUNTS, IN_SCOPE)
    assert result.findings[0].bucket_account_id == MANAGEMENT
    assert sorted(a for a, _ in world.called("ListBuckets")) == sorted(IN_SCOPE)
    assert world.called("HeadBucket") == []  # not probed: its owner was known


def test_a_failed_listing_leaves_the_bucket_could_not_tell() -> None:
    # The bucket belongs to no account that could list; the archive's role cannot be assumed,
    # so it might be the archive's: ERROR, never "outside the organization".
    world = _world(OUTSIDER, unassumable={ARCHIVE})
    result = scan(world, ACCOUNTS, IN_SCOPE)
    (finding,) = result.findings
    assert finding.status is Status.ERROR
    assert finding.reason_code is ReasonCode.ACCESS_DENIED
    assert finding.bucket_account_id is None


def test_a_bucket_no_account_listed_is_outside_when_every_listing_succeeded() -> None:
    world = _world(OUTSIDER)
    result = scan(world, ACCOUNTS, IN_SCOPE)
    (finding,) = result.findings
    assert (finding.status, finding.reason_code) == (
        Status.FAIL,
        ReasonCode.BUCKET_OUTSIDE_ORGANIZATION,
    )
    assert finding.bucket_account_id is None
    listed = {a for a, _ in world.called("ListBuckets")}
    assert listed == {MANAGEMENT, MEMBER, WORKLOAD, ARCHIVE}


def test_a_bucket_that_is_gone_is_missing_not_outside() -> None:
    world = _world(None)
    result = scan(world, ACCOUNTS, IN_SCOPE)
    (finding,) = result.findings
    assert (finding.status, finding.reason_code) == (Status.FAIL, ReasonCode.BUCKET_MISSING)
    assert world.called("HeadBucket")  # the probe told it was gone


def test_a_suspended_account_is_not_searched() -> None:
    accounts = (*ACCOUNTS, account("555555555555", "old-logs", AccountState.SUSPENDED))
    world = _world(OUTSIDER)
    result = scan(world, accounts, IN_SCOPE)
    assert "555555555555" not in {a for a, _ in world.called("ListBuckets")}
    assert result.findings[0].reason_code is ReasonCode.BUCKET_OUTSIDE_ORGANIZATION


# ------------------------------------------------------------------ OwnerSearch alone


def _plan(accounts: tuple[Account, ...], in_scope: tuple[str, ...]) -> ScanPlan:
    return ScanPlan(
        settings=build_settings(None, {"regions": list(REGIONS)}),
        identity=CallerIdentity(MANAGEMENT, f"arn:aws:iam::{MANAGEMENT}:user/auditor"),
        organization=Organization("o-example", MANAGEMENT, accounts),
        in_scope=frozenset(in_scope),
        partition_regions=REGIONS,
    )


def test_likely_log_archives_are_searched_first_then_by_id() -> None:
    accounts = [
        account("600000000000", "workload-b"),
        account("500000000000", "Security-Tooling"),
        account("700000000000", None),  # type: ignore[arg-type]
        account("400000000000", "workload-a"),
        account("800000000000", "audit"),
    ]
    assert search_order(accounts) == [
        "500000000000",
        "800000000000",
        "400000000000",
        "600000000000",
        "700000000000",
    ]


def test_the_search_starts_only_after_every_scanned_account_listed_its_own() -> None:
    search = OwnerSearch(_plan(ACCOUNTS, IN_SCOPE), scannable=2)
    assert search.other_accounts == [ARCHIVE, WORKLOAD]
    assert not search.may_start()  # two accounts not prepared yet
    search.unprepared = 0
    search.own_listings = 1
    assert not search.may_start()  # a listing of a scanned account is still out
    search.own_listings = 0
    assert search.may_start()


def test_batches_take_at_least_one_account_and_count_as_searching() -> None:
    search = OwnerSearch(_plan(ACCOUNTS, (MANAGEMENT,)), scannable=0)
    assert search.next_batch(0) == [ARCHIVE]
    assert search.next_batch(5) == [MEMBER, WORKLOAD]
    assert search.searching == 3
    assert search.other_accounts == []
    assert not search.may_start()  # nowhere left to look


def test_each_bucket_is_probed_once() -> None:
    search = OwnerSearch(_plan(ACCOUNTS, IN_SCOPE), scannable=0)
    assert search.to_probe(["a", "b"]) == ["a", "b"]
    assert search.to_probe(["a", "b", "c"]) == ["c"]
    search.probe_done("a")
    assert search.probing == {"b", "c"}
    assert search.probed == {"a", "b", "c"}
