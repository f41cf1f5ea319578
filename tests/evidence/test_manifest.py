"""manifest.json, ``orgscan verify`` and ``orgscan report`` on a sealed run folder."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from orgscan.evidence.manifest import build_manifest, verify_folder
from orgscan.runs.folder import MANIFEST_FILE
from tests.evidence.cli import run_cli


def flip_one_byte(path: Path, offset: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_manifest_lists_every_other_file_with_its_digest(demo_run_master: Path) -> None:
    manifest = json.loads((demo_run_master / MANIFEST_FILE).read_text())
    on_disk = sorted(
        path.relative_to(demo_run_master).as_posix()
        for path in demo_run_master.rglob("*")
        if path.is_file() and path.name != MANIFEST_FILE
    )
    assert manifest["manifest_version"] == 1
    assert manifest["run_id"] == demo_run_master.name
    assert sorted(manifest["files"]) == on_disk
    assert "orgscan.log" in manifest["files"]
    assert "remediation/plan.json" in manifest["files"]
    findings = (demo_run_master / "findings.json").read_bytes()
    assert manifest["files"]["findings.json"] == {
        "sha256": hashlib.sha256(findings).hexdigest(),
        "bytes": len(findings),
    }


def test_the_manifest_is_the_last_file_written(demo_run_master: Path) -> None:
    manifest_time = (demo_run_master / MANIFEST_FILE).stat().st_mtime_ns
    assert all(
        path.stat().st_mtime_ns <= manifest_time
        for path in demo_run_master.rglob("*")
        if path.is_file()
    )


def test_an_intact_run_verifies_in_one_line(demo_run: Path) -> None:
    code, out, _ = run_cli("verify", str(demo_run))
    assert code == 0
    assert out.count("\n") == 1
    assert "intact" in out


@pytest.mark.parametrize(
    "relative", ["findings.json", "report.xlsx", "orgscan.log", "remediation/plan.json"]
)
def test_a_one_byte_change_anywhere_is_named(demo_run: Path, relative: str) -> None:
    flip_one_byte(demo_run / relative, offset=10)
    code, out, err = run_cli("verify", str(demo_run))
    assert code == 1
    assert out.splitlines() == [out.splitlines()[0]]
    assert out.startswith(f"changed: {relative} (")
    assert "NOT intact" in err


def test_every_changed_missing_and_added_file_is_named(demo_run: Path) -> None:
    flip_one_byte(demo_run / "report.html")
    (demo_run / "findings.csv").unlink()
    (demo_run / "remediation" / "extra.sh").write_text("echo hi\n")
    code, out, _ = run_cli("verify", str(demo_run))
    assert code == 1
    assert out.splitlines()[0].startswith("changed: report.html")
    assert out.splitlines()[1:] == ["missing: findings.csv", "added: remediation/extra.sh"]


def test_paths_that_are_not_run_folders_exit_2(demo_run: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_cli("verify", str(empty))[0] == 2
    assert run_cli("verify", str(tmp_path / "nowhere"))[0] == 2
    manifest = demo_run / MANIFEST_FILE
    manifest.write_text('{"manifest_version": 1, "run_id": "x", "files": {"../etc": {}}}')
    code, _, err = run_cli("verify", str(demo_run))
    assert code == 2
    assert err.startswith("orgscan: error:")
    assert "not a path inside the run folder" in err
    manifest.write_text("{not json")
    assert run_cli("verify", str(demo_run))[0] == 2
    manifest.unlink()
    code, _, err = run_cli("verify", str(demo_run))
    assert code == 2
    assert "missing" in err


def test_report_rebuilds_an_intact_run_byte_for_byte(demo_run: Path) -> None:
    before = {path: path.read_bytes() for path in demo_run.rglob("*") if path.is_file()}
    code, out, _ = run_cli("report", str(demo_run))
    assert code == 0
    assert "report.xlsx" in out
    assert verify_folder(demo_run).intact
    after = {path: path.read_bytes() for path in demo_run.rglob("*") if path.is_file()}
    assert after == before


def test_report_refuses_a_tampered_run_and_rewrites_nothing(demo_run: Path) -> None:
    findings = demo_run / "findings.json"
    document = json.loads(findings.read_text())
    failing = next(f for f in document["findings"] if f["status"] == "FAIL")
    failing["status"], failing["reason_code"] = "PASS", "COMPLIANT"
    findings.write_text(json.dumps(document, indent=2))
    (demo_run / "report.xlsx").unlink()
    before = {path: path.stat().st_mtime_ns for path in demo_run.rglob("*") if path.is_file()}
    code, _, err = run_cli("report", str(demo_run))
    assert code == 1
    assert "does not match its manifest.json (findings.json changed)" in err
    assert not (demo_run / "report.xlsx").exists()
    assert {
        path: path.stat().st_mtime_ns for path in demo_run.rglob("*") if path.is_file()
    } == before


def test_build_manifest_skips_links(tmp_path: Path) -> None:
    (tmp_path / "findings.json").write_text("{}")
    (tmp_path / "link").symlink_to(tmp_path / "findings.json")
    assert list(build_manifest(tmp_path, "r").files) == ["findings.json"]


def test_an_apply_record_is_named_as_written_after_the_seal(demo_run: Path) -> None:
    from orgscan.remediation.apply import ApplyResult, write_apply_result

    record = write_apply_result(
        demo_run,
        ApplyResult(
            started_at="2026-11-27T10:00:00Z",
            finished_at="2026-11-27T10:00:05Z",
            run_started_at="2026-11-27T09:00:00Z",
            accounts=(),
            outcomes=(),
        ),
    )
    (demo_run / "remediation" / "apply-notes.sh").write_text("echo hi\n")
    code, out, err = run_cli("verify", str(demo_run))
    assert code == 1  # still not part of the sealed run: verify stays strict
    assert out.splitlines() == [
        f"added: remediation/{record.name} (a remediation record written by "
        "`orgscan remediate --apply` after the run was sealed)",
        "added: remediation/apply-notes.sh",  # not a record: no such excuse
    ]
    assert "NOT intact: 2 files" in err
