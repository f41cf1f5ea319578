"""Compare a scan made under faults with a fault-free scan of the same organization.

Rows are compared as ``findings.json`` writes them, so "identical" means identical output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orgscan.findings import result_to_dict
from orgscan.model import ScanResult

Row = dict[str, Any]


@dataclass(frozen=True)
class ScanDelta:
    """What differs between a baseline scan and a faulty one.

    ``findings`` and ``accounts`` map a trail ARN / account id to (baseline row, faulty row),
    either None when the row exists on one side only; rows equal on both sides are left out.
    """

    findings: dict[str, tuple[Row | None, Row | None]]
    accounts: dict[str, tuple[Row | None, Row | None]]
    new_errors: list[Row]
    lost_errors: list[Row]


def _changed(
    before: dict[str, Row], after: dict[str, Row]
) -> dict[str, tuple[Row | None, Row | None]]:
    return {
        key: (before.get(key), after.get(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


# An account's verdict is derived from the findings and its regions (and tested with them);
# here an account row changes only when its coverage does.
_DERIVED = ("verdict", "verdict_code", "protected_by", "gaps")


def _coverage(row: Row) -> Row:
    return {key: value for key, value in row.items() if key not in _DERIVED}


def scan_delta(baseline: ScanResult, faulty: ScanResult) -> ScanDelta:
    """Every finding, account row (coverage fields) and error row that differs between the two
    scans."""
    old, new = result_to_dict(baseline), result_to_dict(faulty)
    return ScanDelta(
        findings=_changed(
            {row["trail_arn"]: row for row in old["findings"]},
            {row["trail_arn"]: row for row in new["findings"]},
        ),
        accounts=_changed(
            {row["account_id"]: _coverage(row) for row in old["accounts"]},
            {row["account_id"]: _coverage(row) for row in new["accounts"]},
        ),
        new_errors=[row for row in new["errors"] if row not in old["errors"]],
        lost_errors=[row for row in old["errors"] if row not in new["errors"]],
    )


def assert_only_changed(
    baseline: ScanResult,
    faulty: ScanResult,
    *,
    findings: set[str] | frozenset[str] = frozenset(),
    accounts: set[str] | frozenset[str] = frozenset(),
) -> ScanDelta:
    """Assert that only the given trails (ARNs) and accounts differ from the baseline, and that
    no baseline error row went missing; return the delta for closer checks."""
    delta = scan_delta(baseline, faulty)
    assert set(delta.findings) == set(findings), delta.findings
    assert set(delta.accounts) == set(accounts), delta.accounts
    assert delta.lost_errors == []
    return delta


def assert_verdicts(
    delta: ScanDelta, arns: set[str] | frozenset[str], status: str, reason_code: str
) -> list[Row]:
    """Assert that each trail of ``arns`` is still reported, now with ``status`` and
    ``reason_code``; return the new rows."""
    rows = []
    for arn in sorted(arns):
        after = delta.findings[arn][1]
        assert after is not None, arn
        assert (after["status"], after["reason_code"]) == (status, reason_code), after
        rows.append(after)
    return rows
