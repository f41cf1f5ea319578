"""The reports' tamper paths: the "Who can weaken" sheet and the page's sentence per trail."""

from __future__ import annotations

import io
from dataclasses import replace

from openpyxl import load_workbook

from orgscan.model import AccountCoverage, Policy, RunInfo, ScanResult, Status
from orgscan.reports import ReportInputs
from orgscan.reports.html_report import HtmlReport
from orgscan.reports.tamper_view import PAGE_ROWS, sheet_rows, tamper_view, trail_sentence
from orgscan.reports.xlsx_report import XlsxReport
from orgscan.weakeners import Weakener
from tests import builders

LOG = "333333333333"
ORG_TRAIL = builders.trail_arn("org-trail", "111111111111")
RUN = RunInfo(
    "2026-12-07T09:00:00Z",
    "2026-12-07T09:01:00Z",
    "0.1.0",
    "arn:aws:iam::111111111111:user/auditor",
    "o-abcdefghij",
    Policy(),
    ("us-east-1",),
    complete=True,
)


def row(principal: str, action: str = "cloudtrail:StopLogging", **changes: object) -> Weakener:
    role = principal.removeprefix("role/")
    return builders.weakener(ORG_TRAIL, role, LOG, action=action, **changes)


ROWS = (
    row("role/Blocked", blocked_by="p-guard#DenyTrail"),
    row("role/Admin"),
    row("role/Ops"),
    row("role/Mfa", conditional=True),
    row("role/BreakGlass", break_glass=True),
)
NAMES = {LOG: "log-archive"}


def result(rows: tuple[Weakener, ...] = ROWS) -> ScanResult:
    failing = builders.finding(
        trail_name="org-trail",
        account_id="111111111111",
        tamper_status=Status.FAIL,
        tamper_reason="2 principal(s) can",
    )
    passing = builders.finding(trail_name="quiet", tamper_status=Status.PASS, tamper_reason="ok")
    account = AccountCoverage(LOG, "log-archive", "/Root", "ACTIVE", True, 1, None)
    return ScanResult(RUN, (account,), (passing, failing), weakeners=rows)


def test_the_sentence_counts_principals_by_kind_account_and_blocking() -> None:
    sentence = trail_sentence("org-trail", ROWS, NAMES)
    assert sentence == (
        "3 roles in log-archive can stop or change trail org-trail (1 only under a condition); "
        "1 other principal is blocked by an SCP or RCP."
    )
    assert trail_sentence("t", ROWS[1:3], NAMES).endswith("; none is blocked by an SCP or RCP.")
    assert trail_sentence("t", ROWS[:1], NAMES) == (
        "Nobody outside break-glass can weaken trail t; "
        "1 other principal is blocked by an SCP or RCP."
    )


def test_the_sheet_puts_open_rows_first() -> None:
    ordered = [r.principal_arn.rsplit("/", 1)[1] for r in sheet_rows(result())]
    assert ordered == ["Admin", "Ops", "Mfa", "Blocked", "BreakGlass"]


def test_the_page_puts_failing_trails_first_and_caps_its_rows() -> None:
    view = tamper_view(result())
    assert view is not None
    assert [t.status for t in view.trails] == [Status.FAIL, Status.PASS]
    assert [r.principal_arn[-5:] for r in view.trails[0].rows] == ["Admin", "e/Ops", "e/Mfa"]
    many = tuple(row(f"role/R{i:05}") for i in range(3000 * 3))
    capped = tamper_view(result(many))
    assert capped is not None
    assert sum(len(t.rows) for t in capped.trails) == PAGE_ROWS
    assert capped.rows_left == len(many) - PAGE_ROWS
    assert tamper_view(replace(result(), weakeners=None)) is None


def test_the_workbook_and_page_show_who_can_weaken() -> None:
    inputs = ReportInputs(result())
    sheet = load_workbook(io.BytesIO(XlsxReport().render(inputs)))["Who can weaken"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("Standing", "Principal", "Principal account", "Action")
    assert [v[0] for v in values[1:]] == ["open", "open", "conditional", "blocked", "break-glass"]
    assert values[4][9] == "p-guard#DenyTrail"
    page = HtmlReport().render(inputs).decode()
    assert "Who can weaken" in page
    assert "3 roles in log-archive can stop or change trail org-trail" in page
    assert page.index("org-trail (1 only") < page.index(">PASS<", page.index('id="tamper"'))
    assert "2 more rows" in page
