"""The short summary a person sees on the terminal after a scan.

Names in it come from AWS (trails, buckets, account ids in ARNs) and from the output folder: each
is shown through ``terminal_cell``, so a forged answer holding ESC or BEL cannot retitle, clear
or rewrite the terminal, nor a newline forge a line of the summary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from orgscan.cli.common import terminal_cell
from orgscan.model import ScanResult, Status
from orgscan.wording import plural

if TYPE_CHECKING:
    from orgscan.diff import RunDiff


def _opened_files() -> list[str]:
    """The files a person opens, in the order they are named: the reports the format registry
    ranks, then what changed since the previous run."""
    from orgscan.diff import DIFF_FILE
    from orgscan.formats import FORMATS, Report

    ranked = sorted(
        (entry.opened, entry.output.load().filename)
        for entry in FORMATS.values()
        if entry.opened is not None and isinstance(entry.output, Report)
    )
    return [filename for _, filename in ranked] + [DIFF_FILE]


def print_summary(
    result: ScanResult,
    run_dir: Path,
    *,
    written: Sequence[Path] = (),
    diff: RunDiff | None = None,
    interrupted: bool = False,
) -> None:
    """Counts by status, coverage, the failing trails (at most 20), the change since the
    previous run and where the reports are."""
    counts = Counter(finding.status for finding in result.findings)
    scanned = sum(1 for account in result.accounts if account.scanned)
    typer.echo(
        f"orgscan: {plural(len(result.findings), 'trail')} in {plural(scanned, 'scanned account')} "
        f"({len(result.accounts)} in the organization)"
    )
    # The same sentence as the page and the workbook: accounts protected, and trails failing.
    from orgscan.reports.headline import headline
    from orgscan.reports.standings import accounts_view

    typer.echo("  " + terminal_cell(headline(result, accounts_view(result)).sentence))
    if interrupted:
        typer.echo("  INTERRUPTED: the run folder holds what was gathered before Ctrl-C or SIGTERM")
    typer.echo(
        "  trails:   " + "  ".join(f"{status.value} {counts.get(status, 0)}" for status in Status)
    )
    # The auditor's question is per account: is its activity recorded into a locked bucket?
    verdicts = Counter(account.verdict for account in result.accounts if account.scanned)
    typer.echo(
        "  accounts: "
        + "  ".join(f"{status.value} {verdicts.get(status, 0)}" for status in Status)
        + (f"  not assessed {verdicts[None]}" if verdicts.get(None) else "")
    )
    coverage = (
        "complete"
        if result.run.complete
        else f"INCOMPLETE ({plural(len(result.errors), 'error')}, see the Coverage sheet)"
    )
    typer.echo(f"  coverage: {coverage}")
    problems = [f for f in result.findings if f.status is not Status.PASS]
    rows = [
        (f, terminal_cell(f.account_id), terminal_cell(f.trail_name), terminal_cell(f.bucket_name))
        for f in problems[:20]
    ]
    width = max((len(trail) for _, _, trail, _ in rows), default=10)
    for finding, account, trail, bucket in rows:
        typer.echo(
            f"  {finding.status.value:<5} {account} {trail:<{width}} "
            f"{finding.reason_code.value}: {bucket}"
        )
    if len(problems) > 20:
        typer.echo(f"  ... and {len(problems) - 20} more")
    if diff is None:
        typer.echo("  since the previous run: no previous run in this output folder")
    else:
        from orgscan.diff import DiffClass

        moved = ", ".join(
            f"{cls.value.replace('_', ' ')} {count}"
            for cls, count in diff.counts().items()
            if count and cls is not DiffClass.UNCHANGED
        )
        # The verdict is per account: its changes first, the trails' named separately.
        by_class = Counter(entry.diff_class for entry in diff.accounts)
        changed = ", ".join(
            f"{cls.value.replace('_', ' ')} {by_class[cls]}"
            for cls in DiffClass
            if by_class[cls] and cls is not DiffClass.UNCHANGED
        )
        typer.echo(
            f"  since the previous run ({terminal_cell(diff.old.folder or '?')}): "
            + (f"accounts: {changed or 'no verdict changed'}; " if diff.accounts else "")
            + f"trails: {moved or 'no trail changed'}"
        )
    typer.echo(f"  run folder: {terminal_cell(str(run_dir))}")
    names = {path.name: path for path in written}
    for name in _opened_files():
        if name in names:
            typer.echo(f"    {terminal_cell(str(names[name]))}")
