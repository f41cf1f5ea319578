"""The page's "What to fix" and the Remediation sheet list the plan's integrity and retro-lock
entries too: one line each, after the bucket fixes, in the plan's ranking, capped with a count."""

from __future__ import annotations

import dataclasses
import io

from openpyxl import load_workbook

from orgscan.model import IntegrityCheck, IntegrityCode, ReasonCode, ScanResult, Status
from orgscan.prelock_count import Prelock, PrelockSource
from orgscan.remediation import RemediationSettings, build_plan
from orgscan.remediation.plan_model import EntryKind
from orgscan.remediation.ranking import rank_plan
from orgscan.reports import ReportInputs
from orgscan.reports.entry_fixes import entry_fixes
from orgscan.reports.html_report import HtmlReport
from orgscan.reports.xlsx_report import XlsxReport
from orgscan.wording import plural
from tests.remediation.builders import LOG_ARCHIVE, WORKLOAD, finding, scan_result

from .page_parser import parse

COUNT = Prelock(
    PrelockSource.SAMPLE,
    checked=8,
    unprotected=5,
    oldest_unprotected="2026-09-10T08:00:00Z",
    oldest_protected="2026-11-02T10:00:00Z",
    prefixes=("AWSLogs/",),
)


def _result() -> ScanResult:
    """A bucket to lock, a trail without log file validation and with an open bucket, and a
    locked bucket with files from before its lock."""
    weak = finding("weak", ReasonCode.COMPLIANT, log_file_validation=False)
    weak = dataclasses.replace(
        weak,
        public_access_blocked=False,
        integrity=(
            IntegrityCheck(IntegrityCode.LOG_FILE_VALIDATION, Status.WARN, "off"),
            IntegrityCheck(IntegrityCode.PUBLIC_ACCESS, Status.WARN, "not fully on"),
        ),
    )
    locked = finding(
        "org",
        ReasonCode.COMPLIANT,
        retention_days=365,
        bucket_name="org-trail-logs",
        bucket_account_id=LOG_ARCHIVE,
        bucket_region="eu-west-1",
        prelock=COUNT,
    )
    return scan_result(finding("unlocked", ReasonCode.LOCK_NOT_CONFIGURED), weak, locked)


def _inputs() -> ReportInputs:
    result = _result()
    return ReportInputs(result=result, plan=build_plan(result, RemediationSettings()))


def test_every_integrity_and_retro_lock_entry_has_a_line_in_the_plans_ranking() -> None:
    inputs = _inputs()
    assert inputs.plan is not None
    kinds = (EntryKind.INTEGRITY, EntryKind.RETRO_LOCK)
    ranked = [r.entry for r in rank_plan(inputs.plan, inputs.result) if r.entry.kind in kinds]
    fixes = entry_fixes(inputs)
    assert fixes.more == 0
    assert [f.summary for f in fixes.rows] == [e.explanation for e in ranked]
    assert {(f.kind, f.fixes) for f in fixes.rows} == {
        ("integrity", f"LOG_FILE_VALIDATION of trail {inputs.result.findings[1].trail_arn}"),
        ("integrity", "PUBLIC_ACCESS of bucket weak-logs"),
        ("retro-lock", "Log files before the lock in bucket org-trail-logs"),
    }
    retro = next(f for f in fixes.rows if f.kind == "retro-lock")
    (jobs,) = [e for e in ranked if e.kind is EntryKind.RETRO_LOCK]
    assert (retro.script, retro.steps) == (f"remediation/{LOG_ARCHIVE}.sh", len(jobs.steps))
    assert retro.steps >= 1
    # Capped like the rest: the first lines, and how many more.
    capped = entry_fixes(inputs, limit=1)
    assert (capped.rows, capped.more) == (fixes.rows[:1], 2)


def test_the_page_and_the_sheet_show_them_after_the_bucket_fixes() -> None:
    inputs = _inputs()
    fixes = entry_fixes(inputs).rows
    page = " ".join("".join(parse(HtmlReport().render(inputs).decode()).text).split())
    assert "3 integrity and retro-lock fixes" in page
    assert page.index("unlocked-logs") < page.index("3 integrity and retro-lock fixes")
    for fix in fixes:
        assert f"{fix.kind} {fix.fixes}: {fix.summary}" in page
    assert f"remediation/{WORKLOAD}.sh, 1 step" in page
    sheet = load_workbook(io.BytesIO(XlsxReport().render(inputs)))["Remediation"]
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    title = cells.index(["Integrity and files before the lock"] + [None] * (len(cells[0]) - 1))
    assert [row[:5] for row in cells[title + 1 :]] == [
        [f.kind, f.fixes, f.summary, plural(f.steps, "step"), f.script_label] for f in fixes
    ]
