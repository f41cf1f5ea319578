"""The table sheets of ``report.xlsx``: Findings, Accounts, Buckets, Coverage, Remediation,
Run, Controls and Who can weaken (the two Changes sheets are ``xlsx_changes``).

Each sheet is declared as its columns: a readable header, how a row gives the cell, whether
the cell is coloured by its status or wrapped, how wide it may grow and whether it names the row
(repeated on every page printed). Row heights and the print layout follow from these
declarations (``xlsx_sheet``). The machine field names stay in findings.json and findings.csv.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from operator import itemgetter
from typing import TypeVar

from openpyxl.worksheet.worksheet import Worksheet

from orgscan.controls import load_controls
from orgscan.exceptions_register import exception_label
from orgscan.findings import FINDING_COLUMNS
from orgscan.model import ExceptionMark, Finding, ScanResult
from orgscan.prelock_count import Prelock
from orgscan.reports.changes import ChangesSummary
from orgscan.reports.claims import ControlStanding, standings
from orgscan.reports.fixes import RemediationRow
from orgscan.reports.runtext import command_text, parameter_label
from orgscan.reports.standings import AccountRow, AccountsView
from orgscan.reports.summary import BucketSummary, CoverageRow, ReportSummary
from orgscan.reports.tamper_view import sheet_rows
from orgscan.reports.xlsx_cells import CellValue
from orgscan.reports.xlsx_integrity import INTEGRITY_FINDING_COLUMNS
from orgscan.reports.xlsx_sheet import Column, write_table
from orgscan.weakeners import Weakener

_Row = TypeVar("_Row")

#: How wide (characters) a Findings column may grow before its text wraps; the others: 60.
FINDING_WIDTHS: dict[str, int] = {
    "trail_name": 24,
    "trail_arn": 30,
    "bucket_name": 30,
    "reason_code": 24,
    "reason": 40,
    "latest_delivery_error": 20,
}
#: The Findings columns that name a row, repeated on every printed page.
FINDING_KEYS = ("account_id", "trail_name")

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
    "global_service_events": "Global service events",
    "latest_delivery_time": "Latest delivery",
    "delivering": "Delivering",
    "log_file_validation": "Log file validation",
    "kms_key_arn": "KMS key",
    "mfa_delete": "MFA delete",
    "kms_key_state": "KMS key state",
    "kms_key_rotation": "KMS key rotation",
    "lifecycle_expiration_days": "Lifecycle expiration (days)",
    "public_access_blocked": "Public access blocked",
}


def _cell(value: object) -> CellValue:
    """A finding's field as a cell: enums as their value, everything else as it is."""
    if hasattr(value, "value"):
        return str(value.value)
    return value  # type: ignore[return-value]


def _field(name: str) -> Callable[[Finding], CellValue]:
    return lambda finding: _cell(getattr(finding, name))


def _mark(finding: Finding) -> ExceptionMark | None:
    """The finding's exception mark when the register labels it (accepted or expired)."""
    return finding.exception if exception_label(finding) is not None else None


def _mark_field(read: Callable[[ExceptionMark], CellValue]) -> Callable[[Finding], CellValue]:
    def value(finding: Finding) -> CellValue:
        mark = _mark(finding)
        return read(mark) if mark is not None else None

    return value


def _exception_text(finding: Finding) -> CellValue:
    label = exception_label(finding)
    return label.value if label is not None and finding.exception is not None else None


def _prelock(read: Callable[[Prelock], CellValue]) -> Callable[[Finding], CellValue]:
    return lambda finding: read(finding.prelock) if finding.prelock is not None else None


_PRELOCK_COLUMNS: tuple[Column[Finding], ...] = (
    Column("Files before lock", _prelock(lambda count: count.verdict), status=True),
    Column("Unprotected files", _prelock(lambda count: count.unprotected)),
    Column("Files checked", _prelock(lambda count: count.checked)),
    Column("Files before lock: detail", _prelock(Prelock.sentence), wrap=True, width=40),
)
#: The Findings sheet's headers of the pre-lock count, after the contract's fields.
PRELOCK_HEADERS = tuple(column.header for column in _PRELOCK_COLUMNS)
_FINDING_COLUMNS: tuple[Column[Finding], ...] = (
    # Read straight from the findings: the columns are the contract's fields, in its order.
    *(
        Column(
            FINDING_HEADERS[name],
            _field(name),
            status=name == "status",
            width=FINDING_WIDTHS.get(name, 60),
            key=name in FINDING_KEYS,
        )
        for name in FINDING_COLUMNS
    ),
    # Then the count of log files written before the lock (contract 5.4), PASS findings only.
    *_PRELOCK_COLUMNS,
    # Then the integrity group (contract 5.2); after them, the exceptions register's mark.
    *INTEGRITY_FINDING_COLUMNS,
    Column("Exception", _exception_text, status=True),
    Column("Exception owner", _mark_field(lambda mark: mark.owner)),
    Column("Exception expires", _mark_field(lambda mark: mark.expires)),
    Column("Exception reason", _mark_field(lambda mark: mark.reason), width=40),
)
#: Columns of the Findings sheet after the pre-lock count and the integrity group: the
#: exceptions register's mark.
EXCEPTION_COLUMNS = tuple(
    column.header
    for column in _FINDING_COLUMNS[
        len(FINDING_COLUMNS) + len(_PRELOCK_COLUMNS) + len(INTEGRITY_FINDING_COLUMNS) :
    ]
)

