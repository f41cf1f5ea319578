"""The table sheets' rows written as XML text (``xlsx_xml``, ``xlsx_stream``) against openpyxl
writing the same cells one by one: element for element, and sheet by sheet as read back."""

from __future__ import annotations

import errno
import functools
import io
import math
import os
import re
import textwrap
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell._writer import etree_write_cell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import xmlfile

from orgscan.model import ExceptionMark, IntegrityCheck, IntegrityCode, ScanResult, Status
from orgscan.reports import ReportInputs
from orgscan.reports.changes import summarise_changes
from orgscan.reports.fixes import remediation_rows
from orgscan.reports.standings import accounts_view
from orgscan.reports.summary import summarise
from orgscan.reports.xlsx_cells import Value, display_width, line_count, put
from orgscan.reports.xlsx_integrity import integrity_sheet
from orgscan.reports.xlsx_print import print_setup
from orgscan.reports.xlsx_report import save_workbook
from orgscan.reports.xlsx_sheet import append_note_rows, use_workbook_font
from orgscan.reports.xlsx_stream import ROWS_PER_WRITE, StreamedSheet, streamed_sheet
from orgscan.reports.xlsx_tables import (
    accounts_sheet,
    buckets_sheet,
    controls_sheet,
    coverage_sheet,
    findings_sheet,
    remediation_sheet,
    run_sheet,
    weakeners_sheet,
)
from orgscan.reports.xlsx_xml import cell_xml
from tests import builders

from .report_fixture import build_history

#: Text a cell must keep as it is, or store as openpyxl would: formulas, error codes, control
#: characters, markup, padding, lines, non-ASCII, capitals.
HOSTILE_TEXT: tuple[str, ...] = (
    '=HYPERLINK("http://x","y")',
    "+1",
    "-2",
    "@SUM(A1)",
    "=",
    "#N/A",
    "#DIV/0!",
    "a & b <c> > d",
    "  padded  ",
    "   ",
    "",
    "tab\tand\rreturn",
    "evil\x1b]0;PWNED\x07trail\x00",
    "line one\nline two is a good deal longer than the column it is written in, so it wraps",
    "RETENTION_TOO_SHORT: Ünïcödé ÆØÅ straße Ωmega",
    "x" * 40_000,
)
NUMBERS: tuple[Value, ...] = (
    0,
    7,
    -3,
    2**53 + 1,
    1.5,
    -0.25,
    1e-07,
    1e21,
    float("nan"),
    float("inf"),
)
DATES: tuple[Value, ...] = (
    datetime(2026, 11, 27, 9, 1, 30),
    datetime(2026, 1, 2, 3, 4, 5, 678901),
    date(2027, 3, 1),
)


def _openpyxl_cell_xml(cell: Cell) -> bytes:
    out = io.BytesIO()
    with xmlfile(out) as xf, xf.element("row"):
        etree_write_cell(xf, cell.parent, cell, cell.has_style)
    return out.getvalue()


def _cells() -> list[Cell]:
    workbook = Workbook(write_only=True)
    use_workbook_font(workbook)
    ws = streamed_sheet(workbook, "cells")
    cells: list[Cell] = []
    for value in (*HOSTILE_TEXT, *NUMBERS, *DATES, True, False):
        cells.append(put(Cell(ws, row=len(cells) + 1, column=3), value))
    styled = put(Cell(ws, row=len(cells) + 1, column=27), "=styled")
    styled.fill = PatternFill("solid", fgColor="FFC7CE")
    styled.alignment = Alignment(wrap_text=True, vertical="top")
    empty = Cell(ws, row=len(cells) + 2, column=2)
    empty.alignment = Alignment(wrap_text=True)
    return [*cells, styled, empty, Cell(ws, row=1, column=1, value=True)]


@pytest.mark.parametrize("cell", _cells(), ids=repr)
def test_a_cell_is_written_as_openpyxl_writes_it(cell: Cell) -> None:
    ours = f"<row>{cell_xml(cell)}</row>".encode("utf-8", "xmlcharrefreplace")
    assert ours == _openpyxl_cell_xml(cell)


def _sheet_xml(workbook: Workbook, number: int = 1) -> bytes:
    raw = io.BytesIO()
    workbook.save(raw)
    with zipfile.ZipFile(raw) as archive:
        return archive.read(f"xl/worksheets/sheet{number}.xml")


