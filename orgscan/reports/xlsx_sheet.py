"""Worksheet helpers for ``report.xlsx``: typed, formula-safe cells, formatted tables, print setup.

Values keep their real types (bool, int, datetime) so filters and sums work in Excel. Text from
AWS never becomes a formula: strings that a spreadsheet would evaluate are stored as text cells
with Excel's quote prefix, and their value reads back unchanged.

A large run writes a few hundred thousand cells, so styles are built once per workbook and
copied onto cells, and column widths are measured while the rows are written.

What a sheet looks like on paper is decided here, from its column declarations alone, so that a
new sheet gets it by declaring its columns: every cell uses one named font (a spreadsheet
program substitutes an unnamed one with whatever it likes); booleans read Yes/No; text wider
than its column's declared ``width`` wraps and its row is as tall as its tallest cell's lines (a
program keeps a row's default height otherwise, and wrapped lines print over the next row); a
sheet too wide to fit one page at ``xlsx_print.MIN_PRINT_SCALE`` flows over several pages with
its ``key`` columns repeated on each, instead of shrinking to an unreadable size.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
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

#: The one font of the workbook. Arial is on every office system, and LibreOffice maps it to the
#: metrically identical Liberation Sans, so line counts measured here hold on paper.
FONT_NAME = "Arial"
FONT_SIZE = 10
BODY_FONT = Font(name=FONT_NAME, size=FONT_SIZE)
HEADER_FONT = Font(name=FONT_NAME, size=FONT_SIZE, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")
MIN_WIDTH, _MAX_WIDTH = 8, 60

#: Height of one line of ``FONT_SIZE`` text, and the padding of a row (points).
LINE_HEIGHT = 13.0
ROW_PADDING = 2.0


def font(**style: object) -> Font:
    """The workbook's font with ``style`` (``bold``, ``size``, ``color``, ``italic``)."""
    return Font(name=FONT_NAME, **{"size": FONT_SIZE, **style})


def use_workbook_font(workbook: Workbook) -> None:
    """Make ``BODY_FONT`` the font of every cell that sets none (openpyxl's default names
    Calibri, which LibreOffice replaces by a font of other widths where it is not installed)."""
    workbook._fonts = IndexedList([BODY_FONT])
    workbook._named_styles["Normal"].font = BODY_FONT
    # Top-aligned: in a row made tall by a wrapped neighbour, a one-line cell starts beside it.
    workbook._alignments = IndexedList([Alignment(vertical="top")])


def yes_no(value: bool) -> str:
    """A boolean as a reader says it: printed ``TRUE``/``FALSE`` (or ``1``/``0``) is no answer."""
    return "Yes" if value else "No"


def line_count(value: object, width: int) -> int:
    """How many lines ``value`` takes in a wrapped column ``width`` characters wide."""
    if value is None or isinstance(value, bool | int | float | datetime | date):
        return 1
    chars = max(width - 1, 1)  # a character of the width is the cell's padding
    return sum(
        len(textwrap.wrap(line, chars, break_on_hyphens=True)) or 1
        for line in str(value).split("\n")
    )


def row_height(lines: int) -> float | None:
    """The height of a row whose tallest cell has ``lines`` lines; None keeps the default."""
    return LINE_HEIGHT * lines + ROW_PADDING if lines > 1 else None


def put(cell: Cell, value: CellValue) -> Cell:
    """Store ``value`` in ``cell`` with its real type; text that looks like a formula stays text."""
    if isinstance(value, bool):
        value = yes_no(value)
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
        fill, ink = colours
        cell.fill = PatternFill("solid", fgColor=fill)
        cell.font = font(color=ink, bold=True)


