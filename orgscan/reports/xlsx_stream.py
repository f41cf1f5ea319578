"""How ``report.xlsx`` is written in bounded memory: sheets whose rows go to disk as they come.

A table sheet is a ``StreamedSheet``: each row is written as XML text (``xlsx_xml``, what
openpyxl would write) to a temporary file as it is appended, so a 10,000-account workbook never
holds its cells in memory, and nothing of a sheet has to be decided before its first row. When
the sheet is closed its widths, frozen panes, filter and print setup are known: openpyxl writes
the sheet without rows (its write-only mode), and the rows are put into its ``sheetData``. No
cell can be read back or written out of order. A sheet laid out by position (the Summary: labels
beside values, a merged verdict, charts reading their cells; the Changes note under an empty
table) is drawn on a ``scratch`` sheet of the same workbook, then copied into its streamed sheet
row by row (``transfer``): styles are indices into the workbook's own tables, so they copy as
they are. Those sheets are small.
"""

from __future__ import annotations

import copy
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from orgscan.reports.xlsx_xml import cell_xml, dimension_attributes, height_attributes, row_xml

#: How much of the saved workbook is handed on at a time.
CHUNK = 1 << 20
#: Rows of a table sheet encoded and written together.
ROWS_PER_WRITE = 512


class StreamedSheet(WriteOnlyWorksheet):  # type: ignore[misc]
    """A write-only sheet whose rows go, as XML text (``xlsx_xml``), to a file of their own as
    they are appended. openpyxl writes the rest of the sheet when it is closed (columns, frozen
    panes, filter, print setup: all known by then), and the rows are placed inside it: nothing
    about the sheet has to be known before its first row, and no row stays in memory."""

    def __init__(self, parent: Workbook, title: str) -> None:
        super().__init__(parent, title)
        #: Called when the sheet is closed, just before openpyxl writes it (the print setup,
        #: which reads the widths).
        self.before_close: Callable[[], None] | None = None
        #: The widest row's cells (the print setup reads it).
        self.max_column = 0
        #: Rows appended so far: the next is row ``rows_written + 1``.
        self.rows_written = 0
        self._head: str | None = None
        # The rows' file, encoded as openpyxl encodes a sheet; ``close`` closes it.
        self._file = tempfile.TemporaryFile()  # noqa: SIM115
        self._body = io.TextIOWrapper(self._file, encoding="utf-8", errors="xmlcharrefreplace")
        # Rows made by append_xml, not yet written.
        self._waiting: list[str] = []

    def append(self, row: Sequence[Any]) -> None:
        """Write ``row`` (cells or values; None leaves a cell empty) as the next row, with the
        height its row dimension sets."""
        number = self._next(len(row))
        cells = [
            cell_xml(self._placed(value, number, column))
            for column, value in enumerate(row, start=1)
            if value is not None
        ]
        dimension = dimension_attributes(self.row_dimensions.pop(number, None))
        self._flush_rows()
        self._body.write(row_xml(number, dimension, cells))

    def append_head(self, row: Sequence[Cell | None]) -> None:
        """Write ``row`` as the first row, whose height (``row_dimensions[1]``) may be set until
        the sheet is closed (a table's header row is as tall as its wrapped headers in columns
        as wide as the rows under them)."""
        if self.rows_written:
            raise ValueError(f"{self.title}: the head row must be the first")
        number = self._next(len(row))
        self._head = "".join(
            cell_xml(self._placed(cell, number, column))
            for column, cell in enumerate(row, start=1)
            if cell is not None
        )

    def append_xml(self, cells: str, height: float | None, width: int) -> None:
        """Write the next row from its cells' XML (placed in row ``rows_written + 1``), ``width``
        cells wide and ``height`` points tall (None: the default)."""
        number = self._next(width)
        # Rows are encoded and written a batch at a time: a write per row of a 10,000-account
        # workbook cost half a second.
        self._waiting.append(f'<row r="{number}"{height_attributes(height)}>{cells}</row>')
        if len(self._waiting) >= ROWS_PER_WRITE:
            self._flush_rows()

    def _flush_rows(self) -> None:
        self._body.write("".join(self._waiting))
        self._waiting.clear()

    def close(self) -> None:
        """Write the sheet's file: openpyxl's, with the rows in its ``sheetData``."""
        if self.before_close is not None:
            ready, self.before_close = self.before_close, None
            ready()
        head = self._head
        if head is not None:
            head = row_xml(1, dimension_attributes(self.row_dimensions.pop(1, None)), (head,))
        # Heights of rows never appended are not written (as in any write-only sheet); left
        # here, openpyxl would write them as empty rows.
        self.row_dimensions.clear()
        super().close()
        with self._body:
            self._flush_rows()
            self._body.flush()  # the rows the text layer still holds
            _place_rows(self._writer.out, head or "", self._file)

    def _next(self, width: int) -> int:
        if self.closed:
            self._already_saved()
        self.max_column = max(self.max_column, width)
        self.rows_written += 1
        return self.rows_written

    def _placed(self, value: Any, row: int, column: int) -> Cell:
        cell = value if isinstance(value, Cell) else WriteOnlyCell(self, value)
        cell.row, cell.column = row, column
        return cell


