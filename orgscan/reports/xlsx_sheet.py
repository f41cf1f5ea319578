"""The worksheets of ``report.xlsx``: formatted tables, their styles and print rules.

How a value is stored (real types, formula-looking text kept text, Yes/No, control characters
dropped), how wide it reads and how many lines it wraps to is ``xlsx_cells``. A table is
written once per row from the same decisions per cell (``_form``): on a streamed sheet
(``xlsx_stream``) as the row's XML text, on a normal sheet as openpyxl cells. Styles are built
once per distinct combination and shared by every cell that has it.

What a sheet looks like on paper is decided here, from its column declarations alone, so that a
new sheet gets it by declaring its columns: every cell uses one named font (a spreadsheet
program substitutes an unnamed one with whatever it likes); booleans read Yes/No; text wider
than its column's declared ``width`` wraps and its row is as tall as its tallest cell's lines (a
program keeps a row's default height otherwise, and wrapped lines print over the next row); a
sheet too wide to fit one page at ``xlsx_print.MIN_PRINT_SCALE`` flows over several pages with
its ``key`` columns repeated on each, instead of shrinking to an unreadable size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from typing import Generic, TypeVar

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.worksheet import Worksheet

from orgscan.exceptions_register import ExceptionLabel
from orgscan.model import Status
from orgscan.reports.xlsx_cells import (
    CellValue,
    Stored,
    Value,
    display_width,
    line_count,
    put,
    row_height,
    store,
)
from orgscan.reports.xlsx_stream import StreamedSheet
from orgscan.reports.xlsx_xml import style_attribute, value_xml

Item = TypeVar("Item")

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
    """Cell styles of one sheet, each built once per combination of colour label, wrapping,
    number format and quote prefix: copied onto openpyxl cells (a style set per cell would look
    every font and fill up in the workbook's style tables again), or written as its index in
    the workbook's table of cell styles (``s``)."""

    def __init__(self, ws: Worksheet) -> None:
        self._ws = ws
        self._cache: dict[tuple[str, bool, str, bool], object] = {}
        self._ids: dict[tuple[str, bool, str, bool], str] = {}

    def apply(self, cell: Cell, label: str | None, wrap: bool) -> None:
        """Colour ``cell`` by ``label`` and wrap it, on top of what ``put`` set."""
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

    def attribute(self, value: Value, stored: Stored, label: str | None, wrap: bool) -> str:
        """The ``s`` attribute of a cell holding ``value`` (``stored``), coloured by ``label``
        and wrapped or not: the style a cell made by ``put`` and ``apply`` would have."""
        key = (label or "", wrap, stored.number_format, stored.quote_prefix)
        found = self._ids.get(key)
        if found is None:
            # The first cell of its kind, made as a normal sheet makes it: the style and the
            # number format are added to the workbook's tables in the same order.
            probe = put(Cell(self._ws), value)
            if label is not None or wrap:
                self.apply(probe, label, wrap)
            found = style_attribute(probe.style_id if probe.has_style else None)
            self._ids[key] = found
        return found


def _form(column: Column[Item], item: Item, value: Value) -> tuple[Stored, str | None, bool, int]:
    """How ``column``'s cell for ``item`` holds ``value`` (not None): what is stored, the label
    it is coloured by, whether it wraps, and the lines it prints on."""
    stored = store(value)
    label = None if column.status is False else column.label(item, value)
    # The column ends up at least as wide as this cell's widest line, up to its declared
    # width: so the lines counted here are the lines printed, whatever the other rows.
    wrap = column.wrap or stored.width > column.width
    lines = line_count(stored.value, min(stored.width, column.width) + 2) if wrap else 1
    return stored, label, wrap, lines


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
            stored, label, wrap, count = _form(column, item, value)
            cell = put(ws.cell(row=row_number, column=index), value)
            if label is not None or wrap:
                styles.apply(cell, label, wrap)
            lines = max(lines, count)
            if widths is not None and stored.width > widths.get(index, 0):
                widths[index] = stored.width
        ws.row_dimensions[row_number].height = row_height(lines)
        row_number += 1
    return row_number


#: Distinct values a streamed column remembers the cell of before it starts again: a column
#: holds few values many times (statuses, regions, sentences) or many values once (ARNs).
_REMEMBERED = 4096


class _StreamedColumn(Generic[Item]):
    """A column of a streamed table: the XML after a cell's reference and the lines of each
    distinct value it holds, made once by the rules of every table (``_form``), and the width
    of the widest (a value is measured when it is made)."""

    def __init__(self, index: int, column: Column[Item], styles: _Styles, ws: StreamedSheet):
        self.index = index
        self.letter = get_column_letter(index)
        self.column = column
        #: The colour follows the row, not the value: the label is part of what is remembered.
        self.by_item = callable(column.status)
        self.seen: dict[object, tuple[str, int]] = {}
        self.widest = 0
        self._styles = styles
        self._dates = (ws.parent.epoch, ws.parent.iso_dates)

    def key(self, item: Item, value: Value) -> object:
        """What makes the cell of ``value`` in ``item``'s row: its value (True is not 1)."""
        key: object = value if type(value) is str else (type(value), value)
        return (key, self.column.label(item, value)) if self.by_item else key

    def make(self, item: Item, value: Value, key: object) -> tuple[str, int]:
        """The cell of ``value`` in ``item``'s row and its lines, remembered under ``key``."""
        stored, label, wrap, lines = _form(self.column, item, value)
        style = self._styles.attribute(value, stored, label, wrap)
        made = (style + value_xml(stored.value, stored.data_type, *self._dates), lines)
        self.widest = max(self.widest, stored.width)
        if len(self.seen) >= _REMEMBERED:
            self.seen.clear()
        self.seen[key] = made
        return made


def _stream_rows(
    ws: StreamedSheet,
    columns: Sequence[Column[Item]],
    items: Iterable[Item],
    widths: dict[int, int],
) -> int:
    """``write_rows`` on a streamed sheet, after its head row: each row written as XML text as
    it is made, the same cells as ``write_rows`` makes; return the number of rows."""
    styles = _Styles(ws)
    plan = [_StreamedColumn(index, c, styles, ws) for index, c in enumerate(columns, start=1)]
    # What the loop reads of each column, unpacked once: it runs once per cell.
    steps = [(c.column.value, c.seen, c.letter, c.by_item, c) for c in plan]
    written = 0
    for item in items:
        row = str(ws.rows_written + 1)
        cells = []
        lines = 1
        for value_of, seen, letter, by_item, column in steps:
            value = value_of(item)
            if value is None:
                continue  # an empty cell: nothing to write, style or measure
            key = value if type(value) is str and not by_item else column.key(item, value)
            made = seen.get(key)
            if made is None:
                made = column.make(item, value, key)
            tail, count = made
            if count > lines:
                lines = count
            cells.append(f'<c r="{letter}{row}"{tail}')
        ws.append_xml("".join(cells), row_height(lines), len(plan))
        written += 1
    for column in plan:
        widths[column.index] = max(widths.get(column.index, 0), column.widest)
    return written


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

    Each column's width is measured as the rows are written, and the header row's height
    follows from the widths. A streamed sheet (``xlsx_stream``) writes its rows to disk as they
    come and its header row's height, widths and print setup when it is closed.
    """
    headers = [column.header for column in columns]
    # A header wraps rather than widening its column beyond the values under it.
    widths = {index: min(display_width(h), 12) for index, h in enumerate(headers, start=1)}
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    keys = sum(1 for _ in _leading_keys(columns))
    if keys:
        ws.print_title_cols = f"A:{get_column_letter(keys)}"
    if isinstance(ws, StreamedSheet):
        ws.append_head([_header_cell(Cell(ws), header) for header in headers])
        rows = _stream_rows(ws, columns, items, widths)
    else:
        write_header(ws, 1, headers)
        rows = write_rows(ws, 2, columns, items, widths) - 2
    set_widths(ws, widths, [column.width for column in columns])
    header_lines = max(
        line_count(h, ws.column_dimensions[get_column_letter(i)].width or MIN_WIDTH)
        for i, h in enumerate(headers, start=1)
    )
    ws.row_dimensions[1].height = row_height(header_lines)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(rows + 1, 1)}"


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
            if count > 1 or display_width(value) > width:
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
