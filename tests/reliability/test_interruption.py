"""Interruption and crashes: Ctrl-C or SIGTERM during a real scan, a crash while writing a report,
and two runs that start in the same second."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from orgscan.cli.exitcodes import ExitCode, scan_exit_code
from orgscan.config import FailOn
from orgscan.findings import FINDINGS_FILE, load_run
from orgscan.formats import write_reports
from orgscan.reports import ReportInputs
from orgscan.reports.html_report import HtmlReport
from orgscan.runs.folder import create_run_dir
from orgscan.runs.output import mark_latest, write_run
from orgscan.simulate import SimulatedOrg, build_demo_org, reset_moto_server
from tests.environment import FAKE_AWS_VARIABLES
from tests.reliability.documents import sample_result

SLOW_SCAN = Path(__file__).with_name("slow_scan.py")
FORMATS = ("json", "csv", "xlsx", "html", "scripts")


@pytest.fixture(scope="module")
def moto_server() -> Iterator[tuple[str, SimulatedOrg]]:
    """A moto server in this process holding the demo organization: (endpoint, organization)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_AWS_VARIABLES.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "MOTO_ACCOUNT_ID", "AWS_MAX_ATTEMPTS"):
            patch.delenv(name, raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        try:
            patch.setenv("AWS_ENDPOINT_URL", endpoint)
            # The server shares this process's moto state: start from (and leave) it empty.
            reset_moto_server(endpoint)
            org = build_demo_org()
            # moto's first EC2 call loads its region data for seconds: do it before the scans,
            # so that a signal never waits for it.
            boto3.client("ec2", region_name="us-east-1").describe_regions()
            yield endpoint, org
        finally:
            reset_moto_server(endpoint)
            server.stop()


def _started_marker(output_dir: Path) -> Path:
    """The file the slow scan creates once the scan proper has begun."""
    return output_dir.parent / f"{output_dir.name}.started"


def _wait_for_scan(output_dir: Path, child: subprocess.Popen[str]) -> Path:
    """Wait until the scan proper has begun (discovery done, first slow request sent) and
    return its run folder."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        folders = [p for p in output_dir.glob("2*") if p.is_dir()] if output_dir.exists() else []
        if folders and _started_marker(output_dir).exists():
            return folders[0]
        time.sleep(0.05)
    raise AssertionError(f"the scan did not start (exit {child.poll()})")


def _start_slow_scan(endpoint: str, org: SimulatedOrg, output_dir: Path) -> subprocess.Popen[str]:
    env = {
        name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "MOTO_"))
    }
    env |= FAKE_AWS_VARIABLES | {"AWS_ENDPOINT_URL": endpoint}
    command = [
        sys.executable,
        str(SLOW_SCAN),
        "0.3",
        str(_started_marker(output_dir)),
        "scan",
        "--output-dir",
        str(output_dir),
        "--regions",
        ",".join(org.regions),
        "--workers",
        "2",
    ]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.e2e
def test_sigint_or_sigterm_during_a_scan_writes_an_incomplete_run(
    moto_server: tuple[str, SimulatedOrg], tmp_path: Path
) -> None:
    endpoint, org = moto_server
    signals = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}
    # Both scans run at once (the test waits for each only once).
    children = {name: _start_slow_scan(endpoint, org, tmp_path / name) for name in signals}
    try:
        run_dirs = {
            name: _wait_for_scan(tmp_path / name, child) for name, child in children.items()
        }
        time.sleep(1)  # part-way through: some units done, most not
        for name, child in children.items():
            child.send_signal(signals[name])
        outputs = {name: child.communicate(timeout=60) for name, child in children.items()}
    finally:
        for child in children.values():
            child.kill()

    for name, child in children.items():
        stdout, stderr = outputs[name]
        run_dir = run_dirs[name]
        assert "Traceback" not in stderr
        assert "INTERRUPTED" in stdout
        result = load_run(run_dir)  # complete and valid, whatever was cut short
        assert not result.run.complete
        # Incomplete evidence: 3, unless what was gathered already triggers 1 (contract).
        expected = scan_exit_code(result, FailOn.FAIL)
        assert expected in (ExitCode.FINDINGS, ExitCode.INCOMPLETE)
        assert child.returncode == expected, (name, stderr)
        assert any(error.error_code == "Interrupted" for error in result.errors)
        assert len(result.findings) < len(org.trails)
        assert {path.name for path in run_dir.iterdir()} >= {
            FINDINGS_FILE,
            "findings.csv",
            "report.html",
            "report.xlsx",
        }
        assert not [p for p in run_dir.rglob("*") if p.name.endswith(".tmp")]
        assert run_dir.name in stdout  # the summary names the run folder
        log_lines = (run_dir / "orgscan.log").read_text(encoding="utf-8").splitlines()
        assert "scan interrupted: " in log_lines[-1]
        assert f"exit code {int(expected)}" in log_lines[-1]


# ---------------------------------------------------------------------- crashes while writing


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_report_that_fails_to_render_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = create_run_dir(tmp_path, datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    write_run(first, sample_result(), FORMATS)
    mark_latest(first)

    def explode(self: Any, inputs: ReportInputs) -> Iterator[bytes]:
        yield b"<!doctype html><p>half a page"  # written to the temporary file already
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(HtmlReport, "stream", explode)
    second = create_run_dir(tmp_path, datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    with pytest.raises(RuntimeError, match="renderer crashed"):
        write_run(second, sample_result(), FORMATS)

    names = sorted(_tree(second))
    assert "report.html" not in names
    assert not [name for name in names if name.endswith(".tmp") or name.startswith(".")]
    load_run(second)  # findings.json, written first, is whole
    assert os.readlink(tmp_path / "latest") == first.name  # latest still names a whole run


@pytest.mark.parametrize("failure", ["disk-full-mid-write", "rename-fails"])
def test_a_failed_rewrite_keeps_the_old_report_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    run_dir = create_run_dir(tmp_path, datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    write_run(run_dir, sample_result(), FORMATS)
    before = _tree(run_dir)
    real_fdopen, real_replace = os.fdopen, os.replace

    class HalfWriter:
        """A file that takes half of what is written, then reports a full disk."""

        def __init__(self, handle: Any) -> None:
            self._handle = handle

        def __enter__(self) -> HalfWriter:
            return self

        def __exit__(self, *exc: object) -> None:
            self._handle.close()

        def write(self, data: bytes) -> int:
            self._handle.write(data[: len(data) // 2])
            self._handle.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

    def half_fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        return HalfWriter(real_fdopen(fd, *args, **kwargs))

    def failing_replace(source: Any, target: Any) -> None:
        if Path(target).name == "report.html":
            raise OSError(errno.EIO, "Input/output error")
        real_replace(source, target)

    if failure == "disk-full-mid-write":
        monkeypatch.setattr("orgscan.files.os.fdopen", half_fdopen)
    else:
        monkeypatch.setattr("orgscan.files.os.replace", failing_replace)
    changed = sample_result(account_name="renamed account")
    with pytest.raises(OSError):  # noqa: PT011 - either errno: the point is what is left behind
        write_reports(run_dir, ReportInputs(result=changed), ["csv", "html"])

    assert _tree(run_dir) == before  # every old file whole, no temporary file left


def test_runs_in_the_same_second_never_share_a_folder(tmp_path: Path) -> None:
    started = datetime(2026, 11, 27, 9, 0, 0, tzinfo=UTC)
    existing = create_run_dir(tmp_path, started)
    (existing / FINDINGS_FILE).write_text("{}", encoding="utf-8")
    folders: list[Path] = []
    lock = threading.Lock()

    def start_run() -> None:
        folder = create_run_dir(tmp_path, started)
        with lock:
            folders.append(folder)

    threads = [threading.Thread(target=start_run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({*folders, existing}) == 9
    assert all(folder.parent == tmp_path and not any(folder.iterdir()) for folder in folders)
    assert json.loads((existing / FINDINGS_FILE).read_text(encoding="utf-8")) == {}
