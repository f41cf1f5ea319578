"""``orgscan verify RUN_DIR``: is the run folder what the scan wrote?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orgscan.cli.common import EXIT_FINDINGS, EXIT_OK, maps_input_errors, terminal_text
from orgscan.evidence.manifest import MANIFEST_FILE, verify_folder


@maps_input_errors
def verify(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `orgscan scan`.")],
) -> None:
    """Check RUN_DIR against its manifest.json: exit 0 when every file is intact, 1 naming
    every file changed, missing or added, 2 when RUN_DIR is not a run folder."""
    outcome = verify_folder(run_dir)  # not a run folder, or a bad manifest: exit 2
    if not outcome.intact:
        for label, names in (("changed", outcome.changed), ("missing", outcome.missing),
                             ("added", outcome.added)):
            for name in names:
                detail = outcome.details.get(name)
                typer.echo(terminal_text(f"{label}: {name}" + (f" ({detail})" if detail else "")))
        problems = len(outcome.changed) + len(outcome.missing) + len(outcome.added)
        typer.echo(terminal_text(f"{run_dir}: NOT intact: {problems} file(s) differ from "
                                 f"{MANIFEST_FILE} (run {outcome.run_id})"), err=True)
        raise typer.Exit(EXIT_FINDINGS)
    message = f"{run_dir}: intact: {outcome.checked} files match {MANIFEST_FILE} " \
              f"(run {outcome.run_id})"
    typer.echo(terminal_text(message))
    raise typer.Exit(EXIT_OK)
