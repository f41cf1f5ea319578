"""What the reports say about tamper paths (contract 5.3): who can weaken each trail.

Pure: from a result's ``weakeners`` and tamper statuses to the rows of the workbook's "Who can
weaken" sheet (open rows first) and one sentence per trail for the page ("3 roles in
log-archive can stop or change the organization trail; none is blocked by an SCP"), failing
trails first. The page caps its rows (``PAGE_ROWS``) and says how many it left to the sheet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from orgscan.model import ScanResult, Status
from orgscan.weakeners import TargetKind, Weakener

#: Weakener rows shown on the page, over all trails; the workbook's sheet has them all.
PAGE_ROWS = 300
#: Trails given a sentence on the page; the others are counted.
PAGE_TRAILS = 200

_STATUS_RANK = {Status.FAIL: 0, Status.WARN: 1, Status.ERROR: 2, Status.PASS: 3}
#: What each target's actions do to the trail's protection, in a reader's words.
_DOES = {
    TargetKind.TRAIL: "stop or change",
    TargetKind.BUCKET: "weaken the bucket of",
    TargetKind.KEY: "disable the key of",
}


def row_order(row: Weakener) -> tuple[int, int, str, str, str]:
    """Open rows first (unconditional, then conditional), then blocked and break-glass."""
    rank = 0 if row.is_open and not row.conditional else 1 if row.is_open else 2
    return (rank, int(row.break_glass), row.trail_arn, row.principal_arn, row.action)


def sheet_rows(result: ScanResult) -> list[Weakener]:
    """Every weakener row, the open ones first."""
    return sorted(result.weakeners or (), key=row_order)


@dataclass(frozen=True)
class TrailTamper:
    """A trail's tamper status, its sentence and the rows the page shows for it."""

    trail_arn: str
    status: Status
    sentence: str
    rows: tuple[Weakener, ...]


@dataclass(frozen=True)
class TamperView:
    """The page's section: trails failing first, and what was left to the workbook."""

    trails: tuple[TrailTamper, ...]
    trails_left: int
    rows_left: int


def tamper_view(result: ScanResult) -> TamperView | None:
    """The page's "Who can weaken" section; None for a run that did not assess tamper paths."""
    if result.weakeners is None:
        return None
    names = {a.account_id: a.name or a.account_id for a in result.accounts}
    by_trail: dict[str, list[Weakener]] = {}
    for row in result.weakeners:
        by_trail.setdefault(row.trail_arn, []).append(row)
    assessed = [f for f in result.findings if f.tamper_status is not None]
    assessed.sort(key=lambda f: (_STATUS_RANK[f.tamper_status or Status.ERROR], f.trail_arn))
    trails: list[TrailTamper] = []
    budget = PAGE_ROWS
    for finding in assessed[:PAGE_TRAILS]:
        rows = sorted(by_trail.get(finding.trail_arn, []), key=row_order)
        shown = tuple(row for row in rows if row.is_open)[: max(budget, 0)]
        budget -= len(shown)
        sentence = trail_sentence(finding.trail_name, rows, names)
        if finding.tamper_status is Status.ERROR:
            sentence = finding.tamper_reason or sentence
        trails.append(
            TrailTamper(finding.trail_arn, finding.tamper_status or Status.ERROR, sentence, shown)
        )
    shown_rows = sum(len(trail.rows) for trail in trails)
    return TamperView(
        tuple(trails),
        trails_left=len(assessed) - len(trails),
        rows_left=len(result.weakeners) - shown_rows,
    )


def trail_sentence(trail_name: str, rows: Sequence[Weakener], names: Mapping[str, str]) -> str:
    """One sentence: how many principals of which accounts can weaken the trail, and how many
    an SCP or RCP blocks."""
    open_rows = [row for row in rows if row.is_open]
    principals = sorted({row.principal_arn for row in open_rows})
    blocked = sorted(
        {row.principal_arn for row in rows if row.blocked_by} - set(principals),
    )
    tail = (
        "none is blocked by an SCP or RCP"
        if not blocked
        else f"{_count(len(blocked), 'other principal')} {'is' if len(blocked) == 1 else 'are'} "
        "blocked by an SCP or RCP"
    )
    if not principals:
        return f"Nobody outside break-glass can weaken trail {trail_name}; {tail}."
    accounts = sorted(
        {names.get(row.principal_account_id, row.principal_account_id) for row in open_rows}
    )
    doings = [_DOES[kind] for kind in TargetKind if any(r.target is kind for r in open_rows)]
    conditional = {row.principal_arn for row in open_rows if row.conditional} - {
        row.principal_arn for row in open_rows if not row.conditional
    }
    only_if = f" ({len(conditional)} only under a condition)" if conditional else ""
    return (
        f"{_kinds(principals)} in {', '.join(accounts)} can {' or '.join(doings)} trail "
        f"{trail_name}{only_if}; {tail}."
    )


def _kinds(principals: Sequence[str]) -> str:
    counts: dict[str, int] = {}
    for arn in principals:
        kind = "root user" if arn.endswith(":root") else arn.split(":")[5].split("/")[0]
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(_count(n, kind) for kind, n in sorted(counts.items()))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
