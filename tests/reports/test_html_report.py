"""report.html: one row per finding, counts, escaping, no external URL, deterministic output."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from page_parser import parse
from report_fixture import FORMULA_NAME, SCRIPT_NAME, build_result

from orgscan.findings import dumps, loads
from orgscan.model import AccountCoverage, ScanResult
from orgscan.reports import ReportInputs, available_formats
from orgscan.reports.html_report import MAX_CHART_BARS, HtmlReport, status_chart
from orgscan.reports.summary import summarise
from orgscan.templates import environment, template_dir


def render(result: ScanResult) -> str:
    return HtmlReport().render(ReportInputs(result=result)).decode("utf-8")


@pytest.fixture
def html(scan_result: ScanResult) -> str:
    return render(scan_result)


def test_registered_as_html_format() -> None:
    assert available_formats()["html"].filename == "report.html"


def test_one_table_row_per_finding(html: str, scan_result: ScanResult) -> None:
    rows = parse(html).finding_rows
    assert len(rows) == len(scan_result.findings) == 9
    assert [row["data-status"] for row in rows] == [f.status.value for f in scan_result.findings]
    assert [row["data-account"] for row in rows] == [f.account_id for f in scan_result.findings]


def test_status_cards_show_the_counts(html: str) -> None:
    assert parse(html).cards == {"PASS": "2", "WARN": "1", "FAIL": "4", "ERROR": "2"}


def test_no_external_url_anywhere(html: str) -> None:
    page = parse(html)
    assert page.urls  # the in-page link to the coverage section is seen
    for url in page.urls:
        assert not re.match(r"(?i)\s*(https?:)?//", url), url
        assert url.startswith("#"), url
    assert "link" not in page.tags  # no stylesheet or font fetched
    assert page.tags.count("script") == 1  # the inline script only
    assert "@import" not in html
    assert "url(" not in html
    assert not re.search(r"(?i)<script[^>]*\bsrc=", html)


def test_injected_names_are_text(html: str) -> None:
    assert SCRIPT_NAME not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = parse(html)
    text = "".join(page.text)
    assert text.count(SCRIPT_NAME) >= 3  # trail name, account name, error message
    assert FORMULA_NAME in text
    assert FORMULA_NAME.replace('"', "&#34;") in html


def test_header_shows_org_policy_and_coverage(html: str) -> None:
    text = " ".join("".join(parse(html).text).split())
    assert "o-abc123def4" in text
    assert "2026-11-27T09:01:30Z" in text
    assert "mode COMPLIANCE" in text
    assert "minimum 365 days" in text
    assert "4 of 5 planned accounts scanned (6 in the organization); 3 region(s)" in text
    assert "Coverage is incomplete" in text


def test_a_section_per_failing_bucket_and_the_errors(html: str) -> None:
    page = parse(html)
    assert page.articles == 7
    text = " ".join("".join(page.text).split())
    assert "enable-in-place" in text
    assert "put-object-lock-configuration" in text
    assert "OptInRequired" in text
    assert "not scanned: account is SUSPENDED" in text


def test_render_is_byte_identical_and_rebuilt_from_findings_json(scan_result: ScanResult) -> None:
    first = HtmlReport().render(ReportInputs(result=scan_result))
    assert HtmlReport().render(ReportInputs(result=scan_result)) == first
    assert HtmlReport().render(ReportInputs(result=loads(dumps(scan_result)))) == first


def test_empty_result(empty_result: ScanResult) -> None:
    html = render(empty_result)
    page = parse(html)
    assert page.finding_rows == []
    assert page.cards == {"PASS": "0", "WARN": "0", "FAIL": "0", "ERROR": "0"}
    assert "Nothing to fix" in html
    assert "No trails were found." in html


def test_chart_groups_by_ou_in_a_large_organization() -> None:
    result = build_result()
    small = status_chart(summarise(result))
    assert small.grouped_by == "account"
    assert len(small.bars) == 4  # the accounts that own trails
    assert sum(bar.total for bar in small.bars) == 9
    many = tuple(AccountCoverage(f"{n:012d}", f"acct {n}", "/Root/Many", "ACTIVE", True, 1, None)
                 for n in range(MAX_CHART_BARS + 1))
    findings = tuple(replace(result.findings[0], account_id=a.account_id,
                             trail_arn=f"arn:aws:cloudtrail:us-east-1:{a.account_id}:trail/t")
                     for a in many)
    big = status_chart(summarise(replace(result, accounts=many, findings=findings)))
    assert big.grouped_by == "OU"
    assert [(bar.label, bar.total) for bar in big.bars] == [("/Root/Many", MAX_CHART_BARS + 1)]


def test_templates_autoescape() -> None:
    assert (template_dir() / "report.html.j2").is_file()
    env = environment()
    assert env.from_string("{{ v }}").render(v="<b>") == "&lt;b&gt;"