def _write_only_sheet(kind: type[WriteOnlyWorksheet]) -> bytes:
    workbook = Workbook(write_only=True)
    use_workbook_font(workbook)
    ws = kind(workbook, "Sheet")
    workbook._add_sheet(ws)
    ws.column_dimensions["A"].width = 30
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = "A1:C40"
    ws.print_title_rows = "1:1"
    for number, value in enumerate((*HOSTILE_TEXT, *NUMBERS, *DATES, True, "\ud800"), start=1):
        ws.row_dimensions[number].height = 13.0 * (number % 3) + 2 if number % 3 else None
        wrapped = put(Cell(ws, row=1, column=1), value)
        wrapped.alignment = Alignment(wrap_text=True, vertical="top")
        # A plain value too, as openpyxl binds it (text as put() stores it, above).
        plain = None if isinstance(value, str) else value
        ws.append([put(Cell(ws, row=1, column=1), value), None, wrapped, plain])
    ws.append([])
    return _sheet_xml(workbook)


def test_a_streamed_sheet_is_the_file_openpyxl_writes() -> None:
    # Rows, heights, every kind of value, styles, then openpyxl's columns, panes and filter.
    assert _write_only_sheet(StreamedSheet) == _write_only_sheet(WriteOnlyWorksheet)


def _many_rows(workbook: Workbook) -> None:
    ws = streamed_sheet(workbook, "many")
    for number in range(1, 2 * ROWS_PER_WRITE + 8):
        ws.append_xml(f'<c r="A{number}" t="n"><v>{number}</v></c>', None, 1)
    ws.append(["after the batches"])  # written after the rows still waiting


