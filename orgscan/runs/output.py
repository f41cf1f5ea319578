"""Writing a finished scan into its run folder: findings, reports, scripts, diff, ``latest``.

Whatever stops the writing — a full disk, a read-only folder, a directory where a report goes —
is an ``EvidenceWriteError`` (exit 4) naming the file, never a traceback: the folder stays
without its manifest (incomplete) and ``latest`` keeps naming the previous run.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from orgscan.diff import load_diff, write_diff
from orgscan.files import write_failure
from orgscan.findings import load_run
from orgscan.formats import FORMATS, Files, FormatEntry, OutputFormat, Writer, write_reports
from orgscan.model import ScanResult
from orgscan.remediation import RemediationSettings, build_plan
from orgscan.remediation.planfile import PLAN_FILE, REMEDIATION_DIR, load_plan
from orgscan.reports import ReportInputs
from orgscan.runs.folder import update_latest
from orgscan.runs.history import diff_against_previous

log = logging.getLogger(__name__)


def _writer(fmt: OutputFormat, entry: FormatEntry) -> Writer:
    if isinstance(entry.output, Files):
        return entry.output.write

    def write(run_dir: Path, inputs: ReportInputs) -> list[Path]:
        return write_reports(run_dir, inputs, [fmt.value])

    return write


#: What writes each ``--format``, read from the format registry (``orgscan.formats``).
WRITERS: Mapping[OutputFormat, Writer] = {
    fmt: _writer(fmt, entry) for fmt, entry in FORMATS.items()
}
# Written before the others: findings.json is the source of everything else; the scripts
# come from the plan, which the other reports show too.
_FIRST = (OutputFormat.JSON, OutputFormat.SCRIPTS)


def write_run(
    run_dir: Path,
    result: ScanResult,
    formats: Iterable[OutputFormat | str],
    remediation: RemediationSettings | None = None,
) -> list[Path]:
    """Write every requested output of ``result`` into ``run_dir``.

    ``findings.json`` is written first: it is the source every other file is rebuilt from.
    The remediation plan and the diff against the previous run feed the reports too. Each file
    is written atomically. ``EvidenceWriteError`` when a file cannot be written. ``latest`` is
    not moved here: ``mark_latest`` does it once the folder is sealed.
    """
    requested = [OutputFormat(name) for name in formats]  # ValueError for an unknown name
    try:
        with _result_left_out_of_collections():
            return _write_run(run_dir, result, requested, remediation)
    except OSError as exc:
        raise write_failure(exc, "the run folder is incomplete", run_dir) from None


#: Allocations between two young-generation collections while the run folder is written
#: (Python's default: 700), and how rarely the older generations follow.
_WRITE_THRESHOLDS = (50_000, 50, 1000)


@contextlib.contextmanager
def _result_left_out_of_collections() -> Iterator[None]:
    # The reports make millions of short-lived objects beside the scan result's millions of
    # long-lived ones, and each full collection walked them all: at 10,000 accounts 3.5 s of
    # a 16.5 s write phase. Frozen, what exists now is left out of every collection; with
    # rarer collections, what the reports keep for a while (the plan, its ranking) is not
    # walked again and again either (frozen alone: 2 to 3 s more at 10,000 accounts), while
    # the cycles the reports make are still collected (with the collector off they piled up
    # until the end: 20 MB more at the peak of 3,000 accounts).
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*_WRITE_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _write_run(
    run_dir: Path,
    result: ScanResult,
    requested: list[OutputFormat],
    remediation: RemediationSettings | None,
) -> list[Path]:
    output_dir = run_dir.parent
    written = WRITERS[OutputFormat.JSON](run_dir, ReportInputs(result=result))
    plan = build_plan(result, remediation or RemediationSettings())
    if OutputFormat.SCRIPTS in requested:
        written += WRITERS[OutputFormat.SCRIPTS](run_dir, ReportInputs(result=result, plan=plan))
    diff = diff_against_previous(output_dir, run_dir, result)
    if diff is not None:
        written.append(write_diff(run_dir, diff))
    inputs = ReportInputs(result=result, plan=plan, diff=diff)
    for fmt in requested:
        if fmt not in _FIRST:
            written += WRITERS[fmt](run_dir, inputs)
    log.info("wrote %d files into %s", len(written), run_dir)
    return written


def mark_latest(run_dir: Path) -> None:
    """Point the output folder's ``latest`` at ``run_dir``, unless a run that started later is
    there. Call it only once ``run_dir`` is sealed (its manifest written): ``latest`` must never
    name an incomplete folder. ``EvidenceWriteError`` when ``latest`` cannot be written."""
    try:
        moved = update_latest(run_dir.parent, run_dir)
    except OSError as exc:
        raise write_failure(exc, "latest was not moved", run_dir) from None
    if not moved:
        log.info("latest not moved: a run that started later is already there")


def rewrite_reports(run_dir: Path, inputs: ReportInputs, names: list[str]) -> list[Path]:
    """Write the reports ``names`` of ``inputs`` into ``run_dir`` again (``orgscan report``);
    ``EvidenceWriteError`` when one cannot be written (the others stay whole)."""
    try:
        return write_reports(run_dir, inputs, names)
    except OSError as exc:
        raise write_failure(exc, "reports already there are unchanged", run_dir) from None


def load_report_inputs(run_dir: Path) -> ReportInputs:
    """Everything the reports of ``run_dir`` show, read back from its files.

    ``findings.json`` must be there and valid; ``remediation/plan.json`` and ``diff.json`` are
    used when present (a run written with ``--format`` leaving out scripts has no plan file, and
    the plan is then rebuilt with default settings). Raises ``InputError`` for a bad folder.
    """
    result = load_run(run_dir)
    plan_path = run_dir / REMEDIATION_DIR / PLAN_FILE
    plan = load_plan(plan_path) if plan_path.exists() else build_plan(result, RemediationSettings())
    return ReportInputs(result=result, plan=plan, diff=load_diff(run_dir))
