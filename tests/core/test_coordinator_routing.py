"""Where the coordinator sends each discovered item, on a fake AWS (``fake_sessions.py``): an
account to its listing and its regions, a region's trails to their health and their bucket, a
bucket to one read with its owner's credentials, a failed account to nothing further."""

from __future__ import annotations

from collections import Counter

from orgscan.model import ErrorStage, ReasonCode, Status
from tests.core.fake_sessions import MANAGEMENT, REGIONS, FakeWorld, account, scan, trail

MEMBER = "222222222222"
DENIED = "333333333333"
ACCOUNTS = (account(MANAGEMENT, "management"), account(MEMBER, "member"))


def test_a_prepared_account_is_listed_once_and_read_in_every_enabled_region() -> None:
    world = FakeWorld()
    scan(world, ACCOUNTS, (MANAGEMENT, MEMBER))
    assert sorted(world.called("DescribeTrails")) == sorted(
        (a, r) for a in (MANAGEMENT, MEMBER) for r in REGIONS
    )
    assert Counter(a for a, _ in world.called("ListBuckets")) == {MANAGEMENT: 1, MEMBER: 1}


def test_an_account_whose_role_fails_gets_nothing_further() -> None:
    world = FakeWorld(unassumable={DENIED})
    result = scan(world, (*ACCOUNTS, account(DENIED, "denied")), (MANAGEMENT, MEMBER, DENIED))
    assert DENIED not in {a for a, _, _ in world.clients}  # neither listed nor read
    (row,) = [e for e in result.errors if e.account_id == DENIED]
    assert (row.stage, row.error_code) == (ErrorStage.ASSUME_ROLE, "AccessDenied")
    coverage = {c.account_id: c for c in result.accounts}
    assert not coverage[DENIED].scanned
    assert coverage[MEMBER].scanned


def test_a_trail_seen_in_every_region_is_one_finding_with_one_health_read_by_its_owner() -> None:
    # A multi-region trail is listed in both regions, and the member also lists the
    # management account's trail (a shadow trail): each trail is judged and read once.
    shared = trail(MANAGEMENT, "org", "archive-logs")
    world = FakeWorld(
        buckets={"archive-logs": MANAGEMENT},
        locked={"archive-logs"},
        trails={MANAGEMENT: [shared], MEMBER: [shared]},
    )
    result = scan(world, ACCOUNTS, (MANAGEMENT, MEMBER))
    assert [f.trail_arn for f in result.findings] == [shared["TrailARN"]]
    assert world.called("GetTrailStatus") == [(MANAGEMENT, "us-east-1")]
    assert world.called("GetEventSelectors") == [(MANAGEMENT, "us-east-1")]


def test_a_bucket_of_several_trails_is_read_once_with_its_owners_credentials() -> None:
    world = FakeWorld(
        buckets={"member-logs": MEMBER},
        trails={
            MANAGEMENT: [trail(MANAGEMENT, "a", "member-logs")],
            MEMBER: [trail(MEMBER, "b", "member-logs", home="eu-west-1")],
        },
    )
    result = scan(world, ACCOUNTS, (MANAGEMENT, MEMBER))
    assert world.called("GetObjectLockConfiguration") == [(MEMBER, "us-east-1")]
    assert world.called("HeadBucket") == []  # ListBuckets told its region
    assert {(f.trail_name, f.bucket_account_id, f.reason_code) for f in result.findings} == {
        ("a", MEMBER, ReasonCode.LOCK_NOT_CONFIGURED),
        ("b", MEMBER, ReasonCode.LOCK_NOT_CONFIGURED),
    }


def test_owned_buckets_send_no_search_outside_the_scope() -> None:
    world = FakeWorld(
        buckets={"logs": MANAGEMENT}, trails={MEMBER: [trail(MEMBER, "main", "logs")]}
    )
    outside = account("444444444444", "log-archive")
    result = scan(world, (*ACCOUNTS, outside), (MANAGEMENT, MEMBER))
    assert "444444444444" not in {a for a, _, _ in world.clients}
    assert result.findings[0].status is Status.FAIL
    assert result.run.complete