@pytest.mark.parametrize("sendfile", [True, False], ids=["sendfile", "through Python"])
def test_rows_written_in_batches_keep_their_order(
    sendfile: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not sendfile:

        def unsupported(*_: object) -> int:
            raise OSError(errno.EINVAL, "not between these files")

        monkeypatch.setattr(os, "sendfile", unsupported)
    workbook = Workbook(write_only=True)
    _many_rows(workbook)
    raw = io.BytesIO()
    save_workbook(workbook, datetime(2026, 1, 1), raw)
    values = [row[0] for row in load_workbook(raw)["many"].values]
    assert values == [*range(1, 2 * ROWS_PER_WRITE + 8), "after the batches"]
    # In the file's order too, as Excel expects them.
    with zipfile.ZipFile(raw) as archive:
        numbers = re.findall(rb'<row r="([0-9]+)"', archive.read("xl/worksheets/sheet1.xml"))
    assert [int(number) for number in numbers] == list(range(1, 2 * ROWS_PER_WRITE + 9))


def _hostile_result() -> ScanResult:
    """The report fixture's current run, with every hostile text in findings, integrity
    checks, exception marks and "Who can weaken" rows."""
    _, result, _ = build_history()
    findings = list(result.findings)
    for index, text in enumerate(HOSTILE_TEXT):
        check = IntegrityCheck(list(IntegrityCode)[index % 3], Status.FAIL, text)
        findings.append(
            builders.finding(
                account_id=f"{index:012d}",
                trail_name=text[:80] or "trail",
                bucket_name=text,
                reason=text,
                latest_delivery_error=text or None,
                kms_key_arn=f"arn:aws:kms:us-east-1:{index:012d}:key/{text[:50]}",
                latest_delivery_time="2026-11-27T09:00:00Z",
                integrity=(check,),
                exception=ExceptionMark(text[:30], text, date(2027, 1, index + 1), index % 2 == 0),
            )
        )
    weakeners = [
        builders.weakener(
            finding.trail_arn,
            f"role-{index}",
            granted_by=HOSTILE_TEXT[index % len(HOSTILE_TEXT)],
            blocked_by=HOSTILE_TEXT[(index + 3) % len(HOSTILE_TEXT)] or None,
            conditional=index % 3 == 0,
            break_glass=index % 5 == 0,
        )
        for index, finding in enumerate(findings)
    ]
    return replace(result, findings=tuple(findings), weakeners=tuple(weakeners))


def _fill(result: ScanResult) -> dict[str, Callable[[Worksheet], None]]:
    summary = summarise(result)
    changes = summarise_changes(None, summary)
    view = accounts_view(result, {a.account_id: a.note for a in summary.accounts})
    notes = [(text, 1, None, datetime(2026, 1, 1), text) for text in HOSTILE_TEXT]

    def remediation(ws: Worksheet) -> None:
        remediation_sheet(ws, remediation_rows(ReportInputs(result=result), summary))
        append_note_rows(ws, "Notes below the table", notes)

    return {
        "Findings": lambda ws: findings_sheet(ws, result.findings),
        "Integrity": lambda ws: integrity_sheet(ws, result.findings),
        "Accounts": lambda ws: accounts_sheet(ws, view),
        "Buckets": lambda ws: buckets_sheet(ws, summary),
        "Coverage": lambda ws: coverage_sheet(ws, summary),
        "Remediation": remediation,
        "Run": lambda ws: run_sheet(ws, summary, changes),
        "Controls": lambda ws: controls_sheet(ws, result),
        "Who can weaken": lambda ws: weakeners_sheet(ws, result),
    }


def _streamed(result: ScanResult) -> Workbook:
    workbook = Workbook(write_only=True)
    use_workbook_font(workbook)
    for name, fill in _fill(result).items():
        ws = streamed_sheet(workbook, name)
        ws.before_close = functools.partial(print_setup, ws, "run")
        fill(ws)
    return workbook


def _cell_by_cell(result: ScanResult) -> Workbook:
    workbook = Workbook()
    use_workbook_font(workbook)
    workbook.remove(workbook.active)
    for name, fill in _fill(result).items():
        ws = workbook.create_sheet(name)
        fill(ws)
        print_setup(ws, "run")
    return workbook


def _saved(workbook: Workbook) -> bytes:
    raw = io.BytesIO()
    workbook.save(raw)
    return raw.getvalue()


def _look(cell: Cell) -> tuple[Any, ...]:
    font, fill, align = cell.font, cell.fill, cell.alignment
    return (
        cell.value,
        cell.data_type,
        cell.number_format,
        cell.quotePrefix,
        (font.name, font.size, font.bold, font.italic, font.color and font.color.rgb),
        (fill.fill_type, fill.fgColor.rgb),
        (align.wrap_text, align.vertical, align.horizontal),
    )


def _sheet_look(ws: Worksheet) -> dict[str, Any]:
    return {
        "cells": [[_look(cell) for cell in row] for row in ws.iter_rows()],
        "widths": {key: dim.width for key, dim in ws.column_dimensions.items()},
        "heights": {key: dim.height for key, dim in ws.row_dimensions.items() if dim.height},
        "panes": ws.freeze_panes,
        "filter": ws.auto_filter.ref,
        "titles": (ws.print_title_rows, ws.print_title_cols),
        "page": (
            ws.page_setup.fitToWidth,
            ws.page_setup.fitToHeight,
            ws.page_setup.scale,
            ws.sheet_properties.pageSetUpPr.fitToPage,
        ),
        "merged": sorted(str(merged) for merged in ws.merged_cells.ranges),
    }


def test_table_sheets_streamed_read_back_as_written_cell_by_cell() -> None:
    result = _hostile_result()
    streamed = _saved(_streamed(result))
    reference = _saved(_cell_by_cell(result))
    ours, theirs = load_workbook(io.BytesIO(streamed)), load_workbook(io.BytesIO(reference))
    assert ours.sheetnames == theirs.sheetnames
    for name in theirs.sheetnames:
        assert ours[name].max_row > 1
        assert _sheet_look(ours[name]) == _sheet_look(theirs[name]), name
    # Written, not only read back, the same: the rows' XML, style for style.
    with zipfile.ZipFile(io.BytesIO(streamed)) as a, zipfile.ZipFile(io.BytesIO(reference)) as b:
        for number in range(1, len(theirs.sheetnames) + 1):
            path = f"xl/worksheets/sheet{number}.xml"
            assert _rows(a.read(path)) == _rows(b.read(path)), path
        assert a.read("xl/styles.xml") == b.read("xl/styles.xml")


def _rows(sheet: bytes) -> bytes:
    rows = sheet[sheet.index(b"<sheetData") : sheet.index(b"</sheetData>")]
    # A blank row appended to a write-only sheet is written, a normal sheet leaves it out.
    return re.sub(rb'<row r="[0-9]+"></row>', b"", rows)


@given(
    st.text(alphabet=st.sampled_from(" \t\n-_aZÄé/:x.,09!?'\"&@"), max_size=120),
    st.integers(1, 70),
)
def test_lines_and_widths_are_those_of_textwrap_and_each_character(text: str, width: int) -> None:
    # The shortcuts (a line that fits, the capitals of ASCII counted at once, letters and
    # digits wrapped as their kind) change nothing.
    chars = max(width - 1, 1)
    wrapped = sum(len(textwrap.wrap(line, chars)) or 1 for line in text.split("\n"))
    assert line_count(text, width) == wrapped
    widest = max(
        (len(line) + math.ceil(sum(ch.isupper() for ch in line) / 3) for line in text.splitlines()),
        default=0,
    )
    assert display_width(text) == widest
