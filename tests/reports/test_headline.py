"""The headline answers both questions: are the accounts protected, do the trails' buckets pass."""

from __future__ import annotations

from dataclasses import replace

from orgscan.exceptions_register import excepted_for_exit
from orgscan.model import AccountVerdictCode, ScanResult, Status
from orgscan.reports import ReportInputs
from orgscan.reports.headline import headline
from orgscan.reports.html_report import HtmlReport
from orgscan.reports.standings import accounts_view
from tests.reports.report_fixture import build_history, judged


def all_protected(result: ScanResult) -> ScanResult:
    """``result`` with every scanned account protected (an organization trail into a locked
    bucket), its failing trails left as they are."""
    accounts = tuple(
        replace(a, verdict=Status.PASS, verdict_code=AccountVerdictCode.PROTECTED, gaps=())
        if a.scanned
        else a
        for a in result.accounts
    )
    return replace(result, accounts=accounts)


def test_protected_accounts_with_failing_trails_are_not_green() -> None:
    _, current, _ = build_history()
    result = all_protected(judged(current))
    # An accepted exception excuses its trail from the exit code, and from the headline.
    failing = [f for f in result.findings if f.status is Status.FAIL and not excepted_for_exit(f)]
    assert failing  # the fixture's FAIL trails
    found = headline(result, accounts_view(result))
    assert found.status is Status.FAIL
    assert found.sentence.startswith("All 4 scanned accounts are protected: ")
    assert f", but {len(failing)} trails deliver into buckets that fail: " in found.sentence
    assert "1 missing" in found.sentence
    page = HtmlReport().render(ReportInputs(result=result)).decode()
    assert 'class="verdict verdict-FAIL"' in page
    assert found.sentence.replace(",", "") in page.replace(",", "").replace("&#39;", "'")


def test_a_clean_run_keeps_the_account_sentence_and_its_colour() -> None:
    _, current, _ = build_history()
    result = all_protected(judged(current))
    result = replace(
        result, findings=tuple(f for f in result.findings if f.status is not Status.FAIL)
    )
    found = headline(result, accounts_view(result))
    assert found.status is Status.PASS
    assert found.sentence == accounts_view(result).sentence
    assert "trails deliver" not in found.sentence
