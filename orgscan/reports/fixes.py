"""What to fix per failing bucket: the Remediation sheet's rows and the page's bucket sections.

``remediation_rows`` is the one entry point both reports call; its rows follow the plan's
ranking (``orgscan.remediation.ranking``), the order ``orgscan remediate`` shows. The rows
are the remediation plan's: its strategy, steps, script and warnings per bucket. Report inputs
without a plan get the plan ``orgscan scan`` would have built with default settings, so the
reports never speak a second remediation vocabulary of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from orgscan.model import Status
from orgscan.remediation.plan_model import EntryKind, PlanEntry
from orgscan.remediation.planfile import REMEDIATION_DIR
from orgscan.remediation.ranking import RankedEntry
from orgscan.reports import ReportInputs
from orgscan.reports.summary import BucketSummary, ReportSummary

#: The strategy shown for a plan entry without steps (ERROR findings, unknown owner).
NO_STEPS = "no steps"

#: A finding that needs no action.
_NOTHING_TO_DO = frozenset({Status.PASS})


@dataclass(frozen=True)
class RemediationRow:
    """One failing bucket and what to do about it."""

    bucket: BucketSummary
    strategy: str
    steps: tuple[str, ...]
    #: The script that carries the steps (``remediation/<account>.sh``), once a plan exists.
    script: str | None = None
    #: The plan's one or two sentences on what the steps do, or why there are none.
    summary: str | None = None
    #: Consequences to accept before running the steps (Object Lock cannot be turned off, ...).
    warnings: tuple[str, ...] = ()
    #: Its place in the plan's ranking (1: run first); None for a bucket without steps.
    order: int | None = None
    ranked: RankedEntry | None = None

    @property
    def script_label(self) -> str:
        """The script cell's text: the script files, or why there is none."""
        if self.script:
            return self.script
        if self.strategy == NO_STEPS:
            return "none: nothing to run"
        return "not generated: follow the steps"


def remediation_rows(inputs: ReportInputs, summary: ReportSummary) -> tuple[RemediationRow, ...]:
    """One row per bucket whose trails are not all PASS, in the plan's ranking: the bucket to
    fix first first, then the buckets without steps, most urgent first.

    ``summary`` is ``summarise(inputs.result)``, passed in because both reports already hold it.
    A bucket's row shows its plan entry's strategy, steps and script (the plan has an entry for
    every bucket with a finding that is not PASS; one without is shown with no steps).
    """
    plan = inputs.remediation_plan
    # Only bucket entries: a trail's recording entry names its bucket too (the page and
    # workbook show those per trail, trail_fixes).
    entries = {e.bucket_name: e for e in plan.entries if e.kind is EntryKind.BUCKET}
    ranks = {
        r.entry.bucket_name: (n, r)
        for n, r in enumerate(inputs.ranked_plan, 1)
        if r.entry.kind is EntryKind.BUCKET
    }
    rows = []
    for bucket in summary.buckets:
        if bucket.status in _NOTHING_TO_DO:
            continue
        entry = entries.get(bucket.bucket_name)
        row = plan_row(bucket, entry) if entry else RemediationRow(bucket, NO_STEPS, ())
        if bucket.bucket_name in ranks:
            order, ranked = ranks[bucket.bucket_name]
            row = replace(row, order=order, ranked=ranked)
        rows.append(row)
    # Stable: the buckets without steps keep the summary's most-urgent-first order.
    rows.sort(key=lambda row: (row.order is None, row.order or 0))
    return tuple(rows)


@dataclass(frozen=True)
class FixGroup:
    """The failing buckets of one owner account, with the script(s) that fix them."""

    #: The account that owns the buckets; None when no account of the organization owns them.
    account_id: str | None
    account_name: str | None
    rows: tuple[RemediationRow, ...]
    scripts: tuple[str, ...]

    @property
    def status(self) -> Status:
        """The most urgent status among the group's buckets."""
        return min((row.bucket.status for row in self.rows), key=lambda status: status.urgency)

    @property
    def trails(self) -> int:
        """Trails that deliver into the group's buckets."""
        return sum(len(row.bucket.trail_arns) for row in self.rows)

    @property
    def scripted(self) -> tuple[RemediationRow, ...]:
        """The group's buckets that a script changes (a bucket without steps has none)."""
        return tuple(row for row in self.rows if row.script)

    @property
    def scripted_trails(self) -> int:
        """Trails that deliver into the buckets a script changes."""
        return sum(len(row.bucket.trail_arns) for row in self.scripted)

    @property
    def label(self) -> str:
        """``Log Archive (222222222222)``, the id alone, or ``owner unknown``."""
        if self.account_id is None:
            return "owner unknown"
        return f"{self.account_name} ({self.account_id})" if self.account_name else self.account_id


def fix_groups(rows: tuple[RemediationRow, ...], summary: ReportSummary) -> tuple[FixGroup, ...]:
    """``rows`` grouped by the bucket's owner account, in the plan's ranking: the group of the
    bucket to fix first first.

    Groups without steps follow: one with a FAIL before one with only ERRORs or WARNs; among
    equals, the group whose buckets receive the most trails first.
    """
    grouped: dict[str | None, list[RemediationRow]] = {}
    for row in rows:
        grouped.setdefault(row.bucket.bucket_account_id, []).append(row)
    groups = [
        FixGroup(
            account_id=owner,
            account_name=summary.account_name(owner),
            rows=tuple(members),
            scripts=_scripts(members),
        )
        for owner, members in grouped.items()
    ]
    groups.sort(
        key=lambda group: (
            min((row.order for row in group.rows if row.order is not None), default=len(rows) + 1),
            group.status.urgency,
            -group.trails,
            group.account_id is None,
            group.account_id or "",
        )
    )
    return tuple(groups)


def _scripts(rows: list[RemediationRow]) -> tuple[str, ...]:
    names = {name.strip() for row in rows if row.script for name in row.script.split(",")}
    return tuple(sorted(names))


def plan_row(bucket: BucketSummary, entry: PlanEntry) -> RemediationRow:
    """The row of ``bucket`` from its remediation plan entry: the plan's words and scripts.

    A step names the account and region that run it only when that is not plainly the bucket's
    own (a replacement bucket for a missing one, a trail owned by another account).
    """
    region = bucket.bucket_region or entry.region
    where = {(step.account_id, step.region) for step in entry.steps}
    say_where = where != {(bucket.bucket_account_id, region)}
    scripts = sorted({f"{REMEDIATION_DIR}/{step.account_id}.sh" for step in entry.steps})
    return RemediationRow(
        bucket=replace(bucket, bucket_region=region),
        strategy=entry.strategy.value if entry.strategy else NO_STEPS,
        steps=tuple(
            (f"Account {step.account_id} ({step.region}): " if say_where else "") + step.description
            for step in entry.steps
        ),
        script=", ".join(scripts) or None,
        summary=entry.explanation or None,
        warnings=entry.warnings,
    )
