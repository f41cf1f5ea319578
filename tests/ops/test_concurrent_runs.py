"""Two scans at once into one output folder (cron overlapping a manual run), and the shared log."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from concurrent_log_handler import ConcurrentRotatingFileHandler
from moto.server import ThreadedMotoServer

from orgscan.findings import load_run
from orgscan.runs.folder import resolve_latest
from orgscan.runs.history import list_runs, run_folders
from orgscan.runs.logfiles import LOCK_SLOTS, lock_directory
from orgscan.runs.logsetup import attach_shared_log, stop
from orgscan.simulate import reset_moto_server

from .accounts import CLEARED_ENV, FAKE_ENV, SCAN_ARGS, build_account


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto server holding the test account; yields its endpoint."""
    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name in CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    try:
        # The server shares this process's moto state: start from none of another test's.
        reset_moto_server(endpoint)
        build_account(endpoint_url=endpoint)
        yield endpoint
    finally:
        server.stop()


def test_two_scans_at_once_into_one_folder(moto_endpoint: str, tmp_path: Path) -> None:
    output_dir = tmp_path / "reports"
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_endpoint}
    command = [
        sys.executable,
        "-c",
        "from orgscan.cli import main; main()",
        *SCAN_ARGS,
        "--output-dir",
        str(output_dir),
        "--format",
        "json,csv,html",
        "--log-format",
        "json",
        "--fail-on",
        "never",
    ]
    scans = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outcomes = [scan.communicate(timeout=120) for scan in scans]
    assert [scan.returncode for scan in scans] == [0, 0], outcomes

    runs = run_folders(output_dir)
    assert len(runs) == 2  # distinct folders, even when both started in the same second
    for run_dir in runs:
        # diff.json appears when the other run's findings.json was there first: a race.
        names = {path.name for path in run_dir.iterdir()}
        assert names - {"diff.json"} == {
            "findings.csv",
            "findings.json",
            "orgscan.log",
            "report.html",
            "evidence",
            "manifest.json",
        }
        assert len(load_run(run_dir).findings) == 3
        lines = [
            json.loads(line)
            for line in (run_dir / "orgscan.log").read_text(encoding="utf-8").splitlines()
        ]
        assert lines[-1]["summary"]["run_folder"] == run_dir.name  # its own log, complete
        assert not any(record.get("run") not in (None, run_dir.name) for record in lines)
    # latest names the run that started last, whichever finished last; history marks it.
    assert resolve_latest(output_dir) == runs[0]
    assert [run.folder for run in list_runs(output_dir).runs if run.latest] == [runs[0].name]
    # No temporary or lock file is left anywhere (the locks are flock on existing files).
    assert [path.name for path in output_dir.rglob(".*")] == []
    # The shared log holds both runs, whole lines only.
    shared = [
        json.loads(line)
        for line in (output_dir / "orgscan.log").read_text(encoding="utf-8").splitlines()
    ]
    finished = {record["run"] for record in shared if "summary" in record}
    assert finished == {run_dir.name for run_dir in runs}


