"""``report.xlsx``: the auditors' workbook, evidence on its own.

Sheets, in order: Summary, Findings, Accounts, Buckets, Coverage, Remediation, Run (the
contract's), then Changes (what changed since the previous run). Every sheet has readable column
headers (the machine field names stay in findings.json and findings.csv) and prints: landscape,
fit to the page width, header row repeated, the run in the page header and page numbers in the
footer; the Summary prints on one page. The render is a pure function of the report inputs:
workbook times come from the run's ``finished_at`` and the zip entries carry fixed timestamps, so
rebuilding a run folder gives the same bytes.
"""

from __future__ import annotations

import io
import math
import zipfile
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from orgscan.evidence.controls import load_controls
from orgscan.evidence.runinfo import command_text, scope_text
from orgscan.exceptions_register import exception_label
from orgscan.findings import FINDING_COLUMNS
from orgscan.model import Finding
from orgscan.reports import ReportInputs
from orgscan.reports.changes import (
    ChangesSummary,
    ExceptionCounts,
    exception_counts,
    summarise_changes,
)
from orgscan.reports.fixes import RemediationRow, remediation_rows
from orgscan.reports.summary import STATUS_ORDER, ReportSummary, display_time, summarise
from orgscan.reports.verdicts import STANDING_STATUS, AccountsView, accounts_view
from orgscan.reports.xlsx_sheet import (
    HEADER_FONT,
    STATUS_COLOURS,
    CellValue,
    print_setup,
    put,
    write_header,
    write_rows,
    write_table,
)

#: The contract's sheets, in the contract's order (v2 puts Accounts after Findings).
CONTRACT_SHEETS = ("Summary", "Findings", "Accounts", "Buckets", "Coverage", "Remediation", "Run")
#: Every sheet of the workbook: sheets beyond the contract's come after its seven.
SHEETS = (*CONTRACT_SHEETS, "Changes", "Controls")

#: The Findings sheet's header for each contract field, in the contract's order.
FINDING_HEADERS: dict[str, str] = {
    "account_id": "Account",
    "trail_name": "Trail",
    "trail_arn": "Trail ARN",
    "home_region": "Home region",
    "is_organization_trail": "Organization trail",
    "is_multi_region": "Multi-region",
    "bucket_name": "Bucket",
    "bucket_account_id": "Bucket owner",
    "bucket_region": "Bucket region",
    "object_lock_enabled": "Object Lock",
    "lock_mode": "Lock mode",
    "retention_days": "Retention (days)",
    "versioning": "Versioning",
    "status": "Status",
    "reason_code": "Reason code",
    "reason": "Reason",
    "is_logging": "Logging",
    "latest_delivery_error": "Latest delivery error",
    "management_events": "Management events",
}
#: Columns of the Findings sheet after the contract's fields: the exceptions register's mark.
EXCEPTION_COLUMNS = ("Exception", "Exception owner", "Exception expires", "Exception reason")

#: The earliest time a zip entry can carry; used when the run has no parsable finish time.
_ZIP_EPOCH = datetime(1980, 1, 1)


class XlsxReport:
    """The Excel workbook (openpyxl)."""

    name = "xlsx"
    filename = "report.xlsx"

    def render(self, inputs: ReportInputs) -> bytes:
        """The workbook's bytes; identical for identical inputs."""
        summary = summarise(inputs.result)
        workbook = build_workbook(inputs, summary)
        return workbook_bytes(workbook, summary.finished or _ZIP_EPOCH)


def build_workbook(inputs: ReportInputs, summary: ReportSummary) -> Workbook:
    """The workbook with every sheet filled, not yet saved."""
    workbook = Workbook()
    sheets = {title: workbook.create_sheet(title) for title in SHEETS}
    workbook.remove(workbook.worksheets[0])  # the default empty "Sheet"
    changes = summarise_changes(inputs.diff, summary)
    view = accounts_view(inputs.result, {a.account_id: a.note for a in summary.accounts})
    _summary_sheet(
        sheets["Summary"], summary, changes, exception_counts(inputs.result.findings), view
    )
    _findings_sheet(sheets["Findings"], inputs)
    _accounts_sheet(sheets["Accounts"], view)
    _buckets_sheet(sheets["Buckets"], summary)
    _coverage_sheet(sheets["Coverage"], summary)
    _remediation_sheet(sheets["Remediation"], remediation_rows(inputs, summary))
    _run_sheet(sheets["Run"], summary, changes)
    _changes_sheet(sheets["Changes"], changes)
    _controls_sheet(sheets["Controls"])
    run = inputs.result.run
    title = " · ".join(
        part
        for part in (
            run.organization_id or "single account",
            f"run {run.run_id}" if run.run_id else f"finished {display_time(run.finished_at)}",
        )
        if part
    )
    for name, sheet in sheets.items():
        print_setup(sheet, title, one_page=name == "Summary")
    moment = summary.finished or _ZIP_EPOCH
    props = workbook.properties
    props.creator = "orgscan"
    props.lastModifiedBy = "orgscan"
    props.title = put_title(f"CloudTrail Object Lock audit {run.organization_id or ''}".strip())
    props.created = moment
    props.modified = moment
    return workbook


