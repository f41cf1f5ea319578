"""``orgscan report RUN_DIR``: re-render a run folder's reports from its ``findings.json``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orgscan.cli.common import maps_input_errors
from orgscan.cli.panels import examples

EPILOG = examples(
    "orgscan report reports/latest",
    "orgscan report reports/20261127T090411Z",
)


@maps_input_errors
def report(
    run_dir: Annotated[Path, typer.Argument(
        metavar="RUN_DIR", help="A run folder written by `orgscan scan`.")],
) -> None:
    """Re-render every report of RUN_DIR from its findings.json.

    plan.json and diff.json are used too, when the run has them.
    """
    from orgscan.reports import format_names
    from orgscan.runs.output import load_report_inputs, rewrite_reports

    inputs = load_report_inputs(run_dir)  # a bad folder or file is an InputError: exit 2
    names = [name for name in format_names() if name != "json"]
    # A file that cannot be written (read-only folder, full disk) is exit 4, one line.
    for path in rewrite_reports(run_dir, inputs, names):
        typer.echo(str(path))