def test_shared_log_rotates_and_keeps_every_line(tmp_path: Path) -> None:
    run_dir = tmp_path / "20261127T090000Z"
    run_dir.mkdir()
    logger = logging.getLogger("orgscan.test_rotation")
    handler = attach_shared_log(run_dir, json_format=True, max_bytes=4096)
    try:
        for number in range(300):
            logger.warning("line %d", number)
    finally:
        stop(handler)
    files = sorted(tmp_path.glob("orgscan.log*"))
    assert len(files) > 1  # rotated
    assert len(files) <= 6  # the current file and at most five old ones
    records = [
        json.loads(line) for path in files for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert all(record["run"] == run_dir.name for record in records)
    numbers = sorted(int(record["message"].split()[1]) for record in records)
    assert numbers == list(range(300 - len(numbers), 300))  # the newest lines, none torn


def _python(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    """``python ARGV...`` in ``env``, its output captured as text, whatever its exit."""
    return subprocess.run(
        [sys.executable, *argv], env=env, capture_output=True, text=True, timeout=120, check=False
    )


#: Ends the scripts below: orgscan's command line, with the script's arguments.
_THEN_ORGSCAN = "from orgscan.cli import main\nmain()\n"

#: A scan killed (SIGKILL: no handler runs) while its page is written, after findings.json.
_KILLED_WHILE_WRITING = (
    "import os, signal\n"
    "from orgscan.reports.html_report import HtmlReport\n"
    "HtmlReport.stream = lambda self, inputs: os.kill(os.getpid(), signal.SIGKILL)\n"
) + _THEN_ORGSCAN


def test_a_run_killed_while_writing_is_listed_as_unfinished(
    moto_endpoint: str, tmp_path: Path
) -> None:
    output_dir = tmp_path / "reports"
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_endpoint}
    command = [
        "-c",
        _KILLED_WHILE_WRITING,
        *SCAN_ARGS,
        "--output-dir",
        str(output_dir),
        "--format",
        "json,html",
    ]
    killed = _python(env, *command)
    assert killed.returncode == -9, killed.stderr

    (run_dir,) = run_folders(output_dir)
    assert len(load_run(run_dir).findings) == 3  # findings.json was written first
    assert not (run_dir / "report.html").exists()
    assert resolve_latest(output_dir) is None  # latest never named the killed run
    history = _python(env, "-m", "orgscan", "history", str(output_dir))
    header, row = history.stdout.splitlines()
    assert header.split()[2] == "COVERAGE"
    assert row.split()[0] == run_dir.name
    assert row.split()[2] == "unfinished"


#: A scan killed (SIGKILL) while findings.json, the first file it writes, is being written:
#: its temporary file is there, the file itself never is.
_KILLED_BEFORE_FINDINGS = (
    "import os, signal\n"
    "real_fsync = os.fsync\n"
    "def fsync(fd):\n"
    "    if os.readlink(f'/proc/self/fd/{fd}').split('/')[-1].startswith('.findings.json.'):\n"
    "        os.kill(os.getpid(), signal.SIGKILL)\n"
    "    real_fsync(fd)\n"
    "os.fsync = fsync\n"
) + _THEN_ORGSCAN


def test_a_run_killed_before_its_findings_is_unfinished_and_cleaned_up(
    moto_endpoint: str, tmp_path: Path
) -> None:
    output_dir = tmp_path / "reports"
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_endpoint}
    scan = [*SCAN_ARGS, "--output-dir", str(output_dir), "--format", "json", "--fail-on", "never"]
    killed = _python(env, "-c", _KILLED_BEFORE_FINDINGS, *scan)
    assert killed.returncode == -9, killed.stderr
    (run_dir,) = run_folders(output_dir)
    (left,) = [path for path in run_dir.iterdir() if path.name.endswith(".tmp")]
    assert left.name.startswith(".findings.json.")

    def history() -> list[list[str]]:
        listed = _python(env, "-m", "orgscan", "history", str(output_dir))
        assert listed.returncode == 0, listed.stderr
        assert listed.stderr == ""  # nothing skipped
        return [line.split() for line in listed.stdout.splitlines()[1:]]

    assert history() == [[run_dir.name, "-", "unfinished", "-", "-", "-", "-", "-"]]

    again = _python(env, "-m", "orgscan", *scan)
    assert again.returncode == 0, again.stderr
    assert not left.exists()
    assert [path.name for path in output_dir.rglob("*.tmp")] == []
    newest = run_folders(output_dir)[0]
    assert resolve_latest(output_dir) == newest
    assert not (newest / "diff.json").exists()  # the killed run is nothing to compare with
    assert f"removed {left}" in (newest / "orgscan.log").read_text(encoding="utf-8")
    rows = history()
    assert [row[:3] for row in rows] == [
        [newest.name, rows[0][1], "complete"],
        [run_dir.name, "-", "unfinished"],
    ]


