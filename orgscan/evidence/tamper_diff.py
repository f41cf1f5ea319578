"""``verify --recompute`` for tamper paths (contract 5.3): ``weakeners`` and every finding's
``tamper_status``/``tamper_reason`` derived again from the recorded policies.

The scan's own tamper step (``tamper.step``) runs on the recorded answers (``tamper_replay``),
with the findings re-derived from the evidence (the bucket's owner and lock mode decide the
targets) and the break-glass patterns the run recorded, so a row added, removed or changed in
findings.json, or a status that does not follow, is named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from orgscan.evidence.evidence_file import RecordedEvidence
from orgscan.evidence.tamper_replay import ReplayClients
from orgscan.model import Finding, ScanResult
from orgscan.tamper.collect import TamperResult
from orgscan.tamper.step import start_run
from orgscan.weakeners import Weakener

#: The region the tamper reads are made from when the run names none (the replay ignores it).
_FALLBACK_REGION = "us-east-1"


def recompute_tamper(
    result: ScanResult, recomputed: Mapping[str, Finding], evidence: RecordedEvidence
) -> TamperResult | None:
    """The tamper paths the evidence supports for ``result``'s trails; None when the run did
    not assess them (an older run, or an interrupted scan)."""
    if result.weakeners is None:
        return None
    derived = replace(result, findings=tuple(recomputed[arn] for arn in sorted(recomputed)))
    region = result.run.regions[0] if result.run.regions else _FALLBACK_REGION
    return start_run(
        derived,
        ReplayClients(evidence),
        region,
        None,  # the step reads it again: its recorded DescribeOrganization answer
        result.run.caller_arn.split(":")[4],
        result.run.break_glass_principals or (),
    ).result()


def tamper_differences(
    result: ScanResult, tamper: TamperResult | None, *, compare_wording: bool = True
) -> list[str]:
    """One line per weakener row or tamper field of ``result`` the evidence does not give, and
    per row the evidence gives that findings.json lacks. ``tamper_reason`` is wording, compared
    only with ``compare_wording`` (a run this version wrote), as a finding's ``reason`` is."""
    if tamper is None or result.weakeners is None:
        return []
    claimed, derived = set(result.weakeners), set(tamper.weakeners)
    differences = [
        f"weakeners: {_row(row)} is in findings.json, the evidence does not give it"
        for row in sorted(claimed - derived, key=_row)
    ]
    differences += [
        f"weakeners: the evidence gives {_row(row)}, missing from findings.json"
        for row in sorted(derived - claimed, key=_row)
    ]
    for finding in sorted(result.findings, key=lambda item: item.trail_arn):
        expected = tamper.statuses.get(finding.trail_arn)
        if expected is None:
            continue  # a trail the evidence does not name is reported as such already
        status, reason = expected
        if finding.tamper_status is not status:
            shown = "null" if finding.tamper_status is None else repr(finding.tamper_status.value)
            differences.append(
                f"{finding.trail_arn}: tamper_status is {shown} in findings.json, "
                f"the evidence gives {status.value!r}"
            )
        elif compare_wording and finding.tamper_reason != reason:
            differences.append(
                f"{finding.trail_arn}: tamper_reason is {finding.tamper_reason!r} in "
                f"findings.json, the evidence gives {reason!r}"
            )
    return differences


def _row(row: Weakener) -> str:
    blocked = f", blocked by {row.blocked_by}" if row.blocked_by else ""
    flags = "".join(
        f", {name}"
        for name, value in (
            ("conditional", row.conditional),
            ("break-glass", row.break_glass),
            ("management account", row.management_account),
        )
        if value
    )
    return (
        f"{row.principal_arn} {row.action} on {row.target_arn} ({row.trail_arn}, granted by "
        f"{row.granted_by}{blocked}{flags})"
    )
