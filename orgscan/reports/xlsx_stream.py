"""How ``report.xlsx`` is written in bounded memory: openpyxl's write-only mode.

A write-only sheet sends each row to a temporary file as it is appended, so a 10,000-account
workbook never holds its
cells in memory; the table sheets are filled that way (``xlsx_sheet.write_table`` appends
its rows in order). What a write-only sheet cannot do is go back: its frozen panes, column
widths and fit-to-page setting are written before its first row, a row's height before that row,
and no cell can be read or written out of order. So the print setup, which reads the widths,
runs just before a sheet's first row (``StreamedSheet``). A sheet laid out by position (the
Summary: labels beside values, a merged verdict, charts reading their cells; the Changes note
under an empty table) is drawn on a ``scratch`` sheet of the same workbook, then copied into its
write-only sheet row by row (``transfer``): styles are indices into the workbook's own tables,
so they copy as they are. Those sheets are small.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

#: How much of the saved workbook is handed on at a time.
CHUNK = 1 << 20


class StreamedSheet(WriteOnlyWorksheet):  # type: ignore[misc]
    """A write-only sheet that calls ``before_rows`` just before its first row is written (its
    widths are set by then, and its page setup still goes ahead of the rows), and knows its
    ``max_column`` (the print setup reads it)."""

    def __init__(self, parent: Workbook, title: str) -> None:
        super().__init__(parent, title)
        self.before_rows: Callable[[], None] | None = None
        self.max_column = 0
        #: Rows appended so far (openpyxl's write-only sheet does not count them): the next
        #: row's height must be set before that row is written.
        self.rows_written = 0

    def append(self, row: Sequence[Any]) -> None:
        """Write ``row`` as the next row (after ``before_rows``, the first time)."""
        self.max_column = max(self.max_column, len(row))
        self._ready()
        super().append(row)
        self.rows_written += 1

    def close(self) -> None:
        """Finish the sheet's file (a sheet without rows gets its setup too)."""
        self._ready()
        super().close()

    def _ready(self) -> None:
        if self.before_rows is not None:
            ready, self.before_rows = self.before_rows, None
            ready()


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
