"""Writing a finished scan into its run folder: findings, reports, scripts, diff, ``latest``."""

from __future__ import annotations

import logging
from pathlib import Path

from orgscan.diff import load_diff, write_diff
from orgscan.findings import load_run
from orgscan.model import ScanResult
from orgscan.remediation import RemediationSettings, build_plan, write_plan_files
from orgscan.remediation.planfile import PLAN_FILE, REMEDIATION_DIR, load_plan
from orgscan.reports import ReportInputs, write_reports
from orgscan.runs.folder import update_latest
from orgscan.runs.history import diff_against_previous

log = logging.getLogger(__name__)


def write_run(run_dir: Path, result: ScanResult, formats: tuple[str, ...],
              remediation: RemediationSettings | None = None) -> list[Path]:
    """Write every requested output of ``result`` into ``run_dir``, then point ``latest`` at it.

    ``findings.json`` is written first: it is the source every other file is rebuilt from.
    The remediation plan and the diff against the previous run feed the reports too. Each file
    is written atomically.
    """
    output_dir = run_dir.parent
    written = write_reports(run_dir, ReportInputs(result=result), ["json"])
    plan = build_plan(result, remediation or RemediationSettings())
    if "scripts" in formats:
        written += write_plan_files(run_dir, plan)
    diff = diff_against_previous(output_dir, run_dir, result)
    if diff is not None:
        written.append(write_diff(run_dir, diff))
    names = [name for name in formats if name not in ("json", "scripts")]
    written += write_reports(run_dir, ReportInputs(result=result, plan=plan, diff=diff), names)
    update_latest(output_dir, run_dir)
    log.info("wrote %d files into %s", len(written), run_dir)
    return written


def load_report_inputs(run_dir: Path) -> ReportInputs:
    """Everything the reports of ``run_dir`` show, read back from its files.

    ``findings.json`` must be there and valid; ``remediation/plan.json`` and ``diff.json`` are
    used when present (a run written with ``--format`` leaving out scripts has no plan file, and
    the plan is then rebuilt with default settings). Raises ``InputError`` for a bad folder.
    """
    result = load_run(run_dir)
    plan_path = run_dir / REMEDIATION_DIR / PLAN_FILE
    plan = load_plan(plan_path) if plan_path.exists() else build_plan(
        result, RemediationSettings())
    return ReportInputs(result=result, plan=plan, diff=load_diff(run_dir))
