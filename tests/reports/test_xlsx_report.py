"""report.xlsx: sheets, readable headers, typed cells, colours, frozen headers, filters, print
setup, the Accounts sheet, formula safety."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import replace
from datetime import datetime

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook

from orgscan.findings import FINDING_COLUMNS, dumps, loads
from orgscan.formats import available_formats
from orgscan.model import IntegrityCheck, IntegrityCode, ReasonCode, ScanResult, Status
from orgscan.reports import ReportInputs
from orgscan.reports.xlsx_integrity import INTEGRITY_FINDING_COLUMNS
from orgscan.reports.xlsx_report import COMPRESS_LEVEL, CONTRACT_SHEETS, SHEETS, XlsxReport
from orgscan.reports.xlsx_tables import EXCEPTION_COLUMNS, FINDING_HEADERS, PRELOCK_HEADERS

from .report_fixture import (
    ARCHIVE,
    CLOSED,
    DEV,
    FORMULA_NAME,
    LEGACY,
    MGMT,
    PROD,
    SCRIPT_NAME,
    build_judged,
)
from .workbook_helpers import find_row, header, records

#: Every sheet but the Summary and the Controls is one table under a header row.
TABLE_SHEETS = tuple(name for name in SHEETS if name not in ("Summary", "Controls"))


def render(result: ScanResult) -> bytes:
    return XlsxReport().render(ReportInputs(result=result))


@pytest.fixture
def workbook(scan_result: ScanResult) -> Workbook:
    return load_workbook(io.BytesIO(render(scan_result)))


#: The Findings sheet's last column: the contract's fields, the integrity group, the exception.
LAST_FINDINGS_COLUMN = get_column_letter(
    len(FINDING_HEADERS)
    + len(PRELOCK_HEADERS)
    + len(INTEGRITY_FINDING_COLUMNS)
    + len(EXCEPTION_COLUMNS)
)


def test_registered_as_xlsx_format() -> None:
    fmt = available_formats()["xlsx"]
    assert fmt.filename == "report.xlsx"
    assert list(available_formats())[:2] == ["json", "csv"]


def test_sheets_in_order(workbook: Workbook) -> None:
    assert workbook.sheetnames == list(SHEETS)
    # The contract's seven first and in its order; sheets beyond the contract come after them.
    assert workbook.sheetnames == [
        "Summary",
        "Findings",
        "Accounts",
        "Buckets",
        "Coverage",
        "Remediation",
        "Run",
        "Integrity",
        "Account changes",
        "Changes",
        "Weakener changes",
        "Controls",
        "Who can weaken",
    ]
    assert list(CONTRACT_SHEETS) == workbook.sheetnames[:7]


def test_integrity_sheet_lists_every_check_failing_first(scan_result: ScanResult) -> None:
    def checks(*statuses: Status) -> tuple[IntegrityCheck, ...]:
        codes = (IntegrityCode.DELIVERY, IntegrityCode.LIFECYCLE, IntegrityCode.PUBLIC_ACCESS)
        return tuple(
            IntegrityCheck(code, status, f"{code.value} is {status.value}.")
            for code, status in zip(codes, statuses, strict=True)
        )

    first, second, *rest = scan_result.findings
    findings = (
        replace(first, integrity=checks(Status.PASS, Status.WARN, Status.FAIL)),
        replace(second, integrity=checks(Status.ERROR, Status.PASS, Status.PASS)),
        *rest,
    )
    workbook = load_workbook(io.BytesIO(render(replace(scan_result, findings=findings))))
    ws = workbook["Integrity"]
    assert header(ws) == ["Account", "Trail", "Check", "Status", "Detail", "Bucket", "Trail ARN"]
    assert [(r["Trail"], r["Check"], r["Status"]) for r in records(ws)] == [
        (first.trail_name, "PUBLIC_ACCESS", "FAIL"),
        (second.trail_name, "DELIVERY", "ERROR"),
        (first.trail_name, "LIFECYCLE", "WARN"),
        # Passing last, by account, then trail name, then the contract's order of checks.
        *sorted(
            [
                (first.trail_name, "DELIVERY", "PASS"),
                (second.trail_name, "LIFECYCLE", "PASS"),
                (second.trail_name, "PUBLIC_ACCESS", "PASS"),
            ],
            key=lambda row: row[0],
        ),
    ]
    assert records(ws)[0]["Detail"] == "PUBLIC_ACCESS is FAIL."
    assert ws.freeze_panes == "A2"
    # The Findings sheet's integrity group: the worst status, and what does not pass.
    rows = {row["Trail"]: row for row in records(workbook["Findings"])}
    assert rows[first.trail_name]["Integrity"] == "FAIL"
    assert rows[first.trail_name]["Integrity not passing"] == "LIFECYCLE WARN\nPUBLIC_ACCESS FAIL"
    assert rows[second.trail_name]["Integrity"] == "ERROR"
    assert rows[rest[0].trail_name]["Integrity"] is None  # not assessed: empty, never PASS


def test_findings_sheet_has_every_contract_field_under_a_readable_header(
    workbook: Workbook, scan_result: ScanResult
) -> None:
    ws = workbook["Findings"]
    assert list(FINDING_HEADERS) == list(FINDING_COLUMNS)  # one header per field, in order
    integrity = [column.header for column in INTEGRITY_FINDING_COLUMNS]
    assert integrity == ["Integrity", "Integrity not passing"]
    assert header(ws) == [
        *FINDING_HEADERS.values(),
        *PRELOCK_HEADERS,
        *integrity,
        *EXCEPTION_COLUMNS,
    ]
    assert header(ws)[:4] == ["Account", "Trail", "Trail ARN", "Home region"]
    health = header(ws).index("Logging")
    assert header(ws)[health : health + 8] == [
        "Logging",
        "Latest delivery error",
        "Management events",
        "Global service events",
        "Latest delivery",
        "Delivering",
        "Log file validation",
        "KMS key",
    ]
    assert not any("_" in str(name) for name in header(ws))  # no machine names
    assert ws.max_row - 1 == len(scan_result.findings) == 9
    rows = records(ws)
    assert [row["Trail ARN"] for row in rows] == [f.trail_arn for f in scan_result.findings]


def test_trail_health_columns_are_typed() -> None:
    rows = {
        row["Trail"]: row
        for row in records(load_workbook(io.BytesIO(render(build_judged())))["Findings"])
    }
    assert rows["archive-eu"]["Logging"] == "No"
    assert rows["archive-eu"]["Latest delivery error"] == "AccessDenied"
    assert rows["prod-to-archive"]["Logging"] == "Yes"
    assert rows["prod-to-archive"]["Management events"] == "All"
    assert rows["prod-to-archive"]["Latest delivery error"] is None
    assert rows["dev-audit"]["Management events"] == "None"


def test_cells_keep_real_types(workbook: Workbook) -> None:
    rows = records(workbook["Findings"])
    org_trail = rows[0]
    assert org_trail["Organization trail"] == "Yes"
    assert org_trail["Multi-region"] == "Yes"
    assert org_trail["Object Lock"] == "Yes"
    assert type(org_trail["Retention (days)"]) is int
    assert org_trail["Retention (days)"] == 365
    assert org_trail["Logging"] is None  # not read by this run: empty, never False
    missing = next(row for row in rows if row["Reason code"] == "BUCKET_MISSING")
    assert missing["Object Lock"] is None
    assert missing["Retention (days)"] is None

    run = {row["Parameter"]: row["Value"] for row in records(workbook["Run"])}
    assert run["Scan started (UTC)"] == datetime(2026, 11, 27, 9, 0, 0)
    assert run["Scan finished (UTC)"] == datetime(2026, 11, 27, 9, 1, 30)
    assert run["Duration (seconds)"] == 90
    assert run["Coverage complete"] == "No"
    assert run["Policy: minimum retention (days)"] == 365
    assert run["Policy: required mode"] == "COMPLIANCE"
    assert run["Regions"] == 3

    summary = workbook["Summary"]
    assert summary.cell(find_row(summary, "Scan finished (UTC)"), 2).value == datetime(
        2026, 11, 27, 9, 1, 30
    )
    assert summary.cell(find_row(summary, "Scan finished (UTC)"), 2).is_date
    assert summary.cell(find_row(summary, "Accounts scanned"), 2).value == 4
    assert summary.cell(find_row(summary, "Coverage complete"), 2).value == "No"


@pytest.mark.parametrize(
    ("status", "rgb"),
    [("FAIL", "FFC7CE"), ("PASS", "C6EFCE"), ("WARN", "FFEB9C"), ("ERROR", "D9D9D9")],
)
def test_status_cells_are_coloured(workbook: Workbook, status: str, rgb: str) -> None:
    ws = workbook["Findings"]
    column = list(FINDING_COLUMNS).index("status") + 1
    assert ws.cell(1, column).value == "Status"
    cells = [
        ws.cell(row, column)
        for row in range(2, ws.max_row + 1)
        if ws.cell(row, column).value == status
    ]
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
        # An empty Changes table has its note below it, outside the filter.
        assert ws.auto_filter.ref.endswith(str(max(ws.max_row, 1))) or name in (
            "Changes",
            "Account changes",
            "Weakener changes",
        ), name
        width_a = ws.column_dimensions["A"].width
        assert 8 <= width_a <= 60, name
    assert workbook["Findings"].auto_filter.ref == f"A1:{LAST_FINDINGS_COLUMN}10"
    trail_arn_width = workbook["Findings"].column_dimensions["C"].width
    assert trail_arn_width > workbook["Findings"].column_dimensions["D"].width


def test_every_sheet_is_print_ready(workbook: Workbook) -> None:
    for ws in workbook.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        if not ws.sheet_properties.pageSetUpPr.fitToPage:
            # Too wide for one page at a readable size: printed at 80% over several pages
            # wide, the columns that name a row repeated on each.
            assert setup.scale == 80, ws.title
            assert ws.print_title_cols, ws.title
        else:
            assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
            assert setup.fitToWidth == 1, ws.title
        assert ws.oddFooter.right.text == "Page &P of &N", ws.title
        assert "o-abc123def4" in ws.oddHeader.right.text, ws.title
        if ws.title != "Summary":
            assert ws.print_title_rows == "$1:$1", ws.title  # the header row on every page
            assert setup.fitToHeight in (0, None), ws.title  # as many pages long as needed
    assert workbook["Summary"].page_setup.fitToHeight == 1  # the Summary is one page
    assert workbook["Findings"].print_title_cols == "$A:$B"  # 23 columns never fit one page


def test_page_header_names_the_run_safely(scan_result: ScanResult) -> None:
    run = replace(scan_result.run, run_id="20261127T090000Z", organization_id="o-a&b\x1b]0;x\x07")
    ws = load_workbook(io.BytesIO(render(replace(scan_result, run=run))))["Findings"]
    # "&" starts a code in a page header: it is doubled; control characters are dropped.
    assert ws.oddHeader.right.text == "o-a&&b]0;x · run 20261127T090000Z"


def test_summary_rows_are_tall_enough_for_long_values(scan_result: ScanResult) -> None:
    # A long command wraps in column B; its row must grow, or it prints over the next row.
    command = ("orgscan", "scan", "--accounts", ",".join(["123456789012"] * 12))
    run = replace(scan_result.run, command=command)
    ws = load_workbook(io.BytesIO(render(replace(scan_result, run=run))))["Summary"]
    row = find_row(ws, "Command")
    assert len(str(ws.cell(row, 2).value)) > 100
    assert ws.row_dimensions[row].height >= 30
    assert ws.row_dimensions[find_row(ws, "Host")].height is None


def test_accounts_sheet_follows_findings_with_each_verdict() -> None:
    workbook = load_workbook(io.BytesIO(render(build_judged())))
    assert workbook.sheetnames.index("Accounts") == workbook.sheetnames.index("Findings") + 1
    ws = workbook["Accounts"]
    assert header(ws) == [
        "Account",
        "Name",
        "OU path",
        "Verdict",
        "Verdict code",
        "Gaps",
        "Protected by",
        "Coverage",
    ]
    rows = {row["Account"]: row for row in records(ws)}
    assert [row["Account"] for row in records(ws)] == [
        MGMT,
        DEV,
        ARCHIVE,
        PROD,
        CLOSED,
        LEGACY,
    ]  # most urgent first
    assert rows[DEV]["Verdict"] == "FAIL"
    assert rows[DEV]["Verdict code"] == "NOT_RECORDED"
    assert rows[DEV]["Gaps"] == "not recorded: all 3 scanned regions"
    assert rows[DEV]["Name"] == SCRIPT_NAME
    assert rows[ARCHIVE]["Verdict"] == "ERROR"
    assert rows[ARCHIVE]["Gaps"] == (
        "recorded into an unlocked bucket: eu-west-1, us-east-1; could not tell: ap-south-2"
    )
    assert rows[PROD]["Verdict"] == "PASS"
    assert (
        rows[PROD]["Protected by"] == f"arn:aws:cloudtrail:eu-west-1:{PROD}:trail/prod-to-archive"
    )
    assert rows[PROD]["Name"] == FORMULA_NAME
    # Not scanned is said in words, never a blank a filter would hide, never PASS.
    assert rows[LEGACY]["Verdict"] == "not scanned"
    assert rows[LEGACY]["Verdict code"] is None
    verdict_column = header(ws).index("Verdict") + 1
    cell = next(
        ws.cell(r, verdict_column) for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == DEV
    )
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")


def test_unjudged_accounts_are_not_assessed(workbook: Workbook) -> None:
    verdicts = {row["Account"]: row["Verdict"] for row in records(workbook["Accounts"])}
    assert verdicts == {
        MGMT: "not assessed",
        ARCHIVE: "not assessed",
        PROD: "not assessed",
        DEV: "not assessed",
        LEGACY: "not scanned",
        CLOSED: "not scanned",
    }


def test_formula_like_names_are_stored_as_text(workbook: Workbook) -> None:
    findings = workbook["Findings"]
    trail = next(row[1] for row in findings.iter_rows(min_row=2) if row[1].value == FORMULA_NAME)
    assert isinstance(trail.value, str)
    assert trail.data_type == "s"
    assert trail.quotePrefix
    accounts = workbook["Accounts"]
    name = next(row[1] for row in accounts.iter_rows() if row[0].value == PROD)
    assert name.value == FORMULA_NAME
    assert name.data_type == "s"
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            assert all(cell.data_type != "f" for cell in row), ws.title


def test_no_formula_in_the_file(scan_result: ScanResult) -> None:
    with zipfile.ZipFile(io.BytesIO(render(scan_result))) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == len(SHEETS)
        for name in sheets:
            assert b"<f>" not in archive.read(name)
            assert b"<f " not in archive.read(name)
        assert any(n.startswith("xl/charts/chart") for n in archive.namelist())


def test_summary_gives_the_verdict_and_the_counts(workbook: Workbook) -> None:
    ws = workbook["Summary"]
    assert str(ws["A2"].value).startswith("The 4 scanned accounts were not assessed")
    status_header = find_row(ws, "Status")
    counts = {
        ws.cell(status_header + i, 1).value: ws.cell(status_header + i, 2).value
        for i in range(1, 5)
    }
    assert counts == {"PASS": 2, "WARN": 1, "FAIL": 4, "ERROR": 2}
    assert ws.cell(status_header + 3, 1).fill.fgColor.rgb.endswith("FFC7CE")
    reason_header = find_row(ws, "Reason code")
    reasons = {
        ws.cell(reason_header + i, 1).value: ws.cell(reason_header + i, 2).value
        for i in range(1, len(ReasonCode) + 1)
    }
    assert reasons["COMPLIANT"] == 2
    assert reasons["BUCKET_MISSING"] == 1
    # Only the reasons that occur are listed: the Summary stays one page.
    assert 0 not in reasons.values()
    assert sum(value for value in reasons.values() if isinstance(value, int)) == 9
    standing_header = find_row(ws, "Account verdict")
    standings = {
        ws.cell(standing_header + i, 1).value: ws.cell(standing_header + i, 2).value
        for i in range(1, 7)
    }
    assert standings["not assessed"] == 4
    assert standings["not scanned"] == 2
    assert standings["protected"] == 0
    # Labels and values side by side in two columns; nothing to the right but the charts.
    assert ws.max_column == 2
    assert ws.column_dimensions["B"].width >= 40
    assert workbook.properties.created == datetime(2026, 11, 27, 9, 1, 30)
    assert workbook.properties.modified == datetime(2026, 11, 27, 9, 1, 30)


def test_summary_verdict_and_integer_chart_axes() -> None:
    workbook = load_workbook(io.BytesIO(render(build_judged())))
    ws = workbook["Summary"]
    assert str(ws["A2"].value).startswith("2 of 4 scanned accounts are not protected")
    with zipfile.ZipFile(io.BytesIO(render(build_judged()))) as archive:
        charts = [
            archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/chart")
        ]
    assert len(charts) == 2
    for chart in charts:
        # Whole steps on the value axis (small counts would otherwise step by 0.5).
        assert re.search(r'<(c:)?majorUnit val="1(\.0)?"\s*/>', chart), chart
        assert 'formatCode="0"' in chart
        assert re.search(r'<(c:)?delete val="0"', chart), chart


def test_buckets_sheet_one_row_per_bucket(workbook: Workbook) -> None:
    rows = records(workbook["Buckets"])
    assert len(rows) == 8
    shared = next(row for row in rows if row["Bucket"] == "org-cloudtrail-logs")
    assert shared["Trails"] == 2
    assert shared["Delivering accounts"] == f"{MGMT}, {PROD}"
    assert shared["Owner account"] == ARCHIVE
    assert shared["Object Lock"] == "Yes"
    assert [row["Status"] for row in rows][:4] == ["FAIL"] * 4  # most urgent first


def test_coverage_lists_every_account_and_error(workbook: Workbook) -> None:
    rows = records(workbook["Coverage"])
    assert [row["Kind"] for row in rows] == ["account"] * 6 + ["error"] * 3
    by_account = {row["Account"]: row for row in rows if row["Kind"] == "account"}
    assert by_account[LEGACY]["Detail"] == "not scanned: AccessDenied"
    assert by_account[LEGACY]["Scanned"] == "No"
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
    assert unlocked["Steps"] == (
        "1. Enable versioning (Object Lock requires it).\n"
        "2. Enable Object Lock with default retention COMPLIANCE for "
        "365 days."
    )
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


def test_every_entry_is_deflated_at_the_workbook_level(scan_result: ScanResult) -> None:
    # The level is the workbook's CPU at 10,000 accounts: zlib at the level set writes each
    # entry's data to exactly the size stored, the default level (6) to another.
    with zipfile.ZipFile(io.BytesIO(render(scan_result))) as archive:
        sizes = {}
        for entry in archive.infolist():
            assert entry.compress_type == zipfile.ZIP_DEFLATED, entry.filename
            data = archive.read(entry)
            sizes[entry.filename] = {
                level: len(_deflated(data, level)) for level in (COMPRESS_LEVEL, 6)
            }
            assert entry.compress_size == sizes[entry.filename][COMPRESS_LEVEL], entry.filename
    assert any(by_level[COMPRESS_LEVEL] != by_level[6] for by_level in sizes.values())


def _deflated(data: bytes, level: int) -> bytes:
    deflate = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return deflate.compress(data) + deflate.flush()


def test_empty_result_still_renders(empty_result: ScanResult) -> None:
    workbook = load_workbook(io.BytesIO(render(empty_result)))
    assert workbook.sheetnames == list(SHEETS)
    assert workbook["Findings"].max_row == 1
    assert workbook["Findings"].auto_filter.ref == f"A1:{LAST_FINDINGS_COLUMN}1"
    assert records(workbook["Remediation"]) == []


def test_control_characters_in_the_organization_id_keep_the_file_readable(
    scan_result: ScanResult,
) -> None:
    run = replace(scan_result.run, organization_id="o-abc\x1b]0;pwned\x07\x00def")
    workbook = load_workbook(io.BytesIO(render(replace(scan_result, run=run))))
    assert workbook.properties.title == "CloudTrail Object Lock audit o-abc]0;pwneddef"
    assert (
        workbook["Summary"].cell(find_row(workbook["Summary"], "Organization"), 2).value
        == "o-abc]0;pwneddef"
    )


def test_the_summary_charts_read_the_summary_sheet(scan_result: ScanResult) -> None:
    # The Summary is drawn on a scratch sheet and copied: its charts must still name "Summary".
    with zipfile.ZipFile(io.BytesIO(render(scan_result))) as workbook:
        charts = [name for name in workbook.namelist() if name.startswith("xl/charts/chart")]
        sources = [workbook.read(name).decode("utf-8") for name in charts]
    assert len(sources) == 2
    for source in sources:
        assert re.findall(r"<f>'?([^'!<]+)'?!", source)
        assert set(re.findall(r"<f>'?([^'!<]+)'?!", source)) == {"Summary"}
