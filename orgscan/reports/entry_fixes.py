"""The plan's integrity and retro-lock entries as the page's "What to fix" and the workbook's
Remediation sheet show them: one line each (what it fixes, the script, how many steps), after
the bucket and trail fixes, in the plan's ranking (``orgscan.remediation.ranking``).

Bounded like the rest of the reports: at most ``MAX_ROWS`` lines, and how many more the
scripts and ``orgscan remediate`` hold."""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.worksheet.worksheet import Worksheet

from orgscan.model import IntegrityCode
from orgscan.remediation.plan_model import EntryKind, PlanEntry
from orgscan.remediation.planfile import REMEDIATION_DIR
from orgscan.reports import ReportInputs
from orgscan.reports.xlsx_cells import CellValue
from orgscan.reports.xlsx_sheet import append_note_rows
from orgscan.wording import plural

#: The most lines shown: one per (resource, check) and per bucket could run to thousands.
MAX_ROWS = 200
#: The entry kinds listed here; bucket and recording entries have sections of their own.
KINDS = (EntryKind.INTEGRITY, EntryKind.RETRO_LOCK)


@dataclass(frozen=True)
class EntryFix:
    """One integrity or retro-lock entry of the plan, in one line."""

    kind: str
    #: What it fixes: the check and its resource, or the bucket's files before the lock.
    fixes: str
    summary: str
    script: str | None
    steps: int

    @property
    def script_label(self) -> str:
        """The script cell's text: the script, or why there is none."""
        return self.script or "none: advice only, nothing to run"


@dataclass(frozen=True)
class EntryFixes:
    """The lines shown (at most ``MAX_ROWS``) and how many entries were left out."""

    rows: tuple[EntryFix, ...]
    more: int = 0


def entry_fixes(inputs: ReportInputs, limit: int = MAX_ROWS) -> EntryFixes:
    """The plan's integrity and retro-lock entries, ranked first (the plan's ranking), then
    those without steps in the plan's order; at most ``limit`` of them."""
    plan = inputs.remediation_plan
    ranked = [r.entry for r in inputs.ranked_plan if r.entry.kind in KINDS]
    seen = {id(entry) for entry in ranked}
    rest = [e for e in plan.entries if e.kind in KINDS and id(e) not in seen]
    ordered = ranked + rest
    return EntryFixes(tuple(_row(e) for e in ordered[:limit]), max(0, len(ordered) - limit))


def _row(entry: PlanEntry) -> EntryFix:
    if entry.kind is EntryKind.RETRO_LOCK:
        fixes = f"Log files before the lock in bucket {entry.bucket_name}"
    else:
        check = entry.check.value if entry.check is not None else "integrity"
        fixes = f"{check} of {_resource(entry)}"
    scripts = sorted({f"{REMEDIATION_DIR}/{step.account_id}.sh" for step in entry.steps})
    return EntryFix(
        kind=entry.kind.value,
        fixes=fixes,
        summary=entry.explanation,
        script=", ".join(scripts) or None,
        steps=len(entry.steps),
    )


def _resource(entry: PlanEntry) -> str:
    if entry.check is IntegrityCode.PUBLIC_ACCESS or not entry.findings:
        return f"bucket {entry.bucket_name}"
    if entry.check is IntegrityCode.KMS_KEY:
        return f"the key of trail {entry.findings[0]}"
    return f"trail {entry.findings[0]}"


def entry_fixes_below(ws: Worksheet, fixes: EntryFixes) -> None:
    """Below the Remediation table and the trail rows (outside the table's filter): one row
    per entry: kind, what it fixes, what to do, steps, script; then how many more when
    capped."""
    if not fixes.rows:
        return
    rows: list[tuple[CellValue | None, ...]] = [
        (fix.kind, fix.fixes, fix.summary, plural(fix.steps, "step"), fix.script_label)
        for fix in fixes.rows
    ]
    if fixes.more:
        rows.append((f"{fixes.more} more: see the scripts or orgscan remediate.",))
    append_note_rows(ws, "Integrity and files before the lock", rows)
