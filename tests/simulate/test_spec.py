"""The expected-verdict oracle and the spec's own checks."""

from __future__ import annotations

import re

import pytest

from orgscan.model import LockMode, Policy, ReasonCode, RequiredMode
from orgscan.simulate.demo import demo_spec, drifted
from orgscan.simulate.scale import scale_spec
from orgscan.simulate.spec import (
    AccountSpec,
    BucketSpec,
    OrgSpec,
    Retention,
    TrailSpec,
    bucket_reason,
    skip_reason,
)

GOV_30 = Retention(LockMode.GOVERNANCE, days=30)
COMP_1Y = Retention(LockMode.COMPLIANCE, years=1)
STRICT = Policy(require_mode=RequiredMode.COMPLIANCE, min_retention_days=400)


def _bucket(**kwargs: object) -> BucketSpec:
    return BucketSpec("acme-x-cloudtrail", "us-east-1", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bucket", "readable", "policy", "reason"),
    [
        (None, True, Policy(), ReasonCode.BUCKET_MISSING),
        (_bucket(deleted=True), False, Policy(), ReasonCode.BUCKET_MISSING),
        (
            _bucket(object_lock=True, retention=COMP_1Y),
            False,
            Policy(),
            ReasonCode.BUCKET_OUTSIDE_ORGANIZATION,
        ),
        (_bucket(), True, Policy(), ReasonCode.LOCK_NOT_CONFIGURED),
        (_bucket(object_lock=True), True, STRICT, ReasonCode.NO_DEFAULT_RETENTION),
        (
            _bucket(object_lock=True),
            True,
            Policy(require_default_retention=False),
            ReasonCode.NO_DEFAULT_RETENTION,
        ),
        (
            _bucket(object_lock=True),
            True,
            Policy(require_default_retention=False, min_retention_days=30),
            ReasonCode.RETENTION_TOO_SHORT,
        ),
        (_bucket(object_lock=True, retention=GOV_30), True, STRICT, ReasonCode.MODE_NOT_ALLOWED),
        (
            _bucket(object_lock=True, retention=GOV_30),
            True,
            Policy(min_retention_days=31),
            ReasonCode.RETENTION_TOO_SHORT,
        ),
        (
            _bucket(object_lock=True, retention=GOV_30),
            True,
            Policy(min_retention_days=30),
            ReasonCode.COMPLIANT,
        ),
        (
            _bucket(object_lock=True, retention=COMP_1Y),
            True,
            Policy(min_retention_days=365),
            ReasonCode.COMPLIANT,
        ),
        (
            _bucket(object_lock=True, retention=COMP_1Y),
            True,
            STRICT,
            ReasonCode.RETENTION_TOO_SHORT,
        ),
    ],
)
def test_bucket_reason(
    bucket: BucketSpec | None, readable: bool, policy: Policy, reason: ReasonCode
) -> None:
    assert bucket_reason(bucket, readable, policy) is reason


def test_retention_needs_exactly_one_period() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Retention(LockMode.COMPLIANCE)
    with pytest.raises(ValueError, match="exactly one"):
        Retention(LockMode.COMPLIANCE, days=1, years=1)
    assert Retention(LockMode.COMPLIANCE, years=2).total_days == 730


def test_retention_needs_object_lock() -> None:
    with pytest.raises(ValueError, match="needs Object Lock"):
        BucketSpec("b-b-b", "us-east-1", retention=GOV_30)


def test_skip_reason() -> None:
    regions = ("us-east-1",)
    single = TrailSpec("t-1", "eu-west-1", "b")
    multi = TrailSpec("t-2", "eu-west-1", "b", multi_region=True)
    open_account = AccountSpec("a")
    assert skip_reason(open_account, single, regions) is not None
    assert skip_reason(open_account, multi, regions) is None
    assert skip_reason(open_account, TrailSpec("t-3", "us-east-1", "b"), regions) is None
    assert "closed" in (skip_reason(AccountSpec("a", closed=True), multi, regions) or "")


@pytest.mark.parametrize(
    "spec",
    [demo_spec(), drifted(demo_spec()), scale_spec(3000, seed=11)],
    ids=["demo", "drift", "scale"],
)
def test_names_follow_aws_rules(spec: OrgSpec) -> None:
    bucket_names = [b.name for account in spec.all_accounts for b in account.buckets]
    assert len(bucket_names) == len(set(bucket_names))
    for name in bucket_names:
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name), name
    for account in spec.all_accounts:
        names = [trail.name for trail in account.trails]
        assert len(names) == len(set(names))
        for name in names:
            assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]", name), name
    accounts = [account.name for account in spec.all_accounts]
    assert len(accounts) == len(set(accounts))
