"""The evidence cannot be written: a full disk, a read-only run folder, a directory where a
report goes, a signal while writing. Each is one line on stderr and exit 4 (never 1, which a
scheduler reads as "findings"); the run folder stays incomplete and ``latest`` is not moved."""

from __future__ import annotations

import errno
import io
import os
import signal
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from orgscan.cli import app
from orgscan.cli.exitcodes import ExitCode
from orgscan.findings import load_run
from orgscan.reports.html_report import HtmlReport
from orgscan.runs.folder import LATEST, resolve_latest
from orgscan.runs.history import list_runs, run_folders
from orgscan.runs.logsetup import LOG_FILE
from tests.ops.accounts import SCAN_ARGS
from tests.reliability.refusals import assert_clean_refusal


def _scan(output_dir: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        app,
        [
            *SCAN_ARGS,
            "--output-dir",
            str(output_dir),
            "--format",
            "json,csv,html,xlsx,scripts",
            *extra,
        ],
    )


def assert_write_failure(outcome: Result, *words: str) -> None:
    """Exit 4, one line on stderr naming the problem, no traceback."""
    assert_clean_refusal(outcome, *words, code=ExitCode.WRITE_FAILED)


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.endswith(".tmp")]


def test_disk_full_while_writing_a_scan(
    moto_account: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output_dir = tmp_path / "reports"
    assert _scan(output_dir).exit_code == 1  # a FAIL trail: findings
    (previous,) = run_folders(output_dir)
    real_fsync = os.fsync

    def full_disk_on_the_page(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").split("/")[-1].startswith(".report.html."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk_on_the_page)
    outcome = _scan(output_dir)

    assert_write_failure(
        outcome, "report.html", "No space left on device", "the run folder is incomplete"
    )
    failed = run_folders(output_dir)[0]
    assert failed != previous
    assert len(load_run(failed).findings) == 3  # findings.json, written first, is whole
    assert not (failed / "report.html").exists()
    assert _leftovers(output_dir) == []
    assert resolve_latest(output_dir) == previous  # latest untouched
    assert "could not write" in (failed / LOG_FILE).read_text(encoding="utf-8")
    history = {run.folder: run.folder_complete for run in list_runs(output_dir).runs}
    assert history[failed.name] is False


class _FullDisk(io.FileIO):
    """A file on a full disk: every write fails as the kernel says it (ENOSPC)."""

    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _fill_disk(monkeypatch: pytest.MonkeyPatch, full: Callable[[Path], bool]) -> None:
    """Files opened for writing through ``os.fdopen`` (every file a run writes) whose path
    satisfies ``full`` are on a full disk; others are written as usual."""
    real_fdopen = os.fdopen

    def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "r" in mode or not full(Path(os.readlink(f"/proc/self/fd/{fd}"))):
            return real_fdopen(fd, mode, *args, **kwargs)
        buffered = io.BufferedWriter(_FullDisk(fd, "w"))
        if "b" in mode:
            return buffered
        return io.TextIOWrapper(
            buffered, encoding=kwargs.get("encoding"), errors=kwargs.get("errors")
        )

    monkeypatch.setattr(os, "fdopen", fdopen)


@pytest.mark.parametrize(
    ("full", "named"),
    [
        ("evidence", "evidence/api-responses.jsonl.gz"),
        ("everything", "evidence/api-responses.jsonl.gz"),
        ("run-log", "orgscan.log"),
    ],
)
def test_disk_full_during_the_scan_is_exit_4_naming_the_file(
    moto_account: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full: str, named: str
) -> None:
    output_dir = tmp_path / "reports"
    assert _scan(output_dir).exit_code == 1
    (previous,) = run_folders(output_dir)
    predicates: dict[str, Callable[[Path], bool]] = {
        # The evidence file fails only when it is closed: its records fit in its buffers.
        "evidence": lambda path: path.name.startswith(".api-responses.jsonl.gz."),
        "everything": lambda path: path.is_relative_to(output_dir),
        "run-log": lambda path: path.name == LOG_FILE and path.parent != output_dir,
    }
    _fill_disk(monkeypatch, predicates[full])

    # DEBUG: a line per AWS call, each of which used to print a "Logging error" traceback.
    outcome = _scan(output_dir, "--log-level", "DEBUG")

    assert_write_failure(outcome, named, "No space left on device", "incomplete")
    assert "Logging error" not in outcome.output
    failed = run_folders(output_dir)[0]
    assert failed != previous
    assert not (failed / "manifest.json").exists()
    assert _leftovers(output_dir) == []
    assert resolve_latest(output_dir) == previous
    if full == "evidence":
        assert "could not write" in (failed / LOG_FILE).read_text(encoding="utf-8")


@pytest.mark.parametrize("failure", ["read-only", "report-is-a-directory"])
def test_report_that_cannot_write_is_exit_4(
    moto_account: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    output_dir = tmp_path / "reports"
    _scan(output_dir)
    (run,) = run_folders(output_dir)
    csv_before = (run / "findings.csv").read_bytes()
    if failure == "read-only":
        # The tests may run as root, whom file modes do not stop: the file system refuses.
        def read_only(*args: Any, **kwargs: Any) -> Any:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(run))

        monkeypatch.setattr(tempfile, "mkstemp", read_only)
        words = ["Read-only file system"]
    else:
        (run / "report.html").unlink()
        (run / "report.html").mkdir()
        words = ["report.html"]

    outcome = CliRunner().invoke(app, ["report", str(run)])

    assert_write_failure(outcome, *words)
    assert (run / "findings.csv").read_bytes() == csv_before or failure != "read-only"
    assert _leftovers(run) == []


def test_latest_that_is_a_directory_stops_the_scan_before_it_starts(
    moto_account: None, tmp_path: Path
) -> None:
    output_dir = tmp_path / "reports"
    (output_dir / LATEST).mkdir(parents=True)
    outcome = _scan(output_dir)
    assert outcome.exit_code == 2, outcome.output
    assert "latest is a directory" in outcome.stderr
    assert run_folders(output_dir) == []


def test_a_signal_while_writing_stops_at_once_and_leaves_the_folder_incomplete(
    moto_account: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output_dir = tmp_path / "reports"
    assert _scan(output_dir).exit_code == 1
    (previous,) = run_folders(output_dir)
    real_stream = HtmlReport.stream

    def slow_stream(self: HtmlReport, inputs: Any) -> Iterator[bytes]:
        # A scheduler stops the job while the page is written; without the signal being
        # honoured, writing would go on for half a minute and then succeed.
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.01)
        yield from real_stream(self, inputs)

    monkeypatch.setattr(HtmlReport, "stream", slow_stream)
    outcome = _scan(output_dir)

    assert_write_failure(outcome, "interrupted while writing", "incomplete")
    stopped = run_folders(output_dir)[0]
    assert stopped != previous
    assert len(load_run(stopped).findings) == 3
    assert not (stopped / "report.html").exists()
    assert _leftovers(output_dir) == []
    assert resolve_latest(output_dir) == previous
    assert "interrupted while writing" in (stopped / LOG_FILE).read_text(encoding="utf-8")
    # The handlers of the write phase are gone: the process is as it was.
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, signal.default_int_handler)


def test_run_folders_and_their_files_are_private(moto_account: None, tmp_path: Path) -> None:
    output_dir = tmp_path / "reports"
    _scan(output_dir)
    (run,) = run_folders(output_dir)
    assert stat.S_IMODE(output_dir.stat().st_mode) == 0o700
    for path in [run, *run.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_dir() or path.suffix == ".sh":
            assert mode == 0o700, path
        else:
            assert mode == 0o600, path
    assert stat.S_IMODE((output_dir / LOG_FILE).stat().st_mode) == 0o600
    # No lock file anywhere: the logs and latest are locked with flock.
    assert not [p.name for p in output_dir.rglob("*") if "lock" in p.name]


def test_a_stricter_umask_is_respected(moto_account: None, tmp_path: Path) -> None:
    previous = os.umask(0o277)
    try:
        _scan(tmp_path / "reports")
    finally:
        os.umask(previous)
    (run,) = run_folders(tmp_path / "reports")
    assert stat.S_IMODE((run / "findings.json").stat().st_mode) == 0o400
    assert stat.S_IMODE(run.stat().st_mode) == 0o500


def test_the_shared_log_never_follows_a_planted_symlink(moto_account: None, tmp_path: Path) -> None:
    output_dir = tmp_path / "reports"
    output_dir.mkdir()
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me\n", encoding="utf-8")
    (output_dir / LOG_FILE).symlink_to(outside)

    outcome = _scan(output_dir, "--fail-on", "never")

    assert outcome.exit_code == 0, outcome.output
    assert outside.read_text(encoding="utf-8") == "keep me\n"
    assert (output_dir / LOG_FILE).is_symlink()
    (run,) = run_folders(output_dir)
    assert "a symbolic link, never followed" in (run / LOG_FILE).read_text(encoding="utf-8")
    assert resolve_latest(output_dir) == run


def test_the_apply_record_never_follows_a_symlinked_remediation_folder(tmp_path: Path) -> None:
    import shutil

    from orgscan.simulate import build_demo_org, demo_mock
    from tests.remediation.loop import recorded_run

    with demo_mock():
        run_dir = recorded_run(build_demo_org(), tmp_path / "reports")
        # The same files, moved out of the run folder and linked back. The manifest check never
        # follows a link, so the folder no longer verifies; the writer's own refusal (exit 4)
        # is the second line of defence, tested with an unsealed folder in test_files.
        elsewhere = tmp_path / "elsewhere"
        shutil.move(run_dir / "remediation", elsewhere)
        (run_dir / "remediation").symlink_to(elsewhere, target_is_directory=True)
        before = sorted(path.name for path in elsewhere.iterdir())
        outcome = CliRunner().invoke(app, ["remediate", str(run_dir), "--apply", "--yes"])

    assert outcome.exit_code == ExitCode.FINDINGS, outcome.output
    assert "does not match its manifest.json" in outcome.stderr
    assert sorted(path.name for path in elsewhere.iterdir()) == before  # no apply record
    assert (run_dir / "remediation").is_symlink()
    assert "failed: account" not in outcome.stdout  # refused before any step ran


@pytest.mark.parametrize("missing", [False, True], ids=["run-folder", "output-folder"])
def test_a_read_only_output_folder_is_exit_4(
    moto_account: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, missing: bool
) -> None:
    output_dir = tmp_path / "reports"
    if not missing:
        output_dir.mkdir()
    real_mkdir = Path.mkdir

    # The tests may run as root, whom file modes do not stop: the file system refuses.
    def read_only(self: Path, *args: Any, **kwargs: Any) -> None:
        if self.is_relative_to(output_dir):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    outcome = _scan(output_dir)

    assert_write_failure(outcome, "Read-only file system", str(output_dir))
    assert output_dir.exists() is not missing