@dataclass(frozen=True)
class Column(Generic[Item]):
    """One column of a table: its header, how a row's item gives its cell, and its styling.

    ``status`` colours the cell: ``True`` by the label the cell holds (a status or an exception
    label), or a function giving the label to colour by (words beside a status, such as an
    account's standing). ``wrap`` wraps multi-line text; any text wider than ``width``
    characters wraps too, and the column never grows beyond ``width``. ``key`` columns name a
    row (account, trail): they are repeated on every page of a sheet printed over several pages
    wide. The styling is declared with the column, so moving or adding a column cannot colour
    its neighbour, and a new sheet prints like the others.
    """

    header: str
    value: Callable[[Item], CellValue]
    status: bool | Callable[[Item], str | None] = False
    wrap: bool = False
    width: int = _MAX_WIDTH
    key: bool = False

    def label(self, item: Item, value: CellValue) -> str | None:
        """The label whose colour the cell of ``item`` takes, or None for no colour."""
        if self.status is False:
            return None
        text = str(value) if self.status is True else self.status(item)
        return text if text in LABEL_COLOURS else None


def write_header(ws: Worksheet, row: int, headers: Sequence[str], column: int = 1) -> None:
    """Bold, shaded header cells starting at (``row``, ``column``), wrapped when a header is
    wider than its column will be."""
    for offset, header in enumerate(headers):
        _header_cell(ws.cell(row=row, column=column + offset), header)


def _header_cell(cell: Cell, header: str) -> Cell:
    put(cell, header)
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.alignment = _WRAP
    return cell


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
        lines = 1
        for index, column in enumerate(columns, start=1):
            value = column.value(item)
            if value is None:
                continue  # an empty cell: nothing to write, style or measure
            cell = ws.cell(row=row_number, column=index)
            lines = max(lines, _styled(cell, column, item, value, styles))
            if widths is not None:
                measure(widths, index, value)
        ws.row_dimensions[row_number].height = row_height(lines)
        row_number += 1
    return row_number


def _styled(cell: Cell, column: Column[Item], item: Item, value: CellValue, styles: _Styles) -> int:
    """Put ``value`` into ``cell`` with the colour and wrapping ``column`` declares; return the
    lines it prints on."""
    put(cell, value)
    label = column.label(item, value)
    width = _display_width(value)
    # The column ends up at least as wide as this cell's widest line, up to its declared
    # width: so the lines counted here are the lines printed, whatever the other rows.
    wrap = column.wrap or width > column.width
    lines = line_count(cell.value, min(width, column.width) + 2) if wrap else 1
    if label is not None or wrap:
        styles.apply(cell, label, wrap)
    return lines


def measure(widths: dict[int, int], index: int, value: CellValue) -> None:
    """Widen column ``index`` of ``widths`` to fit ``value``."""
    width = _display_width(value)
    if width > widths.get(index, 0):
        widths[index] = width


def write_block(
    ws: Worksheet, header_row: int, columns: Sequence[Column[Item]], items: Iterable[Item]
) -> int:
    """A small table inside a sheet: the header at ``header_row``, the rows under it; return
    the next free row."""
    write_header(ws, header_row, [column.header for column in columns])
    return write_rows(ws, header_row + 1, columns, items)


