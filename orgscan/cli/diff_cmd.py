"""``orgscan diff OLD_RUN_DIR NEW_RUN_DIR``: what changed between two runs, trail by trail."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from orgscan.cli.common import maps_input_errors, terminal_cell
from orgscan.cli.exitcodes import ExitCode
from orgscan.cli.panels import examples

if TYPE_CHECKING:
    from orgscan.diff import RunDiff, RunRef

EPILOG = examples(
    "orgscan diff reports/20261120T020000Z reports/latest",
    "orgscan diff reports/20261120T020000Z reports/latest --json > diff.json",
    "orgscan diff OLD NEW --fail-on-new   (exit 1 on a new failure)",
)


@maps_input_errors
def diff(
    old_run_dir: Annotated[
        Path, typer.Argument(metavar="OLD_RUN_DIR", help="The earlier run folder.")
    ],
    new_run_dir: Annotated[
        Path, typer.Argument(metavar="NEW_RUN_DIR", help="The later run folder.")
    ],
    json_output: Annotated[
        bool,
        typer.Option("--json", metavar="", help="Print the diff.json document instead of a table."),
    ] = False,
    fail_on_new: Annotated[
        bool,
        typer.Option(
            "--fail-on-new",
            metavar="",
            help="Exit 1 when a trail (no exception covering it) or an account verdict newly "
            "fails.",
        ),
    ] = False,
) -> None:
    """Classify every trail of two runs, from new failures to unchanged ones."""
    from orgscan.diff import DiffClass, diff_results, dumps_diff
    from orgscan.findings import load_run

    old = load_run(old_run_dir)  # FindingsFileError is an InputError: exit 2
    new = load_run(new_run_dir)
    # resolve() so that DIR/latest is reported as the run folder it points at.
    result = diff_results(
        old, new, old_folder=old_run_dir.resolve().name, new_folder=new_run_dir.resolve().name
    )
    typer.echo(dumps_diff(result) if json_output else format_diff(result), nl=not json_output)
    new_accounts = [a for a in result.accounts if a.diff_class is DiffClass.NEW_FAILURE]
    if fail_on_new and (
        new_accounts or any(not entry.excepted for entry in result.of_class(DiffClass.NEW_FAILURE))
    ):
        raise typer.Exit(ExitCode.FINDINGS)


def format_diff(result: RunDiff) -> str:
    """The diff as a terminal table: both runs, the counts, then every trail that moved.

    Every value from the runs' files is one cell with its control characters escaped: a name
    holding a newline cannot forge a row (say, a "resolved FAIL → PASS" one)."""
    from orgscan.diff import DiffClass

    lines = [
        _run_line("old", result.old),
        _run_line("new", result.new),
        "  ".join(f"{cls.value} {count}" for cls, count in result.counts().items()),
    ]
    moved = [
        entry
        for entry in result.entries
        if entry.diff_class is not DiffClass.UNCHANGED or entry.tamper_moved
    ]
    accounts = [*_account_table(result), *_weakener_table(result)]
    if not moved:
        return "\n".join([*lines, "", "no trail changed", *accounts])
    rows = [("CLASS", "ACCOUNT", "TRAIL", "STATUS", "WHAT CHANGED")]
    for entry in moved:
        status = f"{entry.status_old or '-'} → {entry.status_new or '-'}"
        detail = terminal_cell(entry.describe()) + (" [excepted]" if entry.excepted else "")
        rows.append(
            (
                entry.diff_class.value,
                terminal_cell(entry.account_id),
                terminal_cell(entry.trail_name),
                status,
                detail,
            )
        )
    return "\n".join([*lines, "", *_aligned(rows), *accounts])


def _account_table(result: RunDiff) -> list[str]:
    """The accounts whose verdict moved, as a second table (nothing when none did)."""
    from orgscan.diff import DiffClass

    moved = [entry for entry in result.accounts if entry.diff_class is not DiffClass.UNCHANGED]
    if not moved:
        return []
    rows = [("CLASS", "ACCOUNT", "VERDICT", "CODE")]
    for entry in moved:
        codes = f"{entry.verdict_code_old or '-'} → {entry.verdict_code_new or '-'}"
        rows.append(
            (
                entry.diff_class.value,
                terminal_cell(entry.account_id),
                f"{entry.verdict_old or '-'} → {entry.verdict_new or '-'}",
                terminal_cell(codes),
            )
        )
    return ["", "account verdicts:", *_aligned(rows)]


def _weakener_table(result: RunDiff) -> list[str]:
    """Who can weaken a trail, when a run assessed it: the counts, then every row that is not
    unchanged (new rows first, those open as things stand before the others)."""
    from orgscan.diff.weakeners import WeakenerClass, weakener_counts

    if not result.weakeners:
        return []
    counts = weakener_counts(result.weakeners)
    lines = ["", "weakeners: " + "  ".join(f"{cls.value} {n}" for cls, n in counts.items())]
    moved = [e for e in result.weakeners if e.diff_class is not WeakenerClass.UNCHANGED]
    rows = [("CLASS", "TRAIL", "PRINCIPAL", "ACTION", "HOW")]
    rows += [
        (
            entry.diff_class.value,
            terminal_cell(entry.row.trail_arn),
            terminal_cell(entry.row.principal_arn),
            terminal_cell(entry.row.action),
            terminal_cell(entry.describe()),
        )
        for entry in moved
    ]
    if len(rows) == 1:
        return lines
    return [*lines, *_aligned(rows)]


def _aligned(rows: Sequence[tuple[str, ...]]) -> list[str]:
    """The rows as columns two spaces apart; the last column, free text, is not padded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)), row[-1]]
        ).rstrip()
        for row in rows
    ]


def _run_line(side: str, ref: RunRef) -> str:
    return f"{side}: {terminal_cell(ref.folder or '?')} (started {terminal_cell(ref.started_at)})"
