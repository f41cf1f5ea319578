"""How one value is stored in a ``report.xlsx`` cell, how wide it reads and how many lines it
takes: the rules every sheet shares, whether its cells are made one by one through openpyxl
(``put``) or its rows are written straight to the sheet's file (``xlsx_xml``).

Values keep their real types (int, datetime) so filters and sums work in Excel; booleans read
Yes/No. Text from AWS never becomes a formula: strings that a spreadsheet would evaluate are
stored as text cells with Excel's quote prefix, and their value reads back unchanged. Control
characters, which make the file unreadable, are dropped.

A large workbook holds millions of cells whose values repeat (statuses, regions, account ids,
sentences): how a text is stored, its width and its wrapped lines are computed once per
distinct text and kept in bounded caches.
"""

from __future__ import annotations

import functools
import math
import string
import textwrap
from datetime import date, datetime
from typing import NamedTuple

from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell

#: A value a cell holds; ``CellValue`` also allows an empty cell.
Value = str | bool | int | float | datetime | date
CellValue = Value | None

_FORMULA_PREFIXES = ("=", "+", "-", "@")
#: The most characters a cell holds (openpyxl cuts longer text there).
_MAX_TEXT = 32767

DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
GENERAL = "General"

#: Height of one line of the workbook's 10-point text, and the padding of a row (points).
LINE_HEIGHT = 13.0
ROW_PADDING = 2.0

#: Distinct values whose storage, width and lines are remembered: the repeated ones (statuses,
#: regions, sentences) stay; a value seen once costs a computation, not memory.
_CACHED = 1 << 16

_CAPITALS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"

#: Each ASCII letter and digit mapped to one of its kind. Wrapping breaks a line by the kind of
#: each character (space, letter, digit, hyphen, punctuation), never by which letter or digit
#: it is, so texts alike but for their letters and digits take the same lines: the same role's
#: ARN in 10,000 accounts is wrapped once, not 10,000 times.
_KINDS = str.maketrans(string.ascii_letters + string.digits, "a" * 52 + "0" * 10)


class Stored(NamedTuple):
    """What a cell holds for a value, as openpyxl would store it."""

    #: The value in the cell: the text (cleaned), the number or the date.
    value: str | int | float | datetime | date
    #: openpyxl's data type: "s" text, "n" number, "d" date, "e" an error code such as #N/A.
    data_type: str
    number_format: str
    #: Text that starts like a formula: Excel keeps it text when the cell is edited.
    quote_prefix: bool
    #: How wide the value reads, in digits (its longest line).
    width: int


def yes_no(value: bool) -> str:
    """A boolean as a reader says it: printed ``TRUE``/``FALSE`` (or ``1``/``0``) is no answer."""
    return "Yes" if value else "No"


def store(value: Value) -> Stored:
    """How ``value`` is stored: its cell value, type, number format and quote prefix, and its
    display width."""
    if isinstance(value, str):
        return _store_text(value)
    if isinstance(value, bool):
        return Stored(yes_no(value), "s", GENERAL, False, 3)
    if isinstance(value, datetime):
        return Stored(value, "d", DATETIME_FORMAT, False, len(DATETIME_FORMAT))
    if isinstance(value, date):
        return Stored(value, "d", DATE_FORMAT, False, len(DATE_FORMAT))
    if type(value) in (int, float):
        return Stored(value, "n", GENERAL, False, _text_value_width(str(value)))
    # Any other value openpyxl takes (a Decimal, a time): it decides the type.
    probe = Cell(None)
    probe.value = value
    return Stored(probe.value, probe.data_type, probe.number_format, False, display_width(value))


@functools.lru_cache(maxsize=_CACHED)
def _store_text(value: str) -> Stored:
    text: str = ILLEGAL_CHARACTERS_RE.sub("", value)[:_MAX_TEXT]
    quote = text.startswith(_FORMULA_PREFIXES)
    # openpyxl reads the error codes (#N/A, ...) as errors; "=..." would be a formula, but all
    # formula-like text is stored as text with the quote prefix.
    kind = "e" if text in ERROR_CODES and not quote else "s"
    return Stored(text, kind, GENERAL, quote, _text_value_width(value))


def put(cell: Cell, value: CellValue) -> Cell:
    """Store ``value`` in ``cell`` with its real type; text that looks like a formula stays text."""
    if value is None:
        cell.value = None
        return cell
    stored = store(value)
    cell.value = stored.value
    if stored.quote_prefix:
        cell.data_type = "s"  # openpyxl took "=..." for a formula; it is data
        cell.quotePrefix = True
    if stored.data_type == "d":
        cell.number_format = stored.number_format
    return cell


def line_count(value: object, width: int) -> int:
    """How many lines ``value`` takes in a wrapped column ``width`` characters wide."""
    if value is None or isinstance(value, bool | int | float | datetime | date):
        return 1
    text = str(value)
    return _text_lines(text.translate(_KINDS) if text.isascii() else text, width)


@functools.lru_cache(maxsize=_CACHED)
def _text_lines(text: str, width: int) -> int:
    chars = max(width - 1, 1)  # a character of the width is the cell's padding
    return sum(_wrapped_lines(line, chars) for line in text.split("\n"))


def _wrapped_lines(line: str, chars: int) -> int:
    if len(line) <= chars and "\t" not in line:
        # What fits is one line: textwrap changes no length but a tab's (or leaves none of a
        # blank line, which still takes one).
        return 1
    return len(textwrap.wrap(line, chars, break_on_hyphens=True)) or 1


def row_height(lines: int) -> float | None:
    """The height of a row whose tallest cell has ``lines`` lines; None keeps the default."""
    return LINE_HEIGHT * lines + ROW_PADDING if lines > 1 else None


def display_width(value: object) -> int:
    """How wide ``value`` reads, in digits: a multi-line text is as wide as its longest line."""
    if isinstance(value, datetime):
        return len(DATETIME_FORMAT)
    if isinstance(value, date):
        return len(DATE_FORMAT)
    if isinstance(value, bool):
        return 3
    return _text_value_width(str(value))


@functools.lru_cache(maxsize=_CACHED)
def _text_value_width(text: str) -> int:
    return max((_text_width(line) for line in text.splitlines()), default=0)


def _text_width(line: str) -> int:
    # The width unit is a digit; capitals (RETENTION_TOO_SHORT) are about a third wider.
    if line.isascii():
        # The same count as below, without a step per character: A-Z are ASCII's capitals.
        capitals = len(line) - len(line.encode("ascii").translate(None, _CAPITALS))
    else:
        capitals = sum(1 for ch in line if ch.isupper())
    return len(line) + math.ceil(capitals / 3)
