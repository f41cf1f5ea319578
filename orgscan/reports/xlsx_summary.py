"""The ``Summary`` sheet of ``report.xlsx``: the verdict sentence, the run and its policy,
coverage, the changes since the previous run, counts of accounts by verdict and of trails by
status and reason code, and two charts; laid out to print on one page.
"""

from __future__ import annotations

import math

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from orgscan.model import ReasonCode, Status
from orgscan.reports.changes import ChangesSummary, ExceptionCounts
from orgscan.reports.headline import headline
from orgscan.reports.runtext import command_text, parameter_label, scope_text
from orgscan.reports.standings import STANDING_STATUS, AccountsView, Standing
from orgscan.reports.summary import STATUS_ORDER, ReportSummary
from orgscan.reports.xlsx_cells import CellValue, line_count, put, row_height
from orgscan.reports.xlsx_sheet import HEADER_FONT, STATUS_COLOURS, Column, font, write_block

_STANDING_COLUMNS: tuple[Column[tuple[Standing, int]], ...] = (
    # The words of a standing ("not protected") take the colour of the status behind them.
    Column(
        "Account verdict",
        lambda count: count[0].value,
        status=lambda count: _status_label(STANDING_STATUS[count[0]]),
    ),
    Column("Accounts", lambda count: count[1]),
)
_STATUS_COLUMNS: tuple[Column[tuple[Status, int]], ...] = (
    Column("Status", lambda count: count[0].value, status=True),
    Column("Trails", lambda count: count[1]),
)
_REASON_COLUMNS: tuple[Column[tuple[ReasonCode, int]], ...] = (
    Column("Reason code", lambda count: count[0].value),
    Column("Trails", lambda count: count[1]),
)

#: Widths of the Summary's label and value columns (characters).
_LABEL_WIDTH, _VALUE_WIDTH = 36, 48


