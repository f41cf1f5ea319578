"""The diff since the previous run and the exceptions register in both reports."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import datetime

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook

from orgscan.diff import RunDiff, diff_from_dict, diff_results, diff_to_dict
from orgscan.findings import FINDING_COLUMNS, dumps, loads
from orgscan.model import AccountGap, AccountVerdictCode, ScanResult, Status
from orgscan.reports import ReportInputs
from orgscan.reports.changes import FIRST_RUN, exception_counts
from orgscan.reports.html_report import HtmlReport
from orgscan.reports.xlsx_integrity import INTEGRITY_FINDING_COLUMNS
from orgscan.reports.xlsx_report import XlsxReport
from orgscan.reports.xlsx_tables import EXCEPTION_COLUMNS, FINDING_HEADERS, PRELOCK_HEADERS

from .page_parser import parse
from .report_fixture import (
    DEV,
    EXPIRED,
    FORMULA_NAME,
    MGMT,
    PREVIOUS_FOLDER,
    PROD,
    SCRIPT_NAME,
    build_history,
    build_judged,
)
from .workbook_helpers import find_row, header, records

HEADLINE = (
    "accounts: 0 new failures, 0 resolved; trails: 1 new failure, 0 resolved; "
    "since 2026-11-20 09:00 UTC"
)
EXCEPTIONS = "1 finding excepted, 1 exception expired"


@pytest.fixture
def history() -> ReportInputs:
    """The current run with its exception marks and the diff against the previous run."""
    _, current, diff = build_history()
    return ReportInputs(result=current, diff=diff)


@pytest.fixture
def workbook(history: ReportInputs) -> Workbook:
    return load_workbook(io.BytesIO(XlsxReport().render(history)))


def summary_value(workbook: Workbook, label: str, **default: object) -> object:
    """The Summary's value beside ``label``; ``missing=`` what to return without the label."""
    ws = workbook["Summary"]
    if default and not any(row[0].value == label for row in ws.iter_rows(max_col=1)):
        return default["missing"]
    return ws.cell(find_row(ws, label), 2).value


def page_text(html: str) -> str:
    return " ".join("".join(parse(html).text).split())


# --------------------------------------------------------------------------- workbook


def test_summary_has_the_since_previous_run_block(workbook: Workbook) -> None:
    assert summary_value(workbook, "Since the previous run") is None  # a section title
    assert summary_value(workbook, "Changes") == HEADLINE
    assert summary_value(workbook, "Previous run folder") == PREVIOUS_FOLDER
    assert summary_value(workbook, "Previous run started (UTC)") == datetime(2026, 11, 20, 9)
    # One line per kind, only the classes that happened (the Summary stays one page); the
    # removed trail is counted as removed, never as resolved.
    assert summary_value(workbook, "Trail changes") == (
        "new failure 1, still failing 4, changed 1, unchanged 3, removed 1"
    )
    assert summary_value(workbook, "Account changes") == "unchanged 6"
    assert summary_value(workbook, "Details") == "see the Account changes and Changes sheets"
    run = {row["Parameter"]: row["Value"] for row in records(workbook["Run"])}
    assert run["Previous run folder"] == PREVIOUS_FOLDER
    assert run["Previous run started (UTC)"] == datetime(2026, 11, 20, 9)


