"""report.html in a real headless Chromium: no console errors, sorting and filtering work.

Uses the system's Chromium through Playwright (never a downloaded browser). Skipped, with the
reason shown, where no Chromium or no Playwright is installed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_fixture import SCRIPT_NAME, build_history

from orgscan.reports import ReportInputs
from orgscan.reports.html_report import HtmlReport

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def find_chromium() -> str | None:
    """The system Chromium: ``$ORGSCAN_CHROMIUM`` or the usual command names."""
    configured = os.environ.get("ORGSCAN_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install -e '.[dev]')")
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set ORGSCAN_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    _, current, diff = build_history()  # the fixture result with a diff and exception marks
    path = tmp_path / "report.html"
    path.write_bytes(HtmlReport().render(ReportInputs(result=current, diff=diff)))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.problems = []
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    page.on("dialog", lambda dialog: page.problems.append(f"dialog: {dialog.message}"))
    # Any request that leaves the file is a defect: record it and refuse it.
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
               else (page.problems.append(route.request.url), route.abort()))
    page.goto(path.as_uri())
    yield page
    context.close()


def visible_statuses(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#findings-table tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.status)")


def column_keys(page: Any, column: int) -> list[str]:
    """Each row's value in ``column`` as the page sorts it (its data-sort, else its text)."""
    return page.eval_on_selector_all(
        "#findings-table tbody tr",
        f"rows => rows.map(r => {{ const c = r.cells[{column}]; "
        "return (c.dataset.sort ?? c.textContent).trim(); })")


def test_renders_without_errors_or_network(page: Any) -> None:
    assert page.title().startswith("CloudTrail Object Lock audit")
    assert page.locator("#findings-table tbody tr").count() == 9
    assert page.locator(".filters").is_visible()
    assert page.problems == []
    # The injected name is on the page as text, and it never ran.
    assert page.get_by_text(SCRIPT_NAME).first.is_visible()


def test_sorting_reorders_rows(page: Any) -> None:
    retention = page.locator("#findings-table th", has_text="Default retention").locator("button")
    retention.click()
    values = column_keys(page, 5)
    numbers = [int(v) for v in values if v]
    assert numbers == sorted(numbers) == [30, 365, 365, 400]
    assert values[len(numbers):] == [""] * 5  # empty values last
    retention.click()
    numbers = [int(v) for v in column_keys(page, 5) if v]
    assert numbers == [400, 365, 365, 30]

    page.locator("#findings-table th", has_text="Trail").locator("button").click()
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


def test_narrow_screen_and_print(page: Any) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0  # tables scroll inside their frame, the page does not
    page.select_option("#filter-status", "PASS")
    page.emulate_media(media="print")
    assert not page.locator(".filters").is_visible()
    assert page.locator("#findings-table tbody tr").nth(1).is_visible()  # filtered rows print
    assert page.problems == []


def test_changes_and_exceptions_are_shown(page: Any) -> None:
    assert page.locator(".since").is_visible()
    assert "1 new failure, 0 resolved since 2026-11-20" in page.locator(".since").inner_text()
    assert page.locator("#changes tbody tr").count() == 7
    assert page.locator("#changes .badge.change-new_failure").inner_text() == "new failure"
    badge = page.locator("#findings-table .badge.exception")
    assert badge.inner_text() == "EXCEPTED"
    assert badge.is_visible()
    page.fill("#filter-text", "excepted")  # the badge is part of the row's text
    assert visible_statuses(page) == ["FAIL"]
    page.fill("#filter-text", "")
    page.select_option("#filter-status", "FAIL")  # excepted findings keep their status
    assert page.locator("#findings-table tbody tr:not([hidden]) .badge.exception").count() == 1
    assert page.locator("#findings-table tbody tr:not([hidden]) .badge.exception-expired"
                        ).count() == 1
    assert page.problems == []
