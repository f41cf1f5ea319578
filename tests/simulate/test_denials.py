"""What moto cannot answer, answered by botocore hooks: the demo's service control policy (one
account denied ``DescribeTrails`` in one region) and its trail that cannot deliver, in moto as in
AWS, and the verdicts the simulation expects of them."""

from __future__ import annotations

from orgscan.error_codes import DENIED_BY_ORGANIZATION_POLICY
from orgscan.model import AccountVerdictCode, ErrorStage, GapWhy, LockMode, Policy, Status
from orgscan.simulate import SimulatedOrg
from orgscan.simulate.demo import FAILED_DELIVERY, SCP_DENIED_REGION
from orgscan.simulate.denials import simulated_answers
from orgscan.simulate.spec import (
    AccountSpec,
    BucketSpec,
    OrgSpec,
    Retention,
    TrailSpec,
    expected_trails,
    expected_verdicts,
)
from tests.core.scanning import demo_settings, run_scan


def test_the_demo_scan_meets_the_scp_deny_as_in_aws(demo_org: SimulatedOrg) -> None:
    bob = demo_org.accounts["sandbox-bob"]
    assert demo_org.scp_denied == {bob: (SCP_DENIED_REGION,)}
    result = run_scan(demo_settings(demo_org), configure=simulated_answers(demo_org))
    rows = [e for e in result.errors if e.stage is not ErrorStage.BUCKET]
    # Only bob's call in that region is denied; every other account and region is scanned.
    assert [(e.account_id, e.region, e.stage, e.error_code) for e in rows] == [
        (bob, SCP_DENIED_REGION, ErrorStage.REGIONS, DENIED_BY_ORGANIZATION_POLICY)
    ]
    assert "explicit deny in a service control policy" in rows[0].message
    assert not result.run.complete
    by_id = {a.account_id: a for a in result.accounts}
    assert by_id[bob].regions_scanned == 2
    assert (SCP_DENIED_REGION, AccountVerdictCode.UNKNOWN) in [
        (g.region, g.code) for g in by_id[bob].gaps
    ]
    verdicts = {a.account_id: a.verdict_code for a in result.accounts if a.scanned}
    assert verdicts == demo_org.expected_verdicts
    # A region it cannot read does not hide what bob's other regions show: NOT_RECORDED wins.
    assert verdicts[bob] is AccountVerdictCode.NOT_RECORDED


def _spec(denied: tuple[str, ...]) -> OrgSpec:
    """One account protected by single-region trails in two of three regions."""
    locked = Retention(LockMode.COMPLIANCE, days=365)
    member = AccountSpec(
        name="member",
        scp_denied_regions=denied,
        buckets=(BucketSpec("b", "us-east-1", object_lock=True, retention=locked),),
        trails=tuple(TrailSpec(f"t-{r}", r, "b") for r in ("us-east-1", "eu-west-1")),
    )
    return OrgSpec(
        management=AccountSpec(name="management"),
        log_archive_name="member",
        members=(member,),
        regions=("us-east-1", "eu-west-1", "eu-central-1"),
        policy=Policy(min_retention_days=90),
    )


def _member_verdict(spec: OrgSpec) -> AccountVerdictCode:
    ids = {"management": "111111111111", "member": "222222222222"}
    trails, _ = expected_trails(spec, ids)
    return expected_verdicts(spec, ids, trails)["222222222222"]


def test_a_denied_region_no_trail_protects_is_expected_unknown() -> None:
    assert _member_verdict(_spec(())) is AccountVerdictCode.NOT_RECORDED
    assert _member_verdict(_spec(("eu-central-1",))) is AccountVerdictCode.UNKNOWN
    # A single-region trail homed in a denied region is never seen: its region is unknown.
    spec = _spec(("eu-west-1",))
    trails, skipped = expected_trails(spec, {"management": "1" * 12, "member": "2" * 12})
    assert [t.name for t in trails] == ["t-us-east-1"]
    assert "SCP" in skipped["arn:aws:cloudtrail:eu-west-1:222222222222:trail/t-eu-west-1"]


def test_the_demo_trail_that_cannot_deliver_is_not_delivering(demo_org: SimulatedOrg) -> None:
    # moto never reports LatestDeliveryError: the failure is injected into its GetTrailStatus
    # answer by a botocore hook, as the SCP deny above, and read back as AWS would send it.
    billing = demo_org.accounts["billing-prod"]
    arn = f"arn:aws:cloudtrail:us-east-1:{billing}:trail/billing-prod-trail"
    assert demo_org.delivery_errors == {arn: FAILED_DELIVERY}
    result = run_scan(demo_settings(demo_org), configure=simulated_answers(demo_org))
    by_arn = {f.trail_arn: f for f in result.findings}
    failing = by_arn[arn]
    assert (failing.status, failing.is_logging) == (Status.PASS, True)
    assert (failing.latest_delivery_error, failing.latest_delivery_time) == (FAILED_DELIVERY, None)
    assert failing.delivering is False
    # Every other logging trail delivered a moment ago, as moto says.
    others = [f for f in result.findings if f.trail_arn != arn and f.is_logging]
    assert others
    assert all(f.delivering and f.latest_delivery_time for f in others)
    account = {a.account_id: a for a in result.accounts}[billing]
    assert account.verdict_code is AccountVerdictCode.NOT_RECORDED
    # The organization trail records us-east-1; elsewhere the failing trail is all there is.
    assert [(g.region, g.why) for g in account.gaps] == [
        ("eu-central-1", GapWhy.NOT_DELIVERING),
        ("eu-west-1", GapWhy.NOT_DELIVERING),
    ]
