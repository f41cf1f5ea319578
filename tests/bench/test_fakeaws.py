"""The benchmark's fast responder gives the same scan as moto, for the same organization.

The benchmark answers AWS calls with ``orgscan.simulate.fakeaws.FakeAws`` instead of moto; its
figures mean something only if a scan through it finds exactly what a scan through moto finds.
Account ids differ between the two (moto draws its own), so results are compared by account name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import botocore.session
import pytest

from benchmarks.instrument import CallRecorder, instrument
from benchmarks.run import main
from orgscan.aws.sessions import SessionFactory
from orgscan.error_codes import DENIED_BY_ORGANIZATION_POLICY
from orgscan.model import ErrorStage, ScanResult, Status
from orgscan.prelock.step import count_prelock
from orgscan.scan import scan_organization
from orgscan.simulate import demo_mock
from orgscan.simulate.build import materialise
from orgscan.simulate.demo import demo_spec
from orgscan.simulate.denials import simulated_answers
from orgscan.simulate.fakeaws import FakeAws
from orgscan.simulate.scale import scale_spec
from orgscan.simulate.spec import OrgSpec
from orgscan.tamper.step import start_run
from tests.builders import settings_for

SPECS = {
    "scale": lambda: scale_spec(10, regions=("us-east-1", "eu-west-1", "ap-south-1"), seed=7),
    "demo": demo_spec,
}


def _comparable(result: ScanResult, ids: Mapping[str, str]) -> dict[str, Any]:
    """The result with every account id replaced by the account's name."""
    name = {account_id: account_name for account_name, account_id in ids.items()}

    def named(account_id: str | None) -> str | None:
        return name.get(account_id, account_id) if account_id else account_id

    findings = sorted(
        (
            named(f.account_id),
            f.trail_name,
            f.home_region,
            f.is_organization_trail,
            f.is_multi_region,
            f.bucket_name,
            named(f.bucket_account_id),
            f.bucket_region,
            f.object_lock_enabled,
            f.lock_mode,
            f.retention_days,
            f.versioning,
            f.status,
            f.reason_code,
            f.is_logging,
            f.latest_delivery_error,
            f.management_events,
            f.global_service_events,
            # moto and the responder each answer "a moment ago": when differs, not whether.
            f.latest_delivery_time is not None,
            f.delivering,
            f.log_file_validation,
            # Key ids are random in moto: whether a trail has a key, and what it says of it.
            f.kms_key_arn is not None,
            f.mfa_delete,
            f.kms_key_state,
            f.kms_key_rotation,
            f.lifecycle_expiration_days,
            f.public_access_blocked,
            tuple((check.check, check.status) for check in f.integrity),
            # moto dates each log file when the demo put it; the responder, once for all.
            (
                (
                    p.source,
                    p.checked,
                    p.unprotected,
                    p.prefixes,
                    p.error,
                    p.oldest_unprotected is not None,
                    p.oldest_protected is not None,
                )
                if (p := f.prelock) is not None
                else None
            ),
        )
        for f in result.findings
    )
    errors = sorted(
        (named(e.account_id), e.region or "", e.stage, e.error_code) for e in result.errors
    )

    def trail_named(arn: str) -> tuple[str | None, str]:
        parts = arn.split(":")
        return named(parts[4]), parts[5]

    coverage = sorted(
        (
            named(a.account_id),
            a.state,
            a.scanned,
            a.regions_scanned,
            a.error_code,
            a.verdict,
            a.verdict_code,
            tuple(sorted(map(trail_named, a.protected_by))),
            a.gaps,
        )
        for a in result.accounts
    )
    return {
        "findings": findings,
        "errors": errors,
        "coverage": coverage,
        "complete": result.run.complete,
    }


