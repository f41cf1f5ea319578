"""The workbook's integrity columns (contract 5.2), declared like every other sheet's
(``xlsx_sheet.Column``), so the print rules apply: the Findings sheet's integrity group and
the Integrity sheet, one row per trail and check, failing first."""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from orgscan.integrity import worst
from orgscan.model import Finding
from orgscan.reports.integrity_view import IntegrityRow, integrity_rows, not_passing
from orgscan.reports.xlsx_sheet import Column, write_table

#: The Findings sheet's integrity group, after the contract's fields.
INTEGRITY_FINDING_COLUMNS: tuple[Column[Finding], ...] = (
    Column(
        "Integrity",
        lambda finding: status.value if (status := worst(finding.integrity)) else None,
        status=True,
    ),
    Column("Integrity not passing", not_passing, wrap=True, width=28),
)

_INTEGRITY_COLUMNS: tuple[Column[IntegrityRow], ...] = (
    Column("Account", lambda row: row.finding.account_id, key=True),
    Column("Trail", lambda row: row.finding.trail_name, key=True, width=24),
    Column("Check", lambda row: row.check.check.value, width=20),
    Column("Status", lambda row: row.check.status.value, status=True),
    Column("Detail", lambda row: row.check.detail, wrap=True, width=60),
    Column("Bucket", lambda row: row.finding.bucket_name, width=30),
    Column("Trail ARN", lambda row: row.finding.trail_arn, width=30),
)


def integrity_sheet(ws: Worksheet, findings: tuple[Finding, ...]) -> None:
    """ "Integrity": one row per trail and check, FAIL, ERROR, WARN, then PASS."""
    write_table(ws, _INTEGRITY_COLUMNS, integrity_rows(findings))
