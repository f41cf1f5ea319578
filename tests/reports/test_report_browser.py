"""report.html in a real headless Chromium: the verdict first, the accounts, failing rows first,
sorting and filtering, a phone-width layout without sideways scrolling, no console errors.

Uses the system's Chromium through Playwright (never a downloaded browser). Skipped, with the
reason shown, where no Chromium or no Playwright is installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from benchmarks.reports import CHROMIUM_ARGS, find_chromium
from orgscan.reports import ReportInputs
from orgscan.reports.html_report import HtmlReport

from .report_fixture import DEV, MGMT, SCRIPT_NAME, build_history, judged

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
    )
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set ORGSCAN_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    # The fixture result with a diff, exception marks, trail health and account verdicts.
    _, current, diff = build_history()
    path = tmp_path / "report.html"
    path.write_bytes(HtmlReport().render(ReportInputs(result=judged(current), diff=diff)))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.problems = []
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    page.on("dialog", lambda dialog: page.problems.append(f"dialog: {dialog.message}"))
    # Any request that leaves the file is a defect: record it and refuse it.
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("file:")
            else (page.problems.append(route.request.url), route.abort())
        ),
    )
    page.goto(path.as_uri())
    yield page
    context.close()


def visible_statuses(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#findings-table tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.status)"
    )


def column_keys(page: Any, column: int) -> list[str]:
    """Each row's value in ``column`` as the page sorts it (its data-sort, else its main value)."""
    return page.eval_on_selector_all(
        "#findings-table tbody tr",
        f"rows => rows.map(r => {{ const c = r.cells[{column}]; "
        "return (c.dataset.sort ?? (c.querySelector('.name') || c.firstChild).textContent)"
        ".trim(); })",
    )


def test_renders_without_errors_or_network(page: Any) -> None:
    assert page.title().startswith("CloudTrail Object Lock audit")
    assert page.locator("#findings-table tbody tr").count() == 9
    assert page.locator(".filters").is_visible()
    assert page.problems == []
    # The injected name is on the page as text, and it never ran.
    assert page.get_by_text(SCRIPT_NAME).first.is_visible()


def test_the_first_screen_gives_the_verdict_and_what_to_run(page: Any) -> None:
    line = page.locator("#verdict-line")
    assert line.inner_text().startswith("2 of 4 scanned accounts are not protected")
    box = line.bounding_box()
    assert box is not None
    assert box["y"] < 200  # read first, above everything else
    who = page.locator("#verdict .who")
    assert who.is_visible()
    assert f"Management ({MGMT})" in who.inner_text()
    todo = page.locator("#verdict .todo")
    assert "What to fix" in todo.inner_text()
    assert todo.bounding_box()["y"] + todo.bounding_box()["height"] < 900  # on the first screen
    # Its link leads to the account's row in the account view.
    who.get_by_text(f"Management ({MGMT})").click()
    row = page.locator(f"#account-{MGMT}")
    assert row.is_visible()
    assert "not protected" in row.inner_text()
    assert page.problems == []


def test_account_view_lists_each_verdict(page: Any) -> None:
    standings = page.eval_on_selector_all(
        "#accounts tbody tr", "rows => rows.map(r => r.dataset.standing)"
    )
    assert standings == [
        "not protected",
        "not protected",
        "could not tell",
        "protected",
        "not scanned",
        "not scanned",
    ]
    dev = page.locator(f"#account-{DEV}")
    assert "not recorded: all 3 scanned regions" in dev.inner_text()
    assert dev.locator(".badge").inner_text() == "FAIL"
    assert page.locator("#account-555555555555 .badge").inner_text() == "—"  # not scanned
    assert page.problems == []


def test_failing_rows_first_and_pass_rows_behind_the_filter(page: Any) -> None:
    assert visible_statuses(page) == ["FAIL"] * 4 + ["ERROR"] * 2 + ["WARN"]
    assert page.locator("#filter-status").input_value() == "failing"
    assert page.locator("#findings-shown").text_content() == "7"
    page.select_option("#filter-status", "")
    assert visible_statuses(page)[-2:] == ["PASS", "PASS"]
    assert page.locator("#findings-shown").text_content() == "9"
    assert page.problems == []


def test_sorting_reorders_rows(page: Any) -> None:
    page.select_option("#filter-status", "")
    retention = page.locator("#findings-table th", has_text="Default retention").locator("button")
    retention.click()
    values = column_keys(page, 5)
    numbers = [int(v) for v in values if v]
    assert numbers == sorted(numbers) == [30, 365, 365, 400]
    assert values[len(numbers) :] == [""] * 5  # empty values last
    retention.click()
    numbers = [int(v) for v in column_keys(page, 5) if v]
    assert numbers == [400, 365, 365, 30]

    page.get_by_role("button", name="Trail ↕", exact=True).click()
    trails = column_keys(page, 2)
    assert trails == sorted(trails, key=str.lower)
    assert trails[0] == "<script>alert(1)</script>"
    page.locator("#findings-table th", has_text="Status").locator("button").click()
    assert visible_statuses(page) == ["FAIL"] * 4 + ["ERROR"] * 2 + ["WARN", "PASS", "PASS"]
    assert page.problems == []


