"""``report.xlsx``: the auditors' workbook, evidence on its own.

Sheets, in order: Summary, Findings, Buckets, Coverage, Remediation, Run (the contract's six),
then Changes (what changed since the previous run). The render is a pure function of the report
inputs: workbook times come from the run's ``finished_at`` and the zip entries carry fixed
timestamps, so rebuilding a run folder gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from orgscan.exceptions_register import exception_label
from orgscan.findings import FINDING_COLUMNS, findings_frame
from orgscan.model import Finding
from orgscan.reports import ReportInputs
from orgscan.reports.changes import (
    ChangesSummary,
    ExceptionCounts,
    exception_counts,
    summarise_changes,
)
from orgscan.reports.fixes import RemediationRow, remediation_rows
from orgscan.reports.summary import STATUS_ORDER, ReportSummary, plain, summarise
from orgscan.reports.xlsx_sheet import (
    HEADER_FONT,
    STATUS_COLOURS,
    CellValue,
    fit_columns,
    put,
    write_header,
    write_rows,
    write_table,
)

#: The contract's sheets, in the contract's order.
CONTRACT_SHEETS = ("Summary", "Findings", "Buckets", "Coverage", "Remediation", "Run")
#: Every sheet of the workbook: sheets beyond the contract's come after its six.
SHEETS = (*CONTRACT_SHEETS, "Changes")
#: Columns of the Findings sheet after the contract's fields: the exceptions register's mark.
EXCEPTION_COLUMNS = ("exception", "exception_owner", "exception_expires", "exception_reason")

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
        return _save(workbook, summary.finished or _ZIP_EPOCH)


def build_workbook(inputs: ReportInputs, summary: ReportSummary) -> Workbook:
    """The workbook with every sheet filled, not yet saved."""
    workbook = Workbook()
    sheets = {title: workbook.create_sheet(title) for title in SHEETS}
    workbook.remove(workbook.worksheets[0])  # the default empty "Sheet"
    changes = summarise_changes(inputs.diff, summary)
    _summary_sheet(sheets["Summary"], summary, changes,
                   exception_counts(inputs.result.findings))
    _findings_sheet(sheets["Findings"], inputs)
    _buckets_sheet(sheets["Buckets"], summary)
    _coverage_sheet(sheets["Coverage"], summary)
    _remediation_sheet(sheets["Remediation"], remediation_rows(inputs, summary))
    _run_sheet(sheets["Run"], summary, changes)
    _changes_sheet(sheets["Changes"], changes)
    moment = summary.finished or _ZIP_EPOCH
    props = workbook.properties
    props.creator = "orgscan"
    props.lastModifiedBy = "orgscan"
    # The organization id comes from a findings.json: control characters would make the
    # document properties, like a cell, unreadable.
    organization = ILLEGAL_CHARACTERS_RE.sub("", inputs.result.run.organization_id or "")
    props.title = f"CloudTrail Object Lock audit {organization}".strip()
    props.created = moment
    props.modified = moment
    return workbook


def _save(workbook: Workbook, moment: datetime) -> bytes:
    # openpyxl's save_workbook stamps "modified" with the current time and zipfile stamps every
    # entry with it too; write through ExcelWriter and re-pack with fixed entry times instead.
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    stamp = max(moment, _ZIP_EPOCH).timetuple()[:6]
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source, \
            zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(entry.filename))
    return packed.getvalue()


# --------------------------------------------------------------------------- Summary


def _summary_sheet(ws: Worksheet, summary: ReportSummary, changes: ChangesSummary,
                   exceptions: ExceptionCounts) -> None:
    run = summary.result.run
    coverage = summary.coverage
    put(ws["A1"], "CloudTrail Object Lock audit").font = Font(bold=True, size=14)
    facts: list[tuple[str, CellValue]] = [
        ("Organization", run.organization_id or "(single account)"),
        ("Scan started (UTC)", summary.started or run.started_at),
        ("Scan finished (UTC)", summary.finished or run.finished_at),
        ("Caller", run.caller_arn),
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
    row = _label_rows(ws, 3, facts) + 1
    row = _since_previous_run(ws, row, changes) + 1

    status_row = row
    write_header(ws, status_row, ["Status", "Trails"])
    write_rows(ws, status_row + 1,
               [(status.value, summary.status_counts[status]) for status in STATUS_ORDER],
               status_columns=(1,))
    _status_chart(ws, status_row)
    row = status_row + len(STATUS_ORDER) + 2

    write_header(ws, row, ["Reason code", "Trails"])
    row = write_rows(ws, row + 1,
                     [(code.value, count) for code, count in summary.reason_counts.items()]) + 1

    account_headers = ["Account", "Name", "OU path", "State", "Scanned", "Trails",
                       *(status.value for status in STATUS_ORDER), "Compliant"]
    write_header(ws, row, account_headers)
    last = write_rows(ws, row + 1, (
        (a.account_id, a.name, a.ou_path, a.state, a.scanned, a.trails,
         *(a.counts[status] for status in STATUS_ORDER), a.compliant)
        for a in summary.accounts)) - 1
    # One autofilter per sheet: the per-account table is the one worth filtering.
    ws.auto_filter.ref = f"A{row}:K{max(last, row)}"
    fit_columns(ws)
    ws.column_dimensions["A"].width = 36


def _label_rows(ws: Worksheet, first_row: int,
                facts: list[tuple[str, CellValue]]) -> int:
    """Bold labels in column A, values in B; return the next free row."""
    for offset, (label, value) in enumerate(facts):
        put(ws.cell(row=first_row + offset, column=1), label).font = HEADER_FONT
        put(ws.cell(row=first_row + offset, column=2), value)
    return first_row + len(facts)


def _since_previous_run(ws: Worksheet, row: int, changes: ChangesSummary) -> int:
    """The diff block of the Summary: headline, previous run, counts per class."""
    put(ws.cell(row=row, column=1), "Since the previous run").font = Font(bold=True, size=12)
    facts: list[tuple[str, CellValue]] = [("Changes", changes.headline)]
    if not changes.first_run:
        facts += [
            ("Previous run folder", changes.previous_folder),
            ("Previous run started (UTC)",
             changes.previous_started or changes.previous_started_at),
            *((f"Trails: {label}", count) for label, count in changes.counts),
            ("Details", "see the Changes sheet"),
        ]
    return _label_rows(ws, row + 1, facts)


def _status_chart(ws: Worksheet, header_row: int) -> None:
    chart = BarChart()
    chart.type = "col"
    chart.title = "Trails by status"
    chart.legend = None
    chart.y_axis.title = "Trails"
    first, last = header_row + 1, header_row + len(STATUS_ORDER)
    chart.add_data(Reference(ws, min_col=2, min_row=header_row, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    series = chart.series[0]
    for index, status in enumerate(STATUS_ORDER):
        point = DataPoint(idx=index)
        point.graphicalProperties.solidFill = STATUS_COLOURS[status.value][1]
        series.dPt.append(point)
    chart.height, chart.width = 7.5, 12
    ws.add_chart(chart, "D3")


# --------------------------------------------------------------------------- table sheets


def _findings_sheet(ws: Worksheet, inputs: ReportInputs) -> None:
    findings = inputs.result.findings
    frame = findings_frame(findings)
    headers = [*FINDING_COLUMNS, *EXCEPTION_COLUMNS]
    # The frame holds the findings in their order, so each row meets its own finding's mark.
    rows = ([*(plain(value) for value in record), *_exception_cells(finding)]
            for record, finding in zip(frame.itertuples(index=False), findings, strict=True))
    write_table(ws, headers, rows, status_columns=(headers.index("status") + 1,
                                                   headers.index("exception") + 1))


def _exception_cells(finding: Finding) -> tuple[CellValue, ...]:
    mark, label = finding.exception, exception_label(finding)
    if mark is None or label is None:
        return (None,) * len(EXCEPTION_COLUMNS)
    return (label.value, mark.owner, mark.expires, mark.reason)


def _buckets_sheet(ws: Worksheet, summary: ReportSummary) -> None:
    headers = ["Bucket", "Owner account", "Region", "Object Lock", "Mode", "Retention (days)",
               "Versioning", "Status", "Reason code", "Trails", "Delivering accounts", "Reason"]
    write_table(ws, headers, (
        (b.bucket_name, b.bucket_account_id, b.bucket_region, b.object_lock_enabled,
         b.lock_mode, b.retention_days, b.versioning, b.status.value, b.reason_code.value,
         len(b.trail_arns), ", ".join(b.delivering_accounts), b.reason)
        for b in summary.buckets), status_columns=(8,))


def _coverage_sheet(ws: Worksheet, summary: ReportSummary) -> None:
    headers = ["Kind", "Account", "Name", "OU path", "State", "Scanned", "Regions scanned",
               "Region", "Stage", "Error code", "Detail"]
    write_table(ws, headers, (
        (r.kind, r.account_id, r.name, r.ou_path, r.state, r.scanned, r.regions_scanned,
         r.region, r.stage, r.error_code, r.detail)
        for r in summary.coverage_rows))


def _remediation_sheet(ws: Worksheet, rows: tuple[RemediationRow, ...]) -> None:
    headers = ["Bucket", "Owner account", "Region", "Status", "Reason code", "Trails",
               "Delivering accounts", "Strategy", "What to do", "Steps", "Warnings", "Script"]
    write_table(ws, headers, (
        (r.bucket.bucket_name, r.bucket.bucket_account_id, r.bucket.bucket_region,
         r.bucket.status.value, r.bucket.reason_code.value, len(r.bucket.trail_arns),
         ", ".join(r.bucket.delivering_accounts), r.strategy, r.summary,
         "\n".join(f"{n}. {step}" for n, step in enumerate(r.steps, start=1)) or None,
         "\n".join(r.warnings) or None, r.script_label)
        for r in rows), status_columns=(4,), wrap_columns=(9, 10, 11))


def _changes_sheet(ws: Worksheet, changes: ChangesSummary) -> None:
    headers = ["Class", "Trail", "Account", "Account name", "Status before", "Status now",
               "Reason code before", "Reason code now", "What changed", "Excepted",
               "Trail ARN"]
    write_table(ws, headers, (
        (r.label, r.trail_name, r.account_id, r.account_name, r.status_old, r.status_new,
         r.reason_code_old, r.reason_code_new, r.what_changed, r.excepted, r.trail_arn)
        for r in changes.rows), status_columns=(5, 6), wrap_columns=(9,))
    if not changes.rows:
        # Below the (empty) table, outside its filter: why there is nothing to list.
        note = ("First run in this folder: there is no previous run to compare with."
                if changes.first_run else
                f"No trail changed since the previous run ({changes.previous_folder}).")
        put(ws.cell(row=3, column=1), note)


def _run_sheet(ws: Worksheet, summary: ReportSummary, changes: ChangesSummary) -> None:
    run = summary.result.run
    duration = ((summary.finished - summary.started).total_seconds()
                if summary.finished and summary.started else None)
    parameters: list[tuple[str, CellValue]] = [
        ("organization_id", run.organization_id),
        ("started_at", summary.started or run.started_at),
        ("finished_at", summary.finished or run.finished_at),
        ("duration_seconds", duration),
        ("tool_version", run.tool_version),
        ("caller_arn", run.caller_arn),
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


def _cell_value(value: object) -> CellValue:
    if value is None or isinstance(value, str | bool | int | float | datetime):
        return value
    return str(value)
