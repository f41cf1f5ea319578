"""A trail's ``tamper_status`` and ``tamper_reason`` from its weakener rows (contract 5.3)."""

from __future__ import annotations

from collections.abc import Sequence

from orgscan.model import Status
from orgscan.weakeners import Weakener
from orgscan.wording import plural


def tamper_status(rows: Sequence[Weakener], unread: Sequence[str] = ()) -> tuple[Status, str]:
    """The trail's status: ERROR when a source was not read (``unread`` names them), FAIL for
    an unconditional open row, WARN when the open rows are all conditional, else PASS."""
    if unread:
        return Status.ERROR, "Could not read " + ", ".join(unread) + "; who can weaken is unknown."
    certain = [row for row in rows if row.is_open and not row.conditional]
    doubtful = [row for row in rows if row.is_open and row.conditional]
    if certain:
        return Status.FAIL, _sentence(certain, "can")
    if doubtful:
        return Status.WARN, _sentence(doubtful, "may, under a condition the scan cannot decide,")
    return Status.PASS, "Nobody outside break-glass can weaken it unblocked."


def _sentence(rows: Sequence[Weakener], verb: str) -> str:
    principals = sorted({row.principal_arn for row in rows})
    actions = sorted({row.action for row in rows})
    shown = ", ".join(principals[:3]) + (
        f" and {len(principals) - 3} more" if len(principals) > 3 else ""
    )
    return (
        f"{plural(len(principals), 'principal')} {verb} weaken it ({', '.join(actions)}): {shown}."
    )
