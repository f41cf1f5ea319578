"""Worksheet helpers for ``report.xlsx``: typed, formula-safe cells, formatted tables, print setup.

Values keep their real types (bool, int, datetime) so filters and sums work in Excel. Text from
AWS never becomes a formula: strings that a spreadsheet would evaluate are stored as text cells
with Excel's quote prefix, and their value reads back unchanged.

A large run writes a few hundred thousand cells, so styles are built once per workbook and
copied onto cells, and column widths are measured while the rows are written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from orgscan.exceptions_register import ExceptionLabel
from orgscan.model import Status

CellValue = str | bool | int | float | datetime | date | None
Item = TypeVar("Item")

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
_WRAP = Alignment(wrap_text=True, vertical="top")
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


def colour_status(cell: Cell, label: str | None = None) -> None:
    """Fill a status cell with the colour of ``label`` (by default its own value): PASS green,
    WARN amber, FAIL red, ERROR grey; exception labels too."""
    colours = LABEL_COLOURS.get(str(cell.value) if label is None else label)
    if colours is not None:
        fill, font = colours
        cell.fill = PatternFill("solid", fgColor=fill)
        cell.font = Font(color=font, bold=True)


@dataclass(frozen=True)
class Column(Generic[Item]):
    """One column of a table: its header, how a row's item gives its cell, and its styling.

    ``status`` colours the cell: ``True`` by the label the cell holds (a status or an exception
    label), or a function giving the label to colour by (words beside a status, such as an
    account's standing). ``wrap`` wraps long or multi-line text. The styling is declared with
    the column, so moving or adding a column cannot colour its neighbour.
    """

    header: str
    value: Callable[[Item], CellValue]
    status: bool | Callable[[Item], str | None] = False
    wrap: bool = False

    def label(self, item: Item, value: CellValue) -> str | None:
        """The label whose colour the cell of ``item`` takes, or None for no colour."""
        if self.status is False:
            return None
        text = str(value) if self.status is True else self.status(item)
        return text if text in LABEL_COLOURS else None


def write_header(ws: Worksheet, row: int, headers: Sequence[str], column: int = 1) -> None:
    """Bold, shaded header cells starting at (``row``, ``column``)."""
    for offset, header in enumerate(headers):
        cell = put(ws.cell(row=row, column=column + offset), header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL


class _Styles:
    """Cell styles of one workbook, each built once and copied (a style set per cell would
    look every font and fill up in the workbook's style tables again)."""

    def __init__(self, ws: Worksheet) -> None:
        self._ws = ws
        self._cache: dict[tuple[str, bool, str, bool], object] = {}

    def apply(self, cell: Cell, label: str | None, wrap: bool) -> None:
        # put() already set the number format and the quote prefix: they are part of the key.
        key = (label or "", wrap, cell.number_format, bool(cell.quotePrefix))
        found = self._cache.get(key)
        if found is None:
            if label is not None:
                colour_status(cell, label)
            if wrap:
                cell.alignment = _WRAP
            self._cache[key] = copy(cell._style)
        else:
            cell._style = copy(found)


def write_rows(
    ws: Worksheet,
    first_row: int,
    columns: Sequence[Column[Item]],
    items: Iterable[Item],
    widths: dict[int, int] | None = None,
) -> int:
    """Write one row per item from ``first_row`` on, a cell per column; return the next free row.

    ``widths``, when given, collects each column's widest value as the rows are written.
    """
    styles = _Styles(ws)
    row_number = first_row
    for item in items:
        for index, column in enumerate(columns, start=1):
            value = column.value(item)
            if value is None:
                continue  # an empty cell: nothing to write, style or measure
            cell = put(ws.cell(row=row_number, column=index), value)
            label = column.label(item, value)
            if label is not None or column.wrap:
                styles.apply(cell, label, column.wrap)
            if widths is not None:
                width = _display_width(value)
                if width > widths.get(index, 0):
                    widths[index] = width
        row_number += 1
    return row_number


def write_block(
    ws: Worksheet, header_row: int, columns: Sequence[Column[Item]], items: Iterable[Item]
) -> int:
    """A small table inside a sheet: the header at ``header_row``, the rows under it; return
    the next free row."""
    write_header(ws, header_row, [column.header for column in columns])
    return write_rows(ws, header_row + 1, columns, items)


def write_table(ws: Worksheet, columns: Sequence[Column[Item]], items: Iterable[Item]) -> None:
    """A whole-sheet table: header in row 1, frozen, with an autofilter over every row, and
    printed with the header on every page."""
    headers = [column.header for column in columns]
    write_header(ws, 1, headers)
    widths = {index: _display_width(header) for index, header in enumerate(headers, start=1)}
    last_row = write_rows(ws, 2, columns, items, widths) - 1
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(last_row, 1)}"
    ws.print_title_rows = "1:1"
    set_widths(ws, widths)


def set_widths(ws: Worksheet, widths: dict[int, int]) -> None:
    """Column widths from measured character counts, within sensible bounds."""
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = min(
            max(width + 2, _MIN_WIDTH), _MAX_WIDTH
        )


def print_setup(ws: Worksheet, title: str, *, one_page: bool = False) -> None:
    """Landscape A4, fit to the page width (and height too with ``one_page``), gridlines off,
    a header naming ``title`` (the run) and a footer with the sheet and page numbers."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = False
    # Room for the header and footer above and below the cells (inches).
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddHeader.left.text = "CloudTrail Object Lock audit"
    ws.oddHeader.right.text = header_text(title)
    ws.oddFooter.left.text = "&A"  # the sheet's name
    ws.oddFooter.right.text = "Page &P of &N"


def header_text(text: str) -> str:
    """``text`` safe for a page header: ``&`` starts a code there, so it is doubled; control
    characters are dropped and the length kept within Excel's 255 characters."""
    clean: str = ILLEGAL_CHARACTERS_RE.sub("", text)
    return clean.replace("&", "&&")[:200]


def _display_width(value: object) -> int:
    if isinstance(value, datetime):
        return len(DATETIME_FORMAT)
    if isinstance(value, date):
        return len(DATE_FORMAT)
    if isinstance(value, bool):
        return 5
    text = str(value)
    if "\n" not in text:
        return len(text)
    # A wrapped multi-line cell is as wide as its longest line.
    return max(len(line) for line in text.splitlines() or [""])
