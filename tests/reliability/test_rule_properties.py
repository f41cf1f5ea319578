"""Properties of the rule and of Object Lock parsing, for any configuration shape.

``evaluate`` must return one of the contract's reason codes with its status, never raise, never
PASS without ``object_lock_enabled=True``, and never PASS or FAIL for a bucket it could not read.
``_object_lock`` must turn any GetObjectLockConfiguration reply botocore can produce (keys
missing, zeros, odd modes) into a well-formed triple.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from orgscan.collect.buckets import _object_lock
from orgscan.error_codes import MISSING_BUCKET_CODES
from orgscan.facts import AwsError, BucketFacts
from orgscan.model import LockMode, Policy, ReasonCode, RequiredMode, Status, Versioning
from orgscan.rule import evaluate, reason_status

_error_codes = (
    st.sampled_from(
        [
            "NoSuchBucket",
            "404",
            "NotFound",
            "AccessDenied",
            "403",
            "SlowDown",
            "InternalError",
            "ReadTimeoutError",
            "Interrupted",
            "",
            "ObjectLockConfigurationNotFoundError",
        ]
    )
    | st.text()
)
_days = st.none() | st.sampled_from([0, 1, 89, 90, 365, 36500]) | st.integers(-10, 10**6)

facts_strategy = st.builds(
    BucketFacts,
    bucket_name=st.text(max_size=63),
    bucket_account_id=st.none() | st.just("123456789012"),
    bucket_region=st.none() | st.just("us-east-1"),
    object_lock_enabled=st.sampled_from([True, False, None]),
    lock_mode=st.none() | st.sampled_from(LockMode),
    retention_days=_days,
    versioning=st.none() | st.sampled_from(Versioning),
    error=st.none() | st.builds(AwsError, code=_error_codes, message=st.text(max_size=50)),
)
policy_strategy = st.builds(
    Policy,
    require_default_retention=st.booleans(),
    require_mode=st.sampled_from(RequiredMode),
    min_retention_days=st.none() | st.integers(1, 36500),
)


@settings(max_examples=300, deadline=None)
@given(facts=facts_strategy, policy=policy_strategy)
def test_rule_returns_a_contract_verdict_for_any_configuration(
    facts: BucketFacts, policy: Policy
) -> None:
    verdict = evaluate(facts, policy)

    assert verdict.reason_code in ReasonCode
    assert verdict.status is reason_status(verdict.reason_code, policy)
    assert verdict.reason.strip()
    if verdict.status is Status.PASS:
        assert facts.object_lock_enabled is True
        assert facts.error_code is None
    if facts.error_code is not None and facts.error_code not in MISSING_BUCKET_CODES:
        assert verdict.status is Status.ERROR  # "could not tell" is not "not locked"
    if facts.error_code in MISSING_BUCKET_CODES:
        assert verdict.reason_code is ReasonCode.BUCKET_MISSING
    if facts.error_code is None and facts.object_lock_enabled is False:
        assert verdict.reason_code is ReasonCode.LOCK_NOT_CONFIGURED
    if facts.error_code is None and facts.object_lock_enabled is None:
        assert verdict.status is Status.ERROR  # nothing read, nothing failed: cannot tell
    if verdict.status is Status.PASS and policy.min_retention_days is not None:
        assert (facts.retention_days or 0) >= policy.min_retention_days


class _ReplyClient:
    """An S3 client whose GetObjectLockConfiguration returns ``reply``."""

    def __init__(self, reply: dict[str, Any]) -> None:
        self.reply = reply

    def get_object_lock_configuration(self, Bucket: str) -> dict[str, Any]:
        return self.reply


def _maybe(key: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(st.just({}), values.map(lambda value: {key: value}))


# Replies shaped as botocore parses them: any key may be missing; enums may hold any string
# (AWS adds values), Days and Years are integers, and moto echoes the unset one as 0.
def _merged(*parts: dict[str, Any]) -> dict[str, Any]:
    return {key: value for part in parts for key, value in part.items()}


_modes = st.sampled_from(["GOVERNANCE", "COMPLIANCE", "", "governance"]) | st.text(max_size=12)
_retention = st.builds(
    _merged,
    _maybe("Mode", _modes),
    _maybe("Days", st.integers(0, 36500)),
    _maybe("Years", st.integers(0, 100)),
)
_enabled = st.sampled_from(["Enabled", "Disabled", ""]) | st.text(max_size=10)
_configuration = st.builds(
    _merged,
    _maybe("ObjectLockEnabled", _enabled),
    _maybe("Rule", _maybe("DefaultRetention", _retention)),
)
_reply = st.builds(
    _merged,
    _maybe("ObjectLockConfiguration", _configuration),
    st.just({"ResponseMetadata": {"HTTPStatusCode": 200}}),
)


@settings(max_examples=300, deadline=None)
@given(reply=_reply, policy=policy_strategy)
def test_object_lock_parsing_of_any_reply(reply: dict[str, Any], policy: Policy) -> None:
    enabled, mode, days = _object_lock(_ReplyClient(reply), "bucket")

    configuration = reply.get("ObjectLockConfiguration", {})
    assert enabled is (configuration.get("ObjectLockEnabled") == "Enabled")
    assert mode is None or mode in LockMode
    assert days is None or days > 0  # 0 means unset, never "0 days of retention"
    if mode is None:
        assert days is None
    retention = configuration.get("Rule", {}).get("DefaultRetention", {})
    if mode is not None and retention.get("Days"):
        assert days == retention["Days"]
    elif mode is not None and retention.get("Years"):
        assert days == retention["Years"] * 365
    # Whatever was parsed, the rule judges it, and only an enabled lock can pass.
    verdict = evaluate(
        BucketFacts("bucket", None, "us-east-1", enabled, mode, days, Versioning.ENABLED), policy
    )
    assert verdict.status is reason_status(verdict.reason_code, policy)
    if verdict.status is Status.PASS:
        assert configuration.get("ObjectLockEnabled") == "Enabled"
