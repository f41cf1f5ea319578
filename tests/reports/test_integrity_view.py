"""The page's integrity section (contract 5.2): its sentence first, failing first, bounded."""

from __future__ import annotations

import re
from dataclasses import replace

from orgscan.model import (
    Finding,
    IntegrityCheck,
    IntegrityCode,
    ScanResult,
    Status,
)
from orgscan.reports import ReportInputs
from orgscan.reports.html_report import HtmlReport
from orgscan.reports.integrity_view import MAX_PAGE_ROWS, integrity_sentence, integrity_view
from tests import builders

RUN = builders.run_info()


def _checked(name: str, *statuses: Status) -> Finding:
    codes = (IntegrityCode.DELIVERY, IntegrityCode.KMS_KEY, IntegrityCode.PUBLIC_ACCESS)
    return replace(
        builders.finding(trail_name=name),
        integrity=tuple(
            IntegrityCheck(code, status, f"{name} {code.value} {status.value}.")
            for code, status in zip(codes, statuses, strict=False)
        ),
    )


def test_the_sentence_names_failures_by_check_then_unknowns_and_warnings() -> None:
    findings = [
        _checked("a", Status.FAIL, Status.FAIL),
        _checked("b", Status.PASS, Status.ERROR, Status.WARN),
        _checked("c", Status.WARN),
        _checked("d", Status.PASS, Status.PASS, Status.FAIL),
        builders.finding(trail_name="old"),  # not assessed: not counted either way
    ]
    assert integrity_sentence(findings) == (
        "2 of 4 trails fail an integrity check beside the lock (DELIVERY 1, KMS_KEY 1, "
        "PUBLIC_ACCESS 1); 1 trail could not be told; 1 trail only warns."
    )
    assert integrity_sentence([_checked("a", Status.PASS), _checked("b", Status.PASS)]) == (
        "All 2 trails pass every integrity check beside the lock."
    )
    assert "did not check integrity" in integrity_sentence([builders.finding()])


def test_the_page_lists_what_does_not_pass_failing_first_and_bounded() -> None:
    many = [_checked(f"t{index:05d}", Status.WARN, Status.FAIL) for index in range(150)]
    view = integrity_view([_checked("ok", Status.PASS), *many])
    assert len(view.rows) == MAX_PAGE_ROWS == 200
    assert view.rows_left == 300 - MAX_PAGE_ROWS  # every WARN and FAIL, no PASS
    assert {row.check.status for row in view.rows[:150]} == {Status.FAIL}
    assert view.rows[150].check.status is Status.WARN


def test_the_page_section_comes_after_what_to_fix_and_says_it_first() -> None:
    result = ScanResult(run=RUN, findings=(_checked("disabled-key", Status.PASS, Status.FAIL),))
    page = b"".join(HtmlReport().stream(ReportInputs(result=result))).decode()
    section = page[page.index('id="integrity"') :]
    assert page.index('id="fix"') < page.index('id="integrity"') < page.index('id="findings"')
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section[: section.index("</section>")]))
    assert text.index("1 of 1 trail fails an integrity check") < text.index(
        "disabled-key KMS_KEY FAIL."
    )
    assert "disabled-key DELIVERY PASS." not in text  # passing checks stay in the workbook
