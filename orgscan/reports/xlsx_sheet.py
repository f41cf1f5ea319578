"""Worksheet helpers for ``report.xlsx``: typed, formula-safe cells and formatted tables.

Values keep their real types (bool, int, datetime) so filters and sums work in Excel. Text from
AWS never becomes a formula: strings that a spreadsheet would evaluate are stored as text cells
with Excel's quote prefix, and their value reads back unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from orgscan.exceptions_register import ExceptionLabel
from orgscan.model import Status

CellValue = str | bool | int | float | datetime | date | None

_FORMULA_PREFIXES = ("=", "+", "-", "@")

DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"

#: Fill and font colour per status: green, amber, red, grey (Excel's own "good/neutral/bad").
STATUS_COLOURS: dict[str, tuple[str, str]] = {
    Status.PASS.value: ("C6EFCE", "006100"),
    Status.WARN.value: ("FFEB9C", "9C5700"),
    Status.FAIL.value: ("FFC7CE", "9C0006"),
    Status.ERROR.value: ("D9D9D9", "3F3F3F"),
}

#: Every label a cell may be coloured by: the statuses, and the exception labels (blue for an
#: accepted exception, amber for one that expired and needs a decision).
LABEL_COLOURS: dict[str, tuple[str, str]] = {
    **STATUS_COLOURS,
    ExceptionLabel.EXCEPTED.value: ("DDEBF7", "1F4E78"),
    ExceptionLabel.EXPIRED.value: ("FFEB9C", "9C5700"),
}

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_MIN_WIDTH, _MAX_WIDTH = 8, 60


def put(cell: Cell, value: CellValue) -> Cell:
    """Store ``value`` in ``cell`` with its real type; text that looks like a formula stays text."""
    if isinstance(value, str):
        text: str = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters break the file
        cell.value = text
        if text.startswith(_FORMULA_PREFIXES):
            cell.data_type = "s"  # openpyxl took "=..." for a formula; it is data
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    else:
        cell.value = value
        if isinstance(value, datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, date):
            cell.number_format = DATE_FORMAT
    return cell


def colour_status(cell: Cell) -> None:
    """Fill a status cell with its colour (PASS green, WARN amber, FAIL red, ERROR grey; exception
    labels too)."""
    colours = LABEL_COLOURS.get(str(cell.value))
    if colours is not None:
        fill, font = colours
        cell.fill = PatternFill("solid", fgColor=fill)
        cell.font = Font(color=font, bold=True)


def write_header(ws: Worksheet, row: int, headers: Sequence[str], column: int = 1) -> None:
    """Bold, shaded header cells starting at (``row``, ``column``)."""
    for offset, header in enumerate(headers):
        cell = put(ws.cell(row=row, column=column + offset), header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL


def write_rows(ws: Worksheet, first_row: int, rows: Iterable[Sequence[CellValue]],
               status_columns: Sequence[int] = (), wrap_columns: Sequence[int] = ()) -> int:
    """Write ``rows`` from ``first_row`` on (1-based column indexes); return the next free row."""
    row_number = first_row
    for row in rows:
        for index, value in enumerate(row, start=1):
            cell = put(ws.cell(row=row_number, column=index), value)
            if index in status_columns:
                colour_status(cell)
            if index in wrap_columns:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        row_number += 1
    return row_number


def write_table(ws: Worksheet, headers: Sequence[str], rows: Iterable[Sequence[CellValue]],
                *, status_columns: Sequence[int] = (), wrap_columns: Sequence[int] = ()) -> None:
    """A whole-sheet table: header in row 1, frozen, with an autofilter over every row."""
    write_header(ws, 1, headers)
    last_row = write_rows(ws, 2, rows, status_columns, wrap_columns) - 1
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(last_row, 1)}"
    fit_columns(ws)


def fit_columns(ws: Worksheet) -> None:
    """Column widths from the longest value in each column, within sensible bounds."""
    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            widths[cell.column] = max(widths.get(cell.column, 0), _display_width(cell.value))
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = min(
            max(width + 2, _MIN_WIDTH), _MAX_WIDTH)


def _display_width(value: object) -> int:
    if isinstance(value, datetime):
        return len(DATETIME_FORMAT)
    if isinstance(value, date):
        return len(DATE_FORMAT)
    # A wrapped multi-line cell is as wide as its longest line.
    return max(len(line) for line in str(value).splitlines() or [""])
