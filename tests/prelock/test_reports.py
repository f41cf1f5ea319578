"""The page and the workbook say what the pre-lock count found, and what a sample cannot say."""

from __future__ import annotations

import io
from dataclasses import replace

from openpyxl import load_workbook

from orgscan.model import ScanResult, Status
from orgscan.prelock_count import Prelock, PrelockSource
from orgscan.reports import ReportInputs
from orgscan.reports.html_report import HtmlReport
from orgscan.reports.xlsx_report import XlsxReport
from tests.reports.report_fixture import build_result

FOUND = Prelock(PrelockSource.SAMPLE, 7, 5, "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z")
NONE_FOUND = Prelock(PrelockSource.SAMPLE, 8, 0, None, "2026-09-01T00:00:00Z")


def _counted() -> tuple[ScanResult, str, str]:
    """The report fixture with its PASS bucket WARN, and a second PASS bucket found clean."""
    result = build_result()
    passing = [f for f in result.findings if f.status is Status.PASS]
    assert passing, "the fixture needs a PASS bucket"
    found = passing[0].bucket_name
    second = replace(
        passing[0],
        trail_name="second",
        trail_arn=passing[0].trail_arn + "-second",
        bucket_name="second-logs",
        prelock=NONE_FOUND,
    )
    findings = tuple(
        replace(f, prelock=FOUND) if f.bucket_name == found and f.status is Status.PASS else f
        for f in result.findings
    )
    return replace(result, findings=(*findings, second)), found, "second-logs"


def test_the_page_shows_the_counts_and_what_a_sample_cannot_prove() -> None:
    result, found, clean = _counted()
    page = HtmlReport().render(ReportInputs(result=result)).decode("utf-8")
    assert (
        "Log files before the lock: 1 PASS bucket holds 5 log files written before the "
        f"lock, with no retention in force: {found} (5 of 7 sampled); in 1 other bucket none "
        "were found in what was checked (a sample cannot prove there are none)." in page
    )
    section = page[page.index('<section id="prelock"') :]
    section = section[: section.index("</section>")]
    assert section.index(found) < section.index(clean)  # WARN first
    assert "5 of 7 sampled log files have no retention in force" in section
    assert "0 of 8 sampled log files have no retention in force (a sample: not proof" in section


def test_a_run_without_counts_has_no_such_section() -> None:
    page = HtmlReport().render(ReportInputs(result=build_result())).decode("utf-8")
    assert 'id="prelock"' not in page
    assert "Log files before the lock" not in page


def test_the_workbook_has_the_counts_beside_each_finding() -> None:
    result, found, _ = _counted()
    book = load_workbook(io.BytesIO(XlsxReport().render(ReportInputs(result=result))))
    sheet = book["Findings"]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, [c.value for c in row], strict=True)) for row in sheet.iter_rows(2)]
    counted = [row for row in rows if row["Bucket"] == found]
    assert counted
    for row in counted:
        assert (row["Files before lock"], row["Unprotected files"], row["Files checked"]) == (
            "WARN",
            5,
            7,
        )
        assert str(row["Files before lock: detail"]).startswith("5 of 7 sampled log files")
    failing = [row for row in rows if row["Status"] == "FAIL"]
    assert failing
    assert all(row["Files before lock"] is None for row in failing)
