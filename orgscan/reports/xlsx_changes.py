"""The workbook's Changes sheets: the accounts whose verdict changed since the previous run
(Account changes), the trails that did (Changes) and who can weaken them (Weakener changes),
each declared as its columns like the other table sheets (``xlsx_tables``), with a note below
an empty table saying why."""

from __future__ import annotations

from typing import TypeVar

from openpyxl.worksheet.worksheet import Worksheet

from orgscan.reports.changes import (
    AccountChangeRow,
    ChangeRow,
    ChangesSummary,
    WeakenerChangeRow,
)
from orgscan.reports.xlsx_cells import put
from orgscan.reports.xlsx_sheet import Column, write_table

_Row = TypeVar("_Row")

_CHANGE_COLUMNS: tuple[Column[ChangeRow], ...] = (
    Column("Class", lambda r: r.label),
    Column("Trail", lambda r: r.trail_name),
    Column("Account", lambda r: r.account_id),
    Column("Account name", lambda r: r.account_name),
    Column("Status before", lambda r: r.status_old, status=True),
    Column("Status now", lambda r: r.status_new, status=True),
    Column("Reason code before", lambda r: r.reason_code_old),
    Column("Reason code now", lambda r: r.reason_code_new),
    Column("What changed", lambda r: r.what_changed, wrap=True, width=36),
    Column("Excepted", lambda r: r.excepted),
    Column("Tamper before", lambda r: r.tamper_old, status=True),
    Column("Tamper now", lambda r: r.tamper_new, status=True),
    Column("Trail ARN", lambda r: r.trail_arn, width=36),
)

_WEAKENER_CHANGE_COLUMNS: tuple[Column[WeakenerChangeRow], ...] = (
    Column("Class", lambda r: r.label),
    Column("Principal", lambda r: r.principal_arn, width=36, key=True),
    Column("Action", lambda r: r.action, width=28),
    Column("Open", lambda r: r.open),
    Column("How", lambda r: r.how, wrap=True, width=36),
    Column("Target ARN", lambda r: r.target_arn, width=36),
    Column("Trail ARN", lambda r: r.trail_arn, width=36),
)

_ACCOUNT_CHANGE_COLUMNS: tuple[Column[AccountChangeRow], ...] = (
    Column("Class", lambda r: r.label),
    Column("Account", lambda r: r.account_id, key=True),
    Column("Account name", lambda r: r.account_name, key=True),
    Column("Verdict before", lambda r: r.verdict_old, status=True),
    Column("Verdict now", lambda r: r.verdict_new, status=True),
    Column("Verdict code before", lambda r: r.verdict_code_old),
    Column("Verdict code now", lambda r: r.verdict_code_new),
    Column("What changed", lambda r: r.what_changed, wrap=True, width=40),
)


def changes_sheet(ws: Worksheet, changes: ChangesSummary) -> None:
    """What changed since the previous run, one row per trail that changed."""
    _changes_table(ws, _CHANGE_COLUMNS, changes.rows, changes, "No trail changed")


def weakener_changes_sheet(ws: Worksheet, changes: ChangesSummary) -> None:
    """Who can weaken a trail since the previous run: one row per principal, action and target
    that is new, resolved, changed or not assessed (new rows open as things stand first)."""
    _changes_table(
        ws, _WEAKENER_CHANGE_COLUMNS, changes.weakener_rows, changes, "No weakener changed"
    )


def account_changes_sheet(ws: Worksheet, changes: ChangesSummary) -> None:
    """How the account verdicts changed since the previous run, one row per account that did
    not stay unchanged (the verdict is per account: these come before the trails)."""
    _changes_table(
        ws, _ACCOUNT_CHANGE_COLUMNS, changes.account_rows, changes, "No account verdict changed"
    )


def _changes_table(
    ws: Worksheet,
    columns: tuple[Column[_Row], ...],
    rows: tuple[_Row, ...],
    changes: ChangesSummary,
    nothing: str,
) -> None:
    write_table(ws, columns, rows)
    if not rows:
        # Below the (empty) table, outside its filter: why there is nothing to list.
        note = (
            "First run in this folder: there is no previous run to compare with."
            if changes.first_run
            else f"{nothing} since the previous run ({changes.previous_folder})."
        )
        put(ws.cell(row=3, column=1), note)
