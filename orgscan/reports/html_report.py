"""``report.html``: one self-contained page for security leads, rendered with jinja2.

The page answers first and details after: the verdict in one sentence built from the account
verdicts, the accounts (grouped by OU in a large organization), what to fix grouped by the
account that owns the buckets, the findings failing first (PASS rows behind the status filter),
the changes since the previous run, then coverage and errors. Inline CSS and JavaScript, no
network fetch of any kind: the file works when e-mailed. Every value from AWS goes through
jinja2's autoescaping. The page stays usable at 3,000 accounts: long lists are collapsed and
off-screen sections are not laid out until scrolled to.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import jinja2

from orgscan.controls import load_controls
from orgscan.exceptions_register import exception_label
from orgscan.findings import finding_columns
from orgscan.jsonstream import utf8
from orgscan.model import Finding, Status
from orgscan.remediation.ranking import first_action_text
from orgscan.reports import ReportInputs, StreamedReport
from orgscan.reports.changes import exception_counts, exception_text, summarise_changes
from orgscan.reports.claims import standings
from orgscan.reports.entry_fixes import entry_fixes
from orgscan.reports.fixes import (
    FixGroup,
    RemediationRow,
    fix_groups,
    remediation_rows,
)
from orgscan.reports.headline import headline
from orgscan.reports.integrity_view import integrity_view
from orgscan.reports.prelock_text import prelock_line, prelock_rows
from orgscan.reports.runtext import command_text, scope_text
from orgscan.reports.standings import STANDING_STATUS, AccountsView, Standing, accounts_view
from orgscan.reports.summary import (
    STATUS_ORDER,
    ReportSummary,
    display_time,
)
from orgscan.reports.tamper_view import tamper_view
from orgscan.reports.trail_fixes import TrailFix, first_of_all, trail_fixes
from orgscan.templates import environment

TEMPLATE = "report.html.j2"


@functools.cache
def _page_template() -> jinja2.Template:
    # Compiled once per process: compiling the page costs more than rendering it.
    return environment().get_template(TEMPLATE)


#: Above this many accounts, the accounts view and the chart group accounts by OU.
MAX_CHART_BARS = 25

#: Accounts named in the verdict block before "and N more".
NAMED_ACCOUNTS = 8

#: Buckets of "What to fix" shown with their steps, in all and per owner account; the rest are a
#: table of one row each (the steps of a strategy are the same for every bucket, and the
#: Remediation sheet has them all).
DETAILED_FIXES = 40
DETAILED_PER_GROUP = 5


class HtmlReport(StreamedReport):
    """The self-contained HTML page."""

    name = "html"
    filename = "report.html"

    def stream(self, inputs: ReportInputs) -> Iterator[bytes]:
        """The page as UTF-8, made as it is written (jinja2's ``generate``: the page is never
        held whole); identical for identical inputs (nothing depends on the clock)."""
        summary = inputs.summary
        view = accounts_view(inputs.result, {a.account_id: a.note for a in summary.accounts})
        findings = urgent_first(summary.result.findings)
        fixes = remediation_rows(inputs, summary)
        groups = fix_groups(fixes, summary)
        changes = summarise_changes(inputs.diff, summary)
        prelock = prelock_rows(inputs.result.findings)
        trails = trail_fixes(inputs)
        template = _page_template()
        pieces = template.generate(
            run=inputs.result.run,
            summary=summary,
            times={
                "started": display_time(inputs.result.run.started_at),
                "finished": display_time(inputs.result.run.finished_at),
                "previous": display_time(changes.previous_started_at),
            },
            statuses=[status.value for status in STATUS_ORDER],
            rows=FindingRows(summary, findings),
            passing=sum(1 for finding in findings if finding.status is Status.PASS),
            accounts=sorted({(a.account_id, a.name or "") for a in summary.accounts if a.trails}),
            view=view,
            headline=headline(inputs.result, view),
            grouped=len(view.rows) > MAX_CHART_BARS and len(view.groups) > 1,
            named_accounts=NAMED_ACCOUNTS,
            charts=charts(summary, view),
            fixes=fixes,
            fix_groups=groups,
            trail_fixes=trails,
            entry_fixes=entry_fixes(inputs),
            detailed=detailed_fixes(groups),
            run_first=_run_first(fixes, trails),
            changes=changes,
            exceptions=exception_counts(inputs.result.findings),
            run_scope=scope_text(inputs.result.run.scope),
            run_command=command_text(inputs.result.run.command),
            controls=standings(load_controls(), inputs.result),
            tamper=tamper_view(inputs.result),
            prelock_rows=prelock,
            prelock_line=prelock_line(prelock),
            integrity=integrity_view(inputs.result.findings),
        )
        yield from utf8(pieces)


def urgent_first(findings: Iterable[Finding]) -> list[Finding]:
    """The findings most urgent first (FAIL, ERROR, WARN, PASS; then account and trail)."""
    return sorted(
        findings,
        key=lambda f: (
            f.status.urgency,
            str(f.account_id),
            str(f.trail_name),
            str(f.trail_arn),
        ),
    )


#: Where the page sends a reader for the scripts after the first.
REST_OF_THE_PLAN = "in What to fix and the Remediation sheet"


def _run_first(fixes: tuple[RemediationRow, ...], trails: tuple[TrailFix, ...]) -> str | None:
    # One ranking over buckets and trails: a trail change may protect the most accounts.
    action = first_of_all(((row.order, row.ranked) for row in fixes), trails)
    return first_action_text(action, REST_OF_THE_PLAN) if action else None


def finding_rows(summary: ReportSummary) -> list[dict[str, object]]:
    """The findings as template rows, most urgent first (FAIL, ERROR, WARN, PASS; then account
    and trail): plain values plus the owner's name, a sort key, the exception label and text
    (None without a mark) and the trail's health in words."""
    return list(_rows(summary, urgent_first(summary.result.findings)))


