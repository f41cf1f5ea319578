"""The run-folder check of the commands that act on a run (``report``, ``remediate``,
``publish``): their ``--force`` option, and the warning a forced run prints and logs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from orgscan.cli.common import terminal_cell

if TYPE_CHECKING:
    from orgscan.model import ScanResult

log = logging.getLogger(__name__)

ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        metavar="",
        help="Use a run folder that has no manifest.json (a run that did not finish, or whose "
        "seal was removed), with a warning on stderr and in the output folder's orgscan.log. "
        "A run that does not match its manifest is refused all the same.",
    ),
]


def trusted_findings(
    run_dir: Path,
    *,
    purpose: str,
    recompute: bool = False,
    force: bool = False,
    rebuilt: frozenset[str] = frozenset(),
) -> ScanResult:
    """``run_dir``'s findings once ``orgscan.evidence.trust`` accepts the folder (its errors
    are mapped to exit codes by ``maps_input_errors``); a forced run is said on stderr and in
    the output folder's shared log before anything is done with it."""
    from orgscan.evidence.trust import trusted_run

    run = trusted_run(run_dir, purpose=purpose, recompute=recompute, force=force, rebuilt=rebuilt)
    if run.warning is not None:
        _log_shared(run_dir, run.warning)
        typer.echo(f"orgscan: warning: {terminal_cell(run.warning)}", err=True)
    return run.result


def _log_shared(run_dir: Path, message: str) -> None:
    """Write ``message`` as a warning into the output folder's ``orgscan.log`` (the run's own
    log is part of the run: it is never appended to after the scan)."""
    from orgscan.runs.logsetup import attach_shared_log, stop

    # Resolved: for `reports/latest` or `.`, the output folder is the real folder's parent.
    handler = attach_shared_log(run_dir.resolve())
    try:
        log.warning("%s", message)
    finally:
        stop(handler)