_ACCOUNT_COLUMNS: tuple[Column[AccountRow], ...] = (
    Column("Account", lambda row: row.account_id, key=True),
    Column("Name", lambda row: row.name, width=20),
    Column("OU path", lambda row: row.ou_path, width=20),
    # An account without a verdict says why here: never a blank a filter hides.
    Column(
        "Verdict",
        lambda row: row.verdict.value if row.verdict is not None else row.standing.value,
        status=True,
    ),
    Column(
        "Verdict code",
        lambda row: row.verdict_code.value if row.verdict_code is not None else None,
    ),
    Column("Gaps", lambda row: row.gaps_text or None, wrap=True, width=28),
    Column("Protected by", lambda row: "\n".join(row.protected_by) or None, wrap=True, width=36),
    Column("Coverage", lambda row: row.note, width=18),
)

_SHARED_BUCKET_COLUMNS: tuple[Column[BucketSummary], ...] = (
    Column("Bucket", lambda b: b.bucket_name, width=24, key=True),
    Column("Owner account", lambda b: b.bucket_account_id),
    Column("Region", lambda b: b.bucket_region),
    Column("Status", lambda b: b.status.value, status=True),
    Column("Reason code", lambda b: b.reason_code.value),
    Column("Trails", lambda b: len(b.trail_arns)),
    Column("Delivering accounts", lambda b: _some(b.delivering_accounts), width=14),
)
# The columns the Buckets and Remediation sheets share, by header.
_BUCKET = {column.header: column for column in _SHARED_BUCKET_COLUMNS}

_BUCKET_COLUMNS: tuple[Column[BucketSummary], ...] = (
    _BUCKET["Bucket"],
    _BUCKET["Owner account"],
    _BUCKET["Region"],
    Column("Object Lock", lambda b: b.object_lock_enabled),
    Column("Mode", lambda b: b.lock_mode),
    Column("Retention (days)", lambda b: b.retention_days),
    Column("Versioning", lambda b: b.versioning),
    _BUCKET["Status"],
    _BUCKET["Reason code"],
    _BUCKET["Trails"],
    _BUCKET["Delivering accounts"],
    Column("Reason", lambda b: b.reason, width=30),
)


def _of_bucket(column: Column[BucketSummary]) -> Column[RemediationRow]:
    """A bucket column on a remediation row (the row's bucket)."""
    return Column(
        column.header,
        lambda r: column.value(r.bucket),
        status=column.status is True,
        width=column.width,
        key=column.key,
    )


_REMEDIATION_COLUMNS: tuple[Column[RemediationRow], ...] = (
    # The plan's ranking: 1 is the bucket to fix first (``orgscan.remediation.ranking``).
    Column("Order", lambda r: r.order, key=True),
    *(_of_bucket(column) for column in _SHARED_BUCKET_COLUMNS),
    Column("Strategy", lambda r: r.strategy),
    Column("What to do", lambda r: r.summary, wrap=True, width=30),
    Column(
        "Steps",
        lambda r: "\n".join(f"{n}. {step}" for n, step in enumerate(r.steps, start=1)) or None,
        wrap=True,
        width=36,
    ),
    Column("Warnings", lambda r: "\n".join(r.warnings) or None, wrap=True, width=30),
    Column("Script", lambda r: r.script_label, width=16),
)

_COVERAGE_COLUMNS: tuple[Column[CoverageRow], ...] = (
    Column("Kind", lambda r: r.kind, key=True),
    Column("Account", lambda r: r.account_id, key=True),
    Column("Name", lambda r: r.name),
    Column("OU path", lambda r: r.ou_path),
    Column("State", lambda r: r.state),
    Column("Scanned", lambda r: r.scanned),
    Column("Regions scanned", lambda r: r.regions_scanned),
    Column("Region", lambda r: r.region),
    Column("Stage", lambda r: r.stage),
    Column("Error code", lambda r: r.error_code),
    Column("Detail", lambda r: r.detail, width=40),
)

_PARAMETER_COLUMNS: tuple[Column[tuple[str, CellValue]], ...] = (
    Column("Parameter", itemgetter(0), key=True),
    Column("Value", itemgetter(1), width=80),
)