#: Where openpyxl's sheet without rows has its (empty) rows.
_EMPTY_ROWS = (b"<sheetData></sheetData>", b"<sheetData />", b"<sheetData/>")


def _place_rows(path: str, head: str, body: IO[bytes]) -> None:
    """Put the rows into the sheet file at ``path``, written by openpyxl without rows: ``head``
    (the first row's XML), then the XML in ``body`` (the other rows)."""
    with open(path, "rb") as file:
        sheet = file.read()  # the sheet without its rows: a few kilobytes
    found = [marker for marker in _EMPTY_ROWS if sheet.count(marker) == 1]
    if len(found) != 1 or sheet.count(b"<sheetData") != 1:
        raise RuntimeError(f"{path}: no single empty <sheetData> to put the rows in")
    before, after = sheet.split(found[0])
    body.seek(0)
    with open(path, "wb") as file:
        file.write(before)
        file.write(b"<sheetData>")
        file.write(head.encode("utf-8", "xmlcharrefreplace"))
        _copy_rest(body, file)
        file.write(b"</sheetData>")
        file.write(after)


def _copy_rest(source: IO[bytes], target: IO[bytes]) -> None:
    """Copy ``source`` from its position to its end onto ``target``: inside the kernel where
    it can (``sendfile``; the rows of a 10,000-account workbook are hundreds of megabytes),
    else through a buffer."""
    target.flush()
    position = source.tell()
    try:
        end = os.fstat(source.fileno()).st_size
        while position < end:
            sent = os.sendfile(target.fileno(), source.fileno(), position, end - position)
            if sent == 0:
                break
            position += sent
    except (AttributeError, OSError, io.UnsupportedOperation):
        if position != source.tell():
            raise  # part of it was sent: a copy of the rest would not follow it
        # No sendfile here, or not between these files: all of it goes through Python.
    source.seek(position)
    shutil.copyfileobj(source, target, CHUNK)


def streamed_sheet(workbook: Workbook, title: str) -> StreamedSheet:
    """A new ``StreamedSheet`` at the end of the write-only ``workbook``."""
    sheet = StreamedSheet(workbook, title)
    workbook._add_sheet(sheet)
    return sheet


def scratch(workbook: Workbook, title: str) -> Worksheet:
    """A normal sheet of ``workbook`` that is never saved: drawn by position, then copied into
    the write-only sheet ``title`` by ``transfer``. It carries that sheet's title, as the
    charts' references name it."""
    sheet = Worksheet(workbook, title)
    # openpyxl renames a second sheet of one title ("Summary1"), and a chart's references take
    # the name they are made with: they must name the sheet the chart is copied into.
    sheet._WorkbookChild__title = title
    return sheet


def transfer(source: Worksheet, target: StreamedSheet) -> None:
    """Copy ``source`` into the empty write-only ``target``: cells with their values, types and
    styles, merged ranges, column widths, row heights, frozen panes, filter, print titles and
    charts. ``target``'s page setup is its own (set before, it does not depend on the cells)."""
    for key, dimension in source.column_dimensions.items():
        if dimension.width:
            target.column_dimensions[key].width = dimension.width
    for index, dimension in source.row_dimensions.items():
        if dimension.height is not None:
            target.row_dimensions[index].height = dimension.height
    target.views = copy.deepcopy(source.views)
    target.auto_filter = copy.deepcopy(source.auto_filter)
    if source.print_title_rows:
        target.print_title_rows = source.print_title_rows
    for merged in source.merged_cells.ranges:
        target.merged_cells.add(str(merged))
    if source.print_title_cols:
        target.print_title_cols = source.print_title_cols
    target._charts = list(source._charts)
    target.max_column = source.max_column
    rows: dict[int, dict[int, Cell]] = {}
    for (row, column), cell in source._cells.items():
        rows.setdefault(row, {})[column] = cell
    for index in range(1, max(rows, default=0) + 1):
        cells = rows.get(index, {})
        target.append(
            [_copy(target, cells.get(col)) for col in range(1, max(cells, default=0) + 1)]
        )


def _copy(target: StreamedSheet, cell: Cell | None) -> Cell | None:
    if cell is None:
        return None
    copied = Cell(target, row=cell.row, column=cell.column, value=cell.value)
    copied.data_type = cell.data_type
    copied._style = copy.copy(cell._style)
    return copied


def save_chunks(save: Any, file: IO[bytes]) -> Iterator[bytes]:
    """Call ``save(file)`` (a temporary file), then hand the file back ``CHUNK`` bytes at a time."""
    save(file)
    file.seek(0)
    while chunk := file.read(CHUNK):
        yield chunk
