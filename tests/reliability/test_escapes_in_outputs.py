"""Text from a findings.json that carries control characters: the scripts' dry run and the
workbook's properties (the terminal tables of history, diff and the plan are tested in
``tests/history/test_run_folders.py`` and ``test_hostile_runs.py``)."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from orgscan.cli import app
from orgscan.evidence.manifest import write_manifest
from orgscan.findings import dumps
from orgscan.remediation import RemediationSettings, Strategy, build_plan, write_plan_files
from orgscan.reports import ReportInputs
from orgscan.reports.xlsx_report import XlsxReport
from tests.reliability.documents import sample_result
from tests.reliability.test_full_run import FAKE_AWS

ESCAPES = "\x1b]0;PWNED\x07\x1b[2J\u009b31m"


def test_the_dry_run_never_echoes_a_terminal_escape(tmp_path: Path) -> None:
    result = sample_result(trail_name=f"evil{ESCAPES}trail", bucket_name=f"b{ESCAPES}x")
    plan = build_plan(result, RemediationSettings(strategy=Strategy.NEW_BUCKET))
    scripts = [path for path in write_plan_files(tmp_path, plan) if path.suffix == ".sh"]
    assert scripts
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(FAKE_AWS, encoding="utf-8")
    (bin_dir / "aws").chmod(0o700)
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    shown = []
    for locale in ("C.UTF-8", "C"):
        for script in scripts:
            env.update(PATH=f"{bin_dir}:{env['PATH']}", FAKE_ACCOUNT=script.stem, LC_ALL=locale)
            done = subprocess.run(
                ["bash", str(script)],
                capture_output=True,
                env=env,
                cwd=tmp_path,
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            out = done.stdout.decode("utf-8", "replace")
            assert "would run:" in out
            assert not any(char in out for char in "\x1b\x07\u009b"), out
            shown += [line for line in out.splitlines() if "PWNED" in line]
    assert shown  # the names are in the commands shown, as printf escapes
    assert any("\\E]0;PWNED" in line for line in shown)  # update-trail --name $'...\\E...'


def test_organization_id_with_control_characters_keeps_the_workbook_readable() -> None:
    result = sample_result()
    run = dataclasses.replace(result.run, organization_id=f"o-abc\x00\x1b{ESCAPES}")
    data = XlsxReport().render(ReportInputs(result=dataclasses.replace(result, run=run)))
    workbook = load_workbook(io.BytesIO(data))  # openpyxl refused this file before
    assert workbook.properties.title.startswith("CloudTrail Object Lock audit o-abc")
    assert not any(ord(char) < 32 for char in workbook.properties.title)


def test_the_plan_display_keeps_a_name_with_newlines_on_its_line(tmp_path: Path) -> None:
    forged = "x\n[9] bucket forged in us-east-1: nothing to do"
    run = tmp_path / "run"
    run.mkdir()
    (run / "findings.json").write_text(
        dumps(sample_result(bucket_name=f"logs{forged}")), encoding="utf-8"
    )
    write_manifest(run, run.name)
    outcome = CliRunner().invoke(app, ["remediate", str(run)])
    assert outcome.exit_code == 0, outcome.output
    assert not [line for line in outcome.stdout.splitlines() if line.startswith("[9]")]
    assert "logsx\\n[9] bucket forged" in outcome.stdout
