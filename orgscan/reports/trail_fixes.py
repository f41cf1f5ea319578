"""What to fix per trail that leaves accounts unrecorded: the plan's ``recording`` entries as
the page's and the workbook's remediation sections show them, beside the per-bucket rows
(``trail_fixes``), and their rows below the workbook's Remediation table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from openpyxl.worksheet.worksheet import Worksheet

from orgscan.remediation.plan_model import EntryKind
from orgscan.remediation.planfile import REMEDIATION_DIR
from orgscan.remediation.ranking import FirstAction, RankedEntry, first_action
from orgscan.reports import ReportInputs
from orgscan.reports.xlsx_sheet import append_note_rows
from orgscan.wording import plural


@dataclass(frozen=True)
class TrailFix:
    """One trail (or an organization trail to create) and the changes that record its
    accounts fully."""

    trail: str
    gaps: tuple[str, ...]
    accounts: tuple[str, ...]
    summary: str
    steps: tuple[str, ...]
    warnings: tuple[str, ...]
    script: str | None
    #: Its place in the plan's ranking (``remediation.ranking``), shared with the bucket rows,
    #: and what running it changes; None for advice without steps.
    order: int | None = None
    ranked: RankedEntry | None = None

    @property
    def script_label(self) -> str:
        """The script cell's text: the script, or why there is none."""
        return self.script or "none: advice only, nothing to run"


def trail_fixes(inputs: ReportInputs) -> tuple[TrailFix, ...]:
    """The plan's recording entries, those with steps first (the plan's order)."""
    plan = inputs.remediation_plan
    ranks = {id(r.entry): (n, r) for n, r in enumerate(inputs.ranked_plan, 1)}
    return tuple(
        TrailFix(
            trail=entry.findings[0] if entry.findings else "an organization trail to create",
            gaps=tuple(why.value for why in entry.gaps),
            accounts=entry.accounts,
            summary=entry.explanation,
            steps=tuple(step.description for step in entry.steps),
            warnings=entry.warnings,
            script=", ".join(
                sorted({f"{REMEDIATION_DIR}/{step.account_id}.sh" for step in entry.steps})
            )
            or None,
            order=ranks[id(entry)][0] if id(entry) in ranks else None,
            ranked=ranks[id(entry)][1] if id(entry) in ranks else None,
        )
        for entry in plan.entries
        if entry.kind is EntryKind.RECORDING
    )


def first_of_all(
    buckets: Iterable[tuple[int | None, RankedEntry | None]], trails: tuple[TrailFix, ...]
) -> FirstAction | None:
    """What to run first over the bucket rows' and the trails' places in the one ranking."""
    ranked = sorted(
        [(order, r) for order, r in buckets if order is not None and r is not None]
        + [(t.order, t.ranked) for t in trails if t.order is not None and t.ranked is not None],
        key=lambda pair: pair[0],
    )
    return first_action(tuple(r for _, r in ranked))


def trail_fixes_below(ws: Worksheet, fixes: tuple[TrailFix, ...]) -> None:
    """Below the Remediation table (outside its filter): the trails that leave accounts
    unrecorded, one row each: trail, gaps, accounts, what to do, steps, script."""
    if not fixes:
        return
    rows = [
        (
            fix.trail,
            ", ".join(fix.gaps),
            plural(len(fix.accounts), "account"),
            fix.summary,
            "; ".join(f"{n}. {step}" for n, step in enumerate(fix.steps, start=1)) or None,
            fix.script_label,
        )
        for fix in fixes
    ]
    append_note_rows(ws, "Trails that leave accounts unrecorded", rows)