def put_title(text: str) -> str:
    """A document property without control characters (they make the file unreadable)."""
    return "".join(ch for ch in text if ch >= " " or ch == "\t")[:255]


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose every entry carries one fixed time and mode: the same workbook, same bytes."""

    def __init__(self, file: Any, stamp: tuple[int, int, int, int, int, int]) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self._stamp = stamp

    def _entry(self, name: str) -> zipfile.ZipInfo:
        entry = zipfile.ZipInfo(name, date_time=self._stamp)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o644 << 16
        return entry

    def writestr(self, zinfo_or_arcname: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        name = (
            zinfo_or_arcname.filename
            if isinstance(zinfo_or_arcname, zipfile.ZipInfo)
            else zinfo_or_arcname
        )
        super().writestr(self._entry(name), data)

    def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
        with open(filename, "rb") as handle:
            self.writestr(arcname or str(filename), handle.read())


def workbook_bytes(workbook: Workbook, moment: datetime) -> bytes:
    """The saved workbook, every zip entry stamped ``moment``: the same workbook, the same bytes."""
    # openpyxl's save_workbook stamps "modified" with the current time and zipfile stamps every
    # entry with it too; write through ExcelWriter into a zip that fixes the entry times.
    raw = io.BytesIO()
    with _FixedTimeZip(raw, max(moment, _ZIP_EPOCH).timetuple()[:6]) as archive:
        ExcelWriter(workbook, archive).save()
    return raw.getvalue()


# --------------------------------------------------------------------------- Summary


def _summary_sheet(
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
    put(ws["A1"], "CloudTrail Object Lock audit").font = Font(bold=True, size=14)
    verdict = put(ws["A2"], " ".join((view.sentence, *view.details)))
    verdict.font = Font(bold=True, size=12)
    verdict.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A2:B2")
    ws.row_dimensions[2].height = 16 * max(2, math.ceil(len(str(verdict.value)) / 80))
    facts: list[tuple[str, CellValue]] = [
        ("Organization", run.organization_id or "(single account)"),
        ("Run id", run.run_id),
        ("Scan started (UTC)", summary.started or run.started_at),
        ("Scan finished (UTC)", summary.finished or run.finished_at),
        ("Caller", run.caller_arn),
        ("Scope", scope_text(run.scope)),
        ("Command", command_text(run.command)),
        ("Host", run.host),
        ("Tool version", run.tool_version),
        ("Policy: default retention required", run.policy.require_default_retention),
        ("Policy: required mode", run.policy.require_mode.value),
        ("Policy: minimum retention (days)", run.policy.min_retention_days),
        ("Accounts in the organization", coverage.accounts_total),
        ("Accounts planned", coverage.accounts_planned),
        ("Accounts scanned", coverage.accounts_scanned),
        ("Regions", len(coverage.regions)),
        ("Region names", ", ".join(coverage.regions)),
        ("Coverage complete", coverage.complete),
        ("Errors", coverage.errors),
        ("Trails", len(summary.result.findings)),
        ("Exceptions", exceptions.text()),
        ("Findings excepted", exceptions.excepted),
        ("Exceptions expired", exceptions.expired),
    ]
    row = _label_rows(ws, 4, facts) + 1
    row = _since_previous_run(ws, row, changes) + 1

    standing_row = row
    write_header(ws, standing_row, ["Account verdict", "Accounts"])
    write_rows(ws, standing_row + 1, [(standing.value, count) for standing, count in view.counts])
    for offset, (standing, _) in enumerate(view.counts, start=1):
        status = STANDING_STATUS[standing]
        if status is not None:
            _colour(ws.cell(standing_row + offset, 1), status.value)
    put(
        ws.cell(standing_row + len(view.counts) + 1, 1), "Per account: see the Accounts sheet"
    ).font = Font(italic=True)
    row = standing_row + len(view.counts) + 3

    status_row = row
    write_header(ws, status_row, ["Status", "Trails"])
    write_rows(
        ws,
        status_row + 1,
        [(status.value, summary.status_counts[status]) for status in STATUS_ORDER],
        status_columns=(1,),
    )
    row = status_row + len(STATUS_ORDER) + 2

    write_header(ws, row, ["Reason code", "Trails"])
    write_rows(ws, row + 1, [(code.value, count) for code, count in summary.reason_counts.items()])

    colours = [STANDING_STATUS[standing] for standing, _ in view.counts]
    _bar_chart(
        ws,
        "Accounts by verdict",
        "Accounts",
        standing_row,
        [status.value if status is not None else None for status in colours],
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
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 48
    ws.column_dimensions["C"].width = 2
    for cells in ws.iter_rows(min_row=4, min_col=2, max_col=2):
        cells[0].alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        # A wrapped value needs a row tall enough for its lines: spreadsheet programs keep a
        # row's default height, so a long scope or command would print over the next row.
        lines = math.ceil(len(str(cells[0].value or "")) / _SUMMARY_VALUE_CHARS)
        if lines > 1:
            ws.row_dimensions[cells[0].row].height = 15 * lines


# About how many characters of a value fit on one line of the Summary's column B (width 48).
_SUMMARY_VALUE_CHARS = 56


def _colour(cell: Any, status: str) -> None:
    fill, font = STATUS_COLOURS[status]
    cell.fill = PatternFill("solid", fgColor=fill)
    cell.font = Font(color=font, bold=True)


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
    put(ws.cell(row=row, column=1), "Since the previous run").font = Font(bold=True, size=12)
    facts: list[tuple[str, CellValue]] = [("Changes", changes.headline)]
    if not changes.first_run:
        facts += [
            ("Previous run folder", changes.previous_folder),
            ("Previous run started (UTC)", changes.previous_started or changes.previous_started_at),
            *((f"Trails: {label}", count) for label, count in changes.counts),
            ("Details", "see the Changes sheet"),
        ]
    return _label_rows(ws, row + 1, facts)


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


# --------------------------------------------------------------------------- table sheets


def _findings_sheet(ws: Worksheet, inputs: ReportInputs) -> None:
    headers = [*(FINDING_HEADERS[column] for column in FINDING_COLUMNS), *EXCEPTION_COLUMNS]
    # Read straight from the findings: the columns are the contract's fields, in its order.
    rows = (
        [
            *(_cell(getattr(finding, column)) for column in FINDING_COLUMNS),
            *_exception_cells(finding),
        ]
        for finding in inputs.result.findings
    )
    write_table(
        ws,
        headers,
        rows,
        status_columns=(headers.index("Status") + 1, headers.index("Exception") + 1),
    )


def _cell(value: object) -> CellValue:
    """A finding's field as a cell: enums as their value, everything else as it is."""
    if hasattr(value, "value"):
        return str(value.value)
    return value  # type: ignore[return-value]


