"""The rule, table-tested: every reason code and status, precedence, and ERROR never hidden."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgscan.facts import AwsError, BucketFacts
from orgscan.model import LockMode, Policy, ReasonCode, RequiredMode, Status, Versioning
from orgscan.rule import evaluate

BUCKET = "trail-logs"
ANY = Policy()
MIN_90 = Policy(min_retention_days=90)
NEEDS_COMPLIANCE = Policy(require_mode=RequiredMode.COMPLIANCE)
NEEDS_GOVERNANCE = Policy(require_mode=RequiredMode.GOVERNANCE)
STRICT = Policy(require_mode=RequiredMode.COMPLIANCE, min_retention_days=90)
NO_RULE_NEEDED = Policy(require_default_retention=False)


def locked(mode: LockMode | None, days: int | None, enabled: bool | None = True) -> BucketFacts:
    """A readable bucket with Object Lock ``enabled`` and a default rule of ``mode``/``days``."""
    return BucketFacts(BUCKET, "111111111111", "us-east-1", enabled, mode, days, Versioning.ENABLED)


def failed(code: str, message: str = "boom") -> BucketFacts:
    """A bucket whose read failed with the AWS error ``code``."""
    return BucketFacts.unreadable(BUCKET, None, None, AwsError(code, message))


def outside(facts: BucketFacts) -> BucketFacts:
    """``facts`` of a bucket that no account of the organization owns."""
    return replace(facts, bucket_account_id=None, outside_organization=True)


GOV, COMP = LockMode.GOVERNANCE, LockMode.COMPLIANCE

# (facts, policy, status, reason code, other codes the reason must mention)
TABLE = [
    pytest.param(locked(COMP, 365), ANY, Status.PASS, ReasonCode.COMPLIANT, (), id="compliant"),
    pytest.param(locked(GOV, 1), ANY, Status.PASS, ReasonCode.COMPLIANT, (), id="any-mode-1-day"),
    pytest.param(
        locked(None, None, enabled=False),
        ANY,
        Status.FAIL,
        ReasonCode.LOCK_NOT_CONFIGURED,
        (),
        id="lock-off",
    ),
    pytest.param(
        locked(None, None, enabled=False),
        STRICT,
        Status.FAIL,
        ReasonCode.LOCK_NOT_CONFIGURED,
        (),
        id="lock-off-strict-policy",
    ),
    pytest.param(
        locked(None, None),
        ANY,
        Status.FAIL,
        ReasonCode.NO_DEFAULT_RETENTION,
        (),
        id="no-default-retention",
    ),
    pytest.param(
        locked(None, None),
        NO_RULE_NEEDED,
        Status.WARN,
        ReasonCode.NO_DEFAULT_RETENTION,
        (),
        id="no-rule-not-required-still-warns",
    ),
    pytest.param(
        locked(GOV, 365),
        NEEDS_COMPLIANCE,
        Status.FAIL,
        ReasonCode.MODE_NOT_ALLOWED,
        (),
        id="governance-under-compliance",
    ),
    pytest.param(
        locked(COMP, 365),
        NEEDS_GOVERNANCE,
        Status.PASS,
        ReasonCode.COMPLIANT,
        (),
        id="compliance-satisfies-governance",
    ),
    pytest.param(
        locked(GOV, 365),
        NEEDS_GOVERNANCE,
        Status.PASS,
        ReasonCode.COMPLIANT,
        (),
        id="governance-under-governance",
    ),
    pytest.param(
        locked(COMP, 89),
        MIN_90,
        Status.FAIL,
        ReasonCode.RETENTION_TOO_SHORT,
        (),
        id="one-day-short",
    ),
    pytest.param(
        locked(COMP, 90), MIN_90, Status.PASS, ReasonCode.COMPLIANT, (), id="exactly-the-minimum"
    ),
    pytest.param(
        failed("NoSuchBucket"),
        STRICT,
        Status.FAIL,
        ReasonCode.BUCKET_MISSING,
        (),
        id="missing-bucket",
    ),
    pytest.param(
        failed("AccessDenied"), ANY, Status.ERROR, ReasonCode.ACCESS_DENIED, (), id="access-denied"
    ),
    pytest.param(
        failed("InternalError"), ANY, Status.ERROR, ReasonCode.API_ERROR, (), id="api-error"
    ),
    # Precedence: the first that applies wins, the reason names the others.
    pytest.param(
        locked(None, None),
        STRICT,
        Status.FAIL,
        ReasonCode.NO_DEFAULT_RETENTION,
        (ReasonCode.MODE_NOT_ALLOWED, ReasonCode.RETENTION_TOO_SHORT),
        id="no-rule-beats-mode-and-length",
    ),
    # The worst status wins: a WARN reason first in precedence never hides a FAIL.
    pytest.param(
        locked(None, None),
        Policy(
            require_default_retention=False,
            require_mode=RequiredMode.COMPLIANCE,
            min_retention_days=365,
        ),
        Status.FAIL,
        ReasonCode.MODE_NOT_ALLOWED,
        (ReasonCode.NO_DEFAULT_RETENTION, ReasonCode.RETENTION_TOO_SHORT),
        id="relaxed-no-rule-still-fails-mode-and-length",
    ),
    pytest.param(
        locked(COMP, 364),
        Policy(require_mode=RequiredMode.COMPLIANCE, min_retention_days=365),
        Status.FAIL,
        ReasonCode.RETENTION_TOO_SHORT,
        (),
        id="one-day-short-of-a-year",
    ),
    pytest.param(
        outside(locked(COMP, 365)),
        ANY,
        Status.FAIL,
        ReasonCode.BUCKET_OUTSIDE_ORGANIZATION,
        (),
        id="outside-but-locked",
    ),
    pytest.param(
        outside(failed("AccessDenied")),
        STRICT,
        Status.FAIL,
        ReasonCode.BUCKET_OUTSIDE_ORGANIZATION,
        (),
        id="outside-unreadable",
    ),
    pytest.param(
        outside(locked(None, None, enabled=False)),
        ANY,
        Status.FAIL,
        ReasonCode.BUCKET_OUTSIDE_ORGANIZATION,
        (ReasonCode.LOCK_NOT_CONFIGURED,),
        id="outside-and-unlocked",
    ),
    pytest.param(
        outside(failed("NoSuchBucket")),
        ANY,
        Status.FAIL,
        ReasonCode.BUCKET_MISSING,
        (),
        id="gone-beats-outside",
    ),
    pytest.param(
        locked(GOV, 30),
        STRICT,
        Status.FAIL,
        ReasonCode.MODE_NOT_ALLOWED,
        (ReasonCode.RETENTION_TOO_SHORT,),
        id="mode-beats-length",
    ),
    pytest.param(
        locked(None, None),
        NEEDS_GOVERNANCE,
        Status.FAIL,
        ReasonCode.NO_DEFAULT_RETENTION,
        (ReasonCode.MODE_NOT_ALLOWED,),
        id="no-rule-beats-mode",
    ),
    pytest.param(
        locked(None, None),
        Policy(require_default_retention=False, min_retention_days=90),
        Status.FAIL,
        ReasonCode.RETENTION_TOO_SHORT,
        (ReasonCode.NO_DEFAULT_RETENTION,),
        id="no-rule-allowed-but-minimum-set",
    ),
]


@pytest.mark.parametrize(("facts", "policy", "status", "code", "also"), TABLE)
def test_rule_table(
    facts: BucketFacts,
    policy: Policy,
    status: Status,
    code: ReasonCode,
    also: tuple[ReasonCode, ...],
) -> None:
    verdict = evaluate(facts, policy)
    assert (verdict.status, verdict.reason_code) == (status, code)
    assert BUCKET in verdict.reason
    for other in also:
        assert other.value in verdict.reason
    # Only the codes that apply after the winner are named, never the winner or unrelated ones.
    named = {c for c in ReasonCode if c.value in verdict.reason}
    assert named == set(also)


def test_reasons_carry_the_numbers_and_modes() -> None:
    short = evaluate(locked(GOV, 30), MIN_90).reason
    assert "30 days" in short
    assert "at least 90" in short
    mode = evaluate(locked(GOV, 365), NEEDS_COMPLIANCE).reason
    assert "GOVERNANCE" in mode
    assert "COMPLIANCE" in mode
    assert "365 days" in evaluate(locked(COMP, 365), ANY).reason


@pytest.mark.parametrize("code", ["AccessDenied", "403", "Forbidden", "AllAccessDisabled"])
def test_every_access_denied_code_is_access_denied(code: str) -> None:
    verdict = evaluate(failed(code), STRICT)
    assert (verdict.status, verdict.reason_code) == (Status.ERROR, ReasonCode.ACCESS_DENIED)


@pytest.mark.parametrize(
    "code", ["InternalError", "SlowDown", "PermanentRedirect", "ConnectTimeoutError", "Interrupted"]
)
def test_other_failures_are_api_errors_naming_the_code(code: str) -> None:
    verdict = evaluate(failed(code, "it went wrong"), STRICT)
    assert (verdict.status, verdict.reason_code) == (Status.ERROR, ReasonCode.API_ERROR)
    assert code in verdict.reason
    assert "it went wrong" in verdict.reason


@pytest.mark.parametrize("code", ["NoSuchBucket", "404", "NotFound"])
def test_every_missing_bucket_code_is_bucket_missing(code: str) -> None:
    verdict = evaluate(failed(code), ANY)
    assert (verdict.status, verdict.reason_code) == (Status.FAIL, ReasonCode.BUCKET_MISSING)


@settings(max_examples=300, deadline=None)
@given(
    enabled=st.sampled_from([True, False, None]),
    mode=st.sampled_from([None, *LockMode]),
    days=st.one_of(st.none(), st.integers(min_value=0, max_value=40000)),
    error=st.sampled_from([None, "AccessDenied", "NoSuchBucket", "InternalError", "403"]),
    policy=st.builds(
        Policy,
        require_default_retention=st.booleans(),
        require_mode=st.sampled_from(list(RequiredMode)),
        min_retention_days=st.one_of(st.none(), st.integers(1, 36500)),
    ),
)
def test_never_pass_unless_the_lock_is_enabled_and_read(
    enabled: bool | None,
    mode: LockMode | None,
    days: int | None,
    error: str | None,
    policy: Policy,
) -> None:
    facts = BucketFacts(
        BUCKET, None, None, enabled, mode, days, None, AwsError(error, "boom") if error else None
    )
    verdict = evaluate(facts, policy)
    if verdict.status is Status.PASS:
        assert enabled is True
        assert error is None
    # "Could not tell" is never "not locked", and a readable bucket is never ERROR. A read
    # that neither failed nor said whether the lock is on could not tell either.
    unreadable = error in ("AccessDenied", "InternalError", "403") or (
        error is None and enabled is None
    )
    assert (verdict.status is Status.ERROR) == unreadable


def test_a_bucket_read_that_returned_nothing_is_an_error_not_a_failure() -> None:
    verdict = evaluate(locked(None, None, enabled=None), Policy())
    assert (verdict.status, verdict.reason_code) == (Status.ERROR, ReasonCode.API_ERROR)


_SEVERITY = {Status.PASS: 0, Status.WARN: 1, Status.FAIL: 2}
_ORDER = [
    ReasonCode.BUCKET_MISSING,
    ReasonCode.BUCKET_OUTSIDE_ORGANIZATION,
    ReasonCode.LOCK_NOT_CONFIGURED,
    ReasonCode.NO_DEFAULT_RETENTION,
    ReasonCode.MODE_NOT_ALLOWED,
    ReasonCode.RETENTION_TOO_SHORT,
]


def _applicable(facts: BucketFacts, policy: Policy) -> dict[ReasonCode, Status]:
    """The contract's reasons, written out independently of the rule, with their status."""
    if facts.error_code == "NoSuchBucket":
        return {ReasonCode.BUCKET_MISSING: Status.FAIL}
    found: dict[ReasonCode, Status] = {}
    if facts.outside_organization:
        found[ReasonCode.BUCKET_OUTSIDE_ORGANIZATION] = Status.FAIL
        if facts.error_code is not None:
            return found
    if facts.object_lock_enabled is False:
        found[ReasonCode.LOCK_NOT_CONFIGURED] = Status.FAIL
        return found
    days = facts.retention_days or 0
    if facts.lock_mode is None or days == 0:
        found[ReasonCode.NO_DEFAULT_RETENTION] = (
            Status.FAIL if policy.require_default_retention else Status.WARN
        )
    strength = {None: 0, LockMode.GOVERNANCE: 1, LockMode.COMPLIANCE: 2}[facts.lock_mode]
    if (
        strength
        < {RequiredMode.ANY: 0, RequiredMode.GOVERNANCE: 1, RequiredMode.COMPLIANCE: 2}[
            policy.require_mode
        ]
    ):
        found[ReasonCode.MODE_NOT_ALLOWED] = Status.FAIL
    if policy.min_retention_days is not None and days < policy.min_retention_days:
        found[ReasonCode.RETENTION_TOO_SHORT] = Status.FAIL
    return found


