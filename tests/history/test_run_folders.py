"""Run folders as a scheduler leaves them: unfinished ones, overlapping runs, ``latest``, and
text from the files shown on a terminal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orgscan.cli import app
from orgscan.model import ReasonCode
from orgscan.runs.folder import (
    LATEST,
    RunFolderError,
    check_output_dir,
    is_complete,
    resolve_latest,
    update_latest,
)
from orgscan.runs.history import list_runs

from .builders import finding, result, write_run


def test_a_run_folder_without_manifest_is_listed_as_unfinished(output_dir: Path) -> None:
    # A run killed while writing: findings.json is whole (written first), no manifest.
    crashed = write_run(output_dir, "20261127T090000Z", result(finding("a")), finished=False)
    done = write_run(output_dir, "20261120T090000Z", result(finding("a")))
    assert not is_complete(crashed)
    assert is_complete(done)
    history = list_runs(output_dir)
    assert [(run.folder, run.complete, run.folder_complete) for run in history.runs] == [
        (crashed.name, True, False),
        (done.name, True, True),
    ]

    outcome = CliRunner().invoke(app, ["history", str(output_dir)])
    rows = [line.split() for line in outcome.stdout.splitlines()[1:]]
    assert [row[:3] for row in rows] == [
        [crashed.name, "2026-11-20T09:00:00Z", "unfinished"],
        [done.name, "2026-11-20T09:00:00Z", "complete"],
    ]
    document = json.loads(CliRunner().invoke(app, ["history", str(output_dir), "--json"]).stdout)
    assert [run["folder_complete"] for run in document["runs"]] == [False, True]


def test_overlapping_runs_leave_latest_on_the_newest_start(output_dir: Path) -> None:
    # Run A starts, run B starts 3 s later and finishes first; A finishing must not win.
    run_a = write_run(output_dir, "20261127T090000Z", result(finding("a")))
    run_b = write_run(output_dir, "20261127T090003Z", result(finding("a")))
    assert update_latest(output_dir, run_b)
    assert not update_latest(output_dir, run_a)
    assert resolve_latest(output_dir) == run_b
    same_second = write_run(output_dir, "20261127T090003Z-2", result(finding("a")))
    assert update_latest(output_dir, same_second)  # started after B in the same second
    assert resolve_latest(output_dir) == same_second
    history = list_runs(output_dir)
    assert [run.folder for run in history.runs if run.latest] == [same_second.name]
    # The lock is the output folder itself: nothing is left behind.
    assert sorted(p.name for p in output_dir.iterdir() if p.name.startswith(".")) == []


def test_latest_pointing_elsewhere_is_replaced(output_dir: Path, tmp_path: Path) -> None:
    run = write_run(output_dir, "20261127T090000Z", result(finding("a")))
    foreign = tmp_path / "elsewhere"
    foreign.mkdir()
    (output_dir / LATEST).symlink_to(foreign)
    assert update_latest(output_dir, run)
    assert resolve_latest(output_dir) == run


def test_latest_that_is_a_directory_is_a_clear_error(output_dir: Path) -> None:
    run = write_run(output_dir, "20261127T090000Z", result(finding("a")))
    (output_dir / LATEST).mkdir()
    with pytest.raises(RunFolderError, match="latest is a directory"):
        check_output_dir(output_dir)
    with pytest.raises(RunFolderError, match="latest is a directory"):
        update_latest(output_dir, run)


def test_history_shows_text_from_the_files_escaped(output_dir: Path) -> None:
    # An ESC sequence in run.started_at would retitle the terminal; a newline would forge a row.
    write_run(
        output_dir,
        "20261127T090000Z",
        result(
            finding("a"), started_at="2026-11-27\x1b]0;PWNED\x07\nFORGED yes 9 9 9 9 9/9 latest"
        ),
    )
    outcome = CliRunner().invoke(app, ["history", str(output_dir)])
    assert outcome.exit_code == 0, outcome.output
    assert not any(char in outcome.stdout for char in "\x1b\x07")
    lines = outcome.stdout.splitlines()
    assert len(lines) == 2
    assert "\\x1b]0;PWNED\\x07\\nFORGED" in lines[1]


def test_diff_shows_names_with_newlines_on_one_row(output_dir: Path) -> None:
    forged = "x\nresolved     222222222222  main  FAIL → PASS"
    old = write_run(
        output_dir,
        "20261120T090000Z",
        result(finding("a", ReasonCode.LOCK_NOT_CONFIGURED, trail_name=forged)),
    )
    new = write_run(
        output_dir,
        "20261127T090000Z",
        result(
            finding("a", ReasonCode.LOCK_NOT_CONFIGURED, trail_name=forged, retention_days=None),
            finding("b", ReasonCode.LOCK_NOT_CONFIGURED),
        ),
    )
    outcome = CliRunner().invoke(app, ["diff", str(old), str(new)])
    assert outcome.exit_code == 0, outcome.output
    rows = outcome.stdout.splitlines()[4:]
    assert not [row for row in rows if row.startswith("resolved")]
    assert any("x\\nresolved" in row for row in rows)


def test_a_run_is_written_with_what_exists_frozen_and_the_collector_restored(
    output_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    import orgscan.runs.output as output
    from orgscan.remediation import build_plan as real_build_plan

    before = (gc.get_threshold(), gc.isenabled(), gc.get_freeze_count())
    during: list[tuple[tuple[int, int, int], bool, int]] = []

    def build_plan(*args: Any, **kwargs: Any) -> Any:
        during.append((gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()))
        return real_build_plan(*args, **kwargs)

    monkeypatch.setattr(output, "build_plan", build_plan)
    run_dir = output_dir / "20261127T090000Z"
    run_dir.mkdir(parents=True)
    written = output.write_run(run_dir, result(finding("a")), ["json", "scripts"])
    assert run_dir / "findings.json" in written
    ((thresholds, enabled, frozen),) = during
    # Cycles are still collected while the reports are made, the result is not walked.
    assert enabled
    assert frozen > 0
    assert thresholds[0] > before[0][0]
    assert (gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()) == before