def _accounts_sheet(ws: Worksheet, view: AccountsView) -> None:
    headers = [
        "Account",
        "Name",
        "OU path",
        "Verdict",
        "Verdict code",
        "Gaps",
        "Protected by",
        "Coverage",
    ]
    # An account without a verdict says why in the Verdict column: never a blank a filter hides.
    write_table(
        ws,
        headers,
        (
            (
                row.account_id,
                row.name,
                row.ou_path,
                row.verdict.value if row.verdict is not None else row.standing.value,
                row.verdict_code.value if row.verdict_code is not None else None,
                row.gaps_text or None,
                "\n".join(row.protected_by) or None,
                row.note,
            )
            for row in view.rows
        ),
        status_columns=(4,),
        wrap_columns=(6, 7),
    )


def _exception_cells(finding: Finding) -> tuple[CellValue, ...]:
    mark, label = finding.exception, exception_label(finding)
    if mark is None or label is None:
        return (None,) * len(EXCEPTION_COLUMNS)
    return (label.value, mark.owner, mark.expires, mark.reason)


def _buckets_sheet(ws: Worksheet, summary: ReportSummary) -> None:
    headers = [
        "Bucket",
        "Owner account",
        "Region",
        "Object Lock",
        "Mode",
        "Retention (days)",
        "Versioning",
        "Status",
        "Reason code",
        "Trails",
        "Delivering accounts",
        "Reason",
    ]
    write_table(
        ws,
        headers,
        (
            (
                b.bucket_name,
                b.bucket_account_id,
                b.bucket_region,
                b.object_lock_enabled,
                b.lock_mode,
                b.retention_days,
                b.versioning,
                b.status.value,
                b.reason_code.value,
                len(b.trail_arns),
                ", ".join(b.delivering_accounts),
                b.reason,
            )
            for b in summary.buckets
        ),
        status_columns=(8,),
    )


