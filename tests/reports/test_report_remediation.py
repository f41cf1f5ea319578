"""What-to-fix rows: derived from reason codes without a plan, taken from the plan with one."""

from __future__ import annotations

import io
from dataclasses import replace

from openpyxl import load_workbook

from orgscan.model import Policy, ScanResult
from orgscan.remediation import RemediationSettings, build_plan
from orgscan.reports import ReportInputs
from orgscan.reports.fixes import RemediationRow, remediation_rows
from orgscan.reports.html_report import HtmlReport
from orgscan.reports.summary import summarise
from orgscan.reports.xlsx_report import XlsxReport


def rows_by_bucket(inputs: ReportInputs) -> dict[str, RemediationRow]:
    rows = remediation_rows(inputs, summarise(inputs.result))
    return {row.bucket.bucket_name: row for row in rows}


def test_without_plan_steps_follow_the_reason_code(scan_result: ScanResult) -> None:
    rows = remediation_rows(ReportInputs(result=scan_result), summarise(scan_result))
    assert [row.bucket.status.value for row in rows] == ["FAIL"] * 4 + ["ERROR"] * 2 + ["WARN"]
    unlocked = next(row for row in rows if row.bucket.bucket_name == "mgmt-trail-logs")
    assert unlocked.strategy == "enable-in-place"
    assert unlocked.steps[0].startswith("Enable versioning")
    assert "mode COMPLIANCE, at least 365 days" in unlocked.steps[1]
    assert unlocked.steps[-1].startswith("Run orgscan again")
    assert unlocked.script is None
    assert unlocked.script_label == "not generated: follow the steps"


def test_policy_without_minimum_asks_for_the_required_period(scan_result: ScanResult) -> None:
    lax = replace(scan_result, run=replace(scan_result.run, policy=Policy()))
    rows = rows_by_bucket(ReportInputs(result=lax))
    steps = " ".join(rows["archive-noretention"].steps)
    assert "mode GOVERNANCE or COMPLIANCE, the number of days your log retention rule requires" \
        in steps


def test_with_plan_rows_carry_the_plan_strategy_and_scripts(scan_result: ScanResult) -> None:
    plan = build_plan(scan_result, RemediationSettings())
    inputs = ReportInputs(result=scan_result, plan=plan)
    rows = rows_by_bucket(inputs)
    assert set(rows) == {entry.bucket_name for entry in plan.entries}
    missing = rows["dev-deleted-bucket"]
    assert missing.strategy == "new-bucket"
    assert missing.script == "remediation/444444444444.sh"
    entry = next(e for e in plan.entries if e.bucket_name == "dev-deleted-bucket")
    assert missing.steps[0] == entry.explanation
    assert len(missing.steps) == 1 + len(entry.steps) + len(entry.warnings)
    denied = rows["partner-bucket"]
    assert denied.strategy == "no steps"
    assert denied.script_label == "none: nothing to run"

    sheet = load_workbook(io.BytesIO(XlsxReport().render(inputs)))["Remediation"]
    scripts = {row[0]: row[9] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert scripts["mgmt-trail-logs"] == "remediation/111111111111.sh"
    assert scripts["partner-bucket"] == "none: nothing to run"
    html = HtmlReport().render(inputs).decode("utf-8")
    assert "remediation/444444444444.sh" in html
    assert entry.explanation.split(" ")[0] in html