@pytest.fixture
def runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private runtime folder of this user, where the shared log's lock file goes."""
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    return runtime


def _shared_run(output_dir: Path) -> Path:
    run_dir = output_dir / "20261127T090000Z"
    run_dir.mkdir(parents=True)
    return run_dir


def test_the_shared_log_lock_is_private_and_outside_the_output_folder(
    runtime_dir: Path, tmp_path: Path
) -> None:
    run_dir = _shared_run(tmp_path / "reports")
    # Another output folder whose log falls in another of the lock slots.
    other = next(
        tmp_path / f"other-{n}"
        for n in range(LOCK_SLOTS + 1)
        if lock_directory(tmp_path / f"other-{n}" / "orgscan.log")
        != lock_directory(tmp_path / "reports" / "orgscan.log")
    )
    other_run = _shared_run(other)
    (tmp_path / "alias").symlink_to(tmp_path / "reports")
    handlers = [
        attach_shared_log(run_dir),
        attach_shared_log(tmp_path / "alias" / run_dir.name),
        attach_shared_log(other_run),
    ]
    try:
        logging.getLogger("orgscan.test_lock").warning("one line")
        locks = [
            Path(handler.lockFilename)
            for handler in handlers
            if isinstance(handler, ConcurrentRotatingFileHandler)
        ]
    finally:
        for handler in handlers:
            stop(handler)
    assert len(locks) == 3
    # One lock per log, whatever path reaches it; another output folder has its own.
    assert locks[0] == locks[1] != locks[2]
    private = runtime_dir / f"orgscan-{os.getuid()}"
    assert locks[0].parent.parent == private
    assert locks[0].is_file()
    for path in (private, locks[0].parent):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert stat.S_IMODE(locks[0].stat().st_mode) == 0o600
    # Nothing but the log and the run folder in the output folder: no lock, no temporary file.
    assert sorted(path.name for path in (tmp_path / "reports").iterdir()) == [
        "20261127T090000Z",
        "orgscan.log",
    ]
    lines = (tmp_path / "reports" / "orgscan.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2  # the same log reached by two paths
    assert all(line.endswith("one line") for line in lines)


def test_the_lock_folders_stay_few_however_many_output_folders(
    runtime_dir: Path, tmp_path: Path
) -> None:
    # A scheduled job writing a new output folder each day for years.
    for day in range(4 * LOCK_SLOTS):
        handler = attach_shared_log(_shared_run(tmp_path / f"reports-{day}"))
        logging.getLogger("orgscan.test_slots").warning("day %d", day)
        stop(handler)
    private = runtime_dir / f"orgscan-{os.getuid()}"
    assert 1 < len(list(private.iterdir())) <= LOCK_SLOTS
    for day in (0, 4 * LOCK_SLOTS - 1):  # every log still got its line
        shared = tmp_path / f"reports-{day}" / "orgscan.log"
        assert shared.read_text(encoding="utf-8").endswith(f"day {day}\n")


def test_a_lock_folder_others_may_enter_is_refused(runtime_dir: Path, tmp_path: Path) -> None:
    planted = runtime_dir / f"orgscan-{os.getuid()}"
    planted.mkdir(mode=0o700)
    planted.chmod(0o777)
    run_dir = _shared_run(tmp_path / "reports")
    handler = attach_shared_log(run_dir)
    stop(handler)
    assert isinstance(handler, logging.NullHandler)  # the run logs to its own folder only
    assert not (tmp_path / "reports" / "orgscan.log").exists()
    assert list(planted.iterdir()) == []


def test_an_existing_shared_log_is_made_private(runtime_dir: Path, tmp_path: Path) -> None:
    run_dir = _shared_run(tmp_path / "reports")
    shared = tmp_path / "reports" / "orgscan.log"
    shared.write_text("an older line\n", encoding="utf-8")
    shared.chmod(0o644)
    handler = attach_shared_log(run_dir)
    stop(handler)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o600
    assert shared.read_text(encoding="utf-8") == "an older line\n"
