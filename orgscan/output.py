"""Writing a finished scan into its run folder: findings, reports, scripts, diff, ``latest``."""

from __future__ import annotations

import logging
from pathlib import Path

from orgscan.diff import diff_against_previous, write_diff
from orgscan.model import ScanResult
from orgscan.remediation import RemediationSettings, write_remediation
from orgscan.reports import ReportInputs, write_reports
from orgscan.runfolder import update_latest

log = logging.getLogger(__name__)


def write_run(run_dir: Path, result: ScanResult, formats: tuple[str, ...],
              remediation: RemediationSettings | None = None) -> list[Path]:
    """Write every requested output of ``result`` into ``run_dir``, then point ``latest`` at it.

    ``findings.json`` is always written (first): it is the source every other file is rebuilt
    from. Each file is written atomically.
    """
    output_dir = run_dir.parent
    diff = diff_against_previous(output_dir, run_dir, result)
    inputs = ReportInputs(result=result)
    names = ["json", *(name for name in formats if name not in ("json", "scripts"))]
    written = write_reports(run_dir, inputs, names)
    if "scripts" in formats:
        written += write_remediation(run_dir, result, remediation or RemediationSettings())
    if diff is not None:
        written.append(write_diff(run_dir, diff))
    update_latest(output_dir, run_dir)
    log.info("wrote %d files into %s", len(written), run_dir)
    return written