def _tamper(
    result: ScanResult, sessions: SessionFactory, management: str, ids: Mapping[str, str]
) -> dict[str, Any]:
    """The tamper step's rows and statuses, account ids replaced by names and policy ids (each
    simulation draws its own) left out of ``granted_by``/``blocked_by`` refs."""
    name = {account_id: account_name for account_name, account_id in ids.items()}

    def named(text: str) -> str:
        for account_id, account_name in name.items():
            text = text.replace(account_id, account_name)
        return re.sub(r":key/[0-9a-f-]+", ":key/<id>", text)  # moto draws its own key ids

    def ref(text: str | None) -> str | None:
        return None if text is None else named(text.split("#")[-1])

    tamper = start_run(result, sessions, "us-east-1", management, management, ()).result()
    rows = sorted(
        (
            named(r.trail_arn),
            named(r.target_arn),
            r.action,
            named(r.principal_arn),
            ref(r.granted_by),
            r.conditional,
            ref(r.blocked_by),
            r.management_account,
        )
        for r in tamper.weakeners
    )
    statuses = sorted((named(arn), status) for arn, (status, _) in tamper.statuses.items())
    return {"weakeners": rows, "tamper": statuses}


def _scan_in_moto(spec: OrgSpec) -> dict[str, Any]:
    with demo_mock():
        os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"  # restored by the test's monkeypatch
        org = materialise(spec)
        sessions = SessionFactory(max_pool_connections=4, configure_session=simulated_answers(org))
        result = scan_organization(settings_for(spec), sessions)
        result = count_prelock(result, sessions, spec.policy)
        # Compared by the spec's names (the management account's name in moto is its own).
        ids = (
            dict(org.accounts)
            | dict(org.outside_accounts)
            | {spec.management.name: org.management_account_id}
        )
        tamper = _tamper(result, sessions, org.management_account_id, ids)
        return _comparable(result, ids) | tamper


def _scan_with_fake(spec: OrgSpec, recorder: CallRecorder) -> tuple[dict[str, Any], FakeAws]:
    fake = FakeAws(spec)
    session = botocore.session.Session()
    session.set_credentials("bench", "bench")
    session.set_config_variable("region", "us-east-1")
    instrument(session, latency_s=0, recorder=recorder, respond=fake.register)
    sessions = SessionFactory(max_pool_connections=4, base_session=session)
    result = count_prelock(scan_organization(settings_for(spec), sessions), sessions, spec.policy)
    # Every PASS bucket was counted (the simulated buckets hold no log file yet).
    assert all(
        f.prelock is not None and f.prelock.error is None
        for f in result.findings
        if f.status == "PASS"
    )
    found = {f.trail_arn: f.reason_code for f in result.findings}
    assert found == {arn: reason for arn, (_, reason) in fake.expected.items()}
    tamper = _tamper(result, sessions, fake.management_id, fake.ids)
    return _comparable(result, fake.ids) | tamper, fake


