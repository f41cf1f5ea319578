"""A workbook sheet's print setup: landscape A4, a header naming the run, page numbers, and
the scale (fit to the page width when that prints at ``MIN_PRINT_SCALE`` or more; a wider
sheet flows over several pages with its print title columns repeated)."""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from orgscan.reports.xlsx_sheet import MIN_WIDTH

#: A sheet prints no smaller than this (the workbook's 10-point font × 0.8 = 8 pt).
MIN_PRINT_SCALE = 80
#: The printable width of landscape A4 inside the margins ``print_setup`` sets (points).
PRINTABLE_WIDTH_PT = (11.69 - 0.8) * 72


def printed_width(widths: Iterable[float]) -> float:
    """The width in points of columns ``widths`` (in characters) printed at 100%."""
    # A column of width w is 7w + 5 pixels in a 10-point font; a pixel is 3/4 of a point.
    return sum(0.75 * (7 * width + 5) for width in widths)


def print_setup(ws: Worksheet, title: str, *, one_page: bool = False) -> None:
    """Landscape A4, gridlines off, a header naming ``title`` (the run) and a footer with the
    sheet and page numbers. Fit to the page width (and height too with ``one_page``) when that
    prints at ``MIN_PRINT_SCALE`` or more; a wider sheet prints at that scale over several pages,
    its print title columns repeated."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    used = [
        ws.column_dimensions[get_column_letter(index)].width or MIN_WIDTH
        for index in range(1, ws.max_column + 1)
    ]
    fits = printed_width(used) * MIN_PRINT_SCALE / 100 <= PRINTABLE_WIDTH_PT
    if one_page or fits:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 1 if one_page else 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    else:
        ws.page_setup.scale = MIN_PRINT_SCALE
        ws.sheet_properties.pageSetUpPr.fitToPage = False
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