_CONTROL_COLUMNS: tuple[Column[ControlStanding], ...] = (
    Column("Framework", lambda s: s.control.framework, key=True),
    Column("Requirement", lambda s: s.control.requirement, width=20),
    Column("Title", lambda s: s.control.title, wrap=True, width=30),
    Column(
        "Evidenced by",
        lambda s: ", ".join(kind.value for kind in s.control.applies_to),
        width=16,
    ),
    Column("Relation", lambda s: s.control.relation.value),
    Column("Source", lambda s: s.control.source, width=30),
    Column("Note", lambda s: s.control.note, wrap=True, width=40),
    Column(
        "Evidenced when",
        lambda s: ", ".join(c.text for c in s.control.evidenced_when) or "always",
        wrap=True,
        width=30,
    ),
    Column("In this run", lambda s: s.describe(), wrap=True, width=30),
)


def findings_sheet(ws: Worksheet, findings: tuple[Finding, ...]) -> None:
    """One row per trail: every field of the contract, then the exception's mark."""
    write_table(ws, _FINDING_COLUMNS, findings)


def accounts_sheet(ws: Worksheet, view: AccountsView) -> None:
    """One row per account: its verdict (or why it has none), gaps and protecting trails."""
    write_table(ws, _ACCOUNT_COLUMNS, view.rows)


def buckets_sheet(ws: Worksheet, summary: ReportSummary) -> None:
    """One row per bucket, with the trails that deliver to it."""
    write_table(ws, _BUCKET_COLUMNS, summary.buckets)


def coverage_sheet(ws: Worksheet, summary: ReportSummary) -> None:
    """The accounts (scanned or why not) and every ``errors[]`` row."""
    write_table(ws, _COVERAGE_COLUMNS, summary.coverage_rows)


def remediation_sheet(ws: Worksheet, rows: tuple[RemediationRow, ...]) -> None:
    """One row per failing bucket in the plan's ranking: the strategy, its steps in words and
    the script."""
    write_table(ws, _REMEDIATION_COLUMNS, rows)


def run_sheet(ws: Worksheet, summary: ReportSummary, changes: ChangesSummary) -> None:
    """The run's parameters as ``findings.json`` records them, each under a reader's label."""
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
    labelled = [(parameter_label(key), value) for key, value in parameters]
    write_table(ws, _PARAMETER_COLUMNS, labelled)


def controls_sheet(ws: Worksheet, result: ScanResult) -> None:
    """The requirements the findings and account verdicts may evidence (configs/controls.toml),
    and whether this run does: labels it does not evidence are listed with the condition
    missed, and never attached to a result."""
    write_table(ws, _CONTROL_COLUMNS, standings(load_controls(), result))


def _standing(row: Weakener) -> str:
    if row.break_glass:
        return "break-glass"
    if row.blocked_by:
        return "blocked"
    return "conditional" if row.conditional else "open"


_STANDING_STATUS = {"open": "FAIL", "conditional": "WARN", "blocked": "PASS", "break-glass": "PASS"}
_WEAKENER_COLUMNS: tuple[Column[Weakener], ...] = (
    Column("Standing", _standing, status=lambda r: _STANDING_STATUS[_standing(r)], key=True),
    Column("Principal", lambda r: r.principal_arn, width=40, key=True),
    Column("Principal account", lambda r: r.principal_account_id),
    Column("Action", lambda r: r.action, width=36),
    Column("Target", lambda r: r.target.value),
    Column("Target ARN", lambda r: r.target_arn, width=40),
    Column("Trail ARN", lambda r: r.trail_arn, width=40),
    Column("Granted by", lambda r: r.granted_by, wrap=True, width=40),
    Column("Conditional", lambda r: r.conditional),
    Column("Blocked by", lambda r: r.blocked_by, wrap=True, width=30),
    Column("Break-glass", lambda r: r.break_glass),
    Column("Management account", lambda r: r.management_account),
)


def weakeners_sheet(ws: Worksheet, result: ScanResult) -> None:
    """ "Who can weaken": one row per principal, action and target (contract 5.3), the ones
    that weaken protection as things stand first; empty when tamper paths were not assessed."""
    write_table(ws, _WEAKENER_COLUMNS, sheet_rows(result))


#: Accounts named in one cell before "and N more": a row must fit a printed page (an
#: organization bucket receives from every account; the Findings sheet lists them all).
NAMED_IN_CELL = 12


def _some(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:NAMED_IN_CELL])
    rest = len(names) - NAMED_IN_CELL
    return f"{shown} and {rest} more (see Findings)" if rest > 0 else shown


def _scope_value(value: object) -> CellValue:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "all" if value is None else _cell_value(value)


def _cell_value(value: object) -> CellValue:
    if value is None or isinstance(value, str | bool | int | float | datetime):
        return value
    return str(value)
