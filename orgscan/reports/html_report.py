"""``report.html``: one self-contained page for security leads, rendered with jinja2.

Inline CSS and JavaScript, an inline SVG chart, no network fetch of any kind: the file works
when e-mailed. Every value from AWS goes through jinja2's autoescaping. The header says what
changed since the previous run and how many findings the exceptions register excepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orgscan.exceptions_register import exception_label
from orgscan.findings import findings_frame
from orgscan.model import Status
from orgscan.reports import ReportInputs
from orgscan.reports.changes import exception_counts, exception_text, summarise_changes
from orgscan.reports.fixes import remediation_rows
from orgscan.reports.summary import (
    SEVERITY_RANK,
    STATUS_ORDER,
    AccountSummary,
    ReportSummary,
    plain,
    summarise,
)
from orgscan.templates import environment

TEMPLATE = "report.html.j2"

#: Above this many accounts with trails, the chart groups them by OU to stay readable.
MAX_CHART_BARS = 25

_LABEL_WIDTH, _BAR_WIDTH, _ROW_HEIGHT, _BAR_HEIGHT = 260, 420, 26, 18


class HtmlReport:
    """The self-contained HTML page."""

    name = "html"
    filename = "report.html"

    def render(self, inputs: ReportInputs) -> bytes:
        """The page as UTF-8; identical for identical inputs (nothing depends on the clock)."""
        summary = summarise(inputs.result)
        template = environment().get_template(TEMPLATE)
        page = template.render(
            run=inputs.result.run,
            summary=summary,
            statuses=[status.value for status in STATUS_ORDER],
            rows=finding_rows(summary),
            accounts=sorted({(a.account_id, a.name or "") for a in summary.accounts
                             if a.trails}),
            chart=status_chart(summary),
            fixes=remediation_rows(inputs, summary),
            changes=summarise_changes(inputs.diff, summary),
            exceptions=exception_counts(inputs.result.findings),
        )
        return page.encode("utf-8")


def finding_rows(summary: ReportSummary) -> list[dict[str, object]]:
    """The findings as template rows: plain values plus the owner's name, a sort key and the
    exception label and text (None without a mark)."""
    findings = summary.result.findings
    frame = findings_frame(findings)
    rows = []
    for record, finding in zip(frame.to_dict("records"), findings, strict=True):
        row: dict[str, object] = {str(key): plain(value) for key, value in record.items()}
        row["account_name"] = summary.account_name(str(row["account_id"]))
        row["severity"] = SEVERITY_RANK[str(row["status"])]
        label = exception_label(finding)
        row["exception_label"] = label.value if label is not None else None
        row["exception_text"] = exception_text(finding)
        row["exception_expired"] = finding.exception is not None and finding.exception.expired
        rows.append(row)
    return rows


@dataclass(frozen=True)
class ChartSegment:
    """One coloured piece of a bar: the trails of one status."""

    status: str
    count: int
    x: float
    width: float


@dataclass(frozen=True)
class ChartBar:
    """One bar of the per-account (or per-OU) chart."""

    label: str
    title: str
    total: int
    y: int
    segments: tuple[ChartSegment, ...]


@dataclass(frozen=True)
class Chart:
    """An inline SVG bar chart of results, laid out here so the template only draws."""

    grouped_by: str
    bars: tuple[ChartBar, ...]
    width: int
    height: int
    label_width: int
    bar_height: int


def status_chart(summary: ReportSummary) -> Chart:
    """Stacked bars of trail statuses per account, or per OU in a large organization."""
    owners = [a for a in summary.accounts if a.trails]
    groups: list[tuple[str, str, dict[Status, int]]]
    if len(owners) <= MAX_CHART_BARS:
        grouped_by = "account"
        groups = [(_account_label(a), a.account_id, dict(a.counts)) for a in owners]
    else:
        grouped_by = "OU"
        groups = _by_ou(owners)
    largest = max((sum(counts.values()) for _, _, counts in groups), default=1)
    scale = _BAR_WIDTH / largest
    bars = []
    for index, (label, title, counts) in enumerate(groups):
        x = float(_LABEL_WIDTH)
        segments = []
        for status in STATUS_ORDER:
            if counts[status]:
                width = round(counts[status] * scale, 2)
                segments.append(ChartSegment(status.value, counts[status], round(x, 2), width))
                x += width
        bars.append(ChartBar(label=_shorten(label), title=title, total=sum(counts.values()),
                             y=index * _ROW_HEIGHT, segments=tuple(segments)))
    return Chart(grouped_by=grouped_by, bars=tuple(bars),
                 width=_LABEL_WIDTH + _BAR_WIDTH + 50,
                 height=max(len(bars), 1) * _ROW_HEIGHT, label_width=_LABEL_WIDTH,
                 bar_height=_BAR_HEIGHT)


def _account_label(account: AccountSummary) -> str:
    return f"{account.name} ({account.account_id})" if account.name else account.account_id


def _by_ou(owners: Sequence[AccountSummary]) -> list[tuple[str, str, dict[Status, int]]]:
    totals: dict[str, dict[Status, int]] = {}
    for account in owners:
        ou = account.ou_path or "(no OU)"
        counts = totals.setdefault(ou, dict.fromkeys(STATUS_ORDER, 0))
        for status in STATUS_ORDER:
            counts[status] += account.counts[status]
    return [(ou, ou, counts) for ou, counts in sorted(totals.items())]


def _shorten(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