@dataclass(frozen=True)
class FindingRows:
    """The template's findings rows, made one at a time as the table is written (20,000 rows of
    dicts are never held at once); ``len`` is known without making them."""

    summary: ReportSummary
    findings: list[Finding]

    def __len__(self) -> int:
        return len(self.findings)

    def __iter__(self) -> Iterator[dict[str, object]]:
        return _rows(self.summary, self.findings)


def _rows(summary: ReportSummary, findings: list[Finding]) -> Iterator[dict[str, object]]:
    for finding in findings:
        row: dict[str, object] = finding_columns(finding)
        row["account_name"] = summary.account_name(str(row["account_id"]))
        row["severity"] = Status(str(row["status"])).urgency
        label = exception_label(finding)
        row["exception_label"] = label.value if label is not None else None
        row["exception_text"] = exception_text(finding)
        row["exception_expired"] = finding.exception is not None and finding.exception.expired
        row["health"] = trail_health(finding)
        yield row


@dataclass(frozen=True)
class DetailedFixes:
    """The first ``DETAILED_FIXES`` buckets per group (with steps), then the rest in one table."""

    groups: tuple[tuple[FixGroup, tuple[RemediationRow, ...]], ...]
    rest: tuple[tuple[FixGroup, RemediationRow], ...]


def detailed_fixes(
    groups: tuple[FixGroup, ...], limit: int = DETAILED_FIXES, per_group: int = DETAILED_PER_GROUP
) -> DetailedFixes:
    """Split ``groups`` so that the page details the ``limit`` most urgent buckets, at most
    ``per_group`` of each owner account (one account's hundred missing buckets must not hide
    every other account's)."""
    shown: list[tuple[FixGroup, tuple[RemediationRow, ...]]] = []
    rest: list[tuple[FixGroup, RemediationRow]] = []
    budget = limit
    for group in groups:
        take = max(min(budget, per_group, len(group.rows)), 0)
        if take:
            shown.append((group, group.rows[:take]))
        rest.extend((group, row) for row in group.rows[take:])
        budget -= take
    return DetailedFixes(groups=tuple(shown), rest=tuple(rest))


@dataclass(frozen=True)
class Health:
    """A trail's health in words, and whether any part of it is a problem."""

    logging: str
    management_events: str
    delivery_error: str | None
    problem: bool
    unknown: bool
    #: What else keeps the trail from protecting: ``not delivering``, ``no global events``.
    notes: tuple[str, ...] = ()


def trail_health(finding: Finding) -> Health:
    """``logging``/``not logging``/``unknown``, the management events recorded, the last
    delivery error; a problem when the trail does not log, records less than all management
    events (or excludes event sources), is not delivering, leaves out global service events,
    or CloudTrail reports a delivery error."""
    notes = tuple(
        note
        for note, applies in (
            ("not delivering", finding.delivering is False),
            ("no global service events", finding.global_service_events is False),
        )
        if applies
    )
    logging = (
        "unknown"
        if finding.is_logging is None
        else "logging"
        if finding.is_logging
        else "not logging"
    )
    events = finding.management_events.value if finding.management_events is not None else "unknown"
    problem = (
        finding.is_logging is False
        or finding.latest_delivery_error is not None
        or (finding.management_events is not None and events != "All")
    )
    return Health(
        logging=logging,
        management_events=events,
        delivery_error=finding.latest_delivery_error,
        problem=problem or bool(notes),
        unknown=finding.is_logging is None or finding.management_events is None,
        notes=notes,
    )


# --------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class Segment:
    """One piece of a 100% bar: a label, its count, its share and its colour class."""

    label: str
    count: int
    percent: float
    colour: str


@dataclass(frozen=True)
class Bar:
    """A 100% stacked bar: proportions read the same at 3 accounts and at 3,000."""

    label: str
    total: int
    unit: str
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Charts:
    """The page's charts: accounts by verdict, trails by status, accounts per OU by verdict."""

    accounts: Bar
    trails: Bar
    ous: tuple[Bar, ...]


def charts(summary: ReportSummary, view: AccountsView) -> Charts:
    """Proportion bars (never a row of equal bars of length 1 in a small organization)."""
    ous: tuple[Bar, ...] = ()
    if len(view.rows) > MAX_CHART_BARS and len(view.groups) > 1:
        ous = tuple(_standing_bar(group.ou_path, group.counts) for group in view.groups)
    trails = [
        (status.value, summary.status_counts[status], status.value) for status in STATUS_ORDER
    ]
    return Charts(
        accounts=_standing_bar("Accounts", view.counts),
        trails=_bar("Trails", "trail", trails),
        ous=ous,
    )


def _standing_bar(label: str, counts: tuple[tuple[Standing, int], ...]) -> Bar:
    parts = [(which.value, count, str(STANDING_STATUS[which] or "NONE")) for which, count in counts]
    return _bar(label, "account", parts)


def _bar(label: str, unit: str, parts: list[tuple[str, int, str]]) -> Bar:
    total = sum(count for _, count, _ in parts)
    segments = tuple(
        Segment(name, count, round(100 * count / total, 2), colour)
        for name, count, colour in parts
        if count
    )
    return Bar(label=label, total=total, unit=unit, segments=segments)