@pytest.mark.parametrize("which", sorted(SPECS))
def test_the_responder_and_moto_give_the_same_scan(
    which: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    spec = SPECS[which]()
    recorder = CallRecorder()
    fake, responder = _scan_with_fake(spec, recorder)
    moto = _scan_in_moto(spec)
    assert fake == moto
    assert fake["findings"], "the organization must have trails to compare"
    # The tamper reads are answered, not refused: no trail with a known bucket owner is ERROR.
    assert fake["weakeners"]
    if which == "demo":
        assert {status for _, status in fake["tamper"]} == set(Status)
    # The demo's SCP deny is a row in both, of its own kind.
    denied = [e for e in fake["errors"] if e[3] == DENIED_BY_ORGANIZATION_POLICY]
    row = ("sandbox-bob", "eu-central-1", ErrorStage.REGIONS, DENIED_BY_ORGANIZATION_POLICY)
    assert denied == ([row] if which == "demo" else [])
    # Every call was answered by the responder, none went anywhere else.
    assert recorder.total > 0
    assert responder.responder_seconds > 0


def test_an_unknown_operation_is_refused_not_sent() -> None:
    fake = FakeAws(scale_spec(1))
    session = botocore.session.Session()
    session.set_credentials("bench", "bench")
    fake.register(session)
    client = session.create_client("sqs", region_name="us-east-1")
    with pytest.raises(NotImplementedError, match=r"sqs\.ListQueues"):
        client.list_queues()  # type: ignore[attr-defined]  # made at run time from the model


def test_the_benchmark_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    # One timed start-up run per command: the default twenty are for figures, not for a proof.
    assert (
        main(
            [
                "--accounts",
                "3",
                "--latency-ms",
                "1",
                "--regions",
                "2",
                "--naive-accounts",
                "2",
                "--workers",
                "8",
                "--startup-runs",
                "1",
            ]
        )
        == 0
    )
    table = capsys.readouterr().out
    assert "0 not as simulated" in table
    assert "wall ÷ lower bound" in table
    assert "speed-up over naive" in table
    assert "write phase" in table  # the run folder of the scan, written and timed by part
    assert "  report.xlsx" in table
    assert "  scripts and plan.json" in table
    assert "start-up: orgscan --help" in table
    assert "1 runs)" in table


def test_the_bound_counts_the_tamper_reads_a_scan_makes() -> None:
    """Once per owning account, per readable bucket, per target and policy on the paths, and
    one ListParents per account and per OU on them (each child's parent once)."""
    from benchmarks.bound import lower_bound
    from benchmarks.run import _fake_backend, measure_scan

    spec = demo_spec()
    measured = measure_scan(_fake_backend(spec, 0), workers=2)
    bound = lower_bound(spec, latency_s=0.01, workers=2)
    tamper_reads = (
        "iam.GetAccountAuthorizationDetails",
        "s3.GetBucketPolicy",
        "kms.GetKeyPolicy",
        "organizations.ListParents",
        "organizations.ListPoliciesForTarget",
        "organizations.DescribePolicy",
    )
    assert {op: measured.calls.get(op) for op in tamper_reads} == {
        op: bound.calls[op] for op in tamper_reads
    }
    # One per account that owns a trail or a trail's bucket: the demo's 13.
    assert bound.calls["iam.GetAccountAuthorizationDetails"] == 13
    assert bound.calls["organizations.DescribePolicy"] == 4  # two AWS-managed, two of the demo's
    # Every target on a path but the root asks for its parent once.
    assert (
        bound.calls["organizations.ListParents"]
        == bound.calls["organizations.ListPoliciesForTarget"] // 2 - 1
    )


def test_the_bound_adds_the_phase_after_the_scan_to_the_scans() -> None:
    """What follows the scan waits for it: the bound is the sum of the phases' bounds, each the
    larger of its calls × latency ÷ workers and its longest chain × latency."""
    from benchmarks.bound import lower_bound

    spec = scale_spec(40, regions=("us-east-1", "eu-west-1"), seed=3)
    bound = lower_bound(spec, latency_s=0.1, workers=8)
    scan, after = bound.phases
    assert "s3.GetObjectLockConfiguration" in scan.calls
    assert "organizations.ListParents" not in scan.calls
    assert {"iam.GetAccountAuthorizationDetails", "s3.ListObjectVersions"} <= set(after.calls)
    assert bound.total_calls == sum(scan.calls.values()) + sum(after.calls.values())
    # /Root/Workloads/Prod: three ListParents, then the root's listing, then its policy.
    assert after.chain == 5
    assert scan.chain == 4
    for phase in (scan, after):
        calls = sum(phase.calls.values())
        assert bound.phase_seconds(phase) == pytest.approx(max(calls * 0.1 / 8, phase.chain * 0.1))
    assert bound.seconds == pytest.approx(bound.phase_seconds(scan) + bound.phase_seconds(after))
    # With few calls and many workers, a phase is as long as its chain.
    wide = lower_bound(spec, latency_s=0.1, workers=100_000)
    assert wide.seconds == pytest.approx((4 + 5) * 0.1)