def write_table(ws: Worksheet, columns: Sequence[Column[Item]], items: Iterable[Item]) -> None:
    """A whole-sheet table: header in row 1, frozen, with an autofilter over every row, and
    printed with the header on every page.

    The rows are appended in order, so the same code fills a normal sheet and a write-only one
    (``orgscan.reports.xlsx_stream``), whose rows go to disk as they come. A write-only sheet
    writes its column widths and frozen panes before its first row, and a row's height before
    that row: the values are read (and measured) first, then the cells made one row at a time.
    """
    headers = [column.header for column in columns]
    # A header wraps rather than widening its column beyond the values under it.
    widths = {index: min(_display_width(h), 12) for index, h in enumerate(headers, start=1)}
    rows = [(item, [column.value(item) for column in columns]) for item in items]
    for _, values in rows:
        for index, value in enumerate(values, start=1):
            if value is not None:
                measure(widths, index, value)
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    keys = sum(1 for _ in _leading_keys(columns))
    if keys:
        ws.print_title_cols = f"A:{get_column_letter(keys)}"
    set_widths(ws, widths, [column.width for column in columns])
    header_lines = max(
        line_count(h, ws.column_dimensions[get_column_letter(i)].width or MIN_WIDTH)
        for i, h in enumerate(headers, start=1)
    )
    ws.row_dimensions[1].height = row_height(header_lines)
    ws.append([_header_cell(_loose(ws), header) for header in headers])
    styles = _Styles(ws)
    for row_number, (item, values) in enumerate(rows, start=2):
        cells: list[Cell | None] = []
        lines = 1
        for column, value in zip(columns, values, strict=True):
            if value is None:
                cells.append(None)  # an empty cell: nothing to write, style or measure
                continue
            cell = _loose(ws)
            lines = max(lines, _styled(cell, column, item, value, styles))
            cells.append(cell)
        ws.row_dimensions[row_number].height = row_height(lines)
        ws.append(cells)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(len(rows) + 1, 1)}"


def append_note_rows(ws: Worksheet, title: str, rows: Iterable[Sequence[CellValue | None]]) -> None:
    """Below a sheet's table (outside its filter): a blank row, ``title``, then ``rows``, each
    cell wrapped to its column's width and each row as tall as its longest cell, so what is
    added below a table prints by the same rules as the table (normal or write-only sheet)."""
    ws.append([])
    ws.append([put(_loose(ws), title)])
    styles = _Styles(ws)
    for values in rows:
        cells: list[Cell | None] = []
        lines = 1
        for index, value in enumerate(values, start=1):
            if value is None:
                cells.append(None)
                continue
            cell = put(_loose(ws), value)
            width = int(ws.column_dimensions[get_column_letter(index)].width or MIN_WIDTH)
            count = line_count(cell.value, width)
            if count > 1 or _display_width(value) > width:
                styles.apply(cell, None, wrap=True)
            lines = max(lines, count)
            cells.append(cell)
        ws.row_dimensions[_next_row(ws)].height = row_height(lines)
        ws.append(cells)


def _next_row(ws: Worksheet) -> int:
    # The row ``append`` writes next: a streamed (write-only) sheet counts its own rows.
    written = getattr(ws, "rows_written", None)
    return int(written if written is not None else ws.max_row) + 1


def _loose(ws: Worksheet) -> Cell:
    # A cell for ``append``, which gives it its place; openpyxl's messages read a cell's
    # coordinate, so it needs one until then.
    return Cell(ws, row=1, column=1)


def _leading_keys(columns: Sequence[Column[Item]]) -> Iterable[Column[Item]]:
    # Repeated columns must be the first ones: a print title is a range from column A.
    for column in columns:
        if not column.key:
            return
        yield column


def set_widths(ws: Worksheet, widths: dict[int, int], limits: Sequence[int] = ()) -> None:
    """Column widths from measured character counts, within sensible bounds (``limits``: each
    column's declared width)."""
    for column, width in widths.items():
        limit = limits[column - 1] if column <= len(limits) else _MAX_WIDTH
        ws.column_dimensions[get_column_letter(column)].width = max(
            min(width, limit) + 2, MIN_WIDTH
        )


def _display_width(value: object) -> int:
    if isinstance(value, datetime):
        return len(DATETIME_FORMAT)
    if isinstance(value, date):
        return len(DATE_FORMAT)
    if isinstance(value, bool):
        return 3
    # A wrapped multi-line cell is as wide as its longest line.
    return max((_text_width(line) for line in str(value).splitlines()), default=0)


def _text_width(line: str) -> int:
    # The width unit is a digit; capitals (RETENTION_TOO_SHORT) are about a third wider.
    return len(line) + math.ceil(sum(1 for ch in line if ch.isupper()) / 3)
