"""The XML of a sheet's rows, character for character as openpyxl writes them.

openpyxl serialises every cell through a general-purpose XML writer (an element object per
cell, written by a pure-Python tree serialiser): most of the workbook's time at 10,000
accounts. The table sheets' rows are written here instead, as text (``xlsx_stream``): the same
elements, attributes in the same order, the same escaping, numbers and dates in the same form,
text inline as openpyxl stores it. ``tests/reports/test_xlsx_xml.py`` holds it to openpyxl's own
writer.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.cell.rich_text import CellRichText
from openpyxl.compat import safe_string
from openpyxl.utils.datetime import to_excel, to_ISO8601
from openpyxl.worksheet.dimensions import RowDimension

#: Distinct (value, type) pairs whose XML is remembered (repeated statuses, regions, sentences).
_CACHED = 1 << 14


def escape(text: str) -> str:
    """``text`` as XML character data (what the standard library's serialiser escapes)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def style_attribute(style_id: int | None) -> str:
    """The ``s`` attribute of a cell whose style is ``style_id`` (none for an unstyled cell)."""
    return "" if style_id is None else f' s="{style_id}"'


@functools.lru_cache(maxsize=_CACHED, typed=True)
def value_xml(value: Any, data_type: str, epoch: datetime, iso_dates: bool) -> str:
    """What follows a cell's ``r`` and ``s`` attributes: its type, its value, the closing tag.

    ``data_type`` is openpyxl's; ``epoch`` and ``iso_dates`` are the workbook's date settings.
    """
    kind = "inlineStr" if data_type == "s" else data_type
    if data_type == "d":
        if getattr(value, "tzinfo", None) is not None:
            raise TypeError("Excel does not support timezones in datetimes")
        if not iso_dates or isinstance(value, timedelta):
            kind, value = "n", to_excel(value, epoch)
        else:
            value = to_ISO8601(value)
    if value is None or value == "":
        return f' t="{kind}" />'
    if data_type == "s":
        stripped = value.strip()
        space = ' xml:space="preserve"' if stripped and stripped != value else ""
        return f' t="{kind}"><is><t{space}>{escape(value)}</t></is></c>'
    text = safe_string(value)
    body = f"<v>{escape(text)}</v>" if text else "<v />"
    return f' t="{kind}">{body}</c>'


def cell_xml(cell: Cell) -> str:
    """The element of an openpyxl ``cell`` (placed: its row and column set), or "" for a cell
    openpyxl leaves out (no value, no style)."""
    if (
        cell.comment
        or cell.hyperlink
        or cell.data_type == "f"
        or isinstance(cell._value, CellRichText)
    ):
        raise ValueError("formulas, rich text, comments and links are not written here")
    styled = cell.has_style
    if cell._value is None and not styled:
        return ""
    workbook = cell.parent.parent
    style = style_attribute(cell.style_id if styled else None)
    tail = value_xml(cell._value, cell.data_type, workbook.epoch, workbook.iso_dates)
    return f'<c r="{cell.coordinate}"{style}{tail}'


def height_attributes(height: float | None) -> str:
    """The attributes of a row ``height`` points tall (None: the default height), as openpyxl
    writes a row dimension that sets only the height."""
    if height is None:
        return ""
    return f' ht="{safe_string(height)}" customHeight="1"' if height else ' customHeight="1"'


def dimension_attributes(dimension: RowDimension | None) -> str:
    """The attributes of a row with ``dimension`` (its height, or whatever else it sets)."""
    if dimension is None:
        return ""
    return "".join(f' {key}="{escape_attribute(value)}"' for key, value in dimension)


def escape_attribute(text: str) -> str:
    """``text`` as an XML attribute value (what the standard library's serialiser escapes)."""
    for plain, escaped in _ATTRIBUTE_ESCAPES:
        if plain in text:
            text = text.replace(plain, escaped)
    return text


_ATTRIBUTE_ESCAPES = (
    ("&", "&amp;"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ('"', "&quot;"),
    ("\r", "&#13;"),
    ("\n", "&#10;"),
    ("\t", "&#09;"),
)


def row_xml(number: int, attributes: str, cells: Iterable[str]) -> str:
    """A ``<row>`` element: row ``number`` (1-based), its ``attributes`` (``height_attributes``
    or ``dimension_attributes``) and its cells' elements."""
    return f'<row r="{number}"{attributes}>{"".join(cells)}</row>'
