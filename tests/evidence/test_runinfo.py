"""The run's id, scope, command line and host: recorded in findings.json and shown."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook

from orgscan.config import build_settings
from orgscan.evidence.runinfo import redacted_command, run_scope
from orgscan.reports.runtext import parameter_label, scope_text
from tests.reports.workbook_helpers import find_row


def test_secret_option_values_are_left_out_of_the_command() -> None:
    argv = [
        "/opt/venv/bin/orgscan",
        "scan",
        "--external-id",
        "abc-123",
        "--regions",
        "eu-west-1",
        "--external-id=xyz-789",
    ]
    assert redacted_command(argv) == (
        "orgscan",
        "scan",
        "--external-id",
        "[redacted]",
        "--regions",
        "eu-west-1",
        "--external-id=[redacted]",
    )


def test_scope_is_what_the_settings_ask_for() -> None:
    settings = build_settings(
        {"accounts": ["111111111111"], "role_name": "Audit"}, {"exclude_accounts": None}
    )
    scope = run_scope(settings)
    assert scope.to_dict() == {
        "role_name": "Audit",
        "accounts": ["111111111111"],
        "exclude_accounts": [],
        "ous": [],
        "regions": None,
        "org": True,
    }
    assert scope_text(scope) == "accounts: 111111111111; regions: all enabled; role: Audit"


def test_the_run_folder_names_its_run_scope_command_and_host(demo_run_master: Path) -> None:
    run = json.loads((demo_run_master / "findings.json").read_text())["run"]
    assert run["run_id"] == demo_run_master.name
    assert run["command"][:2] == ["orgscan", "demo"]
    assert "s3cr3t-value" not in json.dumps(run)
    assert run["command"][run["command"].index("--external-id") + 1] == "[redacted]"
    assert run["host"]
    assert run["scope"]["role_name"] == "OrganizationAccountAccessRole"
    assert run["scope"]["accounts"] is None
    assert len(run["scope"]["regions"]) == len(run["regions"])
    for path in demo_run_master.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".html", ".csv", ".log"):
            assert "s3cr3t-value" not in path.read_text(errors="replace"), path


def test_workbook_and_page_show_the_run(demo_run_master: Path) -> None:
    run = json.loads((demo_run_master / "findings.json").read_text())["run"]
    workbook = load_workbook(demo_run_master / "report.xlsx")
    summary = workbook["Summary"]
    assert summary.cell(find_row(summary, "Run id"), 2).value == run["run_id"]
    assert summary.cell(find_row(summary, "Host"), 2).value == run["host"]
    command = summary.cell(find_row(summary, "Command"), 2).value
    assert command.startswith("orgscan demo")
    assert "[redacted]" in command
    assert "regions: " in summary.cell(find_row(summary, "Scope"), 2).value
    sheet = workbook["Run"]
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    # The Run sheet labels each recorded parameter for a reader, not by its key.
    assert values[parameter_label("run_id")] == run["run_id"]
    assert values[parameter_label("scope.role_name")] == "OrganizationAccountAccessRole"
    assert values[parameter_label("scope.accounts")] == "all"
    assert values[parameter_label("time_zone")].startswith("UTC")
    page = (demo_run_master / "report.html").read_text()
    assert f'<dt>Run id</dt><dd class="mono">{run["run_id"]}</dd>' in page
    assert f'<dt>Host</dt><dd class="mono">{run["host"]}</dd>' in page
    assert f'datetime="{run["started_at"]}"' in page
    assert run["started_at"].endswith("Z")
