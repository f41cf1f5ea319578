"""Reading the report workbook back in tests: header rows, records by header, labelled rows."""

from __future__ import annotations

from typing import Any

from openpyxl.worksheet.worksheet import Worksheet


def header(ws: Worksheet, row: int = 1) -> list[Any]:
    """The non-empty cells of ``row``."""
    return [cell.value for cell in ws[row] if cell.value is not None]


def records(ws: Worksheet) -> list[dict[str, Any]]:
    """Every row under the header of a table sheet, keyed by the header, valued as openpyxl
    reads the cells; the table ends at its first empty row (a note or a second table may
    follow it)."""
    names = header(ws)
    rows: list[dict[str, Any]] = []
    for row in ws.iter_rows(min_row=2, values_only=True):
        if all(value is None for value in row):
            break
        rows.append(dict(zip(names, row, strict=False)))
    return rows


def find_row(ws: Worksheet, label: str) -> int:
    """The row whose column A holds ``label``."""
    for row in ws.iter_rows():
        if row[0].value == label:
            return row[0].row
    raise AssertionError(f"{label!r} not in column A of {ws.title}")
