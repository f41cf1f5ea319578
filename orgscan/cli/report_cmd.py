"""``orgscan report RUN_DIR``: re-render a run folder's reports from its ``findings.json``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orgscan.cli.common import fail, maps_input_errors
from orgscan.cli.exitcodes import ExitCode
from orgscan.cli.panels import examples

EPILOG = examples(
    "orgscan report reports/latest",
    "orgscan report reports/20261127T090411Z",
)


@maps_input_errors
def report(
    run_dir: Annotated[
        Path, typer.Argument(metavar="RUN_DIR", help="A run folder written by `orgscan scan`.")
    ],
) -> None:
    """Re-render every report of RUN_DIR from its findings.json.

    plan.json and diff.json are used too, when the run has them.
    """
    from orgscan.evidence.manifest import findings_match, sealed_files
    from orgscan.formats import FORMATS, OutputFormat
    from orgscan.reports import available_formats, format_names
    from orgscan.runs.output import load_report_inputs, rewrite_reports

    mismatch = findings_match(run_dir)
    if mismatch is not None:  # never render a tampered run into clean-looking reports
        raise fail(f"{run_dir}: {mismatch}; refusing to rebuild its reports", ExitCode.FINDINGS)
    inputs = load_report_inputs(run_dir)  # a bad folder or file is an InputError: exit 2
    names = [name for name in format_names() if name != "json"]
    formats = available_formats()
    # The exports are opt-in: rebuilt only where the run has them.
    names = [
        name
        for name in names
        if not FORMATS[OutputFormat(name)].opt_in or (run_dir / formats[name].filename).exists()
    ]
    sealed = sealed_files(run_dir)
    if sealed is not None:
        # A sealed run is rebuilt into the files it has: a report the scan did not write would
        # be a file its manifest does not list.
        names = [name for name in names if formats[name].filename in sealed]
    # A file that cannot be written (read-only folder, full disk) is exit 4, one line.
    for path in rewrite_reports(run_dir, inputs, names):
        typer.echo(str(path))
