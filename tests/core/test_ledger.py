"""The ledger: what it records of a scan's outcomes, and the findings, coverage and errors it
turns them into. Outcomes are built here as values; no AWS, no coordinator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from orgscan.aws.organization import Organization
from orgscan.aws.sessions import CallerIdentity
from orgscan.config import build_settings
from orgscan.error_codes import INTERRUPTED, REGION_NOT_ENABLED
from orgscan.facts import Account, AwsError, BucketFacts, Trail
from orgscan.model import (
    AccountState,
    ErrorStage,
    LockMode,
    ReasonCode,
    ScanResult,
    Status,
    Versioning,
)
from orgscan.scan.ledger import Ledger
from orgscan.scan.planning import ScanPlan
from orgscan.scan.units import TrailsRead

MANAGEMENT = "111111111111"
MEMBER = "222222222222"
REGIONS = ("us-east-1", "eu-west-1")
START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def ledger(**cli: Any) -> Ledger:
    """A ledger for a two-account organization, scanning ``REGIONS`` unless told otherwise."""
    settings = build_settings(None, {"regions": list(REGIONS), **cli})
    accounts = tuple(
        Account(account_id, name, "Root", AccountState.ACTIVE)
        for account_id, name in ((MANAGEMENT, "management"), (MEMBER, "member"))
    )
    return Ledger(
        ScanPlan(
            settings=settings,
            identity=CallerIdentity(MANAGEMENT, f"arn:aws:iam::{MANAGEMENT}:user/auditor"),
            organization=Organization("o-example", MANAGEMENT, accounts),
            in_scope=frozenset({MANAGEMENT, MEMBER}),
            partition_regions=REGIONS,
        )
    )


def trail(owner: str, bucket: str, name: str = "main") -> Trail:
    """A multi-region trail of ``owner`` delivering to ``bucket``."""
    return Trail(
        trail_arn=f"arn:aws:cloudtrail:us-east-1:{owner}:trail/{name}",
        trail_name=name,
        account_id=owner,
        home_region="us-east-1",
        is_organization_trail=False,
        is_multi_region=True,
        bucket_name=bucket,
    )


def locked(bucket: str, owner: str | None, days: int = 400) -> BucketFacts:
    """A versioned bucket with a COMPLIANCE default retention of ``days``."""
    return BucketFacts(
        bucket, owner, "us-east-1", True, LockMode.COMPLIANCE, days, Versioning.ENABLED
    )


def read_everything(book: Ledger, trails: dict[str, list[Trail]]) -> None:
    """Both accounts prepared, every region read with ``trails`` (by account) in us-east-1,
    and each account's buckets listed (none)."""
    for account_id in (MANAGEMENT, MEMBER):
        book.regions_to_scan(account_id, list(REGIONS), None)
        for region in REGIONS:
            listed = trails.get(account_id, []) if region == "us-east-1" else []
            book.trails_read(account_id, region, TrailsRead(trails=listed))
        book.listing_succeeded(account_id)


def result(book: Ledger, *, interrupted: bool = False) -> ScanResult:
    return book.result(
        scannable=[MANAGEMENT, MEMBER], interrupted=interrupted, started=START, finished=START
    )


def test_a_complete_scan_gives_one_judged_finding_per_trail() -> None:
    book = ledger()
    good, bare = trail(MANAGEMENT, "logs-good"), trail(MEMBER, "logs-bare")
    read_everything(book, {MANAGEMENT: [good], MEMBER: [bare]})
    assert book.learn_owners(MANAGEMENT, {"logs-good": "us-east-1", "other": None}) == ["logs-good"]
    book.learn_owners(MEMBER, {"logs-bare": "us-east-1"})
    book.bucket_read("logs-good", locked("logs-good", MANAGEMENT))
    book.bucket_read(
        "logs-bare",
        BucketFacts("logs-bare", MEMBER, "us-east-1", False, None, None, Versioning.OFF),
    )

    scanned = result(book)

    assert [(f.trail_arn, f.status, f.reason_code) for f in scanned.findings] == [
        (good.trail_arn, Status.PASS, ReasonCode.COMPLIANT),
        (bare.trail_arn, Status.FAIL, ReasonCode.LOCK_NOT_CONFIGURED),
    ]
    assert scanned.errors == ()
    assert scanned.run.complete
    assert scanned.run.regions == tuple(sorted(REGIONS))
    assert [(a.account_id, a.scanned, a.regions_scanned) for a in scanned.accounts] == [
        (MANAGEMENT, True, 2),
        (MEMBER, True, 2),
    ]


