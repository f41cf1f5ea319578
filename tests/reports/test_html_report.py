"""report.html: one row per finding, counts, escaping, no external URL, deterministic output."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from orgscan.findings import dumps, loads
from orgscan.formats import available_formats
from orgscan.model import AccountCoverage, ScanResult
from orgscan.reports import ReportInputs
from orgscan.reports.fixes import fix_groups, remediation_rows
from orgscan.reports.html_report import (
    MAX_CHART_BARS,
    Health,
    HtmlReport,
    charts,
    detailed_fixes,
    finding_rows,
)
from orgscan.reports.standings import accounts_view
from orgscan.reports.summary import summarise
from orgscan.templates import environment, template_dir

from .page_parser import parse
from .report_fixture import (
    ARCHIVE,
    CLOSED,
    DEV,
    FORMULA_NAME,
    LEGACY,
    MGMT,
    PROD,
    SCRIPT_NAME,
    build_judged,
    build_result,
)


def render(result: ScanResult) -> str:
    return HtmlReport().render(ReportInputs(result=result)).decode("utf-8")


@pytest.fixture
def html(scan_result: ScanResult) -> str:
    return render(scan_result)


def test_registered_as_html_format() -> None:
    assert available_formats()["html"].filename == "report.html"


def test_one_table_row_per_finding_failing_first(html: str, scan_result: ScanResult) -> None:
    rows = parse(html).finding_rows
    assert len(rows) == len(scan_result.findings) == 9
    assert [row["data-status"] for row in rows] == ["FAIL"] * 4 + ["ERROR"] * 2 + ["WARN"] + [
        "PASS"
    ] * 2
    # Within a status, by account: the same order as the workbook's severity sort.
    assert [row["data-account"] for row in rows[:4]] == [MGMT, PROD, PROD, DEV]
    assert sorted(row["data-account"] or "" for row in rows) == sorted(
        f.account_id for f in scan_result.findings
    )
    # PASS rows are collapsed behind the status filter; the failing ones are shown.
    assert ["hidden" in row for row in rows] == [False] * 7 + [True] * 2
    assert "2 PASS rows are collapsed" in html


def test_every_row_shown_when_all_pass(scan_result: ScanResult) -> None:
    passing = replace(
        scan_result, findings=tuple(f for f in scan_result.findings if f.status.value == "PASS")
    )
    rows = parse(render(passing)).finding_rows
    assert len(rows) == 2
    assert not any("hidden" in row for row in rows)


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
    assert "2026-11-27 09:01:30 UTC" in text
    assert "mode COMPLIANCE" in text
    assert "minimum 365 days" in text
    assert "4 of 5 planned accounts scanned (6 in the organization); 3 regions" in text
    assert "Coverage incomplete" in text


def test_a_section_per_failing_bucket_and_the_errors(html: str) -> None:
    page = parse(html)
    assert page.articles == 7
    text = " ".join("".join(page.text).split())
    assert "enable-in-place" in text
    assert "Enable Object Lock with default retention COMPLIANCE for 365 days" in text
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
    assert "This run lists no accounts" in html


def test_verdict_line_comes_first_and_names_the_unprotected_accounts() -> None:
    html = render(build_judged())
    text = " ".join("".join(parse(html).text).split())
    sentence = (
        "2 of 4 scanned accounts are not protected: their activity is not recorded into "
        "a locked bucket in ap-south-2 (2 accounts), eu-west-1 (2 accounts) and "
        "us-east-1 (2 accounts); 4 trails deliver into buckets that fail: 1 missing, "
        "1 without Object Lock, 1 in a mode the policy does not allow, 1 with too short a "
        "retention."
    )
    assert sentence in text
    # The verdict is the first thing after the title, before any table.
    assert html.index('id="verdict-line"') < html.index("<table")
    assert text.index(sentence) < text.index("Organization")
    assert f"Not protected Management ({MGMT}), {SCRIPT_NAME} ({DEV})." in text
    assert "1 more account could not be assessed" in text
    assert "2 accounts of the organization were not scanned" in text
    assert 'class="verdict verdict-FAIL"' in html


def test_account_view_gives_each_account_its_verdict_and_gaps() -> None:
    page = parse(render(build_judged()))
    html = render(build_judged())
    rows = re.findall(r'<tr id="account-(\d{12})" data-standing="([a-z ]+)">', html)
    assert rows == [
        (MGMT, "not protected"),
        (DEV, "not protected"),
        (ARCHIVE, "could not tell"),
        (PROD, "protected"),
        (CLOSED, "not scanned"),
        (LEGACY, "not scanned"),
    ]
    text = " ".join("".join(page.text).split())
    assert "not recorded: all 3 scanned regions" in text
    assert (
        "recorded into an unlocked bucket: eu-west-1, us-east-1; could not tell: ap-south-2" in text
    )
    assert "prod-to-archive" in text  # protected by


def test_unjudged_accounts_are_never_shown_as_protected(html: str) -> None:
    text = " ".join("".join(parse(html).text).split())
    assert (
        "The 4 scanned accounts were not assessed: this run did not judge accounts, so "
        "read the findings below trail by trail; 4 trails deliver into buckets that fail: "
    ) in text
    assert 'data-standing="protected"' not in html
    assert html.count('data-standing="not assessed"') == 4
    assert html.count('data-standing="not scanned"') == 2


def health_of(row: dict[str, object]) -> Health:
    health = row["health"]
    assert isinstance(health, Health)
    return health


def test_trail_health_is_shown_per_finding() -> None:
    result = build_judged()
    health = {row["trail_name"]: health_of(row) for row in finding_rows(summarise(result))}
    assert health["archive-eu"].logging == "not logging"
    assert health["archive-eu"].delivery_error == "AccessDenied"
    assert health["archive-eu"].problem
    assert health["dev-audit"].management_events == "None"
    assert not health["prod-to-archive"].problem
    text = " ".join("".join(parse(render(result)).text).split())
    assert "not logging management events All delivery error AccessDenied" in text
    unjudged = finding_rows(summarise(build_result()))
    assert {health_of(row).logging for row in unjudged} == {"unknown"}


def test_what_to_fix_is_grouped_by_owner_account_most_urgent_first(html: str) -> None:
    groups = re.findall(
        r'<section class="fix-group status-border-(\w+)" aria-label="([^"]+)"', html
    )
    # The log archive's buckets: one WARN, one ERROR; the group takes the most urgent.
    assert [status for status, _ in groups] == ["FAIL", "FAIL", "FAIL", "ERROR"]
    assert groups[-1][1] == f"Log Archive ({ARCHIVE})"
    assert html.index('id="fix"') < html.index('id="findings"') < html.index('id="coverage"')
    assert html.index('id="accounts"') < html.index('id="fix"')


def test_times_carry_the_hour_and_zone(html: str) -> None:
    text = " ".join("".join(parse(html).text).split())
    assert "Scan finished 2026-11-27 09:01:30 UTC" in text
    assert "Scan started2026-11-27 09:00:00 UTC" in text  # a <dt> and its <dd>


def test_charts_are_proportions_that_mean_something_small_and_large() -> None:
    result = build_judged()
    summary = summarise(result)
    small = charts(summary, accounts_view(result))
    assert [(s.label, s.count) for s in small.accounts.segments] == [
        ("not protected", 2),
        ("could not tell", 1),
        ("protected", 1),
        ("not scanned", 2),
    ]
    assert small.ous == ()  # a small organization: the accounts table says it all
    assert sum(s.count for s in small.trails.segments) == 9
    many = tuple(
        AccountCoverage(f"{n:012d}", f"acct {n}", f"/Root/OU{n % 2}", "ACTIVE", True, 1, None)
        for n in range(MAX_CHART_BARS + 1)
    )
    big_result = replace(result, accounts=many)
    big = charts(summarise(big_result), accounts_view(big_result))
    assert [(bar.label, bar.total) for bar in big.ous] == [("/Root/OU0", 13), ("/Root/OU1", 13)]
    assert [s.label for s in big.ous[0].segments] == ["not assessed"]


def test_templates_autoescape() -> None:
    assert (template_dir() / "report.html.j2").is_file()
    env = environment()
    assert env.from_string("{{ v }}").render(v="<b>") == "&lt;b&gt;"


def test_what_to_fix_details_the_most_urgent_buckets_and_lists_the_rest(
    scan_result: ScanResult,
) -> None:
    summary = summarise(scan_result)
    groups = fix_groups(remediation_rows(ReportInputs(result=scan_result), summary), summary)
    split = detailed_fixes(groups, limit=3)
    # In the plan's ranking: Management's unlocked bucket, then the missing bucket no account
    # owns with the partner's bucket that nothing here can change.
    assert [len(rows) for _, rows in split.groups] == [1, 2]
    assert split.groups[1][0].label == "owner unknown"
    assert len(split.rest) == 7 - 3
    assert [(group.label, row.bucket.status.value) for group, row in split.rest] == [
        (f"{FORMULA_NAME} ({PROD})", "FAIL"),
        (f"{FORMULA_NAME} ({PROD})", "FAIL"),
        (f"Log Archive ({ARCHIVE})", "WARN"),
        (f"Log Archive ({ARCHIVE})", "ERROR"),
    ]
    # At most one per account: every account's most urgent bucket is detailed.
    one_each = detailed_fixes(groups, limit=40, per_group=1)
    assert [len(rows) for _, rows in one_each.groups] == [1, 1, 1, 1]
    assert len(one_each.rest) == 3
    # Every failing bucket is on the page exactly once, in the detail or in the table.
    shown = [row.bucket.bucket_name for _, rows in split.groups for row in rows]
    assert sorted(shown + [row.bucket.bucket_name for _, row in split.rest]) == sorted(
        b.bucket_name for b in summary.buckets if b.status.value != "PASS"
    )


def test_what_to_run_names_the_first_ranked_script_and_counts_the_rest(
    scan_result: ScanResult,
) -> None:
    # Without verdicts no fix makes an account protected: the worst bucket goes first, the
    # management account's unlocked one, ahead of the missing bucket no account owns.
    result = replace(
        scan_result,
        findings=tuple(
            finding
            for finding in scan_result.findings
            if not (finding.bucket_name or "").startswith("prod-")
        ),
    )
    summary = summarise(result)
    first = fix_groups(remediation_rows(ReportInputs(result=result), summary), summary)[0]
    assert first.label == f"Management ({MGMT})"
    text = " ".join("".join(parse(render(result)).text).split())
    assert (
        f"What to run remediation/{MGMT}.sh first: it fixes bucket mgmt-trail-logs "
        "(LOCK_NOT_CONFIGURED); then 2 more scripts, in What to fix and the Remediation sheet."
    ) in text