def test_status_filter_hides_rows(page: Any) -> None:
    page.select_option("#filter-status", "FAIL")
    assert visible_statuses(page) == ["FAIL"] * 4
    assert page.locator("#findings-shown").text_content() == "4"
    page.select_option("#filter-status", "")
    assert len(visible_statuses(page)) == 9
    page.locator(".card[data-filter-status='ERROR']").click()
    assert visible_statuses(page) == ["ERROR", "ERROR"]
    assert page.locator(".card[data-filter-status='ERROR']").get_attribute("aria-pressed") == "true"
    page.select_option("#filter-status", "")
    page.select_option("#filter-account", "333333333333")
    assert len(visible_statuses(page)) == 3
    page.fill("#filter-text", "prod-short")
    assert visible_statuses(page) == ["FAIL"]
    assert page.problems == []


def overflowing(page: Any) -> list[str]:
    """Elements whose right edge passes the viewport's: what a reader would scroll sideways to."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        return Array.from(document.querySelectorAll("body *"))
            .filter(el => el.getClientRects().length
                          && el.getBoundingClientRect().right > width + 0.5)
            .map(el => el.tagName + "." + el.className);
    }""")


@pytest.mark.parametrize("width", [400, 360])
def test_phone_width_has_no_horizontal_overflow(page: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.select_option("#filter-status", "")  # every row laid out
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.evaluate(
        "document.querySelectorAll('.deferred').forEach(s => "
        "{ s.style.contentVisibility = 'visible'; })"
    )
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert overflowing(page) == []
    # Tables become stacked rows: one card per finding, each cell with its column's label.
    row = page.locator("#findings-table tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    label = row.locator("td").first.evaluate("c => getComputedStyle(c, '::before').content")
    assert label == '"Status"'
    # The changes table's badges are whole ("FAIL", not a clipped "FA").
    badge = page.locator("#changes .badge.status-FAIL").first
    assert badge.evaluate("b => b.scrollWidth <= b.clientWidth + 1")
    # The organization id in the title moves to its own line whole ("o-" and the rest together).
    assert page.locator("h1 .org").evaluate("e => e.getClientRects().length") == 1
    assert page.problems == []


def test_print_shows_every_row_and_opens_sections(page: Any) -> None:
    page.emulate_media(media="print")
    assert not page.locator(".filters").is_visible()
    assert page.locator("#findings-table tbody tr[data-status='PASS']").first.is_visible()
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("details:not([open])").count() == 0
    assert page.problems == []


def test_changes_and_exceptions_are_shown(page: Any) -> None:
    notes = page.locator("#verdict .notes")
    assert notes.is_visible()
    assert (
        "accounts: 0 new failures, 0 resolved; trails: 1 new failure, 0 resolved; "
        "since 2026-11-20 09:00 UTC"
    ) in notes.inner_text()
    assert page.locator("#changes tbody tr").count() == 7
    new_failure = page.locator("#changes .badge.change-new_failure")
    new_failure.scroll_into_view_if_needed()  # the section is laid out once scrolled to
    page.wait_for_function("el => el.innerText === 'new failure'", arg=new_failure.element_handle())
    badge = page.locator("#findings-table .badge.exception")
    assert badge.inner_text() == "EXCEPTED"
    assert badge.is_visible()
    page.fill("#filter-text", "excepted")  # the badge is part of the row's text
    assert visible_statuses(page) == ["FAIL"]
    page.fill("#filter-text", "")
    page.select_option("#filter-status", "FAIL")  # excepted findings keep their status
    assert page.locator("#findings-table tbody tr:not([hidden]) .badge.exception").count() == 1
    assert (
        page.locator("#findings-table tbody tr:not([hidden]) .badge.exception-expired").count() == 1
    )
    assert page.problems == []


def test_the_caller_arn_wraps_between_its_parts_and_tables_keep_off_the_next_heading(
    browser: Any, tmp_path: Path
) -> None:
    _, current, diff = build_history()
    arn = "arn:aws:sts::111111111111:assumed-role/OrganizationAccountAccessRoleForAudit/session"
    result = judged(current)
    result = replace(result, run=replace(result.run, caller_arn=arn))
    path = tmp_path / "report.html"
    path.write_bytes(HtmlReport().render(ReportInputs(result=result, diff=diff)))
    context = browser.new_context(viewport={"width": 400, "height": 900})
    page = context.new_page()
    page.goto(path.as_uri())
    # Every line of the caller's value ends at a separator: no word is cut in two.
    lines = page.eval_on_selector(
        ".meta dd.arn",
        """dd => { const r = document.createRange(); const t = [];
           const walker = document.createTreeWalker(dd, NodeFilter.SHOW_TEXT);
           let line = '', top = null, node;
           while ((node = walker.nextNode())) {
             for (let i = 0; i < node.length; i++) {
               r.setStart(node, i); r.setEnd(node, i + 1);
               const y = Math.round(r.getBoundingClientRect().top);
               if (top !== null && y !== top) { t.push(line); line = ''; }
               top = y; line += node.data[i];
             }
           }
           t.push(line); return t; }""",
    )
    assert "".join(lines) == arn
    assert len(lines) > 1
    assert all(line.endswith((":", "/")) for line in lines[:-1]), lines
    # The "Accounts not scanned" table and the "Errors" heading below it do not touch.
    gap = page.evaluate(
        """() => { const t = document.querySelector('.unscanned-accounts').closest('.table-wrap');
           return t.nextElementSibling.getBoundingClientRect().top
                  - t.getBoundingClientRect().bottom; }"""
    )
    assert gap >= 16
    context.close()