def test_changes_sheet_lists_every_trail_that_did_not_stay_unchanged(workbook: Workbook) -> None:
    ws = workbook["Changes"]
    assert header(ws) == [
        "Class",
        "Trail",
        "Account",
        "Account name",
        "Status before",
        "Status now",
        "Reason code before",
        "Reason code now",
        "What changed",
        "Excepted",
        "Tamper before",
        "Tamper now",
        "Trail ARN",
    ]
    rows = [row[:8] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert rows == [
        (
            "new failure",
            "prod-trail",
            PROD,
            FORMULA_NAME,
            "PASS",
            "FAIL",
            "COMPLIANT",
            "MODE_NOT_ALLOWED",
        ),
        (
            "still failing",
            "mgmt-trail",
            MGMT,
            "Management",
            "FAIL",
            "FAIL",
            "LOCK_NOT_CONFIGURED",
            "LOCK_NOT_CONFIGURED",
        ),
        (
            "still failing",
            "archive-trail",
            "222222222222",
            "Log Archive",
            "WARN",
            "WARN",
            "NO_DEFAULT_RETENTION",
            "NO_DEFAULT_RETENTION",
        ),
        (
            "still failing",
            FORMULA_NAME,
            PROD,
            FORMULA_NAME,
            "FAIL",
            "FAIL",
            "RETENTION_TOO_SHORT",
            "RETENTION_TOO_SHORT",
        ),
        (
            "still failing",
            SCRIPT_NAME,
            "444444444444",
            SCRIPT_NAME,
            "FAIL",
            "FAIL",
            "BUCKET_MISSING",
            "BUCKET_MISSING",
        ),
        (
            "changed",
            "prod-to-archive",
            PROD,
            FORMULA_NAME,
            "PASS",
            "PASS",
            "COMPLIANT",
            "COMPLIANT",
        ),
        # Gone from a scanned account: a risk to show, never counted as resolved.
        ("removed", "retired-trail", MGMT, "Management", "FAIL", None, "LOCK_NOT_CONFIGURED", None),
    ]
    what = {row["Trail"]: row for row in records(ws)}
    assert what["prod-trail"]["What changed"] == (
        "status PASS → FAIL; reason_code COMPLIANT → MODE_NOT_ALLOWED; "
        "lock_mode COMPLIANCE → GOVERNANCE"
    )
    assert what["retired-trail"]["What changed"] == "trail removed"
    assert what[FORMULA_NAME]["What changed"].startswith("retention_days 60 → 30 (shortened)")
    assert what["archive-trail"]["What changed"] == "no field changed"
    assert what["mgmt-trail"]["Excepted"] == "Yes"
    assert what[FORMULA_NAME]["Excepted"] == "No"  # its exception expired
    assert (
        what["prod-trail"]["Trail ARN"] == f"arn:aws:cloudtrail:us-east-1:{PROD}:trail/prod-trail"
    )
    # Status cells coloured, frozen header, filter over every row, text never a formula.
    assert ws.cell(2, 6).fill.fgColor.rgb.endswith("FFC7CE")
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:M8"
    formula = next(row[1] for row in ws.iter_rows(min_row=2) if row[1].value == FORMULA_NAME)
    assert formula.data_type == "s"


def test_findings_sheet_shows_the_exception_after_the_contract_and_prelock_columns(
    workbook: Workbook, history: ReportInputs
) -> None:
    ws = workbook["Findings"]
    integrity = [column.header for column in INTEGRITY_FINDING_COLUMNS]
    contract = [FINDING_HEADERS[c] for c in FINDING_COLUMNS]
    assert header(ws) == [*contract, *PRELOCK_HEADERS, *integrity, *EXCEPTION_COLUMNS]
    rows = {row["Trail"]: row for row in records(ws)}
    excepted = rows["mgmt-trail"]
    assert (excepted["Status"], excepted["Exception"]) == ("FAIL", "EXCEPTED")
    assert excepted["Exception owner"] == "secops@example.com"
    assert excepted["Exception expires"] == datetime(2027, 3, 31)
    assert excepted["Exception reason"] == "bucket moves in Q1 (CHG-1234)"
    expired = rows[FORMULA_NAME]
    assert (expired["Status"], expired["Exception"]) == ("FAIL", "EXCEPTION EXPIRED")
    assert expired["Exception owner"] == EXPIRED.owner  # a formula-like owner stays text
    assert [name for name, row in rows.items() if row["Exception"]] == ["mgmt-trail", FORMULA_NAME]
    column = len(FINDING_COLUMNS) + len(PRELOCK_HEADERS) + len(INTEGRITY_FINDING_COLUMNS) + 1
    cells = {ws.cell(r, 2).value: ws.cell(r, column) for r in range(2, ws.max_row + 1)}
    assert cells["mgmt-trail"].fill.fgColor.rgb.endswith("DDEBF7")
    assert cells[FORMULA_NAME].fill.fgColor.rgb.endswith("FFEB9C")
    owner = cells[FORMULA_NAME].offset(column=1)
    assert owner.data_type == "s"
    assert owner.quotePrefix
    assert cells["mgmt-trail"].offset(column=2).is_date
    last = get_column_letter(column + 3)  # the exception's four columns end the sheet
    assert ws.auto_filter.ref == f"A1:{last}{len(history.result.findings) + 1}"


def test_excepted_findings_still_count_under_their_status(workbook: Workbook) -> None:
    assert summary_value(workbook, "Exceptions") == EXCEPTIONS
    # Both counts are in that one line: the Summary must stay one page at a readable size.
    assert EXCEPTIONS == "1 finding excepted, 1 exception expired"
    ws = workbook["Summary"]
    status = find_row(ws, "Status")
    assert {ws.cell(status + i, 1).value: ws.cell(status + i, 2).value for i in range(1, 5)} == {
        "PASS": 2,
        "WARN": 1,
        "FAIL": 4,
        "ERROR": 2,
    }


def test_first_run_says_so(scan_result: ScanResult) -> None:
    workbook = load_workbook(io.BytesIO(XlsxReport().render(ReportInputs(result=scan_result))))
    assert summary_value(workbook, "Changes") == FIRST_RUN == "first run in this folder"
    with pytest.raises(AssertionError):
        find_row(workbook["Summary"], "Previous run folder")
    assert summary_value(workbook, "Exceptions") == "none"
    changes = workbook["Changes"]
    assert changes.max_row == 3  # the header, then a note below the empty table
    assert changes["A3"].value.startswith("First run in this folder")
    assert changes.auto_filter.ref == "A1:M1"


def test_a_diff_without_changes_says_nothing_changed(scan_result: ScanResult) -> None:
    # Still-failing trails are listed even when nothing moved: keep only the passing ones.
    passing = replace(
        scan_result, findings=tuple(f for f in scan_result.findings if f.status is Status.PASS)
    )
    diff = diff_results(passing, passing, old_folder=PREVIOUS_FOLDER)
    inputs = ReportInputs(result=passing, diff=diff)
    ws = load_workbook(io.BytesIO(XlsxReport().render(inputs)))["Changes"]
    assert ws["A3"].value == f"No trail changed since the previous run ({PREVIOUS_FOLDER})."
    html = HtmlReport().render(inputs).decode("utf-8")
    assert "No trail changed since the previous run." in page_text(html)


# --------------------------------------------------------------------------- page


def test_page_header_shows_the_headline_and_the_exceptions(history: ReportInputs) -> None:
    html = HtmlReport().render(history).decode("utf-8")
    text = page_text(html)
    assert f"Since the previous run {HEADLINE} (run {PREVIOUS_FOLDER}, see the changes)" in text
    assert f"Exceptions {EXCEPTIONS}" in text
    assert parse(html).cards == {"PASS": "2", "WARN": "1", "FAIL": "4", "ERROR": "2"}


def test_page_lists_the_changes(history: ReportInputs) -> None:
    html = HtmlReport().render(history).decode("utf-8")
    page = parse(html)
    assert [row["data-class"] for row in page.change_rows] == ["new_failure"] + [
        "still_failing"
    ] * 4 + ["changed", "removed"]
    text = page_text(html)
    assert (
        "Compared with run 20261120T090000Z, started 2026-11-20 09:00:00 UTC: accounts: new "
        "failure 0, resolved 0, still failing 0, changed 0, unchanged 6, not assessed 0, "
        "removed 0; trails: new failure 1, resolved 0, still failing 4, changed 1, unchanged 3, "
        "not assessed 0, removed 1."
    ) in text
    assert "PASS → FAIL COMPLIANT → MODE_NOT_ALLOWED status PASS → FAIL;" in text
    assert "FAIL → absent LOCK_NOT_CONFIGURED → — trail removed" in text
    assert SCRIPT_NAME not in html  # names in the changes table are escaped too


def test_page_marks_excepted_findings_next_to_their_status(history: ReportInputs) -> None:
    html = HtmlReport().render(history).decode("utf-8")
    rows = parse(html).finding_rows
    marked = {row["data-exception"] for row in rows if row.get("data-exception")}
    assert marked == {"EXCEPTED", "EXCEPTION EXPIRED"}
    assert [row["data-status"] for row in rows if row.get("data-exception")] == ["FAIL", "FAIL"]
    assert re.search(
        r'<span class="badge status-FAIL">FAIL</span>\s*<span class="badge '
        r'exception" title="owner secops@example.com, until 2027-03-31: bucket '
        r'moves in Q1 \(CHG-1234\)">EXCEPTED</span>',
        html,
    )
    assert re.search(
        r'<span class="badge exception-expired" title="[^"]*expired after '
        r'2026-10-31[^"]*">EXCEPTION EXPIRED</span>',
        html,
    )
    text = page_text(html)
    assert (
        "Exception: owner secops@example.com, until 2027-03-31: bucket moves in Q1 (CHG-1234)"
    ) in text
    assert "Expired exception: owner =cmd|' /C calc'!A0, expired after 2026-10-31" in text


def test_page_first_run(scan_result: ScanResult) -> None:
    html = HtmlReport().render(ReportInputs(result=scan_result)).decode("utf-8")
    text = page_text(html)
    assert f"Since the previous run {FIRST_RUN} Exceptions none" in text
    assert "This is the first run in this folder: there is no previous run to compare with." in text
    assert parse(html).change_rows == []
    assert "data-exception" not in html


# --------------------------------------------------------------------------- determinism


def round_trip(inputs: ReportInputs) -> ReportInputs:
    """The inputs as ``orgscan report`` reads them back from findings.json and diff.json."""
    assert inputs.diff is not None
    diff: RunDiff = diff_from_dict(diff_to_dict(inputs.diff))
    return ReportInputs(result=loads(dumps(inputs.result)), plan=inputs.plan, diff=diff)


@pytest.mark.parametrize("fmt", [XlsxReport(), HtmlReport()], ids=["xlsx", "html"])
def test_render_with_diff_and_exceptions_is_deterministic(
    history: ReportInputs, fmt: XlsxReport | HtmlReport
) -> None:
    first = fmt.render(history)
    assert fmt.render(history) == first
    assert fmt.render(round_trip(history)) == first


def test_exception_counts(history: ReportInputs) -> None:
    counts = exception_counts(history.result.findings)
    assert (counts.excepted, counts.expired, counts.text()) == (1, 1, EXCEPTIONS)
    assert exception_counts(()).text() == "none"


def test_account_verdict_changes_lead_both_changes_sections() -> None:
    old = build_judged()
    # The formula-named account lost its protection in eu-west-1; the script-named one is gone.
    accounts = tuple(
        replace(
            a,
            verdict=Status.FAIL,
            verdict_code=AccountVerdictCode.UNPROTECTED,
            protected_by=(),
            gaps=(AccountGap("eu-west-1", AccountVerdictCode.UNPROTECTED),),
        )
        if a.account_id == PROD
        else a
        for a in old.accounts
        if a.account_id != DEV
    )
    new = replace(old, accounts=accounts)
    inputs = ReportInputs(result=new, diff=diff_results(old, new, old_folder=PREVIOUS_FOLDER))
    headline = (
        "accounts: 1 new failure, 0 resolved; trails: 0 new failures, 0 resolved; "
        "since 2026-11-27 09:00 UTC"
    )
    html = HtmlReport().render(inputs).decode("utf-8")
    text = page_text(html)
    assert f"Since the previous run {headline}" in text
    # The account rows come first, then the trails' (still failing ones are listed too).
    assert [row["data-class"] for row in parse(html).change_rows][:4] == [
        "new_failure",
        "still_failing",
        "removed",
        "still_failing",
    ]
    assert (
        f"new failure {FORMULA_NAME}{PROD} PASS → FAIL PROTECTED → UNPROTECTED verdict PASS → FAIL;"
    ) in text
    assert text.index("Account verdicts") < text.index(f"{FORMULA_NAME}{PROD} PASS → FAIL")
    assert SCRIPT_NAME not in html  # an account name from AWS is escaped here too
    assert "account no longer in the organization" in text
    workbook = load_workbook(io.BytesIO(XlsxReport().render(inputs)))
    assert summary_value(workbook, "Changes") == headline
    assert (
        summary_value(workbook, "Account changes")
        == "new failure 1, still failing 1, unchanged 3, removed 1"
    )
    rows = records(workbook["Account changes"])
    assert [
        (r["Class"], r["Account"], r["Verdict before"], r["Verdict now"], r["Verdict code now"])
        for r in rows
    ] == [
        ("new failure", PROD, "PASS", "FAIL", "UNPROTECTED"),
        ("still failing", MGMT, "FAIL", "FAIL", "UNPROTECTED"),
        ("removed", DEV, "FAIL", None, None),
    ]
    assert rows[0]["What changed"].startswith("verdict PASS → FAIL; verdict_code PROTECTED")
    assert rows[2]["What changed"] == "account no longer in the organization"
