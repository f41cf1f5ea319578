"""``latest`` moves only once a run folder is sealed: never onto a folder without a manifest."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path

import pytest

from orgscan import pipeline
from orgscan.cli.exitcodes import ExitCode
from orgscan.runs.folder import resolve_latest
from orgscan.simulate import build_demo_org, demo_mock
from tests.evidence.cli import run_cli


@pytest.fixture(scope="module")
def demo_org() -> Iterator[None]:
    with demo_mock():
        build_demo_org()
        yield


def scan(out: Path) -> tuple[int, str, str]:
    return run_cli(
        "scan",
        "--output-dir",
        str(out),
        "--regions",
        "us-east-1",
        "-q",
        "--fail-on",
        "never",
        "--format",
        "json",
    )


def test_latest_is_not_moved_when_the_manifest_cannot_be_written(
    demo_org: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = scan(tmp_path)
    # The partner's bucket cannot be read: its integrity checks are ERROR, the exit 3.
    assert code == ExitCode.INCOMPLETE, err
    sealed = resolve_latest(tmp_path)
    assert sealed is not None
    assert (sealed / "manifest.json").is_file()

    def disk_full(run_dir: Path, run_id: str) -> tuple[Path, str]:
        raise OSError(errno.ENOSPC, "No space left on device", str(run_dir / "manifest.json"))

    monkeypatch.setattr(pipeline, "write_manifest", disk_full)
    code, _, err = scan(tmp_path)
    assert code == 4
    assert "no manifest.json" in err
    unsealed = [p for p in tmp_path.iterdir() if p.is_dir() and not p.is_symlink() and p != sealed]
    assert len(unsealed) == 1
    assert (unsealed[0] / "findings.json").is_file()
    assert not (unsealed[0] / "manifest.json").exists()
    assert resolve_latest(tmp_path) == sealed  # still the last complete run


def test_latest_names_the_sealed_run(demo_org: None, tmp_path: Path) -> None:
    code, _, err = scan(tmp_path)
    # The partner's bucket cannot be read: its integrity checks are ERROR, the exit 3.
    assert code == ExitCode.INCOMPLETE, err
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir() and not p.is_symlink()]
    assert resolve_latest(tmp_path) == run_dir
    assert (run_dir / "manifest.json").is_file()