def summary_sheet(
    ws: Worksheet,
    summary: ReportSummary,
    changes: ChangesSummary,
    exceptions: ExceptionCounts,
    view: AccountsView,
) -> None:
    """Labels in A, values in B, charts in D: one printed page whatever the organization's size
    (the per-account table is the Accounts sheet)."""
    run = summary.result.run
    coverage = summary.coverage
    put(ws["A1"], "CloudTrail Object Lock audit").font = font(bold=True, size=14)
    verdict = put(ws["A2"], " ".join((headline(summary.result, view).sentence, *view.details)))
    verdict.font = font(bold=True, size=12)
    verdict.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A2:B2")
    # 12-point text: about five sixths of the 10-point characters fit on a line.
    lines = line_count(verdict.value, (_LABEL_WIDTH + _VALUE_WIDTH) * 5 // 6)
    ws.row_dimensions[2].height = 16 * max(2, lines) + 2
    facts: list[tuple[str, CellValue]] = [
        ("Organization", run.organization_id or "(single account)"),
        (parameter_label("run_id"), run.run_id),
        ("Scan started (UTC)", summary.started or run.started_at),
        ("Scan finished (UTC)", summary.finished or run.finished_at),
        (parameter_label("caller_arn"), run.caller_arn),
        ("Scope", scope_text(run.scope)),
        (parameter_label("command"), command_text(run.command)),
        (parameter_label("host"), run.host),
        (parameter_label("tool_version"), run.tool_version),
        (parameter_label("policy.require_default_retention"), run.policy.require_default_retention),
        (parameter_label("policy.require_mode"), run.policy.require_mode.value),
        (parameter_label("policy.min_retention_days"), run.policy.min_retention_days),
        ("Accounts in the organization", coverage.accounts_total),
        ("Accounts planned", coverage.accounts_planned),
        ("Accounts scanned", coverage.accounts_scanned),
        ("Regions", len(coverage.regions)),
        ("Region names", ", ".join(coverage.regions)),
        (parameter_label("complete"), coverage.complete),
        ("Errors", coverage.errors),
        ("Trails", len(summary.result.findings)),
        ("Exceptions", exceptions.text()),
    ]
    row = _label_rows(ws, 4, facts) + 1
    row = _since_previous_run(ws, row, changes) + 1

    standing_row = row
    row = write_block(ws, standing_row, _STANDING_COLUMNS, view.counts)
    put(ws.cell(row, 1), "Per account: see the Accounts sheet").font = font(italic=True)
    row += 2

    status_row = row
    status_counts = [(status, summary.status_counts[status]) for status in STATUS_ORDER]
    row = write_block(ws, status_row, _STATUS_COLUMNS, status_counts) + 1

    reasons = [(code, count) for code, count in summary.reason_counts.items() if count]
    write_block(ws, row, _REASON_COLUMNS, reasons)

    _bar_chart(
        ws,
        "Accounts by verdict",
        "Accounts",
        standing_row,
        [_status_label(STANDING_STATUS[standing]) for standing, _ in view.counts],
        "D4",
    )
    _bar_chart(
        ws,
        "Trails by status",
        "Trails",
        status_row,
        [status.value for status in STATUS_ORDER],
        "D22",
    )
    ws.column_dimensions["A"].width = _LABEL_WIDTH
    ws.column_dimensions["B"].width = _VALUE_WIDTH
    ws.column_dimensions["C"].width = 2
    for cells in ws.iter_rows(min_row=4, min_col=2, max_col=2):
        cells[0].alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        # A wrapped value needs a row tall enough for its lines: spreadsheet programs keep a
        # row's default height, so a long scope or command would print over the next row.
        height = row_height(line_count(cells[0].value, _VALUE_WIDTH))
        if height is not None:
            ws.row_dimensions[cells[0].row].height = height


def _status_label(status: Status | None) -> str | None:
    return status.value if status is not None else None


def _label_rows(ws: Worksheet, first_row: int, facts: list[tuple[str, CellValue]]) -> int:
    """Bold labels in column A, values in B; return the next free row."""
    for offset, (label, value) in enumerate(facts):
        label_cell = put(ws.cell(row=first_row + offset, column=1), label)
        label_cell.font = HEADER_FONT
        # Top-aligned like the (possibly wrapped) value beside it, so both start on one line.
        label_cell.alignment = Alignment(vertical="top")
        put(ws.cell(row=first_row + offset, column=2), value)
    return first_row + len(facts)


def _since_previous_run(ws: Worksheet, row: int, changes: ChangesSummary) -> int:
    """The diff block of the Summary: headline, previous run, counts per class."""
    put(ws.cell(row=row, column=1), "Since the previous run").font = font(bold=True, size=12)
    facts: list[tuple[str, CellValue]] = [("Changes", changes.headline)]
    if not changes.first_run:
        facts += [
            ("Previous run folder", changes.previous_folder),
            ("Previous run started (UTC)", changes.previous_started or changes.previous_started_at),
            # One line each, only the classes that happened: a row per class would shrink the
            # one-page Summary below a readable size.
            *(
                [("Account changes", _classes(changes.account_counts))]
                if changes.account_counts
                else []
            ),
            ("Trail changes", _classes(changes.counts)),
            ("Details", "see the Account changes and Changes sheets"),
        ]
    return _label_rows(ws, row + 1, facts)


def _classes(counts: tuple[tuple[str, int], ...]) -> str:
    """``new failure 1, still failing 4, removed 1``: the classes that happened, as the page
    lists them."""
    return ", ".join(f"{label} {count}" for label, count in counts if count) or "none"


def _bar_chart(
    ws: Worksheet, title: str, unit: str, header_row: int, colours: list[str | None], anchor: str
) -> None:
    """A column chart of the two-column table under ``header_row``: whole numbers on the axis
    (1, 2, 3 ... for a small organization; never 0.5 steps), each bar in its status colour."""
    first, last = header_row + 1, header_row + len(colours)
    values = [ws.cell(row, 2).value for row in range(first, last + 1)]
    largest = max((value for value in values if isinstance(value, int)), default=0)
    chart = BarChart()
    chart.type = "col"
    chart.title = title
    chart.legend = None
    chart.y_axis.title = unit
    chart.y_axis.number_format = "0"
    chart.y_axis.majorUnit = max(1, math.ceil(largest / 5))
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = max(
        1, math.ceil(largest / chart.y_axis.majorUnit) * chart.y_axis.majorUnit
    )
    chart.x_axis.delete = False  # openpyxl hides both axes unless told otherwise
    chart.y_axis.delete = False
    chart.add_data(
        Reference(ws, min_col=2, min_row=header_row, max_row=last), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    series = chart.series[0]
    for index, status in enumerate(colours):
        point = DataPoint(idx=index)
        point.graphicalProperties.solidFill = STATUS_COLOURS[status][1] if status else "A6A6A6"
        series.dPt.append(point)
    chart.height, chart.width = 7.5, 14
    ws.add_chart(chart, anchor)
