"""What the reports say about log files written before the lock (contract 5.4), per bucket.

A count is per bucket (its trails' findings share it). A bucket where unprotected files were
found is WARN; one where none were found in what was checked is PASS, and a sample says it is a
sample -- "0 of 8 sampled files" is not "none"; a count cut short by an AWS error is ERROR.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from orgscan.model import Finding
from orgscan.prelock_count import Prelock, PrelockSource
from orgscan.wording import plural


@dataclass(frozen=True)
class PrelockRow:
    """One counted bucket as the page and the workbook show it."""

    bucket_name: str
    bucket_account_id: str | None
    count: Prelock

    @property
    def verdict(self) -> str:
        """WARN, PASS or ERROR (``Prelock.verdict``)."""
        return self.count.verdict

    @property
    def sentence(self) -> str:
        """What the count can say (``Prelock.sentence``)."""
        return self.count.sentence()


def prelock_rows(findings: Iterable[Finding]) -> list[PrelockRow]:
    """The counted buckets, WARN first, then ERROR, then PASS; by bucket name within."""
    rows: dict[str, PrelockRow] = {}
    for finding in findings:
        if finding.prelock is not None:
            rows.setdefault(
                finding.bucket_name,
                PrelockRow(finding.bucket_name, finding.bucket_account_id, finding.prelock),
            )
    order = {"WARN": 0, "ERROR": 1, "PASS": 2}
    return sorted(rows.values(), key=lambda row: (order[row.verdict], row.bucket_name))


def prelock_line(rows: list[PrelockRow]) -> str | None:
    """One sentence for the verdict block; None when nothing was counted."""
    if not rows:
        return None
    warned = [row for row in rows if row.verdict == "WARN"]
    failed = [row for row in rows if row.verdict == "ERROR"]
    clean = len(rows) - len(warned) - len(failed)
    parts: list[str] = []
    if warned:
        files = sum(row.count.unprotected for row in warned)
        named = ", ".join(
            f"{row.bucket_name} ({row.count.unprotected} of {row.count.checked}"
            f"{' sampled' if row.count.source is PrelockSource.SAMPLE else ''})"
            for row in warned
        )
        holds = "holds" if len(warned) == 1 else "hold"
        parts.append(
            f"{plural(len(warned), 'PASS bucket')} {holds} {plural(files, 'log file')} written "
            f"before the lock, with no retention in force: {named}"
        )
    if clean:
        parts.append(
            f"in {plural(clean, 'other bucket')} none were found in what was checked (a sample "
            "cannot prove there are none)"
        )
    if failed:
        parts.append(f"{plural(len(failed), 'bucket')} could not be counted")
    return "Log files before the lock: " + "; ".join(parts) + "."
