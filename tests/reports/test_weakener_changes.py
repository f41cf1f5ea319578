"""Who can weaken a trail since the previous run, in the workbook's and the page's Changes."""

from __future__ import annotations

import io
from dataclasses import replace

from openpyxl import load_workbook

from orgscan.diff import diff_results
from orgscan.model import ScanResult, Status
from orgscan.reports import ReportInputs
from orgscan.reports.html_report import HtmlReport
from orgscan.reports.xlsx_report import XlsxReport
from orgscan.weakeners import Weakener
from tests.builders import weakener

from .report_fixture import build_history
from .workbook_helpers import header


def _row(trail_arn: str, role: str) -> Weakener:
    return weakener(trail_arn, role)


def _tampered(scan: ScanResult, status: Status, *rows: Weakener) -> ScanResult:
    findings = tuple(replace(f, tamper_status=status) for f in scan.findings)
    return replace(scan, findings=findings, weakeners=rows)


def _inputs() -> ReportInputs:
    old, current, _ = build_history()
    arn = current.findings[-1].trail_arn  # unchanged in the lock's diff
    old = _tampered(old, Status.PASS, _row(arn, "Gone"))
    current = _tampered(current, Status.PASS, _row(arn, "Added"))
    findings = list(current.findings)
    findings[-1] = replace(findings[-1], tamper_status=Status.FAIL)
    current = replace(current, findings=tuple(findings))
    return ReportInputs(result=current, diff=diff_results(old, current))


def test_workbook_lists_weakener_changes_and_tamper_statuses() -> None:
    inputs = _inputs()
    workbook = load_workbook(io.BytesIO(XlsxReport().render(inputs)))
    ws = workbook["Weakener changes"]
    assert header(ws)[:5] == ["Class", "Principal", "Action", "Open", "How"]
    rows = [row[:5] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert rows == [
        (
            "new",
            "arn:aws:iam::222222222222:role/Added",
            "cloudtrail:StopLogging",
            "Yes",
            "unconditional",
        ),
        (
            "resolved",
            "arn:aws:iam::222222222222:role/Gone",
            "cloudtrail:StopLogging",
            "Yes",
            "unconditional",
        ),
    ]
    changes = workbook["Changes"]
    columns = header(changes)
    moved = [
        row
        for row in changes.iter_rows(min_row=2, values_only=True)
        if row[columns.index("Trail ARN")] == inputs.result.findings[-1].trail_arn
    ]
    assert len(moved) == 1  # listed for its tamper status alone
    assert moved[0][columns.index("Tamper before")] == "PASS"
    assert moved[0][columns.index("Tamper now")] == "FAIL"
    assert moved[0][columns.index("What changed")] == "tamper PASS → FAIL"


def test_page_lists_weakener_changes() -> None:
    html = HtmlReport().render(_inputs()).decode("utf-8")
    text = " ".join(html.split())
    assert "Who can weaken a trail</h3>" in text
    assert "new 1, resolved 1, changed 0, unchanged 0, not assessed 0." in text
    assert 'data-weakener-class="new"' in text
    assert text.index("role/Added") < text.index("role/Gone")