def _coverage_sheet(ws: Worksheet, summary: ReportSummary) -> None:
    headers = [
        "Kind",
        "Account",
        "Name",
        "OU path",
        "State",
        "Scanned",
        "Regions scanned",
        "Region",
        "Stage",
        "Error code",
        "Detail",
    ]
    write_table(
        ws,
        headers,
        (
            (
                r.kind,
                r.account_id,
                r.name,
                r.ou_path,
                r.state,
                r.scanned,
                r.regions_scanned,
                r.region,
                r.stage,
                r.error_code,
                r.detail,
            )
            for r in summary.coverage_rows
        ),
    )


def _remediation_sheet(ws: Worksheet, rows: tuple[RemediationRow, ...]) -> None:
    headers = [
        "Bucket",
        "Owner account",
        "Region",
        "Status",
        "Reason code",
        "Trails",
        "Delivering accounts",
        "Strategy",
        "What to do",
        "Steps",
        "Warnings",
        "Script",
    ]
    write_table(
        ws,
        headers,
        (
            (
                r.bucket.bucket_name,
                r.bucket.bucket_account_id,
                r.bucket.bucket_region,
                r.bucket.status.value,
                r.bucket.reason_code.value,
                len(r.bucket.trail_arns),
                ", ".join(r.bucket.delivering_accounts),
                r.strategy,
                r.summary,
                "\n".join(f"{n}. {step}" for n, step in enumerate(r.steps, start=1)) or None,
                "\n".join(r.warnings) or None,
                r.script_label,
            )
            for r in rows
        ),
        status_columns=(4,),
        wrap_columns=(9, 10, 11),
    )


def _changes_sheet(ws: Worksheet, changes: ChangesSummary) -> None:
    headers = [
        "Class",
        "Trail",
        "Account",
        "Account name",
        "Status before",
        "Status now",
        "Reason code before",
        "Reason code now",
        "What changed",
        "Excepted",
        "Trail ARN",
    ]
    write_table(
        ws,
        headers,
        (
            (
                r.label,
                r.trail_name,
                r.account_id,
                r.account_name,
                r.status_old,
                r.status_new,
                r.reason_code_old,
                r.reason_code_new,
                r.what_changed,
                r.excepted,
                r.trail_arn,
            )
            for r in changes.rows
        ),
        status_columns=(5, 6),
        wrap_columns=(9,),
    )
    if not changes.rows:
        # Below the (empty) table, outside its filter: why there is nothing to list.
        note = (
            "First run in this folder: there is no previous run to compare with."
            if changes.first_run
            else f"No trail changed since the previous run ({changes.previous_folder})."
        )
        put(ws.cell(row=3, column=1), note)


def _run_sheet(ws: Worksheet, summary: ReportSummary, changes: ChangesSummary) -> None:
    run = summary.result.run
    duration = (
        (summary.finished - summary.started).total_seconds()
        if summary.finished and summary.started
        else None
    )
    parameters: list[tuple[str, CellValue]] = [
        ("run_id", run.run_id),
        ("organization_id", run.organization_id),
        ("started_at", summary.started or run.started_at),
        ("finished_at", summary.finished or run.finished_at),
        ("time_zone", "UTC (every date and time in this workbook)"),
        ("duration_seconds", duration),
        ("tool_version", run.tool_version),
        ("caller_arn", run.caller_arn),
        ("host", run.host),
        ("command", command_text(run.command)),
        *(
            (f"scope.{key}", _scope_value(value))
            for key, value in (run.scope.to_dict() if run.scope else {}).items()
        ),
        ("complete", run.complete),
        ("regions", ", ".join(run.regions)),
        ("region_count", len(run.regions)),
        *((f"policy.{key}", _cell_value(value)) for key, value in run.policy.to_dict().items()),
        ("accounts", len(summary.result.accounts)),
        ("findings", len(summary.result.findings)),
        ("errors", len(summary.result.errors)),
        ("previous_run_folder", changes.previous_folder),
        ("previous_run_started_at", changes.previous_started or changes.previous_started_at),
    ]
    write_table(ws, ["Parameter", "Value"], parameters)


def _controls_sheet(ws: Worksheet) -> None:
    """The requirements the findings and account verdicts evidence (configs/controls.toml)."""
    mapping = load_controls()
    rows = [
        (
            control.framework,
            control.requirement,
            control.title,
            ", ".join(kind.value for kind in control.applies_to),
            control.relation.value,
            control.source,
            control.note,
        )
        for control in mapping.controls
    ]
    write_table(
        ws,
        ["Framework", "Requirement", "Title", "Evidenced by", "Relation", "Source", "Note"],
        rows,
        wrap_columns=(3, 7),
    )


def _scope_value(value: object) -> CellValue:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "all" if value is None else _cell_value(value)


def _cell_value(value: object) -> CellValue:
    if value is None or isinstance(value, str | bool | int | float | datetime):
        return value
    return str(value)