def test_a_trail_listed_again_is_recorded_once() -> None:
    book = ledger()
    shared = trail(MANAGEMENT, "logs")
    book.regions_to_scan(MANAGEMENT, list(REGIONS), None)
    assert book.trails_read(MANAGEMENT, "us-east-1", TrailsRead(trails=[shared])) == [shared]
    assert book.trails_read(MANAGEMENT, "eu-west-1", TrailsRead(trails=[shared])) == []
    assert book.trails_by_bucket == {"logs": [shared]}


def test_a_requested_region_that_is_not_enabled_is_an_error_and_leaves_the_run_incomplete() -> None:
    book = ledger()
    assert book.regions_to_scan(MEMBER, ["us-east-1"], None) == ["us-east-1"]
    book.regions_to_scan(MANAGEMENT, list(REGIONS), None)

    scanned = result(book)

    assert [(e.account_id, e.region, e.stage, e.error_code) for e in scanned.errors] == [
        (MEMBER, "eu-west-1", ErrorStage.REGIONS, REGION_NOT_ENABLED)
    ]
    assert not scanned.run.complete


def test_a_region_denied_as_configured_is_neither_read_nor_an_error() -> None:
    book = ledger(denied_regions=["eu-west-1"])
    book.regions_to_scan(MANAGEMENT, list(REGIONS), None)
    book.trails_read(MANAGEMENT, "us-east-1", TrailsRead(trails=[]))
    denied = AwsError("AccessDenied", "with an explicit deny in a service control policy")
    book.trails_read(MANAGEMENT, "eu-west-1", denied)

    assert book.errors == []
    assert book.denied_expected == {(MANAGEMENT, "eu-west-1")}
    assert book.region_failed == set()


def test_an_unassumable_account_is_not_scanned_and_names_its_code() -> None:
    book = ledger()
    book.account_failed(MEMBER, AwsError("AccessDenied", "not authorized to assume"))
    book.regions_to_scan(MANAGEMENT, list(REGIONS), None)

    scanned = result(book)

    member = next(a for a in scanned.accounts if a.account_id == MEMBER)
    assert (member.scanned, member.error_code) == (False, "AccessDenied")
    assert [(e.account_id, e.stage) for e in scanned.errors] == [(MEMBER, ErrorStage.ASSUME_ROLE)]
    assert not scanned.run.complete


def test_an_unreadable_bucket_is_an_error_row_and_an_error_finding() -> None:
    book = ledger()
    read_everything(book, {MEMBER: [trail(MEMBER, "logs")]})
    book.learn_owners(MEMBER, {"logs": "us-east-1"})
    book.bucket_read("logs", AwsError("AccessDenied", "denied"))

    scanned = result(book)

    assert [(f.status, f.reason_code) for f in scanned.findings] == [
        (Status.ERROR, ReasonCode.ACCESS_DENIED)
    ]
    assert [(e.account_id, e.stage, e.error_code, e.message) for e in scanned.errors] == [
        (MEMBER, ErrorStage.BUCKET, "AccessDenied", "logs: denied")
    ]


def test_a_missing_bucket_is_a_finding_not_missing_evidence() -> None:
    book = ledger()
    read_everything(book, {MEMBER: [trail(MEMBER, "gone")]})
    book.bucket_read("gone", AwsError("NoSuchBucket", "The specified bucket does not exist"))

    scanned = result(book)

    assert [(f.status, f.reason_code) for f in scanned.findings] == [
        (Status.FAIL, ReasonCode.BUCKET_MISSING)
    ]
    assert scanned.errors == ()


def test_a_bucket_no_account_lists_is_outside_the_organization() -> None:
    book = ledger()
    read_everything(book, {MEMBER: [trail(MEMBER, "elsewhere")]})
    book.bucket_read("elsewhere", locked("elsewhere", None))

    (finding,) = result(book).findings

    assert (finding.reason_code, finding.bucket_account_id) == (
        ReasonCode.BUCKET_OUTSIDE_ORGANIZATION,
        None,
    )


def test_an_interrupted_scan_names_what_it_did_not_read() -> None:
    book = ledger()
    book.regions_to_scan(MANAGEMENT, list(REGIONS), None)
    book.trails_read(MANAGEMENT, "us-east-1", TrailsRead(trails=[trail(MANAGEMENT, "logs")]))

    scanned = result(book, interrupted=True)

    assert [(e.account_id, e.region, e.stage, e.error_code) for e in scanned.errors] == [
        (MANAGEMENT, "eu-west-1", ErrorStage.TRAILS, INTERRUPTED),
        (MEMBER, None, ErrorStage.ASSUME_ROLE, INTERRUPTED),
    ]
    (finding,) = scanned.findings
    assert finding.status is Status.ERROR
    assert not scanned.run.complete
