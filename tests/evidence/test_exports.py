"""The opt-in exports: ASFF checked with botocore's own Security Hub model, OCSF with
py-ocsf-models."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

from orgscan.controls import AppliesTo, load_controls
from orgscan.model import AccountCoverage, ScanResult, Status
from orgscan.reports.asff_report import asff_findings
from orgscan.reports.ocsf_report import ocsf_events


def import_shape() -> Any:
    model = botocore.session.get_session().get_service_model("securityhub")
    return model.operation_model("BatchImportFindings").input_shape


def demo_result(run_dir: Path) -> ScanResult:
    """The demo run as written, with the verdicts the scan gave its accounts."""
    from orgscan.findings import load_run

    return load_run(run_dir)


def findings_and_verdicts(run_dir: Path) -> int:
    """How many objects an export of ``run_dir`` holds: one per trail finding, one per
    account verdict, one per failing integrity check (contract 5.2)."""
    document = json.loads((run_dir / "findings.json").read_text())
    verdicts = [a for a in document["accounts"] if a.get("verdict") is not None]
    assert verdicts  # the demo scan gives its scanned accounts a verdict
    failing = [c for f in document["findings"] for c in f["integrity"] if c["status"] == "FAIL"]
    assert failing  # the demo fails each check once
    return len(document["findings"]) + len(verdicts) + len(failing)


def integrity_failures(result: ScanResult) -> int:
    """The failing integrity checks of ``result``: each is an export object of its own."""
    return sum(1 for f in result.findings for c in f.integrity if c.status is Status.FAIL)


def test_every_asff_object_is_valid_batch_import_input(demo_run_master: Path) -> None:
    document = json.loads((demo_run_master / "findings-asff.json").read_text())
    assert len(document["Findings"]) == findings_and_verdicts(demo_run_master)
    validate_parameters(document, import_shape())  # raises ParamValidationError if not
    for asff in document["Findings"]:
        validate_parameters({"Findings": [asff]}, import_shape())
    broken = {key: value for key, value in document["Findings"][0].items() if key != "Title"}
    with pytest.raises(ParamValidationError, match="Title"):
        validate_parameters({"Findings": [broken]}, import_shape())


def test_asff_content_for_findings_and_account_verdicts(demo_run_master: Path) -> None:
    result = demo_result(demo_run_master)
    objects = asff_findings(result)
    validate_parameters({"Findings": objects[:100]}, import_shape())
    validate_parameters({"Findings": objects[100:] or objects[:1]}, import_shape())
    verdicts = [a for a in result.accounts if a.verdict is not None]
    assert len(objects) == len(result.findings) + len(verdicts) + integrity_failures(result)
    failing = next(f for f in result.findings if f.status is Status.FAIL)
    asff = next(o for o in objects if o["Resources"][0]["Id"] == failing.trail_arn)
    assert asff["Severity"]["Label"] == "MEDIUM"
    assert asff["FindingProviderFields"] == {
        "Severity": {"Label": "MEDIUM", "Original": "Medium"},
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
    }
    assert asff["Compliance"]["Status"] == "FAILED"
    assert asff["Compliance"]["StatusReasons"][0]["ReasonCode"] == failing.reason_code.value
    assert [r["Type"] for r in asff["Resources"]] == ["AwsCloudTrailTrail", "AwsS3Bucket"]
    assert asff["Resources"][1]["Id"] == f"arn:aws:s3:::{failing.bucket_name}"
    assert asff["AwsAccountId"] == result.run.caller_arn.split(":")[4]  # the importer
    assert asff["ProductFields"]["orgscan/account_id"] == failing.account_id
    assert "AWS Security Hub S3.15" in asff["Compliance"]["RelatedRequirements"]
    assert "NIST.800-53.r5 AU-9" in asff["Compliance"]["RelatedRequirements"]
    account = next(o for o in objects if o["Resources"][0]["Type"] == "AwsAccount")
    # The demo scans three named regions under ANY / 90 days: no "all regions", no
    # non-rewriteable-storage or 12-month claim (contract §5.5).
    assert account["Compliance"]["RelatedRequirements"] == [
        "NIST.800-53.r5 AU-9",
        "NIST.800-53.r5 AU-11",
        "PCI DSS v4.0/10.3",
    ]
    claimable = set(load_controls().labels(AppliesTo.ACCOUNT))
    assert {"SEC Rule 17a-4(f)", "CIS AWS Foundations Benchmark v1.4.0/3.1"} <= claimable
    for each in objects:
        assert not {"SEC Rule 17a-4(f)", "PCI DSS v4.0/10.5.1"} & set(
            each["Compliance"]["RelatedRequirements"]
        )
    passed = next(o for o in objects if o["Compliance"]["Status"] == "PASSED")
    assert passed["Severity"]["Label"] == "INFORMATIONAL"
    assert passed["FindingProviderFields"]["Severity"]["Label"] == "INFORMATIONAL"
    assert {o["RecordState"] for o in objects} == {"ACTIVE"}
    assert {o["Id"] for o in objects} == {o["Id"] for o in asff_findings(result)}  # stable
    assert len({o["Id"] for o in objects}) == len(objects)


def test_every_ocsf_event_is_a_valid_compliance_finding(demo_run_master: Path) -> None:
    written = json.loads((demo_run_master / "findings-ocsf.json").read_text())
    events = ocsf_events(demo_result(demo_run_master))
    assert len(written) == len(events) == findings_and_verdicts(demo_run_master)
    for event in written + events:
        model = ComplianceFinding.model_validate(event)
        assert model.class_uid == 2003
        assert model.type_uid == 200301
        assert model.compliance.requirements
        assert model.resources
    failing = next(e for e in events if e["compliance"]["status_id"] == 3)
    assert failing["severity_id"] == 3
    assert "PCI DSS v4.0/10.5.1" not in failing["compliance"]["requirements"]  # 90 days
    assert "AWS Security Hub S3.15" in failing["compliance"]["requirements"]
    assert "AWS Security Hub CSPM" in failing["compliance"]["standards"]
    account = next(e for e in events if e["resources"][0]["type"] == "AWS::::Account")
    # --regions in the demo: the account is no "CloudTrail enabled in all regions" evidence.
    assert "CIS AWS Foundations Benchmark v1.4.0/3.1" not in account["compliance"]["requirements"]
    assert account["compliance"]["requirements"] == [
        "NIST.800-53.r5 AU-9",
        "NIST.800-53.r5 AU-11",
        "PCI DSS v4.0/10.3",
    ]


@pytest.mark.parametrize(
    ("status", "asff", "ocsf"),
    [
        (Status.PASS, "PASSED", 1),
        # WARN is a lock that protects no log file: a failure in both formats, never ASFF's
        # WARNING / OCSF's Warning, which mean "could not tell".
        (Status.WARN, "FAILED", 3),
        (Status.FAIL, "FAILED", 3),
        (Status.ERROR, "NOT_AVAILABLE", 2),
    ],
)
def test_status_mapping(demo_run_master: Path, status: Status, asff: str, ocsf: int) -> None:
    result = demo_result(demo_run_master)
    finding = dataclasses.replace(result.findings[0], status=status)
    one = dataclasses.replace(result, findings=(finding,), accounts=())
    exported = asff_findings(one)[0]
    assert exported["Compliance"]["Status"] == asff
    assert exported["ProductFields"]["orgscan/status"] == status.value
    event = ocsf_events(one)[0]
    assert event["compliance"]["status_id"] == ocsf
    assert event["status_detail"] == status.value


def test_exports_are_opt_in(tmp_path: Path) -> None:
    from orgscan.config import OutputFormat, build_settings

    assert build_settings(None, {}).formats == (
        OutputFormat.JSON,
        OutputFormat.CSV,
        OutputFormat.XLSX,
        OutputFormat.HTML,
        OutputFormat.SCRIPTS,
    )
    assert build_settings(None, {"format": "json,asff,ocsf"}).formats == (
        OutputFormat.JSON,
        OutputFormat.ASFF,
        OutputFormat.OCSF,
    )


def test_account_without_verdict_is_not_exported(demo_run_master: Path) -> None:
    result = demo_result(demo_run_master)
    unscanned = AccountCoverage("999999999999", "gone", "/Root", "SUSPENDED", False, 0, None)
    one = dataclasses.replace(result, accounts=(unscanned,))
    assert len(asff_findings(one)) == len(result.findings) + integrity_failures(result)


def test_failing_integrity_checks_are_exported_with_their_own_labels(
    demo_run_master: Path,
) -> None:
    result = demo_result(demo_run_master)
    objects = asff_findings(result)
    validate_parameters({"Findings": objects[:100]}, import_shape())
    checks = {
        o["Id"].split("/")[2]: o
        for o in objects
        if o["Id"].startswith("orgscan/cloudtrail-integrity/")
    }
    assert set(checks) == {
        "DELIVERY",
        "KMS_KEY",
        "LIFECYCLE",
        "LOG_FILE_VALIDATION",
        "PUBLIC_ACCESS",
    }
    assert all(o["Compliance"]["Status"] == "FAILED" for o in checks.values())
    validation = checks["LOG_FILE_VALIDATION"]
    assert validation["Compliance"]["RelatedRequirements"] == [
        "CIS AWS Foundations Benchmark v1.4.0/3.2"
    ]
    key = checks["KMS_KEY"]
    assert key["Compliance"]["RelatedRequirements"] == ["NIST.800-53.r5 AU-9"]
    assert [r["Type"] for r in key["Resources"]] == ["AwsCloudTrailTrail", "AwsKmsKey"]
    assert "is Disabled" in key["Description"]
    # Each check carries its own controls, never the lock's.
    assert {code: o["Compliance"]["RelatedRequirements"] for code, o in checks.items()} == {
        "DELIVERY": ["NIST.800-53.r5 AU-5"],
        "KMS_KEY": ["NIST.800-53.r5 AU-9"],
        "LIFECYCLE": ["NIST.800-53.r5 AU-11"],
        "LOG_FILE_VALIDATION": ["CIS AWS Foundations Benchmark v1.4.0/3.2"],
        "PUBLIC_ACCESS": ["NIST.800-53.r5 AU-9"],
    }


def test_an_account_verdict_names_each_gaps_why(demo_run_master: Path) -> None:
    result = demo_result(demo_run_master)
    account = next(a for a in result.accounts if a.name == "security-tooling")
    asff = next(
        o for o in asff_findings(result) if o["Resources"][0]["Id"].endswith(account.account_id)
    )
    ocsf = next(
        e for e in ocsf_events(result) if e["resources"][0]["uid"].endswith(account.account_id)
    )
    expected = (
        "Regions not protected: eu-central-1 NOT_RECORDED (NO_TRAIL), "
        "eu-west-1 NOT_RECORDED (NO_TRAIL)."
    )
    assert expected in asff["Description"]
    assert expected in ocsf["message"]


def test_a_trails_tamper_status_travels_beside_its_finding(demo_run_master: Path) -> None:
    result = demo_result(demo_run_master)
    assessed = {f.trail_arn: f for f in result.findings if f.tamper_status is not None}
    assert assessed  # the demo assesses who can weaken its trails
    by_trail = {
        resource["Id"]: finding
        for finding in asff_findings(result)
        if finding["GeneratorId"].endswith("object-lock")
        for resource in finding["Resources"]
        if resource["Type"] == "AwsCloudTrailTrail"
    }
    for arn, finding in assessed.items():
        assert finding.tamper_status is not None
        fields = by_trail[arn]["ProductFields"]
        assert fields["orgscan/tamper_status"] == finding.tamper_status.value
        assert fields["orgscan/tamper_reason"] == (finding.tamper_reason or "")[:2048]
        # Reported beside the lock's verdict, never deciding it.
        assert fields["orgscan/status"] == finding.status.value
    events = [e for e in ocsf_events(result) if e.get("unmapped")]
    assert {e["unmapped"]["tamper_status"] for e in events} == {
        f.tamper_status.value for f in assessed.values() if f.tamper_status is not None
    }
