"""The drifted demo organization: same ids, the documented changes and nothing else."""

from __future__ import annotations

from orgscan.model import ReasonCode
from orgscan.simulate import build_demo_org, demo_mock
from tests.simulate.clients import client_as


def test_drift_keeps_ids_and_changes_the_documented_things() -> None:
    with demo_mock():
        before = build_demo_org()
    with demo_mock():
        after = build_demo_org(drift=True)
        orders_dev = client_as(after.accounts["orders-dev"], "s3")
        config = orders_dev.get_object_lock_configuration(Bucket="acme-orders-dev-cloudtrail")
        # Still failing, but changed: the retention went from 30 to 14 days.
        assert config["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Days"] == 14
    assert after.accounts == before.accounts
    assert after.organization_id == before.organization_id
    old, new = before.expected_reasons, after.expected_reasons
    by_name = {t.name: t.trail_arn for t in (*before.trails, *after.trails)}
    changed = {
        name: (old.get(arn), new.get(arn))
        for name, arn in by_name.items()
        if old.get(arn) != new.get(arn)
    }
    assert changed == {
        "analytics-prod-trail": (ReasonCode.COMPLIANT, ReasonCode.RETENTION_TOO_SHORT),
        "payments-dev-trail": (ReasonCode.NO_DEFAULT_RETENTION, ReasonCode.COMPLIANT),
        "sandbox-dave-trail": (None, ReasonCode.LOCK_NOT_CONFIGURED),
        "sandbox-alice-trail": (ReasonCode.BUCKET_MISSING, None),
    }
    assert after.closed_account_ids == {
        before.accounts["sandbox-legacy"],
        before.accounts["sandbox-alice"],
    }
    assert new[by_name["orders-dev-trail"]] == ReasonCode.RETENTION_TOO_SHORT
