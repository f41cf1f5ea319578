"""``remediate`` acts only on a run folder it can trust: sealed by its manifest, and, before
anything changes in AWS, with findings that follow from its recorded AWS responses.

Each test forges a scanned run of the demo organization (in moto) the way someone with write
access to the output folder could, and checks that nothing in AWS changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from typer.testing import CliRunner

from orgscan.aws.sessions import SessionFactory
from orgscan.cli import app
from orgscan.findings import loads
from orgscan.remediation import RemediationSettings, write_remediation
from orgscan.simulate import SimulatedOrg, build_demo_org, demo_mock
from orgscan.simulate.demo import CENTRAL_BUCKET
from tests.evidence.test_recompute import read_findings, reseal
from tests.remediation.loop import ORG_TRAIL, assert_central_logs_unchanged, recorded_run

runner = CliRunner()
#: A bucket of payments-prod that no trail uses: the forged run names it.
UNRELATED_BUCKET = "acme-payments-prod-invoices"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[SimulatedOrg, Path]]:
    """The demo organization in moto and a sealed run folder of a scan of it, evidence
    recorded, as `orgscan scan` writes it."""
    with demo_mock():
        org = build_demo_org()
        run_dir = recorded_run(org, tmp_path / "out")
        yield org, run_dir


def _files(run_dir: Path) -> dict[str, bytes]:
    return {
        p.relative_to(run_dir).as_posix(): p.read_bytes() for p in run_dir.rglob("*") if p.is_file()
    }


def _remediate(run_dir: Path, *args: str) -> Any:
    return runner.invoke(app, ["remediate", str(run_dir), "--apply", "--yes", *args])


def _no_replacement_bucket(org: SimulatedOrg) -> None:
    s3 = SessionFactory().client(org.log_archive_account_id, "s3", "us-east-1")
    with pytest.raises(ClientError, match="404"):
        s3.head_bucket(Bucket=f"{CENTRAL_BUCKET}-locked")


def test_a_forged_missing_bucket_never_repoints_the_organization_trail(world) -> None:
    org, run_dir = world
    document = read_findings(run_dir)
    forged = next(f for f in document["findings"] if f["trail_name"] == ORG_TRAIL)
    forged.update(
        status="FAIL",
        reason_code="BUCKET_MISSING",
        reason="The trail's bucket does not exist.",
        object_lock_enabled=None,
        lock_mode=None,
        retention_days=None,
        versioning=None,
        bucket_account_id=None,
    )
    (run_dir / "findings.json").write_text(json.dumps(document, indent=2))
    (run_dir / "remediation" / "plan.json").unlink()
    before = _files(run_dir)

    sealed = _remediate(run_dir)
    assert sealed.exit_code == 1, sealed.output
    assert (
        "does not match its manifest.json (findings.json changed, remediation/plan.json "
        "missing); refusing to apply its remediation" in sealed.stderr
    )
    # The seal removed as well: no manifest is no trust.
    (run_dir / "manifest.json").unlink()
    del before["manifest.json"]
    unsealed = _remediate(run_dir)
    assert unsealed.exit_code == 2, unsealed.output
    assert "manifest.json: missing" in unsealed.stderr
    assert "Give --force to use it anyway" in unsealed.stderr
    # Forced, the recorded evidence still shows the bucket there, locked.
    forced = _remediate(run_dir, "--force")
    assert forced.exit_code == 1, forced.output
    assert "findings.json differs from the recorded AWS responses in" in forced.stderr
    assert forged["trail_arn"] in forced.stderr
    assert "refusing to apply its remediation" in forced.stderr
    assert "Apply" not in forced.stdout

    assert_central_logs_unchanged(org)
    _no_replacement_bucket(org)
    assert _files(run_dir) == before  # nothing written: no plan, no apply record


def test_a_resealed_run_naming_another_bucket_locks_nothing(world) -> None:
    org, run_dir = world
    payments = org.accounts["payments-prod"]
    s3 = SessionFactory().client(payments, "s3", "us-east-1")
    s3.create_bucket(Bucket=UNRELATED_BUCKET)
    document = read_findings(run_dir)
    document["run"]["policy"].update(require_mode="COMPLIANCE", min_retention_days=36500)
    forged = next(f for f in document["findings"] if f["account_id"] == payments)
    forged.update(
        bucket_name=UNRELATED_BUCKET,
        bucket_account_id=payments,
        bucket_region="us-east-1",
        object_lock_enabled=False,
        lock_mode=None,
        retention_days=None,
        versioning="Off",
        status="FAIL",
        reason_code="LOCK_NOT_CONFIGURED",
        reason="Object Lock is not enabled on the bucket.",
    )
    # A careful forger: the plan rebuilt from the forged findings, and everything re-sealed.
    write_remediation(run_dir, loads(json.dumps(document)), RemediationSettings())
    reseal(run_dir, document)
    assert runner.invoke(app, ["verify", str(run_dir)]).exit_code == 0
    before = _files(run_dir)

    applied = _remediate(run_dir, "--accounts", payments)
    assert applied.exit_code == 1, applied.output
    assert "findings.json differs from the recorded AWS responses in" in applied.stderr
    assert len(applied.stderr.splitlines()) == 1

    with pytest.raises(ClientError, match="ObjectLockConfigurationNotFoundError"):
        s3.get_object_lock_configuration(Bucket=UNRELATED_BUCKET)
    assert "Status" not in s3.get_bucket_versioning(Bucket=UNRELATED_BUCKET)
    assert _files(run_dir) == before


def test_a_genuine_unsealed_run_is_applied_only_when_forced(world, tmp_path: Path) -> None:
    org, run_dir = world
    (run_dir / "manifest.json").unlink()
    payments = org.accounts["payments-prod"]
    shown = runner.invoke(app, ["remediate", str(run_dir)])
    assert shown.exit_code == 2
    applied = _remediate(run_dir, "--accounts", payments, "--force")
    assert applied.exit_code == 0, applied.output
    warning = (
        f"{run_dir}: no manifest.json, used anyway (--force): nothing shows that its files "
        "are the ones the scan wrote"
    )
    assert applied.stderr == f"orgscan: warning: {warning}\n"
    # Logged where the output folder's runs are logged, tagged with this run.
    shared = (run_dir.parent / "orgscan.log").read_text(encoding="utf-8")
    assert f"WARNING [{run_dir.name}]" in shared
    assert shared.rstrip().endswith(warning)
    assert [p.name for p in (run_dir / "remediation").glob("apply-*.json")]
