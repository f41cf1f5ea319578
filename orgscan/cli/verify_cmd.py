"""``orgscan verify RUN_DIR``: is the run folder what the scan wrote?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orgscan.cli.common import maps_input_errors, terminal_text
from orgscan.cli.exitcodes import ExitCode
from orgscan.cli.panels import examples
from orgscan.wording import plural

EPILOG = examples(
    "orgscan verify reports/latest",
    "orgscan verify --recompute reports/20261127T090411Z",
)


@maps_input_errors
def verify(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `orgscan scan`.")],
    recompute: Annotated[
        bool,
        typer.Option(
            "--recompute",
            metavar="",  # a flag: typer would print <bool>
            help="Also re-derive every finding from the recorded AWS responses "
            "(evidence/api-responses.jsonl.gz) and compare.",
        ),
    ] = False,
) -> None:
    """Check RUN_DIR against its manifest.json: exit 0 when every file is intact, 1 naming
    every file changed, missing or added, 2 when RUN_DIR is not a run folder."""
    from orgscan.evidence.manifest import verify_folder
    from orgscan.runs.folder import MANIFEST_FILE

    outcome = verify_folder(run_dir)  # not a run folder, or a bad manifest: exit 2
    if not outcome.intact:
        from orgscan.remediation.planfile import is_apply_record

        for label, names in (
            ("changed", outcome.changed),
            ("missing", outcome.missing),
            ("added", outcome.added),
        ):
            for name in names:
                detail = outcome.details.get(name)
                if label == "added" and is_apply_record(name):
                    # Still not evidence of the run (nothing sealed it), but not tampering.
                    detail = (
                        "a remediation record written by `orgscan remediate --apply` "
                        "after the run was sealed"
                    )
                typer.echo(terminal_text(f"{label}: {name}" + (f" ({detail})" if detail else "")))
        problems = len(outcome.changed) + len(outcome.missing) + len(outcome.added)
        typer.echo(
            terminal_text(
                f"{run_dir}: NOT intact: {plural(problems, 'file')} differ from "
                f"{MANIFEST_FILE} (run {outcome.run_id})"
            ),
            err=True,
        )
        raise typer.Exit(ExitCode.FINDINGS)
    message = (
        f"{run_dir}: intact: {plural(outcome.checked, 'file')} match {MANIFEST_FILE} "
        f"(run {outcome.run_id})"
    )
    if recompute:
        from orgscan.evidence.recompute import recompute as recompute_evidence

        recomputation = recompute_evidence(run_dir)
        differences = recomputation.differences
        if recomputation.note is not None:
            typer.echo(terminal_text(f"{run_dir}: {recomputation.note}"), err=True)
        if differences:
            for line in differences:
                typer.echo(terminal_text(line))
            typer.echo(
                terminal_text(
                    f"{run_dir}: findings.json differs from the recorded "
                    f"evidence in {plural(len(differences), 'place')}"
                ),
                err=True,
            )
            raise typer.Exit(ExitCode.FINDINGS)
        message += "; every finding re-derived from the recorded AWS responses"
    typer.echo(terminal_text(message))
    raise typer.Exit(ExitCode.OK)
