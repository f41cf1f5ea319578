"""Hostile run folders for ``report``, ``diff`` and ``remediate``, and fuzzed findings.json and
plan.json: only clean errors (exit 2, one line), never a traceback, nothing written anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from orgscan.cli import app
from orgscan.evidence.manifest import write_manifest
from orgscan.findings import FindingsFileError, dumps, loads
from orgscan.formats import available_formats
from orgscan.remediation import RemediationSettings, build_plan, planfile
from orgscan.reports import ReportInputs
from tests.reliability.documents import changed, containers, paths, sample_result
from tests.reliability.refusals import assert_clean_refusal, refusal

VALID_FINDINGS = json.loads(dumps(sample_result()))
VALID_PLAN = json.loads(planfile.dumps(build_plan(sample_result(), RemediationSettings())))

#: Strings a hostile or damaged file may hold, drawn as often as all other text.
HOSTILE_STRINGS = [
    "../../etc",
    "123456789012\n",
    "\ud800",
    "x\udfffy",
    "PASS",
    "ERROR",
    "COMPLIANT",
    "",
    "-1",
    "enable-in-place",
    "GOVERNANCE",
    "\x00",
    "=1+1",
]
_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(HOSTILE_STRINGS)
)
_json_values = st.recursive(_json_scalars, containers, max_leaves=6)


def _mutations(document: Any) -> st.SearchStrategy[Any]:
    """``document`` with one value replaced, or one key or item removed."""
    all_paths = list(paths(document))
    replaced = st.tuples(st.sampled_from(all_paths), _json_values).map(
        lambda pv: changed(document, pv[0], pv[1])
    )
    removed = st.sampled_from(all_paths[1:]).map(
        lambda path: changed(document, path, None, delete=True)
    )
    return replaced | removed


def _render_every_report(text: str) -> None:
    """Whatever ``loads`` accepts, every report renders (so ``orgscan report`` cannot crash)."""
    message = refusal(FindingsFileError, loads, text)
    if message is not None:
        assert "\n" not in message
        return
    result = loads(text)
    for name, fmt in available_formats().items():
        if name != "xlsx":  # openpyxl is slow; its text path is the same as the CSV's
            fmt.render(ReportInputs(result=result))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=_mutations(VALID_FINDINGS))
def test_findings_reader_on_mutated_documents(document: Any) -> None:
    _render_every_report(json.dumps(document))


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=300) | _json_values.map(json.dumps))
def test_findings_reader_on_arbitrary_text(text: str) -> None:
    _render_every_report(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=_mutations(VALID_PLAN) | _json_values)
def test_plan_reader_raises_only_plan_file_errors(document: Any) -> None:
    text = json.dumps(document)
    message = refusal(planfile.PlanFileError, planfile.loads, text)
    if message is None:  # what loads accepts can be written back
        planfile.dumps(planfile.loads(text)).encode("utf-8")
    else:
        assert "\n" not in message


# ---------------------------------------------------------------------- run folders


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def _run_folder(root: Path, name: str, findings: str | None) -> Path:
    folder = root / name
    folder.mkdir()
    if findings is not None:
        (folder / "findings.json").write_text(findings, encoding="utf-8")
    return folder


def _hostile_run_folders(root: Path) -> dict[str, Path]:
    """Run folders that must all be refused: missing, a file, broken or hostile findings."""
    a_file = root / "a-file"
    a_file.write_text("not a run folder", encoding="utf-8")
    deep = "[" * 100_000 + "]" * 100_000
    escaping = changed(VALID_FINDINGS, ("findings", 0, "account_id"), "../../etc")
    surrogate = changed(VALID_FINDINGS, ("accounts", 1, "name"), "\ud800")
    bad_status = changed(VALID_FINDINGS, ("findings", 0, "status"), "PASS")
    listing = root / "findings-is-a-folder"
    (listing / "findings.json").mkdir(parents=True)
    return {
        "missing": root / "no-such-run",
        "file": a_file,
        "empty": _run_folder(root, "empty", None),
        "findings-folder": listing,
        "truncated": _run_folder(root, "truncated", dumps(sample_result())[:200]),
        "deep": _run_folder(root, "deep", deep),
        "escaping-account": _run_folder(root, "escaping", json.dumps(escaping)),
        "surrogate": _run_folder(root, "surrogate", json.dumps(surrogate)),
        "pass-with-fail-reason": _run_folder(root, "inconsistent", json.dumps(bad_status)),
        "not-utf8": _run_folder(root, "latin1", None),
    }


@pytest.fixture
def hostile_runs(tmp_path: Path) -> dict[str, Path]:
    runs = _hostile_run_folders(tmp_path)
    (runs["not-utf8"] / "findings.json").write_bytes(b'{"schema_version": 1, "run": "\xe9"}')
    return runs


def _argv_for(command: str, run: Path, good: Path) -> list[str]:
    if command == "diff":
        return ["diff", str(good), str(run)]
    return [command, str(run)]


@pytest.mark.parametrize("command", ["report", "diff", "remediate"])
def test_hostile_run_folders_are_refused_and_nothing_is_written(
    command: str, tmp_path: Path, hostile_runs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    good = _run_folder(tmp_path, "good", dumps(sample_result()))
    before = _snapshot(tmp_path)
    runner = CliRunner()

    for name, run in hostile_runs.items():
        result = runner.invoke(app, _argv_for(command, run, good))
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            name,
            result.exception,
        )
        assert_clean_refusal(result)

    assert _snapshot(tmp_path) == before
    assert not (tmp_path.parent / "etc").exists()


def test_plan_with_escaping_account_is_refused(tmp_path: Path) -> None:
    run = _run_folder(tmp_path, "run", dumps(sample_result()))
    plan = changed(VALID_PLAN, ("entries", 0, "steps", 0, "account_id"), "../../../tmp/x")
    (run / "remediation").mkdir()
    (run / "remediation" / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    write_manifest(run, run.name)  # sealed with it: the plan reader itself must refuse it
    before = _snapshot(tmp_path)

    result = CliRunner().invoke(app, ["remediate", str(run)])

    assert_clean_refusal(result, "plan.json")
    assert _snapshot(tmp_path) == before


def test_remediate_accounts_option_refuses_paths(tmp_path: Path) -> None:
    run = _run_folder(tmp_path, "run", dumps(sample_result()))
    result = CliRunner().invoke(app, ["remediate", str(run), "--accounts", "../../etc"])
    assert_clean_refusal(result, "--accounts")
    assert sorted(os.listdir(run)) == ["findings.json"]


def test_report_never_writes_through_a_symlink_in_the_run_folder(tmp_path: Path) -> None:
    run = _run_folder(tmp_path, "run", dumps(sample_result()))
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me", encoding="utf-8")
    (run / "report.html").symlink_to(outside)
    (run / "findings.csv").symlink_to(outside)

    # Forced: links are not in any manifest, and this is about where the reports go.
    result = CliRunner().invoke(app, ["report", str(run), "--force"])

    assert result.exit_code == 0, result.output
    assert outside.read_text(encoding="utf-8") == "keep me"
    for name in ("report.html", "findings.csv"):
        assert not (run / name).is_symlink()  # replaced by the new report, not written through


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("remediation/plan.json", '{"schema_version": 1, "entries": ['),
        ("remediation/plan.json", json.dumps(changed(VALID_PLAN, ("account_names",), {"..": "x"}))),
        ("diff.json", '{"old": "\\ud800"}'),
        ("diff.json", "[]"),
    ],
)
def test_report_refuses_a_broken_plan_or_diff_next_to_good_findings(
    tmp_path: Path, name: str, text: str
) -> None:
    run = _run_folder(tmp_path, "run", dumps(sample_result()))
    (run / name).parent.mkdir(exist_ok=True)
    (run / name).write_text(text, encoding="utf-8")
    write_manifest(run, run.name)  # sealed with it: the reader itself must refuse it
    before = _snapshot(tmp_path)

    result = CliRunner().invoke(app, ["report", str(run)])

    assert_clean_refusal(result, Path(name).name)
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("command", ["diff", "remediate"])
def test_names_from_a_findings_file_cannot_drive_the_terminal(tmp_path: Path, command: str) -> None:
    escapes = "\x1b]0;PWNED\x07\x1b[2J\x9b31m\r"
    good = _run_folder(tmp_path, "good", dumps(sample_result()))
    hostile = _run_folder(
        tmp_path,
        "hostile",
        dumps(
            sample_result(
                trail_name=f"evil{escapes}trail", account_name=f"name{escapes}", text=escapes
            )
        ),
    )
    write_manifest(hostile, hostile.name)

    result = CliRunner().invoke(app, _argv_for(command, hostile, good))

    assert result.exit_code == 0, result.output
    assert "evil" in result.stdout  # the name is shown ...
    assert not any(char in result.stdout for char in "\x1b\x07\x9b\r")  # ... as inert text
    assert "\\x1b]0;PWNED" in result.stdout


@pytest.mark.parametrize("name", ["findings.json", "remediation/plan.json", "diff.json"])
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_special_file_in_a_run_folder_cannot_hang_a_command(
    tmp_path: Path, name: str, kind: str
) -> None:
    run = _run_folder(tmp_path, "run", dumps(sample_result()))
    if name != "findings.json":
        write_manifest(run, run.name)  # the special file comes after the seal: "added"
    target = run / name
    target.parent.mkdir(exist_ok=True)
    target.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(target)  # reading it would wait for a writer forever
    else:
        target.symlink_to("/dev/zero")  # reading it would never end
    done = subprocess.run(
        [sys.executable, "-m", "orgscan", "report", str(run)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # Refused, never opened: an unsealed run's findings.json is read by the bounded reader
    # (bad input), a file added to a sealed run is named before anything reads it.
    assert done.returncode == (2 if name == "findings.json" else 1), done.stderr
    assert done.stderr.startswith("orgscan: error: ")
    assert name.split("/")[-1] in done.stderr
