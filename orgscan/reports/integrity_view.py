"""What the reports show of the integrity checks beside the lock (contract 5.2): one row per
trail and check, failing first, and the sentence that says it first.

Shared by the workbook (the Integrity sheet and the Findings sheet's integrity columns) and the
page (its section after "What to fix"), so both order and count the checks alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from orgscan.integrity import CHECKS, worst
from orgscan.model import Finding, IntegrityCheck, Status

#: The most rows the page lists: at 3,000 accounts a row per trail and check would make the page
#: unusable; the workbook's Integrity sheet lists every one.
MAX_PAGE_ROWS = 200
_ORDER = {code: index for index, (code, _) in enumerate(CHECKS)}


@dataclass(frozen=True)
class IntegrityRow:
    """One check of one trail."""

    finding: Finding
    check: IntegrityCheck


@dataclass(frozen=True)
class IntegrityView:
    """The page's integrity section: its sentence, the rows not passing (failing first, at
    most ``MAX_PAGE_ROWS``), and how many more the workbook holds."""

    sentence: str
    rows: tuple[IntegrityRow, ...]
    rows_left: int
    assessed: bool


def integrity_rows(findings: Iterable[Finding]) -> list[IntegrityRow]:
    """Every trail's every check: FAIL, ERROR, WARN, then PASS; by account, trail, check."""
    return _in_order(
        IntegrityRow(finding, check) for finding in findings for check in finding.integrity
    )


def _in_order(rows: Iterable[IntegrityRow]) -> list[IntegrityRow]:
    return sorted(
        rows,
        key=lambda row: (
            row.check.status.urgency,
            row.finding.account_id,
            row.finding.trail_name,
            row.finding.trail_arn,
            _ORDER.get(row.check.check, len(_ORDER)),
        ),
    )


def integrity_view(findings: Iterable[Finding], limit: int = MAX_PAGE_ROWS) -> IntegrityView:
    """The section: its sentence first, then the checks that do not pass."""
    findings = list(findings)
    # Sorted after the passing checks are left out: at 10,000 accounts they are 137,000 rows.
    rows = _in_order(
        IntegrityRow(finding, check)
        for finding in findings
        for check in finding.integrity
        if check.status is not Status.PASS
    )
    assessed = any(finding.integrity for finding in findings)
    shown = tuple(rows[:limit])
    return IntegrityView(integrity_sentence(findings), shown, len(rows) - len(shown), assessed)


def integrity_sentence(findings: Iterable[Finding]) -> str:
    """How the trails fare beside the lock, in one sentence: failures by check first."""
    findings = [finding for finding in findings if finding.integrity]
    if not findings:
        return "This run did not check integrity beside the lock (a run from before it existed)."
    by_status = Counter(worst(finding.integrity) for finding in findings)
    failing = Counter(
        check.check.value
        for finding in findings
        for check in finding.integrity
        if check.status is Status.FAIL
    )
    parts = []
    if failing:
        checks = ", ".join(f"{code} {count}" for code, count in sorted(failing.items()))
        count = by_status[Status.FAIL]
        parts.append(
            f"{count} of {_trails(len(findings))} {'fails' if count == 1 else 'fail'} an "
            f"integrity check beside the lock ({checks})"
        )
    if by_status[Status.ERROR]:
        parts.append(f"{_trails(by_status[Status.ERROR])} could not be told")
    if by_status[Status.WARN]:
        count = by_status[Status.WARN]
        parts.append(f"{_trails(count)} only {'warns' if count == 1 else 'warn'}")
    if not parts:
        every = "The trail passes" if len(findings) == 1 else f"All {len(findings)} trails pass"
        return f"{every} every integrity check beside the lock."
    return "; ".join(parts) + "."


def not_passing(finding: Finding) -> str | None:
    """The finding's checks that do not pass, as ``CHECK STATUS`` lines (None when all pass)."""
    lines = [
        f"{check.check.value} {check.status.value}"
        for check in finding.integrity
        if check.status is not Status.PASS
    ]
    return "\n".join(lines) or None


def _trails(count: int) -> str:
    return f"{count} trail" if count == 1 else f"{count} trails"
