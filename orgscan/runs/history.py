"""Run history: the run folders of an output folder, newest first, with their counts and coverage.

A run folder is a directory directly below the output folder whose name is a run timestamp
(``20261127T090411Z``, or ``…Z-2`` for a second run in the same second; see
``orgscan.runs.folder``). Anything else there — the ``latest`` pointer, the shared log, a folder a
person dropped in — is not a run and is ignored. A run folder whose ``findings.json`` cannot be
read (a hand-edited file, a number no run writes) is skipped and reported as such, so the
listing never hides that a run is missing. A run folder is complete only when its
``manifest.json`` (written last) exists: a folder a crash, an interruption or a failed write left
behind is listed as unfinished, whatever its findings say — and so is one that has neither
(the run was killed, or is still running, before its findings were written).

Order is by the start time each run recorded, then by folder name (see
``orgscan.runs.folder.start_order``); the previous run a new run is compared with is the newest
that started before it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from orgscan.diff import RunDiff, diff_results
from orgscan.errors import InputError
from orgscan.findings import FINDINGS_FILE, FindingsFileError, load_run
from orgscan.model import ScanResult, Status
from orgscan.runs.folder import (
    is_complete,
    is_run_folder_name,
    parse_started_at,
    recorded_start,
    resolve_latest,
    run_sort_key,
    start_order,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSummary:
    """One line of the history: a run folder and what it found.

    ``complete`` is the run's coverage (``run.complete``); ``folder_complete`` says that the
    run folder was written to the end (its manifest exists). ``accounts_planned`` counts the
    ``accounts[]`` rows of the run, ``accounts_scanned`` those scanned successfully. A run
    folder without ``findings.json`` (killed or still running) has no start, no counts
    (None) and is neither complete nor finished.
    """

    folder: str
    started_at: str | None
    finished_at: str | None
    complete: bool
    passed: int | None
    warned: int | None
    failed: int | None
    errored: int | None
    accounts_scanned: int | None
    accounts_planned: int | None
    latest: bool
    folder_complete: bool
    #: ``full``, or ``incremental`` with the run it updates in ``based_on``.
    kind: str = "full"
    based_on: str | None = None


@dataclass(frozen=True)
class SkippedRun:
    """A run folder whose ``findings.json`` could not be read, and why."""

    folder: str
    problem: str


@dataclass(frozen=True)
class RunHistory:
    """The runs of one output folder, newest first, and the run folders that were skipped."""

    output_dir: Path
    runs: tuple[RunSummary, ...]
    skipped: tuple[SkippedRun, ...]


def run_folders(output_dir: Path) -> list[Path]:
    """The run folders directly below ``output_dir``, newest first (``latest`` excluded)."""
    if not output_dir.is_dir():
        problem = "not a directory" if output_dir.exists() else "no such directory"
        raise InputError(f"{output_dir}: not an output folder ({problem})")
    folders = [
        path
        for path in output_dir.iterdir()
        if is_run_folder_name(path.name) and path.is_dir() and not path.is_symlink()
    ]
    return sorted(folders, key=lambda path: run_sort_key(path.name), reverse=True)


def loaded_runs(folders: list[Path]) -> Iterator[tuple[Path, ScanResult | FindingsFileError]]:
    """Each folder with its ``ScanResult``, or the error that made it unreadable, lazily."""
    for folder in folders:
        try:
            yield folder, load_run(folder)
        except FindingsFileError as exc:
            yield folder, exc


def summarise(
    folder: str, result: ScanResult, *, latest: bool, folder_complete: bool = True
) -> RunSummary:
    """The history line of one run."""
    statuses = [finding.status for finding in result.findings]
    return RunSummary(
        folder=folder,
        started_at=result.run.started_at,
        finished_at=result.run.finished_at,
        complete=result.run.complete,
        passed=statuses.count(Status.PASS),
        warned=statuses.count(Status.WARN),
        failed=statuses.count(Status.FAIL),
        errored=statuses.count(Status.ERROR),
        accounts_scanned=sum(1 for account in result.accounts if account.scanned),
        accounts_planned=len(result.accounts),
        latest=latest,
        folder_complete=folder_complete,
        kind=result.run.kind.value,
        based_on=result.run.based_on,
    )


def _without_findings(folder: str) -> RunSummary:
    return RunSummary(
        folder=folder,
        started_at=None,
        finished_at=None,
        complete=False,
        passed=None,
        warned=None,
        failed=None,
        errored=None,
        accounts_scanned=None,
        accounts_planned=None,
        latest=False,
        folder_complete=False,
    )


def list_runs(output_dir: Path) -> RunHistory:
    """The history of ``output_dir``, newest start first; raise ``InputError`` when it is not
    a directory."""
    latest = resolve_latest(output_dir) if output_dir.is_dir() else None
    latest_name = latest.name if latest is not None else None
    runs: list[RunSummary] = []
    skipped: list[SkippedRun] = []
    for folder, loaded in loaded_runs(run_folders(output_dir)):
        if not isinstance(loaded, FindingsFileError):
            runs.append(
                summarise(
                    folder.name,
                    loaded,
                    latest=folder.name == latest_name,
                    folder_complete=is_complete(folder),
                )
            )
        elif not is_complete(folder) and not (folder / FINDINGS_FILE).exists():
            runs.append(_without_findings(folder.name))
        else:
            skipped.append(SkippedRun(folder=folder.name, problem=str(loaded)))
    runs.sort(key=lambda run: start_order(run.folder, parse_started_at(run.started_at)))
    return RunHistory(output_dir=output_dir, runs=tuple(reversed(runs)), skipped=tuple(skipped))


def history_to_dict(history: RunHistory) -> dict[str, object]:
    """The history as plain JSON types (``orgscan history --json``)."""
    return {
        "output_dir": str(history.output_dir),
        "runs": [asdict(run) for run in history.runs],
        "skipped": [asdict(skip) for skip in history.skipped],
    }


def diff_against_previous(
    output_dir: Path, new_run_dir: Path, new_result: ScanResult
) -> RunDiff | None:
    """The diff from the previous readable run of ``output_dir`` to the new one, or None.

    An incremental run is compared with the run it is based on, whatever ran in between.
    Otherwise the previous run is the one with the latest recorded start before the new run's (a run
    that started later, concurrently or by a wrong clock, is not "previous"), other than
    ``new_run_dir``, whose ``findings.json`` loads. An unreadable one (a crash, a hand-edited
    file, a number no run writes) is passed over with a warning: an old folder is never the
    new run's failure.
    """
    base = new_result.run.based_on
    if base is not None and is_run_folder_name(base) and (output_dir / base).is_dir():
        for folder, loaded in loaded_runs([output_dir / base]):
            if not isinstance(loaded, FindingsFileError):
                return diff_results(
                    loaded, new_result, old_folder=folder.name, new_folder=new_run_dir.name
                )
    newest = start_order(new_run_dir.name, parse_started_at(new_result.run.started_at))
    started = {
        folder: start_order(folder.name, recorded_start(folder))
        for folder in run_folders(output_dir)
        # A folder without findings is a run killed or still running, not one to compare.
        if folder.name != new_run_dir.name and (folder / FINDINGS_FILE).exists()
    }
    earlier = sorted(
        (folder for folder, start in started.items() if start < newest),
        key=started.__getitem__,
        reverse=True,
    )
    for folder, loaded in loaded_runs(earlier):
        if isinstance(loaded, FindingsFileError):
            log.warning("previous run %s skipped, it cannot be read: %s", folder.name, loaded)
            continue
        return diff_results(loaded, new_result, old_folder=folder.name, new_folder=new_run_dir.name)
    return None
