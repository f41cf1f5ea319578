"""The integrity checks beside the lock (contract 5.2): PASS, WARN, FAIL and ERROR of each,
judged from facts, with the fields they report."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from orgscan.cli.exitcodes import ExitCode, scan_exit_code
from orgscan.config import FailOn
from orgscan.facts import (
    BLOCK_SETTINGS,
    AccountBlock,
    AwsError,
    BucketFacts,
    BucketIntegrity,
    KeyFacts,
    LifecycleRule,
    Trail,
)
from orgscan.integrity import Integrity, IntegrityReads, assess, worst
from orgscan.model import (
    IntegrityCheck,
    IntegrityCode,
    LockMode,
    Policy,
    ScanResult,
    Status,
    Versioning,
)
from orgscan.prelock.step import with_prelock
from orgscan.prelock_count import Prelock, PrelockSource
from tests import builders

OWNER = "111111111111"
KEY = f"arn:aws:kms:eu-west-1:{OWNER}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TRAIL = Trail(
    trail_arn=f"arn:aws:cloudtrail:us-east-1:{OWNER}:trail/main",
    trail_name="main",
    account_id=OWNER,
    home_region="us-east-1",
    is_organization_trail=False,
    is_multi_region=True,
    bucket_name="logs",
    log_file_validation=True,
)
CLEAN = BucketIntegrity(lifecycle=(), is_public=False, blocked=BLOCK_SETTINGS)
FACTS = BucketFacts(
    "logs", OWNER, "us-east-1", True, LockMode.COMPLIANCE, 365, Versioning.ENABLED,
    mfa_delete=False, integrity=CLEAN,
)  # fmt: skip
DENIED = AwsError("AccessDenied", "Access Denied")


def judge(
    *,
    trail: Trail = TRAIL,
    facts: BucketFacts = FACTS,
    delivering: bool | None = True,
    error: str | None = None,
    policy: Policy | None = None,
    key: KeyFacts | None = None,
    block: AccountBlock | None = None,
) -> Integrity:
    reads = IntegrityReads(
        {key.key_arn: key} if key else {}, {OWNER: block} if block is not None else {}
    )
    return assess(trail, facts, delivering, error, policy or Policy(), reads)


def check(integrity: Integrity, code: IntegrityCode) -> tuple[Status, str]:
    (found,) = [entry for entry in integrity.checks if entry.check is code]
    return found.status, found.detail


def test_a_clean_trail_passes_every_check_in_the_contract_order() -> None:
    integrity = judge()
    assert [(entry.check, entry.status) for entry in integrity.checks] == [
        (IntegrityCode.DELIVERY, Status.PASS),
        (IntegrityCode.LOG_FILE_VALIDATION, Status.PASS),
        (IntegrityCode.LIFECYCLE, Status.PASS),
        (IntegrityCode.PUBLIC_ACCESS, Status.PASS),
    ]  # no key: no KMS_KEY entry
    assert (integrity.mfa_delete, integrity.public_access_blocked) == (False, True)
    assert integrity.lifecycle_expiration_days is None
    assert (integrity.kms_key_state, integrity.kms_key_rotation) == (None, None)
    assert worst(integrity.checks) is Status.PASS


@pytest.mark.parametrize(
    ("delivering", "error", "status", "words"),
    [
        (True, None, Status.PASS, "no delivery error"),
        (True, "NoSuchBucket", Status.WARN, "NoSuchBucket, but a delivery succeeded within 24"),
        (False, "AccessDenied", Status.FAIL, "AccessDenied and delivered no log file"),
        (None, None, Status.ERROR, "could not be read"),
    ],
)
def test_delivery(delivering: bool | None, error: str | None, status: Status, words: str) -> None:
    found = check(judge(delivering=delivering, error=error), IntegrityCode.DELIVERY)
    assert found[0] is status
    assert words in found[1]


@pytest.mark.parametrize(
    ("enabled", "required", "status"),
    [
        (True, True, Status.PASS),
        (False, False, Status.WARN),
        (False, True, Status.FAIL),
        (None, False, Status.ERROR),
    ],
)
def test_log_file_validation(enabled: bool | None, required: bool, status: Status) -> None:
    trail = replace(TRAIL, log_file_validation=enabled)
    policy = Policy(require_log_file_validation=required)
    assert check(judge(trail=trail, policy=policy), IntegrityCode.LOG_FILE_VALIDATION)[0] is status


@pytest.mark.parametrize(
    ("key", "status", "words"),
    [
        (KeyFacts(KEY, "Enabled", True), Status.PASS, "rotates automatically"),
        (KeyFacts(KEY, "Enabled", False), Status.WARN, "automatic rotation is off"),
        (KeyFacts(KEY, "Disabled", True), Status.FAIL, "is Disabled"),
        (KeyFacts(KEY, "PendingDeletion", None, rotation_error=DENIED), Status.FAIL, "Pending"),
        (KeyFacts(KEY, "PendingReplicaDeletion", False), Status.FAIL, "PendingReplicaDeletion"),
        (KeyFacts(KEY, None, None, error=DENIED), Status.ERROR, "(AccessDenied)"),
        (KeyFacts(KEY, "Enabled", None, rotation_error=DENIED), Status.ERROR, "rotation status"),
        (None, Status.ERROR, "(not read)"),
    ],
)
def test_kms_key(key: KeyFacts | None, status: Status, words: str) -> None:
    integrity = judge(trail=replace(TRAIL, kms_key_id=KEY), key=key)
    found = check(integrity, IntegrityCode.KMS_KEY)
    assert found[0] is status
    assert words in found[1]
    assert KEY in found[1]
    assert integrity.kms_key_state == (key.state if key else None)
    assert integrity.kms_key_rotation == (key.rotation if key else None)


def _rules(*rules: LifecycleRule) -> BucketFacts:
    return replace(FACTS, integrity=replace(CLEAN, lifecycle=rules))


@pytest.mark.parametrize(
    ("rules", "prefix", "days"),
    [
        ((LifecycleRule("", False, 400),), None, 400),  # the whole bucket
        ((LifecycleRule("AWSLogs/", False, 500), LifecycleRule("", False, 900)), None, 500),
        ((LifecycleRule("AWSLogs/111111111111/", False, 30),), None, 30),  # some log files
        ((LifecycleRule("other/", False, 1),), None, None),  # not the logs
        ((LifecycleRule("AWSLogs/", True, 1),), None, None),  # tagged: CloudTrail tags none
        ((LifecycleRule("AWSLogs/", False, 2),), "audit", None),  # logs under audit/AWSLogs/
        ((LifecycleRule("audit/", False, 3),), "audit/", 3),
    ],
)
def test_lifecycle_reaches_the_trails_prefix(
    rules: tuple[LifecycleRule, ...], prefix: str | None, days: int | None
) -> None:
    integrity = judge(trail=replace(TRAIL, s3_key_prefix=prefix), facts=_rules(*rules))
    assert integrity.lifecycle_expiration_days == days


@pytest.mark.parametrize(
    ("facts", "status", "words"),
    [
        (_rules(LifecycleRule("", False, 400)), Status.PASS, "after 400 days, no sooner"),
        (_rules(LifecycleRule("", False, 200)), Status.WARN, "sooner than the default retention"),
        (_rules(LifecycleRule("", False, 30)), Status.FAIL, "the policy keeps them 90 days"),
        (replace(FACTS, integrity=replace(CLEAN, lifecycle=None, lifecycle_error=DENIED)),
         Status.ERROR, "lifecycle could not be read (AccessDenied)"),
        (BucketFacts.unreadable("logs", OWNER, "us-east-1", DENIED), Status.ERROR,
         "could not be read (AccessDenied)"),
        (BucketFacts.unreadable("logs", None, None, AwsError("NoSuchBucket", "gone")),
         Status.FAIL, "does not exist: no log file is kept"),
    ],
)  # fmt: skip
def test_lifecycle(facts: BucketFacts, status: Status, words: str) -> None:
    found = check(judge(facts=facts, policy=Policy(min_retention_days=90)), IntegrityCode.LIFECYCLE)
    assert found[0] is status
    assert words in found[1]


def _public(
    is_public: bool | None = False, blocked: frozenset[str] | None = frozenset(), **errors: Any
) -> BucketFacts:
    return replace(FACTS, integrity=replace(CLEAN, is_public=is_public, blocked=blocked, **errors))


ALL = AccountBlock(OWNER, BLOCK_SETTINGS)


@pytest.mark.parametrize(
    ("facts", "block", "status", "blocked"),
    [
        (_public(blocked=BLOCK_SETTINGS), None, Status.PASS, True),  # the bucket's own
        (_public(), ALL, Status.PASS, True),  # the account's
        # Half on each side still blocks everything: S3 applies the stricter per setting.
        (_public(blocked=frozenset({"BlockPublicAcls", "IgnorePublicAcls"})),
         AccountBlock(OWNER, frozenset({"BlockPublicPolicy", "RestrictPublicBuckets"})),
         Status.PASS, True),
        (_public(), AccountBlock(OWNER, frozenset({"BlockPublicAcls"})), Status.WARN, False),
        (_public(is_public=True), ALL, Status.FAIL, True),
        (_public(is_public=None, policy_status_error=DENIED), ALL, Status.ERROR, True),
        (_public(blocked=None, block_error=DENIED), ALL, Status.ERROR, None),
        (_public(), AccountBlock(OWNER, None, DENIED), Status.ERROR, None),
        (_public(), None, Status.ERROR, None),  # the account's block was not read
        (BucketFacts.unreadable("logs", None, None, AwsError("NoSuchBucket", "gone")), None,
         Status.FAIL, None),
    ],
)  # fmt: skip
def test_public_access(
    facts: BucketFacts, block: AccountBlock | None, status: Status, blocked: bool | None
) -> None:
    integrity = judge(facts=facts, block=block)
    assert check(integrity, IntegrityCode.PUBLIC_ACCESS)[0] is status
    assert integrity.public_access_blocked is blocked


def test_an_unreadable_bucket_is_never_pass() -> None:
    integrity = judge(facts=BucketFacts.unreadable("logs", OWNER, "us-east-1", DENIED))
    statuses = {entry.check: entry.status for entry in integrity.checks}
    assert statuses[IntegrityCode.LIFECYCLE] is Status.ERROR
    assert statuses[IntegrityCode.PUBLIC_ACCESS] is Status.ERROR
    assert worst(integrity.checks) is Status.ERROR
    assert integrity.mfa_delete is None


def test_worst_lists_failures_first() -> None:
    integrity = judge(
        trail=replace(TRAIL, log_file_validation=False, kms_key_id=KEY),
        key=KeyFacts(KEY, None, None, error=DENIED),
        facts=_public(is_public=True),
    )
    assert worst(integrity.checks) is Status.FAIL
    assert worst(()) is None


def _counted(unprotected: int, error: str | None = None) -> Prelock:
    return Prelock(
        PrelockSource.SAMPLE,
        checked=6,
        unprotected=unprotected,
        oldest_unprotected="2024-10-01T00:00:00Z" if unprotected else None,
        prefixes=("AWSLogs/",),
        error=error,
    )


@pytest.mark.parametrize(
    ("unprotected", "error", "status", "words"),
    [
        (2, None, Status.WARN, "2 of 6 sampled log files have no retention in force"),
        (0, None, Status.PASS, "a sample: not proof that none are unprotected"),
        (0, "AccessDenied", Status.ERROR, "the count stopped at an AWS error (AccessDenied)"),
    ],
)
def test_prelock_follows_the_count_set_on_the_finding(
    unprotected: int, error: str | None, status: Status, words: str
) -> None:
    plain = replace(builders.finding(), integrity=judge().checks)
    assert IntegrityCode.PRELOCK not in {c.check for c in plain.integrity}  # not counted
    (counted,) = with_prelock([plain], {plain.bucket_name: _counted(unprotected, error)})
    # Last, after the checks the scan made before the count, with the count's own sentence.
    last = counted.integrity[-1]
    assert counted.integrity[:-1] == plain.integrity
    assert (last.check, last.status) == (IntegrityCode.PRELOCK, status)
    assert words in last.detail
    # It counts for the exit code like the other checks: WARN under --fail-on WARN, ERROR 3.
    code = scan_exit_code(ScanResult(run=builders.run_info(), findings=(counted,)), FailOn.WARN)
    assert code == {Status.PASS: ExitCode.OK, Status.WARN: ExitCode.FINDINGS}.get(
        status, ExitCode.INCOMPLETE
    )


def test_a_recorded_prelock_entry_is_kept_as_written() -> None:
    # verify --recompute compares it with the evidence's: reading it must not rewrite it.
    forged = IntegrityCheck(IntegrityCode.PRELOCK, Status.PASS, "none")
    read = replace(builders.finding(), integrity=(forged,), prelock=_counted(3))
    assert read.integrity == (forged,)
    # The count the evidence gives replaces it: the difference is named, never hidden.
    (derived,) = with_prelock([read], {read.bucket_name: _counted(3)})
    assert [c.status for c in derived.integrity] == [Status.WARN]
