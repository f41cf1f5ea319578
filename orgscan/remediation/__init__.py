"""Remediation: a plan per bucket (``plan``), bash scripts per account (``scripts``), and a
boto3 executor (``apply``). ``write_remediation`` writes the plan and scripts into a run folder.
"""

from __future__ import annotations

from pathlib import Path

from orgscan.files import AtomicBatch
from orgscan.jsonstream import utf8
from orgscan.model import ScanResult
from orgscan.remediation.plan import build_plan
from orgscan.remediation.plan_model import (
    Check,
    Plan,
    PlanEntry,
    RemediationSettings,
    Retention,
    Service,
    Step,
    Strategy,
)

__all__ = [
    "Check",
    "Plan",
    "PlanEntry",
    "RemediationSettings",
    "Retention",
    "Service",
    "Step",
    "Strategy",
    "build_plan",
    "write_plan_files",
    "write_remediation",
]


def write_remediation(
    run_dir: Path, result: ScanResult, settings: RemediationSettings
) -> list[Path]:
    """Build the plan of ``result`` and write ``remediation/plan.json`` and one script per
    account that must change something into ``run_dir``; return the written paths.

    Raises ``InputError`` when ``settings`` contradict the run's policy.
    """
    return write_plan_files(run_dir, build_plan(result, settings))


def write_plan_files(run_dir: Path, plan: Plan) -> list[Path]:
    """Write ``plan`` and its scripts into ``run_dir/remediation/`` atomically."""
    # Imported here: the plan file reader needs pandas and the scripts jinja2, and the
    # command line imports this package (for ``Strategy``) before it knows the command.
    from orgscan.remediation.planfile import PLAN_FILE, REMEDIATION_DIR, iter_dumps
    from orgscan.remediation.scripts import render_script

    folder = run_dir / REMEDIATION_DIR
    plan_path = folder / PLAN_FILE
    written = [plan_path]
    # One batch: the files are synced together once all are written (one script per account).
    with AtomicBatch() as batch:
        batch.write(plan_path, utf8(iter_dumps(plan)), within=run_dir)
        for account_id in plan.accounts_with_steps():
            path = folder / f"{account_id}.sh"
            # Executable by its owner only: a script names accounts and buckets, like the rest.
            batch.write(path, render_script(plan, account_id), executable=True, within=run_dir)
            written.append(path)
    return written
