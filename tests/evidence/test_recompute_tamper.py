"""``verify --recompute`` re-derives ``weakeners`` and ``tamper_status`` (contract 5.3)."""

from __future__ import annotations

from pathlib import Path

from tests.evidence.cli import run_cli
from tests.evidence.test_recompute import read_findings, reseal


def test_the_demo_runs_weakeners_are_re_derived(demo_run: Path) -> None:
    document = read_findings(demo_run)
    assert document["weakeners"], "the demo must have weakener rows to re-derive"
    assert document["run"]["break_glass_principals"] == []
    code, out, err = run_cli("verify", "--recompute", str(demo_run))
    assert code == 0, out + err


def test_a_changed_weakener_row_is_named(demo_run: Path) -> None:
    document = read_findings(demo_run)
    row = next(item for item in document["weakeners"] if item["blocked_by"] is None)
    row["blocked_by"] = "p-forged#Deny"
    reseal(demo_run, document)
    code, out, _ = run_cli("verify", "--recompute", str(demo_run))
    assert code == 1
    where = f"{row['principal_arn']} {row['action']} on {row['target_arn']}"
    assert f"weakeners: {where} ({row['trail_arn']}, granted by {row['granted_by']}, " in out
    assert "blocked by p-forged#Deny" in out
    assert "is in findings.json, the evidence does not give it" in out
    assert f"weakeners: the evidence gives {where}" in out


def test_a_removed_weakener_row_is_named(demo_run: Path) -> None:
    document = read_findings(demo_run)
    row = document["weakeners"].pop(0)
    reseal(demo_run, document)
    code, out, _ = run_cli("verify", "--recompute", str(demo_run))
    assert code == 1
    assert f"weakeners: the evidence gives {row['principal_arn']} {row['action']}" in out
    assert "missing from findings.json" in out


def test_a_changed_tamper_status_is_named(demo_run: Path) -> None:
    document = read_findings(demo_run)
    finding = next(f for f in document["findings"] if f["tamper_status"] == "FAIL")
    finding["tamper_status"] = "PASS"
    reseal(demo_run, document)
    code, out, _ = run_cli("verify", "--recompute", str(demo_run))
    assert code == 1
    assert (
        f"{finding['trail_arn']}: tamper_status is 'PASS' in findings.json, "
        "the evidence gives 'FAIL'"
    ) in out


def test_tamper_reason_wording_is_compared_only_for_this_versions_runs(demo_run: Path) -> None:
    document = read_findings(demo_run)
    finding = next(f for f in document["findings"] if f["tamper_reason"])
    finding["tamper_reason"] = "worded differently by another version"
    reseal(demo_run, document)
    code, out, _ = run_cli("verify", "--recompute", str(demo_run))
    assert code == 1
    assert f"{finding['trail_arn']}: tamper_reason is" in out
    # Written by another version: the wording is not held against it, the facts still are.
    document["run"]["tool_version"] = "0.0.9"
    reseal(demo_run, document)
    code, out, err = run_cli("verify", "--recompute", str(demo_run))
    assert code == 0, out + err
    assert f"{finding['trail_arn']}: tamper_reason is" not in out


def test_widening_break_glass_is_caught(demo_run: Path) -> None:
    """Recorded patterns are what the rows are judged with: marking rows break-glass without
    the patterns to match is a difference, not an accepted principal."""
    document = read_findings(demo_run)
    for row in document["weakeners"]:
        row["break_glass"] = True
    reseal(demo_run, document)
    code, out, _ = run_cli("verify", "--recompute", str(demo_run))
    assert code == 1
    assert ", break-glass" in out


def test_the_demo_shows_every_tamper_status_with_what_grants_it(demo_run_master: Path) -> None:
    document = read_findings(demo_run_master)
    status = {f["trail_name"]: f["tamper_status"] for f in document["findings"]}
    assert status["orders-prod-trail"] == "PASS"
    assert status["orders-dev-trail"] == "WARN"
    assert status["analytics-prod-trail"] == "FAIL"
    assert status["sandbox-alice-trail"] == "ERROR"
    rows = {
        (r["principal_arn"].split(":")[5], r["action"]): r
        for r in document["weakeners"]
        if ":role/" in r["principal_arn"]
    }
    bypass = rows[("role/RetentionAdmin", "s3:BypassGovernanceRetention")]
    assert bypass["granted_by"].endswith(
        ":role/RetentionAdmin:inline/RetentionAdmin#ManageRetention"
    )
    assert bypass["blocked_by"] is None
    mfa = rows[("role/OnCallEngineer", "cloudtrail:StopLogging")]
    assert mfa["conditional"] is True
    assert mfa["blocked_by"] is None
    deployer = rows[("role/OrdersDeployer", "cloudtrail:StopLogging")]
    assert deployer["blocked_by"].endswith("#DenyTrailTampering")