@settings(max_examples=400, deadline=None)
@given(
    mode=st.sampled_from([None, *LockMode]),
    days=st.one_of(st.none(), st.integers(min_value=0, max_value=4000)),
    enabled=st.booleans(),
    error=st.sampled_from([None, "NoSuchBucket", "AccessDenied"]),
    outside_org=st.booleans(),
    policy=st.builds(
        Policy,
        require_default_retention=st.booleans(),
        require_mode=st.sampled_from(list(RequiredMode)),
        min_retention_days=st.one_of(st.none(), st.integers(1, 3650)),
    ),
)
def test_status_is_the_worst_reason_and_code_the_first_of_that_status(
    mode: LockMode | None,
    days: int | None,
    enabled: bool,
    error: str | None,
    outside_org: bool,
    policy: Policy,
) -> None:
    if error == "AccessDenied" and not outside_org:
        return  # an unreadable bucket of the organization is ERROR, tested above
    lock = None if error else enabled
    facts = BucketFacts(
        BUCKET,
        None,
        None,
        lock,
        None if error else mode,
        None if error else days,
        None,
        AwsError(error, "boom") if error else None,
        outside_organization=outside_org,
    )
    verdict = evaluate(facts, policy)
    applicable = _applicable(facts, policy)
    if not applicable:
        assert (verdict.status, verdict.reason_code) == (Status.PASS, ReasonCode.COMPLIANT)
        return
    worst = max(applicable.values(), key=_SEVERITY.__getitem__)
    first = next(code for code in _ORDER if applicable.get(code) is worst)
    assert (verdict.status, verdict.reason_code) == (worst, first)
    named = {code for code in ReasonCode if code.value in verdict.reason}
    assert named == set(applicable) - {first}


def test_control_towers_bucket_is_named_as_such_when_it_fails() -> None:
    bucket = "aws-controltower-logs-111111111111-us-east-1"
    facts = BucketFacts(bucket, "111111111111", "us-east-1", False, None, None, Versioning.ENABLED)
    verdict = evaluate(facts, ANY)
    assert verdict.reason_code is ReasonCode.LOCK_NOT_CONFIGURED
    assert "AWS Control Tower's log bucket" in verdict.reason
    # The landing zone's retention is a lifecycle expiry: it is not where a lock is set.
    assert "log retention setting is a lifecycle expiration, not Object Lock" in verdict.reason
    assert "change its retention through the landing zone" not in verdict.reason
    assert "Control Tower" not in evaluate(locked(COMP, 365), ANY).reason
