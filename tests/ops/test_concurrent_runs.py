"""Two scans at once into one output folder (cron overlapping a manual run), and the shared log."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from orgscan.cli.logsetup import attach_shared_log, stop
from orgscan.findings import load_run
from orgscan.runs.folder import resolve_latest
from orgscan.runs.history import run_folders

from .conftest import CLEARED_ENV, FAKE_ENV, SCAN_ARGS, build_account


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
        build_account(endpoint_url=endpoint)
        yield endpoint
    finally:
        server.stop()


def test_two_scans_at_once_into_one_folder(moto_endpoint: str, tmp_path: Path) -> None:
    output_dir = tmp_path / "reports"
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_endpoint}
    command = [sys.executable, "-c", "from orgscan.cli import main; main()", *SCAN_ARGS,
               "--output-dir", str(output_dir), "--format", "json,csv,html",
               "--log-format", "json", "--fail-on", "never"]
    scans = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outcomes = [scan.communicate(timeout=120) for scan in scans]
    assert [scan.returncode for scan in scans] == [0, 0], outcomes

    runs = run_folders(output_dir)
    assert len(runs) == 2  # distinct folders, even when both started in the same second
    for run_dir in runs:
        # diff.json appears when the other run's findings.json was there first: a race.
        names = {path.name for path in run_dir.iterdir() if not path.name.startswith(".")}
        assert names - {"diff.json"} == {"findings.csv", "findings.json", "orgscan.log",
                                         "report.html"}
        assert len(load_run(run_dir).findings) == 3
        lines = [json.loads(line) for line in
                 (run_dir / "orgscan.log").read_text(encoding="utf-8").splitlines()]
        assert lines[-1]["summary"]["run_folder"] == run_dir.name  # its own log, complete
        assert not any(record.get("run") not in (None, run_dir.name) for record in lines)
    assert resolve_latest(output_dir) in runs
    assert not [path.name for path in output_dir.iterdir() if path.name.endswith(".tmp")]
    # The shared log holds both runs, whole lines only.
    shared = [json.loads(line) for line in
              (output_dir / "orgscan.log").read_text(encoding="utf-8").splitlines()]
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
    records = [json.loads(line) for path in files
               for line in path.read_text(encoding="utf-8").splitlines()]
    assert all(record["run"] == run_dir.name for record in records)
    numbers = sorted(int(record["message"].split()[1]) for record in records)
    assert numbers == list(range(300 - len(numbers), 300))  # the newest lines, none torn
