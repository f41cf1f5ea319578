"""Run history and finding the previous run of an output folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgscan.diff import DiffClass
from orgscan.errors import InputError
from orgscan.model import AccountCoverage, ReasonCode
from orgscan.runs.folder import run_sort_key, update_latest
from orgscan.runs.history import diff_against_previous, list_runs, run_folders

from .builders import MEMBER, finding, result, write_run


def test_run_sort_key_orders_same_second_suffixes_numerically() -> None:
    names = ["20261127T090000Z-10", "20261127T090000Z", "20261127T090000Z-9", "20261126T235959Z"]
    assert sorted(names, key=run_sort_key) == [
        "20261126T235959Z",
        "20261127T090000Z",
        "20261127T090000Z-9",
        "20261127T090000Z-10",
    ]


def test_run_folders_skip_latest_files_and_foreign_folders(output_dir: Path) -> None:
    first = write_run(output_dir, "20261120T090000Z", result())
    second = write_run(output_dir, "20261127T090000Z", result())
    update_latest(output_dir, second)
    (output_dir / "orgscan.log").write_text("log\n", encoding="utf-8")
    (output_dir / "notes").mkdir()
    assert run_folders(output_dir) == [second, first]


def test_history_lists_runs_newest_first_with_counts_and_marks_latest(output_dir: Path) -> None:
    partial = (
        AccountCoverage(MEMBER, "m", "/Root", "ACTIVE", True, 2, None),
        AccountCoverage("333333333333", "x", "/Root", "ACTIVE", False, 0, "AccessDenied"),
    )
    write_run(
        output_dir,
        "20261120T090000Z",
        result(finding("a"), finding("b", ReasonCode.LOCK_NOT_CONFIGURED)),
    )
    newest = write_run(
        output_dir,
        "20261127T090000Z",
        result(
            finding("a"),
            finding("b", ReasonCode.NO_DEFAULT_RETENTION),
            finding("c", ReasonCode.ACCESS_DENIED),
            started_at="2026-11-27T09:00:00Z",
            accounts=partial,
        ),
    )
    update_latest(output_dir, newest)
    history = list_runs(output_dir)
    assert history.skipped == ()
    latest, older = history.runs
    assert (latest.folder, latest.started_at, latest.latest) == (
        "20261127T090000Z",
        "2026-11-27T09:00:00Z",
        True,
    )
    assert (latest.passed, latest.warned, latest.failed, latest.errored) == (1, 1, 0, 1)
    assert (latest.accounts_scanned, latest.accounts_planned) == (1, 2)
    assert (older.folder, older.latest, older.failed, older.accounts_scanned) == (
        "20261120T090000Z",
        False,
        1,
        2,
    )


def test_history_skips_and_names_unreadable_run_folders(output_dir: Path) -> None:
    write_run(output_dir, "20261120T090000Z", result(finding("a")))
    broken = output_dir / "20261121T090000Z"
    broken.mkdir()
    (broken / "findings.json").write_text("{not json", encoding="utf-8")
    (output_dir / "20261122T090000Z").mkdir()  # a run still in progress: unfinished
    history = list_runs(output_dir)
    assert [(run.folder, run.folder_complete) for run in history.runs] == [
        ("20261122T090000Z", False),
        ("20261120T090000Z", True),
    ]
    assert [skip.folder for skip in history.skipped] == ["20261121T090000Z"]
    assert "not valid JSON" in history.skipped[0].problem


def test_history_of_a_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such directory"):
        list_runs(tmp_path / "nowhere")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=r"file: not an output folder \(not a directory\)"):
        list_runs(tmp_path / "file")


def test_previous_run_is_the_newest_readable_older_folder(output_dir: Path) -> None:
    write_run(
        output_dir, "20261118T090000Z", result(finding("a"), started_at="2026-11-18T09:00:00Z")
    )
    previous = write_run(
        output_dir, "20261120T090000Z", result(finding("a", ReasonCode.LOCK_NOT_CONFIGURED))
    )
    broken = output_dir / "20261125T090000Z"
    broken.mkdir()
    (broken / "findings.json").write_text('{"schema_version": 99}', encoding="utf-8")
    new_result = result(finding("a"), started_at="2026-11-27T09:00:00Z")
    new_dir = write_run(output_dir, "20261127T090000Z", new_result)
    # A run that started later (a concurrent scan) is not "previous", nor is `latest`.
    later = write_run(
        output_dir, "20261128T090000Z", result(finding("a"), started_at="2026-11-28T09:00:00Z")
    )
    update_latest(output_dir, later)
    diff = diff_against_previous(output_dir, new_dir, new_result)
    assert diff is not None
    assert (diff.old.folder, diff.new.folder) == (previous.name, new_dir.name)
    assert diff.old.started_at == "2026-11-20T09:00:00Z"
    assert diff.counts()[DiffClass.RESOLVED] == 1


def test_no_previous_run_gives_none(output_dir: Path) -> None:
    new_result = result(finding("a"))
    new_dir = write_run(output_dir, "20261127T090000Z", new_result)
    assert diff_against_previous(output_dir, new_dir, new_result) is None
    broken = output_dir / "20261126T090000Z"
    broken.mkdir()
    assert diff_against_previous(output_dir, new_dir, new_result) is None
