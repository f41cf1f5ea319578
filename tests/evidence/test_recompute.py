"""``orgscan verify --recompute``: findings.json must follow from the recorded responses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orgscan.evidence.manifest import write_manifest
from orgscan.model import ManagementEvents
from tests.evidence.cli import run_cli


def read_findings(run_dir: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((run_dir / "findings.json").read_text())
    return document


def reseal(run_dir: Path, document: dict[str, Any]) -> None:
    """Write ``document`` as findings.json and rewrite the manifest, as a forger would."""
    (run_dir / "findings.json").write_text(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    )
    write_manifest(run_dir, run_dir.name)


def edit_findings(run_dir: Path, change: dict[str, object], status: str = "FAIL") -> str:
    """Change the first finding with ``status`` and re-seal the folder."""
    document = read_findings(run_dir)
    finding = next(f for f in document["findings"] if f["status"] == status)
    finding.update(change)
    reseal(run_dir, document)
    return str(finding["trail_arn"])


def test_the_demo_run_is_re_derived_exactly(demo_run: Path) -> None:
    code, out, err = run_cli("verify", "--recompute", str(demo_run))
    assert code == 0, out + err
    assert out.count("\n") == 1
    assert "re-derived from the recorded AWS responses" in out


def test_a_consistent_edit_of_findings_and_manifest_is_caught(demo_run: Path) -> None:
    arn = edit_findings(demo_run, {"status": "PASS", "reason_code": "COMPLIANT"})
    assert run_cli("verify", str(demo_run))[0] == 0  # the manifest alone cannot tell
    code, out, err = run_cli("verify", "--recompute", str(demo_run))
    assert code == 1
    assert f"{arn}: status is 'PASS' in findings.json, the evidence gives 'FAIL'" in out
    assert f"{arn}: reason_code is 'COMPLIANT' in findings.json" in out
    assert "differs from the recorded evidence" in err


def test_a_changed_fact_is_caught(demo_run: Path) -> None:
    arn = edit_findings(demo_run, {"retention_days": 3650}, status="PASS")
    code, out, _ = run_cli("verify", "--recompute", str(demo_run))
    assert code == 1
    assert f"{arn}: retention_days is 3650 in findings.json, the evidence gives" in out


def test_a_removed_trail_is_caught(demo_run: Path) -> None:
    document = read_findings(demo_run)
    removed = document["findings"].pop(0)
    reseal(demo_run, document)
    code, out, _ = run_cli("verify", "--recompute", str(demo_run))
    assert code == 1
    assert (
        f"{removed['trail_arn']}: in the recorded DescribeTrails answers, missing from "
        "findings.json"
    ) in out


def test_a_run_without_evidence_cannot_be_recomputed(demo_run: Path) -> None:
    (demo_run / "evidence" / "api-responses.jsonl.gz").write_bytes(b"not gzip")
    write_manifest(demo_run, demo_run.name)
    code, _, err = run_cli("verify", "--recompute", str(demo_run))
    assert code == 2
    assert "api-responses.jsonl.gz" in err


def test_the_demo_verdicts_and_trail_health_are_compared(demo_run: Path) -> None:
    document = read_findings(demo_run)
    # What the comparison rests on is really there: a stopped trail, selectors without
    # management events, and account verdicts of every kind the demo shows.
    assert {f["trail_name"]: f["is_logging"] for f in document["findings"]}[
        "identity-prod-trail"
    ] is False
    assert {f["trail_name"]: f["management_events"] for f in document["findings"]}[
        "orders-prod-trail"
    ] == ManagementEvents.NONE.value
    assert {a["verdict_code"] for a in document["accounts"]} >= {
        "PROTECTED",
        "NOT_RECORDED",
        "UNPROTECTED",
    }
    stopped = next(f for f in document["findings"] if f["trail_name"] == "identity-prod-trail")
    stopped.update(is_logging=True)
    reseal(demo_run, document)
    code, out, _ = run_cli("verify", "--recompute", str(demo_run))
    assert code == 1
    assert (
        f"{stopped['trail_arn']}: is_logging is True in findings.json, the evidence gives False"
    ) in out


def test_a_consistent_edit_of_an_account_verdict_is_caught(demo_run: Path) -> None:
    document = read_findings(demo_run)
    account = next(a for a in document["accounts"] if a["verdict_code"] == "UNPROTECTED")
    account.update(verdict="PASS", verdict_code="PROTECTED", gaps=[])
    reseal(demo_run, document)
    assert run_cli("verify", str(demo_run))[0] == 0  # the manifest alone cannot tell
    code, out, err = run_cli("verify", "--recompute", str(demo_run))
    assert code == 1
    number = account["account_id"]
    assert f"account {number}: verdict is 'PASS' in findings.json, the evidence gives 'FAIL'" in out
    assert (
        f"account {number}: verdict_code is 'PROTECTED' in findings.json, the evidence "
        "gives 'UNPROTECTED'"
    ) in out
    assert f"account {number}: gaps is () in findings.json" in out
    assert out.count("account ") == 3  # nothing else differs
    assert "differs from the recorded evidence" in err


def test_recording_and_delivery_are_re_derived_from_the_evidence(demo_run: Path) -> None:
    document = read_findings(demo_run)
    by_name = {f["trail_name"]: f for f in document["findings"]}
    # The demo's three v3 cases are in the run, as recorded.
    assert by_name["audit-prod-trail"]["management_events"] == ManagementEvents.PARTIAL.value
    assert by_name["billing-prod-trail"]["delivering"] is False
    assert by_name["billing-prod-trail"]["latest_delivery_error"] == "AccessDenied"
    assert by_name["legacy-prod-trail"]["global_service_events"] is False
    # Claimed protected, each of them: the evidence says otherwise.
    by_name["audit-prod-trail"]["management_events"] = "All"
    by_name["billing-prod-trail"]["delivering"] = True
    by_name["legacy-prod-trail"]["global_service_events"] = True
    reseal(demo_run, document)
    code, out, _ = run_cli("verify", "--recompute", str(demo_run))
    assert code == 1
    for name, line in (
        (
            "audit-prod-trail",
            "management_events is 'All' in findings.json, the evidence gives 'Partial'",
        ),
        ("billing-prod-trail", "delivering is True in findings.json, the evidence gives False"),
        (
            "legacy-prod-trail",
            "global_service_events is True in findings.json, the evidence gives False",
        ),
    ):
        assert f"{by_name[name]['trail_arn']}: {line}" in out


def test_a_pre_lock_count_is_re_derived_from_the_evidence(demo_run: Path) -> None:
    # A forger who hides log files written before the lock: zero where the sample found some.
    document = read_findings(demo_run)
    counted = [f for f in document["findings"] if f["prelock"] is not None]
    assert counted, "the demo's PASS buckets are counted"
    assert all(f["status"] == "PASS" for f in counted)
    arn = edit_findings(
        demo_run, {"prelock": {**counted[0]["prelock"], "source": "inventory"}}, "PASS"
    )
    code, out, _ = run_cli("verify", "--recompute", str(demo_run))
    assert code == 1
    assert f'{arn}: prelock is {{"checked": ' in out
    assert '"source": "inventory"' in out
    assert '"source": "sample"' in out


def test_integrity_is_re_derived_from_the_evidence(demo_run: Path) -> None:
    document = read_findings(demo_run)
    by_name = {f["trail_name"]: f for f in document["findings"]}
    # The demo's integrity failures are in the run, as recorded (one per check).
    statuses = {
        (name, check["check"]): check["status"]
        for name, finding in by_name.items()
        for check in finding["integrity"]
    }
    assert statuses[("analytics-prod-trail", "KMS_KEY")] == "FAIL"
    assert by_name["analytics-prod-trail"]["kms_key_state"] == "Disabled"
    assert statuses[("orders-prod-trail", "LIFECYCLE")] == "FAIL"
    assert by_name["orders-prod-trail"]["lifecycle_expiration_days"] == 30
    assert statuses[("payments-prod-trail", "PUBLIC_ACCESS")] == "FAIL"
    assert statuses[("legacy-prod-trail", "LOG_FILE_VALIDATION")] == "FAIL"
    # Claimed clean: the key enabled, the lifecycle rule gone, every check passing.
    analytics = by_name["analytics-prod-trail"]
    analytics["kms_key_state"] = "Enabled"
    for check in analytics["integrity"]:
        check["status"] = "PASS"
    by_name["orders-prod-trail"]["lifecycle_expiration_days"] = None
    reseal(demo_run, document)
    code, out, _ = run_cli("verify", "--recompute", str(demo_run))
    assert code == 1
    assert (
        f"{analytics['trail_arn']}: kms_key_state is 'Enabled' in findings.json, the evidence "
        "gives 'Disabled'"
    ) in out
    assert f"{analytics['trail_arn']}: integrity is " in out
    assert (
        f"{by_name['orders-prod-trail']['trail_arn']}: lifecycle_expiration_days is null in "
        "findings.json, the evidence gives 30"
    ) in out
