"""``orgscan diff OLD_RUN_DIR NEW_RUN_DIR``: what changed between two runs, trail by trail."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from orgscan.cli.common import EXIT_FINDINGS, maps_input_errors, terminal_text
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
    old_run_dir: Annotated[Path, typer.Argument(
        metavar="OLD_RUN_DIR", help="The earlier run folder.")],
    new_run_dir: Annotated[Path, typer.Argument(
        metavar="NEW_RUN_DIR", help="The later run folder.")],
    json_output: Annotated[bool, typer.Option(
        "--json", metavar="", help="Print the diff.json document instead of a table.")] = False,
    fail_on_new: Annotated[bool, typer.Option(
        "--fail-on-new", metavar="",
        help="Exit 1 when a trail newly fails (and no exception covers it).",
    )] = False,
) -> None:
    """Classify every trail of two runs, from new failures to unchanged ones."""
    from orgscan.diff import DiffClass, diff_results, dumps_diff
    from orgscan.findings import load_run

    old = load_run(old_run_dir)  # FindingsFileError is an InputError: exit 2
    new = load_run(new_run_dir)
    # resolve() so that DIR/latest is reported as the run folder it points at.
    result = diff_results(old, new, old_folder=old_run_dir.resolve().name,
                          new_folder=new_run_dir.resolve().name)
    typer.echo(dumps_diff(result) if json_output else terminal_text(format_diff(result)),
               nl=not json_output)
    if fail_on_new and any(not entry.excepted for entry in result.of_class(DiffClass.NEW_FAILURE)):
        raise typer.Exit(EXIT_FINDINGS)


def format_diff(result: RunDiff) -> str:
    """The diff as a terminal table: both runs, the counts, then every trail that moved."""
    from orgscan.diff import DiffClass

    lines = [_run_line("old", result.old), _run_line("new", result.new),
             "  ".join(f"{cls.value} {count}" for cls, count in result.counts().items())]
    moved = [entry for entry in result.entries if entry.diff_class is not DiffClass.UNCHANGED]
    if not moved:
        return "\n".join([*lines, "", "no trail changed"])
    rows = [("CLASS", "ACCOUNT", "TRAIL", "STATUS", "WHAT CHANGED")]
    for entry in moved:
        status = f"{entry.status_old or '-'} → {entry.status_new or '-'}"
        detail = entry.describe() + (" [excepted]" if entry.excepted else "")
        rows.append((entry.diff_class.value, entry.account_id, entry.trail_name, status, detail))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    table = ["  ".join([*(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)),
                        row[4]]).rstrip() for row in rows]
    return "\n".join([*lines, "", *table])


def _run_line(side: str, ref: RunRef) -> str:
    return f"{side}: {ref.folder or '?'} (started {ref.started_at})"
