"""``remediation/guardrails/``: the generated SCPs and RCPs against a run's tamper paths, and
the script that attaches them from the management account (contract 5.3).

Applied by ``remediate --apply`` only with ``--guardrails`` (``guardrail_apply``): an SCP or
RCP changes what every account of the organization may do, which is a decision for its
owners, not a fix to one bucket.
"""

from __future__ import annotations

from pathlib import Path

from orgscan.files import AtomicBatch
from orgscan.model import ScanResult
from orgscan.tamper.guardrails import attach_commands, guardrails

GUARDRAILS_DIR = "remediation/guardrails"
ATTACH_SCRIPT = "attach.sh"


def write_guardrails(run_dir: Path, result: ScanResult) -> list[Path]:
    """Write the run's guardrail policies and their attach script; nothing when no open row
    can be guarded (or tamper paths were not assessed)."""
    policies = guardrails(result.weakeners or (), result.run.break_glass_principals or ())
    if not policies:
        return []
    folder = run_dir / GUARDRAILS_DIR
    written = []
    with AtomicBatch() as batch:  # synced together once all are written
        for policy in policies:
            path = folder / policy.name
            batch.write(path, policy.text + "\n", within=run_dir)
            written.append(path)
        script = folder / ATTACH_SCRIPT
        batch.write(
            script, attach_commands(policies, result.run.run_id), executable=True, within=run_dir
        )
    return [*written, script]
