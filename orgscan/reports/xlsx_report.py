"""``report.xlsx``: the auditors' workbook, evidence on its own.

Sheets, in order: Summary, Findings, Buckets, Coverage, Remediation, Run. The render is a pure
function of the scan result: workbook times come from the run's ``finished_at`` and the zip
entries carry fixed timestamps, so rebuilding a run folder gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from orgscan.findings import FINDING_COLUMNS, findings_frame
from orgscan.reports import ReportInputs
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

SHEETS = ("Summary", "Findings", "Buckets", "Coverage", "Remediation", "Run")

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
    _summary_sheet(sheets["Summary"], summary)
    _findings_sheet(sheets["Findings"], inputs)
    _buckets_sheet(sheets["Buckets"], summary)
    _coverage_sheet(sheets["Coverage"], summary)
    _remediation_sheet(sheets["Remediation"], remediation_rows(inputs, summary))
    _run_sheet(sheets["Run"], summary)
    moment = summary.finished or _ZIP_EPOCH
    props = workbook.properties
    props.creator = "orgscan"
    props.lastModifiedBy = "orgscan"
    props.title = f"CloudTrail Object Lock audit {inputs.result.run.organization_id or ''}".strip()
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


def _summary_sheet(ws: Worksheet, summary: ReportSummary) -> None:
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
    ]
    for offset, (label, value) in enumerate(facts):
        put(ws.cell(row=3 + offset, column=1), label).font = HEADER_FONT
        put(ws.cell(row=3 + offset, column=2), value)
    row = 3 + len(facts) + 1

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
    frame = findings_frame(inputs.result.findings)
    headers = list(FINDING_COLUMNS)
    rows = ([plain(value) for value in record] for record in frame.itertuples(index=False))
    write_table(ws, headers, rows, status_columns=(headers.index("status") + 1,))


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
               "Delivering accounts", "Strategy", "Steps", "Script"]
    write_table(ws, headers, (
        (r.bucket.bucket_name, r.bucket.bucket_account_id, r.bucket.bucket_region,
         r.bucket.status.value, r.bucket.reason_code.value, len(r.bucket.trail_arns),
         ", ".join(r.bucket.delivering_accounts), r.strategy,
         "\n".join(f"{n}. {step}" for n, step in enumerate(r.steps, start=1)),
         r.script_label)
        for r in rows), status_columns=(4,), wrap_columns=(9,))


def _run_sheet(ws: Worksheet, summary: ReportSummary) -> None:
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
    ]
    write_table(ws, ["Parameter", "Value"], parameters)


def _cell_value(value: object) -> CellValue:
    if value is None or isinstance(value, str | bool | int | float | datetime):
        return value
    return str(value)
