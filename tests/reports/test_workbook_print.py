"""report.xlsx printed by LibreOffice: the Summary is one page, every sheet prints.

Converts the workbook to PDF with ``soffice --headless`` (skipped, with the reason shown, where
LibreOffice is not installed; CI installs it). Pages are counted in the PDF's page objects and,
where ``pdftotext`` is installed, the page's text is read back.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from orgscan.reports import ReportInputs
from orgscan.reports.summary import summarise
from orgscan.reports.xlsx_report import SHEETS, XlsxReport, build_workbook, workbook_bytes

from .report_fixture import build_history, judged


def find_soffice() -> str | None:
    """LibreOffice's command: ``$ORGSCAN_SOFFICE`` or the usual names."""
    configured = os.environ.get("ORGSCAN_SOFFICE")
    if configured:
        return configured if Path(configured).is_file() else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return None


def to_pdf(soffice: str, workbook: Path) -> Path:
    """Convert ``workbook`` to PDF next to it, with a LibreOffice profile of its own."""
    profile = workbook.parent / "lo-profile"
    subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            "--nolockcheck",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(workbook.parent),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = workbook.with_suffix(".pdf")
    assert pdf.is_file(), f"LibreOffice wrote no PDF for {workbook.name}"
    return pdf


def page_count(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))


@pytest.fixture(scope="module")
def soffice() -> str:
    found = find_soffice()
    if found is None:
        pytest.skip(
            "LibreOffice is not installed (apt-get install libreoffice-calc-nogui, "
            "or set ORGSCAN_SOFFICE)"
        )
    return found


@pytest.fixture(scope="module")
def inputs() -> ReportInputs:
    _, current, diff = build_history()
    return ReportInputs(result=judged(current), diff=diff)


def test_the_summary_prints_on_one_page(soffice: str, inputs: ReportInputs, tmp_path: Path) -> None:
    summary = summarise(inputs.result)
    workbook = build_workbook(inputs, summary)
    for sheet in list(workbook.worksheets):
        if sheet.title != "Summary":
            workbook.remove(sheet)
    path = tmp_path / "summary.xlsx"
    assert summary.finished is not None
    path.write_bytes(workbook_bytes(workbook, summary.finished))
    pdf = to_pdf(soffice, path)
    assert page_count(pdf) == 1
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        # Labels and their values on the same line of the same page.
        assert re.search(r"Accounts scanned\s+4\n", text)
        assert re.search(r"Policy: minimum retention \(days\)\s+365", text)
        assert "2 of 4 scanned accounts are not protected" in " ".join(text.split())
        assert "Page 1 of 1" in text


def test_every_sheet_prints_with_its_header_row(
    soffice: str, inputs: ReportInputs, tmp_path: Path
) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(XlsxReport().render(inputs))
    pdf = to_pdf(soffice, path)
    # Each sheet fits the page width: one page per sheet for a small run, nothing split sideways.
    assert page_count(pdf) == len(SHEETS)
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        pages = text.split("\f")
        findings = next(page for page in pages if "Trail ARN" in page)
        assert "Management events" in findings  # readable headers, the last columns included
        assert "o-abc123def4" in findings  # the run in the page header
