"""``orgscan diff`` and ``orgscan history`` through the typer app: output and exit codes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orgscan.cli import app
from orgscan.model import ExceptionMark, ReasonCode
from orgscan.runs.folder import update_latest

from .builders import finding, result, write_run

OLD = "20261120T090000Z"
NEW = "20261127T090000Z"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def two_runs(output_dir: Path) -> tuple[Path, Path]:
    old = write_run(
        output_dir,
        OLD,
        result(
            finding("keep"), finding("shorter"), finding("fixed", ReasonCode.LOCK_NOT_CONFIGURED)
        ),
    )
    new = write_run(
        output_dir,
        NEW,
        result(
            finding("keep"),
            finding("shorter", retention_days=7),
            finding("fixed"),
            finding("fresh", ReasonCode.LOCK_NOT_CONFIGURED),
            started_at="2026-11-27T09:00:00Z",
        ),
    )
    update_latest(output_dir, new)
    return old, new


def test_diff_prints_counts_and_every_trail_that_moved(
    runner: CliRunner, two_runs: tuple[Path, Path]
) -> None:
    old, new = two_runs
    outcome = runner.invoke(app, ["diff", str(old), str(new)])
    assert outcome.exit_code == 0, outcome.output
    lines = outcome.stdout.splitlines()
    assert lines[0] == f"old: {OLD} (started 2026-11-20T09:00:00Z)"
    assert lines[2] == (
        "new_failure 1  resolved 1  still_failing 0  changed 1  unchanged 1  "
        "not_assessed 0  removed 0"
    )
    table = "\n".join(lines[4:])
    assert "fresh" in table
    assert "trail added" in table
    assert "FAIL → PASS" in table
    assert "retention_days 365 → 7 (shortened)" in table
    assert "keep" not in table  # unchanged trails are only counted


def test_diff_json_and_latest_pointer(
    runner: CliRunner, output_dir: Path, two_runs: tuple[Path, Path]
) -> None:
    old, _ = two_runs
    outcome = runner.invoke(app, ["diff", str(old), str(output_dir / "latest"), "--json"])
    assert outcome.exit_code == 0, outcome.output
    document = json.loads(outcome.stdout)
    assert document["new"]["folder"] == NEW  # `latest` is reported as the folder it points at
    assert document["counts"]["new_failure"] == 1
    assert len(document["trails"]) == 4


def test_fail_on_new(runner: CliRunner, two_runs: tuple[Path, Path]) -> None:
    old, new = two_runs
    assert runner.invoke(app, ["diff", str(old), str(new), "--fail-on-new"]).exit_code == 1
    assert runner.invoke(app, ["diff", str(new), str(new), "--fail-on-new"]).exit_code == 0


def test_fail_on_new_ignores_excepted_new_failures(runner: CliRunner, output_dir: Path) -> None:
    mark = ExceptionMark(owner="o", reason="r", expires=date(2027, 1, 1), expired=False)
    old = write_run(output_dir, OLD, result())
    new = write_run(
        output_dir, NEW, result(finding("fresh", ReasonCode.LOCK_NOT_CONFIGURED, exception=mark))
    )
    outcome = runner.invoke(app, ["diff", str(old), str(new), "--fail-on-new"])
    assert outcome.exit_code == 0, outcome.output
    assert "[excepted]" in outcome.stdout


@pytest.mark.parametrize("problem", ["missing", "malformed"])
def test_diff_of_a_bad_run_folder_exits_2_with_one_line(
    runner: CliRunner, output_dir: Path, two_runs: tuple[Path, Path], problem: str
) -> None:
    old, _ = two_runs
    bad = output_dir / "20261130T090000Z"
    if problem == "malformed":
        bad.mkdir()
        (bad / "findings.json").write_text('{"schema_version": 1, "run": []}', encoding="utf-8")
    outcome = runner.invoke(app, ["diff", str(old), str(bad)])
    assert outcome.exit_code == 2
    assert outcome.stdout == ""
    assert outcome.stderr.startswith("orgscan: error: ")
    assert str(bad) in outcome.stderr
    assert outcome.stderr.count("\n") == 1
    assert "Traceback" not in outcome.output


def test_history_table_and_json(
    runner: CliRunner, output_dir: Path, two_runs: tuple[Path, Path]
) -> None:
    broken = output_dir / "20261125T090000Z"
    broken.mkdir()
    (broken / "findings.json").write_text("nope", encoding="utf-8")
    outcome = runner.invoke(app, ["history", str(output_dir)])
    assert outcome.exit_code == 0, outcome.output
    header, newest, oldest = outcome.stdout.splitlines()
    assert header.split() == [
        "RUN",
        "STARTED",
        "COVERAGE",
        "PASS",
        "WARN",
        "FAIL",
        "ERROR",
        "ACCOUNTS",
    ]
    assert newest.split() == [
        NEW,
        "2026-11-27T09:00:00Z",
        "complete",
        "3",
        "0",
        "1",
        "0",
        "2/2",
        "latest",
    ]
    assert oldest.split() == [OLD, "2026-11-20T09:00:00Z", "complete", "2", "0", "1", "0", "2/2"]
    assert outcome.stderr.startswith(f"skipped {broken.name}: ")
    document = json.loads(runner.invoke(app, ["history", str(output_dir), "--json"]).stdout)
    assert [run["folder"] for run in document["runs"]] == [NEW, OLD]
    assert document["runs"][0]["latest"] is True
    assert document["skipped"][0]["folder"] == broken.name


def test_history_of_an_empty_or_missing_folder(runner: CliRunner, tmp_path: Path) -> None:
    empty = runner.invoke(app, ["history", str(tmp_path)])
    assert empty.exit_code == 0
    assert empty.stdout.strip() == f"no readable runs in {tmp_path}"
    missing = runner.invoke(app, ["history", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
    assert missing.stderr.startswith("orgscan: error: ")
    assert "Traceback" not in missing.output


def test_coverage_reads_complete_or_incomplete_and_unfinished_stays(tmp_path: Path) -> None:
    from dataclasses import replace

    from orgscan.cli.history_cmd import format_history
    from orgscan.runs.history import RunHistory, summarise

    done = result(finding("a", ReasonCode.COMPLIANT))
    partial = replace(done, run=replace(done.run, complete=False))
    rows = format_history(
        RunHistory(
            output_dir=tmp_path,
            runs=(
                summarise("20261127T090000Z", partial, latest=True),
                summarise("20261126T090000Z", done, latest=False, folder_complete=False),
                summarise("20261125T090000Z", done, latest=False),
            ),
            skipped=(),
        )
    ).splitlines()
    assert rows[0].split()[2] == "COVERAGE"
    assert [row.split()[2] for row in rows[1:]] == ["incomplete", "unfinished", "complete"]


def test_report_names_an_existing_file_as_not_a_directory(
    runner: CliRunner, tmp_path: Path
) -> None:
    afile = tmp_path / "afile.txt"
    afile.write_text("notes\n", encoding="utf-8")
    outcome = runner.invoke(app, ["report", str(afile)])
    assert outcome.exit_code == 2
    assert f"{afile}: not a run folder (not a directory)" in outcome.stderr
    missing = runner.invoke(app, ["report", str(tmp_path / "gone")])
    assert "not a run folder (no such directory)" in missing.stderr
