"""``orgscan report RUN_DIR``: re-render a run folder's reports from its ``findings.json``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orgscan.cli.common import maps_input_errors
from orgscan.cli.panels import examples
from orgscan.cli.runcheck import ForceOpt, trusted_findings

EPILOG = examples(
    "orgscan report reports/latest",
    "orgscan report reports/20261127T090411Z",
)


@maps_input_errors
def report(
    run_dir: Annotated[
        Path, typer.Argument(metavar="RUN_DIR", help="A run folder written by `orgscan scan`.")
    ],
    force: ForceOpt = False,
) -> None:
    """Re-render every report of RUN_DIR from its findings.json.

    plan.json and diff.json are used too, when the run has them. A run that does not match its
    manifest.json is refused (exit 1, nothing rewritten); a missing report is written back.
    """
    from orgscan.evidence.manifest import sealed_files
    from orgscan.formats import FORMATS, OutputFormat, available_formats, format_names
    from orgscan.runs.output import load_report_inputs, rewrite_reports

    names = [name for name in format_names() if name != "json"]
    formats = available_formats()
    sealed = sealed_files(run_dir)
    if sealed is not None:
        # A sealed run is rebuilt into the files the scan wrote: a report it did not write
        # would be a file its manifest does not list.
        names = [name for name in names if formats[name].filename in sealed]
    else:  # the exports are opt-in: rebuilt only where the run has them
        names = [
            name
            for name in names
            if not FORMATS[OutputFormat(name)].opt_in or (run_dir / formats[name].filename).exists()
        ]
    # Never render a tampered run into clean-looking reports. The reports about to be written
    # may be missing: they come back byte for byte from the sealed inputs.
    trusted_findings(
        run_dir,
        purpose="rebuild its reports",
        force=force,
        rebuilt=frozenset(formats[name].filename for name in names),
    )
    inputs = load_report_inputs(run_dir)  # a bad folder or file is an InputError: exit 2
    # A file that cannot be written (read-only folder, full disk) is exit 4, one line.
    for path in rewrite_reports(run_dir, inputs, names):
        typer.echo(str(path))
