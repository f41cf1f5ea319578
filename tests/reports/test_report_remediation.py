"""What-to-fix rows: taken from the remediation plan (the default plan when a run has none)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from orgscan.model import GapWhy, ReasonCode, ScanResult
from orgscan.remediation import RemediationSettings, build_plan
from orgscan.reports import ReportInputs
from orgscan.reports.fixes import RemediationRow, remediation_rows
from orgscan.reports.html_report import HtmlReport
from orgscan.reports.summary import summarise
from orgscan.reports.xlsx_report import XlsxReport
from tests.remediation.builders import WORKLOAD, finding, gap, with_gaps
from tests.remediation.builders import scan_result as bare_result

from .page_parser import parse
from .workbook_helpers import records


def rows_by_bucket(inputs: ReportInputs) -> dict[str, RemediationRow]:
    rows = remediation_rows(inputs, summarise(inputs.result))
    return {row.bucket.bucket_name: row for row in rows}


def test_without_plan_rows_come_from_the_default_plan(scan_result: ScanResult) -> None:
    rows = remediation_rows(ReportInputs(result=scan_result), summarise(scan_result))
    # The buckets with steps in the plan's ranking, then those without (ERRORs: nothing to run).
    assert [(row.order, row.bucket.status.value) for row in rows] == [
        (1, "FAIL"),
        (2, "FAIL"),
        (3, "FAIL"),
        (4, "FAIL"),
        (5, "WARN"),
        (None, "ERROR"),
        (None, "ERROR"),
    ]
    plan = build_plan(scan_result, RemediationSettings())
    assert rows == remediation_rows(
        ReportInputs(result=scan_result, plan=plan), summarise(scan_result)
    )
    unlocked = next(row for row in rows if row.bucket.bucket_name == "mgmt-trail-logs")
    assert unlocked.strategy == "enable-in-place"
    assert unlocked.script == "remediation/111111111111.sh"


def test_with_plan_rows_carry_the_plan_strategy_and_scripts(scan_result: ScanResult) -> None:
    plan = build_plan(scan_result, RemediationSettings())
    inputs = ReportInputs(result=scan_result, plan=plan)
    rows = rows_by_bucket(inputs)
    assert set(rows) == {entry.bucket_name for entry in plan.entries}
    missing = rows["dev-deleted-bucket"]
    assert missing.strategy == "new-bucket"
    assert missing.script == "remediation/444444444444.sh"
    entry = next(e for e in plan.entries if e.bucket_name == "dev-deleted-bucket")
    assert missing.summary == entry.explanation
    assert missing.warnings == entry.warnings
    assert missing.warnings  # the old bucket is kept, unprotected
    # The replacement bucket's owner is not the (unknown) owner of the missing one: say who acts.
    assert missing.steps == tuple(
        f"Account 444444444444 (us-east-1): {step.description}" for step in entry.steps
    )
    unlocked = rows["mgmt-trail-logs"]  # the owner acts on its own bucket: no prefix needed
    unlocked_entry = next(e for e in plan.entries if e.bucket_name == "mgmt-trail-logs")
    assert unlocked.steps == tuple(step.description for step in unlocked_entry.steps)
    denied = rows["partner-bucket"]
    assert denied.strategy == "no steps"
    assert denied.steps == ()
    assert denied.summary
    assert denied.script_label == "none: nothing to run"

    sheet = load_workbook(io.BytesIO(XlsxReport().render(inputs)))["Remediation"]
    by_bucket = {row["Bucket"]: row for row in records(sheet)}
    assert by_bucket["mgmt-trail-logs"]["Script"] == "remediation/111111111111.sh"
    assert by_bucket["partner-bucket"]["Script"] == "none: nothing to run"
    assert by_bucket["partner-bucket"]["Steps"] is None
    assert by_bucket["dev-deleted-bucket"]["What to do"] == entry.explanation
    assert by_bucket["dev-deleted-bucket"]["Steps"] == "\n".join(
        f"{n}. {step}" for n, step in enumerate(missing.steps, start=1)
    )
    assert by_bucket["dev-deleted-bucket"]["Warnings"] == "\n".join(entry.warnings)
    html = HtmlReport().render(inputs).decode("utf-8")
    assert "remediation/444444444444.sh" in html
    page_text = " ".join("".join(parse(html).text).split())
    assert entry.explanation in page_text
    assert f"Warning: {entry.warnings[0]}" in page_text


def test_the_page_and_workbook_show_the_trails_that_leave_accounts_unrecorded() -> None:
    stopped = finding("stopped", ReasonCode.COMPLIANT, is_logging=False)
    result = with_gaps(bare_result(stopped), {WORKLOAD: (gap("us-east-1", GapWhy.NOT_LOGGING),)})
    inputs = ReportInputs(result=result, plan=build_plan(result, RemediationSettings()))
    (entry,) = inputs.plan.entries if inputs.plan else ()
    sheet = load_workbook(io.BytesIO(XlsxReport().render(inputs)))["Remediation"]
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert [v for v in cells[-2] if v] == ["Trails that leave accounts unrecorded"]
    assert cells[-1][:3] == [stopped.trail_arn, "NOT_LOGGING", "1 account"]
    assert cells[-1][4] == f"1. {entry.steps[0].description}"
    assert cells[-1][5] == f"remediation/{WORKLOAD}.sh"
    page_text = " ".join("".join(parse(HtmlReport().render(inputs).decode()).text).split())
    assert "1 trail that leaves accounts unrecorded" in page_text
    assert entry.explanation in page_text
    assert entry.steps[0].description in page_text
