"""``orgscan history OUTPUT_DIR``: the runs of an output folder, newest first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from orgscan.cli.common import maps_input_errors, terminal_cell
from orgscan.cli.panels import examples

if TYPE_CHECKING:
    from orgscan.runs.history import RunHistory, RunSummary

EPILOG = examples(
    "orgscan history reports/",
    "orgscan history reports/ --json",
)


@maps_input_errors
def history(
    output_dir: Annotated[
        Path, typer.Argument(metavar="OUTPUT_DIR", help="An output folder of `orgscan scan`.")
    ],
    json_output: Annotated[
        bool,
        typer.Option("--json", metavar="", help="Print the history as JSON instead of a table."),
    ] = False,
) -> None:
    """List the run folders of OUTPUT_DIR with their counts and coverage, newest first."""
    from orgscan.errors import InputError
    from orgscan.runs.folder import is_run_folder_name
    from orgscan.runs.history import history_to_dict, list_runs

    # resolve(): OUTPUT_DIR/latest is the latest run folder, not an output folder.
    resolved = output_dir.resolve()
    if is_run_folder_name(resolved.name) or (resolved / "findings.json").is_file():
        raise InputError(
            f"{output_dir} is a run folder; its runs are listed by "
            f"`orgscan history {output_dir.resolve().parent}`"
        )
    runs = list_runs(output_dir)  # InputError when OUTPUT_DIR is not a folder: exit 2
    if json_output:
        typer.echo(json.dumps(history_to_dict(runs), indent=2, ensure_ascii=False))
        return
    typer.echo(format_history(runs))
    for skipped in runs.skipped:
        typer.echo(terminal_cell(f"skipped {skipped.folder}: {skipped.problem}"), err=True)


def format_history(runs: RunHistory) -> str:
    """The history as a terminal table; the latest run is marked. COVERAGE is the coverage of
    a run folder written to the end, ``complete`` or ``incomplete`` (accounts or regions that
    could not be scanned), and ``unfinished`` when the folder was never finished (no manifest:
    a crash, an interruption, a failed write); a folder without findings shows ``-`` for what
    it never recorded. Text from the files is shown with its control characters escaped."""
    if not runs.runs:
        return f"no readable runs in {terminal_cell(str(runs.output_dir))}"
    rows: list[tuple[str, ...]] = [
        ("RUN", "STARTED", "COVERAGE", "PASS", "WARN", "FAIL", "ERROR", "ACCOUNTS", "")
    ]
    for run in runs.runs:
        counts = (run.passed, run.warned, run.failed, run.errored)
        accounts = (
            "-"
            if run.accounts_planned is None
            else f"{run.accounts_scanned}/{run.accounts_planned}"
        )
        rows.append(
            (
                run.folder,
                "-" if run.started_at is None else terminal_cell(run.started_at),
                (
                    ("complete" if run.complete else "incomplete")
                    if run.folder_complete
                    else "unfinished"
                ),
                *("-" if count is None else str(count) for count in counts),
                accounts,
                _notes(run),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _notes(run: RunSummary) -> str:
    """``latest`` and, for an incremental run, the run it updates: an incremental run must
    never pass for a full scan."""
    notes = ["latest"] if run.latest else []
    if run.kind == "incremental":
        notes.append(f"incremental, based on {terminal_cell(run.based_on or '(unknown)')}")
    return "; ".join(notes)
