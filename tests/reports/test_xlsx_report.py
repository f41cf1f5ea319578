"""report.xlsx: sheets, headers, typed cells, colours, frozen headers, filters, formula safety."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from report_fixture import ARCHIVE, CLOSED, FORMULA_NAME, LEGACY, MGMT, PROD, SCRIPT_NAME
from workbook_helpers import find_row, header, records

from orgscan.findings import FINDING_COLUMNS, dumps, loads
from orgscan.model import ReasonCode, ScanResult
from orgscan.reports import ReportInputs, available_formats
from orgscan.reports.xlsx_report import CONTRACT_SHEETS, EXCEPTION_COLUMNS, SHEETS, XlsxReport

TABLE_SHEETS = ("Findings", "Buckets", "Coverage", "Remediation", "Run")


def render(result: ScanResult) -> bytes:
    return XlsxReport().render(ReportInputs(result=result))


@pytest.fixture
def workbook(scan_result: ScanResult) -> Workbook:
    return load_workbook(io.BytesIO(render(scan_result)))


def test_registered_as_xlsx_format() -> None:
    fmt = available_formats()["xlsx"]
    assert fmt.filename == "report.xlsx"
    assert list(available_formats())[:2] == ["json", "csv"]


def test_sheets_in_order(workbook: Workbook) -> None:
    assert workbook.sheetnames == list(SHEETS)
    # The contract's six first and in its order; sheets beyond the contract come after them.
    assert workbook.sheetnames == ["Summary", "Findings", "Buckets", "Coverage", "Remediation",
                                   "Run", "Changes"]
    assert list(CONTRACT_SHEETS) == workbook.sheetnames[:6]


def test_findings_sheet_has_every_contract_field_and_one_row_per_finding(
        workbook: Workbook, scan_result: ScanResult) -> None:
    ws = workbook["Findings"]
    assert header(ws) == [*FINDING_COLUMNS, *EXCEPTION_COLUMNS]
    assert header(ws)[:len(FINDING_COLUMNS)] == list(FINDING_COLUMNS)  # contract order first
    assert ws.max_row - 1 == len(scan_result.findings) == 9
    rows = records(ws)
    assert [row["trail_arn"] for row in rows] == [f.trail_arn for f in scan_result.findings]


def test_cells_keep_real_types(workbook: Workbook) -> None:
    rows = records(workbook["Findings"])
    org_trail = rows[0]
    assert org_trail["is_organization_trail"] is True
    assert org_trail["is_multi_region"] is True
    assert org_trail["object_lock_enabled"] is True
    assert type(org_trail["retention_days"]) is int
    assert org_trail["retention_days"] == 365
    missing = next(row for row in rows if row["reason_code"] == "BUCKET_MISSING")
    assert missing["object_lock_enabled"] is None
    assert missing["retention_days"] is None

    run = {row["Parameter"]: row["Value"] for row in records(workbook["Run"])}
    assert run["started_at"] == datetime(2026, 11, 27, 9, 0, 0)
    assert run["finished_at"] == datetime(2026, 11, 27, 9, 1, 30)
    assert run["duration_seconds"] == 90
    assert run["complete"] is False
    assert run["policy.min_retention_days"] == 365
    assert run["policy.require_mode"] == "COMPLIANCE"
    assert run["region_count"] == 3

    summary = workbook["Summary"]
    assert summary.cell(find_row(summary, "Scan finished (UTC)"), 2).value == datetime(
        2026, 11, 27, 9, 1, 30)
    assert summary.cell(find_row(summary, "Scan finished (UTC)"), 2).is_date
    assert summary.cell(find_row(summary, "Accounts scanned"), 2).value == 4
    assert summary.cell(find_row(summary, "Coverage complete"), 2).value is False


@pytest.mark.parametrize(("status", "rgb"), [("FAIL", "FFC7CE"), ("PASS", "C6EFCE"),
                                             ("WARN", "FFEB9C"), ("ERROR", "D9D9D9")])
def test_status_cells_are_coloured(workbook: Workbook, status: str, rgb: str) -> None:
    ws = workbook["Findings"]
    column = list(FINDING_COLUMNS).index("status") + 1
    cells = [ws.cell(row, column) for row in range(2, ws.max_row + 1)
             if ws.cell(row, column).value == status]
    assert cells
    for cell in cells:
        assert cell.fill.fill_type == "solid"
        assert cell.fill.fgColor.rgb.endswith(rgb)
    other = ws.cell(2, 1)  # account_id of a row: not a status cell, not filled
    assert other.fill.fill_type is None


def test_table_sheets_have_bold_frozen_header_and_autofilter(workbook: Workbook) -> None:
    for name in TABLE_SHEETS:
        ws = workbook[name]
        assert ws.freeze_panes == "A2", name
        assert all(cell.font.bold for cell in ws[1] if cell.value is not None), name
        assert ws.auto_filter.ref.startswith("A1:"), name
        assert ws.auto_filter.ref.endswith(str(ws.max_row)), name
        width_a = ws.column_dimensions["A"].width
        assert 8 <= width_a <= 60, name
    assert workbook["Findings"].auto_filter.ref == "A1:W10"
    trail_arn_width = workbook["Findings"].column_dimensions["C"].width
    assert trail_arn_width > workbook["Findings"].column_dimensions["D"].width


def test_formula_like_names_are_stored_as_text(workbook: Workbook) -> None:
    findings = workbook["Findings"]
    trail = next(row[1] for row in findings.iter_rows(min_row=2) if row[1].value == FORMULA_NAME)
    assert isinstance(trail.value, str)
    assert trail.data_type == "s"
    assert trail.quotePrefix
    summary = workbook["Summary"]
    name = next(row[1] for row in summary.iter_rows() if row[0].value == PROD)
    assert name.value == FORMULA_NAME
    assert name.data_type == "s"
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            assert all(cell.data_type != "f" for cell in row), ws.title


def test_no_formula_in_the_file(scan_result: ScanResult) -> None:
    with zipfile.ZipFile(io.BytesIO(render(scan_result))) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 7
        for name in sheets:
            assert b"<f>" not in archive.read(name)
            assert b"<f " not in archive.read(name)
        assert any(n.startswith("xl/charts/chart") for n in archive.namelist())


def test_summary_counts_and_per_account_table(workbook: Workbook) -> None:
    ws = workbook["Summary"]
    status_header = find_row(ws, "Status")
    counts = {ws.cell(status_header + i, 1).value: ws.cell(status_header + i, 2).value
              for i in range(1, 5)}
    assert counts == {"PASS": 2, "WARN": 1, "FAIL": 4, "ERROR": 2}
    assert ws.cell(status_header + 3, 1).fill.fgColor.rgb.endswith("FFC7CE")
    reason_header = find_row(ws, "Reason code")
    reasons = {ws.cell(reason_header + i, 1).value: ws.cell(reason_header + i, 2).value
               for i in range(1, len(ReasonCode) + 1)}
    assert reasons["COMPLIANT"] == 2
    assert reasons["BUCKET_MISSING"] == 1
    assert sum(reasons.values()) == 9

    account_header = find_row(ws, "Account")
    assert header(ws, account_header) == ["Account", "Name", "OU path", "State", "Scanned",
                                          "Trails", "PASS", "WARN", "FAIL", "ERROR", "Compliant"]
    accounts = {row[0]: row for row in ws.iter_rows(min_row=account_header + 1, values_only=True)}
    assert accounts[MGMT][5:] == (2, 1, 0, 1, 0, False)
    assert accounts[LEGACY][4] is False
    assert accounts[LEGACY][10] is None
    assert ws.auto_filter.ref == f"A{account_header}:K{account_header + 6}"
    assert workbook.properties.created == datetime(2026, 11, 27, 9, 1, 30)
    assert workbook.properties.modified == datetime(2026, 11, 27, 9, 1, 30)


def test_buckets_sheet_one_row_per_bucket(workbook: Workbook) -> None:
    rows = records(workbook["Buckets"])
    assert len(rows) == 8
    shared = next(row for row in rows if row["Bucket"] == "org-cloudtrail-logs")
    assert shared["Trails"] == 2
    assert shared["Delivering accounts"] == f"{MGMT}, {PROD}"
    assert shared["Owner account"] == ARCHIVE
    assert shared["Object Lock"] is True
    assert [row["Status"] for row in rows][:4] == ["FAIL"] * 4  # most urgent first


def test_coverage_lists_every_account_and_error(workbook: Workbook) -> None:
    rows = records(workbook["Coverage"])
    assert [row["Kind"] for row in rows] == ["account"] * 6 + ["error"] * 3
    by_account = {row["Account"]: row for row in rows if row["Kind"] == "account"}
    assert by_account[LEGACY]["Detail"] == "not scanned: AccessDenied"
    assert by_account[LEGACY]["Scanned"] is False
    assert by_account[CLOSED]["Detail"] == "not scanned: account is SUSPENDED"
    assert by_account[MGMT]["Regions scanned"] == 3
    region_error = next(row for row in rows if row["Stage"] == "regions")
    assert region_error["Region"] == "ap-south-2"
    assert region_error["Error code"] == "OptInRequired"
    assert any(SCRIPT_NAME in str(row["Detail"]) for row in rows)


def test_remediation_explains_each_failing_bucket(workbook: Workbook) -> None:
    rows = records(workbook["Remediation"])
    assert len(rows) == 7  # every bucket but the compliant one
    by_bucket = {row["Bucket"]: row for row in rows}
    assert "org-cloudtrail-logs" not in by_bucket
    unlocked = by_bucket["mgmt-trail-logs"]
    assert unlocked["Strategy"] == "enable-in-place"  # the plan's words (the default plan)
    assert unlocked["Steps"] == ("1. Enable versioning (Object Lock requires it).\n"
                                 "2. Enable Object Lock with default retention COMPLIANCE for "
                                 "365 days.")
    assert unlocked["Script"] == "remediation/111111111111.sh"
    assert by_bucket["dev-deleted-bucket"]["Strategy"] == "new-bucket"
    assert "Point trail" in by_bucket["dev-deleted-bucket"]["Steps"]
    assert "COMPLIANCE for 400 days" in by_bucket["prod-governance"]["Steps"]
    assert by_bucket["partner-bucket"]["Strategy"] == "no steps"
    assert by_bucket["partner-bucket"]["Script"] == "none: nothing to run"
    assert by_bucket["archive-eu-logs"]["Strategy"] == "no steps"
    assert all(str(row["Steps"]).startswith("1. ") for row in rows if row["Steps"])


def test_render_is_deterministic_and_rebuilt_from_findings_json(scan_result: ScanResult) -> None:
    first = render(scan_result)
    assert render(scan_result) == first
    assert render(loads(dumps(scan_result))) == first
    again = load_workbook(io.BytesIO(render(scan_result)))
    original = load_workbook(io.BytesIO(first))
    for name in SHEETS:
        assert list(again[name].values) == list(original[name].values)


def test_empty_result_still_renders(empty_result: ScanResult) -> None:
    workbook = load_workbook(io.BytesIO(render(empty_result)))
    assert workbook.sheetnames == list(SHEETS)
    assert workbook["Findings"].max_row == 1
    assert workbook["Findings"].auto_filter.ref == "A1:W1"
    assert records(workbook["Remediation"]) == []
