"""Old run folders that cannot be read: huge numbers, implausible values, oversized files.

Each is bad input (exit 2, one line) for the command given it, and never the failure of a later
scan into the same output folder: ``diff`` (``diff.json``) and ``history`` pass over it with a
warning.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orgscan.cli import app
from orgscan.evidence.manifest import write_manifest
from orgscan.findings import FindingsFileError, dumps, load_run, loads
from orgscan.jsondoc import MAX_DOCUMENT_BYTES
from orgscan.remediation import RemediationSettings, build_plan, planfile
from orgscan.runs.folder import resolve_latest
from orgscan.runs.history import run_folders
from tests.ops.accounts import SCAN_ARGS
from tests.reliability.documents import changed, sample_result
from tests.reliability.refusals import assert_clean_refusal

VALID = json.loads(dumps(sample_result()))
NINES = "9" * 5000  # beyond Python's 4,300-digit limit on int(str)


def _with_raw_number(document: Any, path: tuple[str | int, ...], digits: str) -> str:
    """``document`` as JSON text with the value at ``path`` replaced by the number ``digits``
    (written raw: Python could not hold it to serialise it)."""
    return json.dumps(changed(document, path, "@@NUMBER@@")).replace('"@@NUMBER@@"', digits)


def _run(root: Path, name: str, findings: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "findings.json").write_text(findings, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "path",
    [
        ("findings", 1, "retention_days"),
        ("run", "policy", "min_retention_days"),
        ("accounts", 0, "regions_scanned"),
    ],
)
def test_a_number_of_5000_digits_is_bad_input_for_every_command(
    tmp_path: Path, path: tuple[Any, ...]
) -> None:
    bad = _run(tmp_path, "20261127T090000Z", _with_raw_number(VALID, path, NINES))
    good = _run(tmp_path, "20261120T090000Z", dumps(sample_result()))
    runner = CliRunner()
    for argv in (["report", str(bad)], ["diff", str(good), str(bad)], ["remediate", str(bad)]):
        outcome = runner.invoke(app, argv)
        assert_clean_refusal(outcome, "findings.json", "5000 digits")
    assert sorted(p.name for p in bad.iterdir()) == ["findings.json"]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("findings", 1, "retention_days"), 10**30),
        (("findings", 1, "retention_days"), 36_501),
        (("findings", 1, "retention_days"), -1),
        (("run", "policy", "min_retention_days"), 10**12),
        (("run", "policy", "min_retention_days"), 0),
        (("accounts", 0, "regions_scanned"), 10**9),
    ],
)
def test_implausible_numbers_are_refused(path: tuple[Any, ...], value: int) -> None:
    # 10**30 days crashed the workbook in pandas and put 10**30 days into the plan.
    with pytest.raises(FindingsFileError, match=r"must be between|digits"):
        loads(json.dumps(changed(VALID, path, value)))


def test_report_refuses_10_to_the_30_retention_days(tmp_path: Path) -> None:
    run = _run(
        tmp_path, "run", json.dumps(changed(VALID, ("findings", 1, "retention_days"), 10**30))
    )
    assert_clean_refusal(CliRunner().invoke(app, ["report", str(run)]), "findings.json")
    assert_clean_refusal(CliRunner().invoke(app, ["remediate", str(run)]), "findings.json")
    run = _run(
        tmp_path, "run2", json.dumps(changed(VALID, ("findings", 1, "retention_days"), 10**17))
    )
    assert_clean_refusal(CliRunner().invoke(app, ["report", str(run)]), "retention_days")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("findings", 0, "reason"), "x" * 40_000),
        (("accounts", 1, "name"), "n" * 40_000),
    ],
)
def test_oversized_text_is_refused(path: tuple[Any, ...], value: str) -> None:
    with pytest.raises(FindingsFileError, match="characters"):
        loads(json.dumps(changed(VALID, path, value)))


@pytest.mark.parametrize(
    "path",
    [
        ("findings", 0, "bucket_region"),
        ("findings", 0, "home_region"),
        ("errors", 0, "region"),
        ("run", "regions", 0),
    ],
)
def test_a_region_that_is_no_region_is_refused(path: tuple[Any, ...]) -> None:
    # A bucket region names the endpoint `remediate --apply` calls: refused when the file is
    # read, before any step is applied.
    with pytest.raises(FindingsFileError, match="region"):
        loads(json.dumps(changed(VALID, path, "us-east-1.evil.example.com/")))


def test_remediate_apply_refuses_a_bad_region_before_anything_is_applied(tmp_path: Path) -> None:
    run = _run(
        tmp_path,
        "run",
        json.dumps(changed(VALID, ("findings", 0, "bucket_region"), "not a region")),
    )
    outcome = CliRunner().invoke(app, ["remediate", str(run), "--apply", "--yes"])
    assert_clean_refusal(outcome, "bucket_region")
    assert sorted(p.name for p in run.iterdir()) == ["findings.json"]  # no apply result


def test_nan_and_infinity_are_not_json(tmp_path: Path) -> None:
    text = json.dumps(VALID).replace('"retention_days": 30', '"retention_days": NaN', 1)
    with pytest.raises(FindingsFileError, match="NaN"):
        loads(text)


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    # A sparse file: as large as the cap says on disk, without using the disk.
    run = tmp_path / "run"
    run.mkdir()
    with (run / "findings.json").open("wb") as handle:
        handle.truncate(MAX_DOCUMENT_BYTES + 1)
    outcome = CliRunner().invoke(app, ["report", str(run)])
    assert_clean_refusal(outcome, "findings.json", "bytes")
    with pytest.raises(FindingsFileError, match="more than"):
        load_run(run)


def test_the_cap_admits_the_findings_of_10000_accounts() -> None:
    # Measured: 10,000 accounts with tamper paths, integrity checks and pre-lock counts write a
    # findings.json of 146,782,914 bytes; its next run's diff, report and remediate read it.
    assert MAX_DOCUMENT_BYTES > 146_782_914 * 3 // 2


def test_huge_numbers_in_plan_and_diff_are_bad_input(tmp_path: Path) -> None:
    run = _run(tmp_path, "run", dumps(sample_result()))
    plan = json.loads(planfile.dumps(build_plan(sample_result(), RemediationSettings())))
    (run / "remediation").mkdir()
    (run / "remediation" / "plan.json").write_text(
        _with_raw_number(plan, ("retention", "days"), NINES), encoding="utf-8"
    )
    write_manifest(run, run.name)  # sealed with it: the readers themselves must refuse it
    assert_clean_refusal(CliRunner().invoke(app, ["report", str(run)]), "plan.json")
    assert_clean_refusal(CliRunner().invoke(app, ["remediate", str(run)]), "plan.json")
    (run / "remediation" / "plan.json").unlink()
    (run / "diff.json").write_text(
        _with_raw_number({"schema_version": 1}, ("schema_version",), NINES), encoding="utf-8"
    )
    write_manifest(run, run.name)
    assert_clean_refusal(CliRunner().invoke(app, ["report", str(run)]), "diff.json")


# ---------------------------------------------------------------------- a later scan


def test_a_scan_passes_over_an_unreadable_previous_run(moto_account: None, tmp_path: Path) -> None:
    output_dir = tmp_path / "reports"
    scan = [
        *SCAN_ARGS,
        "--output-dir",
        str(output_dir),
        "--format",
        "json,html,csv",
        "--fail-on",
        "never",
    ]
    runner = CliRunner()
    assert runner.invoke(app, scan).exit_code == 0
    (first,) = run_folders(output_dir)
    first = first.rename(output_dir / "20261101T000000Z")
    document = json.loads((first / "findings.json").read_text(encoding="utf-8"))
    document["run"]["started_at"] = "2026-11-01T00:00:00Z"  # runs are ordered by their start
    (first / "findings.json").write_text(json.dumps(document), encoding="utf-8")
    # A copy of that run, hand-edited: 5,000 nines in a retention, dated a day later (an
    # unreadable run counts as started when its folder name says).
    planted = output_dir / "20261102T000000Z"
    shutil.copytree(first, planted)
    locked = next(i for i, f in enumerate(document["findings"]) if f["retention_days"])
    (planted / "findings.json").write_text(
        _with_raw_number(document, ("findings", locked, "retention_days"), NINES), encoding="utf-8"
    )

    outcome = runner.invoke(app, scan)

    assert outcome.exit_code == 0, outcome.output
    newest = run_folders(output_dir)[0]
    assert resolve_latest(output_dir) == newest
    assert {"findings.json", "findings.csv", "report.html", "diff.json"} <= {
        p.name for p in newest.iterdir()
    }
    diff = json.loads((newest / "diff.json").read_text(encoding="utf-8"))
    assert diff["old"]["folder"] == first.name  # the readable run before the planted one
    log = (newest / "orgscan.log").read_text(encoding="utf-8")
    assert f"previous run {planted.name} skipped" in log
    history = runner.invoke(app, ["history", str(output_dir)])
    assert history.exit_code == 0
    assert [line.split()[0] for line in history.stdout.splitlines()[1:]] == [
        newest.name,
        first.name,
    ]
    assert history.stderr.startswith(f"skipped {planted.name}: ")
    assert "5000 digits" in history.stderr


@pytest.mark.parametrize("clock", ["folder-name", "start-time"])
def test_a_future_named_run_never_pins_latest(
    moto_account: None, tmp_path: Path, clock: str
) -> None:
    output_dir = tmp_path / "reports"
    scan = [*SCAN_ARGS, "--output-dir", str(output_dir), "--format", "json", "--fail-on", "never"]
    runner = CliRunner()
    assert runner.invoke(app, scan).exit_code == 0
    (first,) = run_folders(output_dir)
    # A run made with a wrong clock: its folder named in 2099, and with "start-time" its
    # recorded start too (else a start a month before); latest names it.
    future = first.rename(output_dir / "20991231T235959Z")
    document = json.loads((future / "findings.json").read_text(encoding="utf-8"))
    document["run"]["started_at"] = (
        "2099-12-31T23:59:59Z" if clock == "start-time" else "2026-11-01T00:00:00Z"
    )
    (future / "findings.json").write_text(json.dumps(document), encoding="utf-8")
    (output_dir / "latest").unlink()
    (output_dir / "latest").symlink_to(future.name, target_is_directory=True)

    assert runner.invoke(app, scan).exit_code == 0

    (newest,) = [run for run in run_folders(output_dir) if run != future]
    assert resolve_latest(output_dir) == newest
    diff_file = newest / "diff.json"
    if clock == "folder-name":  # it started before the new run: that is its previous run
        assert json.loads(diff_file.read_text(encoding="utf-8"))["old"]["folder"] == future.name
    else:  # it claims to start after the new run: never "previous"
        assert not diff_file.exists()
    history = runner.invoke(app, ["history", str(output_dir)]).stdout.splitlines()[1:]
    assert [row.split()[0] for row in history if row.endswith("latest")] == [newest.name]
    if clock == "folder-name":  # listed by start time, not by name
        assert [row.split()[0] for row in history] == [newest.name, future.name]
