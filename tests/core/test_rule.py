"""The rule, table-tested: every reason code and status, precedence, and ERROR never hidden."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgscan.model import (
    BucketFacts,
    LockMode,
    Policy,
    ReasonCode,
    RequiredMode,
    Status,
    Versioning,
)
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
    return BucketFacts(BUCKET, "111111111111", "us-east-1", enabled, mode, days,
                       Versioning.ENABLED)


def failed(code: str, message: str = "boom") -> BucketFacts:
    """A bucket whose read failed with the AWS error ``code``."""
    return BucketFacts.unreadable(BUCKET, None, None, code, message)


GOV, COMP = LockMode.GOVERNANCE, LockMode.COMPLIANCE

# (facts, policy, status, reason code, other codes the reason must mention)
TABLE = [
    pytest.param(locked(COMP, 365), ANY, Status.PASS, ReasonCode.COMPLIANT, (), id="compliant"),
    pytest.param(locked(GOV, 1), ANY, Status.PASS, ReasonCode.COMPLIANT, (), id="any-mode-1-day"),
    pytest.param(locked(None, None, enabled=False), ANY, Status.FAIL,
                 ReasonCode.LOCK_NOT_CONFIGURED, (), id="lock-off"),
    pytest.param(locked(None, None, enabled=False), STRICT, Status.FAIL,
                 ReasonCode.LOCK_NOT_CONFIGURED, (), id="lock-off-strict-policy"),
    pytest.param(locked(None, None), ANY, Status.WARN, ReasonCode.NO_DEFAULT_RETENTION, (),
                 id="no-default-retention"),
    pytest.param(locked(None, None), NO_RULE_NEEDED, Status.PASS, ReasonCode.COMPLIANT, (),
                 id="no-rule-not-required"),
    pytest.param(locked(GOV, 365), NEEDS_COMPLIANCE, Status.FAIL, ReasonCode.MODE_NOT_ALLOWED,
                 (), id="governance-under-compliance"),
    pytest.param(locked(COMP, 365), NEEDS_GOVERNANCE, Status.PASS, ReasonCode.COMPLIANT, (),
                 id="compliance-satisfies-governance"),
    pytest.param(locked(GOV, 365), NEEDS_GOVERNANCE, Status.PASS, ReasonCode.COMPLIANT, (),
                 id="governance-under-governance"),
    pytest.param(locked(COMP, 89), MIN_90, Status.FAIL, ReasonCode.RETENTION_TOO_SHORT, (),
                 id="one-day-short"),
    pytest.param(locked(COMP, 90), MIN_90, Status.PASS, ReasonCode.COMPLIANT, (),
                 id="exactly-the-minimum"),
    pytest.param(failed("NoSuchBucket"), STRICT, Status.FAIL, ReasonCode.BUCKET_MISSING, (),
                 id="missing-bucket"),
    pytest.param(failed("AccessDenied"), ANY, Status.ERROR, ReasonCode.ACCESS_DENIED, (),
                 id="access-denied"),
    pytest.param(failed("InternalError"), ANY, Status.ERROR, ReasonCode.API_ERROR, (),
                 id="api-error"),
    # Precedence: the first that applies wins, the reason names the others.
    pytest.param(locked(None, None), STRICT, Status.WARN, ReasonCode.NO_DEFAULT_RETENTION,
                 (ReasonCode.MODE_NOT_ALLOWED, ReasonCode.RETENTION_TOO_SHORT),
                 id="no-rule-beats-mode-and-length"),
    pytest.param(locked(GOV, 30), STRICT, Status.FAIL, ReasonCode.MODE_NOT_ALLOWED,
                 (ReasonCode.RETENTION_TOO_SHORT,), id="mode-beats-length"),
    pytest.param(locked(None, None), NEEDS_GOVERNANCE, Status.WARN,
                 ReasonCode.NO_DEFAULT_RETENTION, (ReasonCode.MODE_NOT_ALLOWED,),
                 id="no-rule-beats-mode"),
    pytest.param(locked(None, None), Policy(require_default_retention=False,
                                            min_retention_days=90),
                 Status.FAIL, ReasonCode.RETENTION_TOO_SHORT, (),
                 id="no-rule-allowed-but-minimum-set"),
]


@pytest.mark.parametrize(("facts", "policy", "status", "code", "also"), TABLE)
def test_rule_table(facts: BucketFacts, policy: Policy, status: Status, code: ReasonCode,
                    also: tuple[ReasonCode, ...]) -> None:
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


@pytest.mark.parametrize("code", ["InternalError", "SlowDown", "PermanentRedirect",
                                  "ConnectTimeoutError", "Interrupted"])
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
    policy=st.builds(Policy, require_default_retention=st.booleans(),
                     require_mode=st.sampled_from(list(RequiredMode)),
                     min_retention_days=st.one_of(st.none(), st.integers(1, 36500))),
)
def test_never_pass_unless_the_lock_is_enabled_and_read(
    enabled: bool | None, mode: LockMode | None, days: int | None, error: str | None,
    policy: Policy,
) -> None:
    facts = BucketFacts(BUCKET, None, None, enabled, mode, days, None, error)
    verdict = evaluate(facts, policy)
    if verdict.status is Status.PASS:
        assert enabled is True
        assert error is None
    # "Could not tell" is never "not locked", and a readable bucket is never ERROR. A read
    # that neither failed nor said whether the lock is on could not tell either.
    unreadable = error in ("AccessDenied", "InternalError", "403") or (
        error is None and enabled is None)
    assert (verdict.status is Status.ERROR) == unreadable


def test_a_bucket_read_that_returned_nothing_is_an_error_not_a_failure() -> None:
    verdict = evaluate(locked(None, None, enabled=None), Policy())
    assert (verdict.status, verdict.reason_code) == (Status.ERROR, ReasonCode.API_ERROR)
