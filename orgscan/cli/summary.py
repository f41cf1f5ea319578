"""The short summary a person sees on the terminal after a scan."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from orgscan.model import ScanResult, Status


def print_summary(result: ScanResult, run_dir: Path) -> None:
    """Counts by status, coverage, the failing trails (at most 20) and where the files are."""
    counts = Counter(finding.status for finding in result.findings)
    scanned = sum(1 for account in result.accounts if account.scanned)
    typer.echo(f"orgscan: {len(result.findings)} trails in {scanned} scanned accounts "
               f"({len(result.accounts)} in the organization)")
    typer.echo("  " + "  ".join(f"{status.value} {counts.get(status, 0)}" for status in Status))
    coverage = "complete" if result.run.complete else \
        f"INCOMPLETE ({len(result.errors)} errors, see the Coverage sheet)"
    typer.echo(f"  coverage: {coverage}")
    problems = [f for f in result.findings if f.status is not Status.PASS]
    width = max((len(f.trail_name) for f in problems[:20]), default=10)
    for finding in problems[:20]:
        typer.echo(f"  {finding.status.value:<5} {finding.account_id} "
                   f"{finding.trail_name:<{width}} {finding.reason_code.value}: "
                   f"{finding.bucket_name}")
    if len(problems) > 20:
        typer.echo(f"  ... and {len(problems) - 20} more")
    typer.echo(f"  run folder: {run_dir}")
