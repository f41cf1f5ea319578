"""``orgscan publish --security-hub``: ASFF findings imported in batches of 100 (moto)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orgscan.evidence.publish import for_importer, publish_findings
from orgscan.findings import load_run
from orgscan.reports.asff_report import asff_findings
from tests.evidence.cli import run_cli
from tests.evidence.test_recompute import read_findings, reseal


@pytest.fixture
def security_hub(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("securityhub", region_name="us-east-1")


def all_findings(client: Any) -> list[dict[str, Any]]:
    pages = client.get_paginator("get_findings").paginate()
    return [finding for page in pages for finding in page["Findings"]]


def test_findings_go_in_batches_of_100(security_hub: Any, demo_run_master: Path) -> None:
    result = load_run(demo_run_master)
    many = tuple(
        dataclasses.replace(
            result.findings[n % len(result.findings)],
            trail_arn=f"arn:aws:cloudtrail:us-east-1:111111111111:trail/t{n}",
            integrity=(),  # no failing integrity check exported beside each finding
        )
        for n in range(250)
    )
    # 250 trail findings and no account verdicts: the batches are of findings alone.
    findings = for_importer(
        asff_findings(dataclasses.replace(result, findings=many, accounts=())),
        "aws",
        "us-east-1",
        "123456789012",
    )
    sizes: list[int] = []
    security_hub.meta.events.register(
        "before-parameter-build.securityhub.BatchImportFindings",
        lambda params, **_: sizes.append(len(params["Findings"])),
    )
    outcome = publish_findings(security_hub, findings)
    assert sizes == [100, 100, 50]
    assert (outcome.imported, outcome.batches, outcome.failed) == (250, 3, [])
    stored = all_findings(security_hub)
    assert len(stored) == 250
    assert {f["ProductArn"] for f in stored} == {
        "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
    }


def test_publish_command_imports_a_run(security_hub: Any, demo_run: Path) -> None:
    code, out, err = run_cli("publish", str(demo_run), "--security-hub")
    assert code == 0, err
    expected = len(json.loads((demo_run / "findings-asff.json").read_text())["Findings"])
    assert out.startswith(
        f"imported {expected} of {expected} findings into Security Hub "
        "(us-east-1, account 123456789012) in 1 call"
    )
    stored = all_findings(security_hub)
    assert sorted(f["Id"] for f in stored) == sorted(
        f["Id"] for f in json.loads((demo_run / "findings-asff.json").read_text())["Findings"]
    )
    assert {f["AwsAccountId"] for f in stored} == {"123456789012"}


def test_publish_refuses_a_tampered_run(security_hub: Any, demo_run: Path) -> None:
    findings = demo_run / "findings.json"
    findings.write_text(findings.read_text().replace('"FAIL"', '"PASS"'))
    # Security Hub is the destination whether --security-hub is named or not.
    for flags in ((), ("--security-hub",)):
        code, _, err = run_cli("publish", str(demo_run), *flags)
        assert code == 1
        assert "refusing to publish" in err
    assert all_findings(security_hub) == []


def _forge_all_passing(run_dir: Path) -> None:
    """Rewrite findings.json so that every finding passes, as a forger would."""
    document = read_findings(run_dir)
    for finding in document["findings"]:
        finding.update(status="PASS", reason_code="COMPLIANT")
    (run_dir / "findings.json").write_text(json.dumps(document, indent=2))


def test_publish_refuses_a_forged_run_without_its_manifest(
    security_hub: Any, demo_run: Path
) -> None:
    _forge_all_passing(demo_run)
    (demo_run / "manifest.json").unlink()
    code, out, err = run_cli("publish", str(demo_run), "--security-hub")
    assert code == 2
    assert out == ""
    assert f"{demo_run / 'manifest.json'}: missing" in err
    assert "refusing to publish it. Give --force to use it anyway" in err
    # Forced past the missing seal, the recorded evidence still refuses the forgery.
    code, out, err = run_cli("publish", str(demo_run), "--security-hub", "--force")
    assert code == 1
    assert len(err.splitlines()) == 1  # refused: the one line says why, no warning first
    assert "findings.json differs from the recorded AWS responses" in err
    assert "'PASS' in findings.json, the evidence gives 'FAIL'" in err
    assert all_findings(security_hub) == []


def test_publish_refuses_findings_the_evidence_does_not_give(
    security_hub: Any, demo_run: Path
) -> None:
    document = read_findings(demo_run)
    _forge_all_passing(demo_run)
    reseal(demo_run, read_findings(demo_run))
    assert run_cli("verify", str(demo_run))[0] == 0  # the manifest alone cannot tell
    code, _, err = run_cli("publish", str(demo_run), "--security-hub")
    assert code == 1
    failing = sum(f["status"] == "FAIL" for f in document["findings"])
    assert f"findings.json differs from the recorded AWS responses in {failing * 2}" in err
    assert "refusing to publish it" in err
    assert all_findings(security_hub) == []


def test_a_forced_publish_warns_and_logs(security_hub: Any, demo_run: Path) -> None:
    (demo_run / "manifest.json").unlink()
    before = sorted(p.name for p in demo_run.rglob("*"))
    code, out, err = run_cli("publish", str(demo_run), "--security-hub", "--force")
    assert code == 0, err
    warning = (
        f"{demo_run}: no manifest.json, used anyway (--force): nothing shows that its files "
        "are the ones the scan wrote"
    )
    assert err == f"orgscan: warning: {warning}\n"
    assert out.startswith("imported ")
    log = (demo_run.parent / "orgscan.log").read_text(encoding="utf-8")
    assert f"WARNING [{demo_run.name}] MainThread orgscan.cli.runcheck: {warning}" in log
    assert sorted(p.name for p in demo_run.rglob("*")) == before
