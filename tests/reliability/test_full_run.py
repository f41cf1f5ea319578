"""A full scan of the demo organization through ``run_scan`` (run folder, every format, DEBUG
log): no credential ever reaches an output, and the scan only ever reads from AWS."""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from orgscan.cli.scan_cmd import run_scan
from tests.reliability.conftest import FAKE_CREDENTIALS, DemoWorld
from tests.reliability.faults import FaultInjector

#: Read-only API operations: every call of a scan must be one of these.
READ_ONLY = re.compile(r"^(Describe|Get|List|Head)[A-Za-z]+$")
#: The two calls that are not named like reads but change nothing.
ALSO_READ_ONLY = {"AssumeRole", "GetCallerIdentity"}


@dataclass(frozen=True)
class ScannedRun:
    """A finished ``run_scan``: its output folder, terminal output and the calls it made."""

    output_dir: Path
    terminal: str
    exit_code: int
    calls: FaultInjector


@pytest.fixture(scope="module")
def scanned_run(demo_world: DemoWorld, tmp_path_factory: pytest.TempPathFactory) -> ScannedRun:
    output_dir = tmp_path_factory.mktemp("secrets") / "reports"
    settings = demo_world.settings(output_dir=str(output_dir), log_level="DEBUG",
                                   exclude_accounts=[])
    calls = FaultInjector()
    terminal = io.StringIO()
    with contextlib.redirect_stdout(terminal), contextlib.redirect_stderr(terminal):
        code = run_scan(settings, demo_world.sessions(calls, settings))
    return ScannedRun(output_dir, terminal.getvalue(), code, calls)


def test_no_credential_in_any_output(scanned_run: ScannedRun) -> None:
    secrets = [*FAKE_CREDENTIALS.values(), *scanned_run.calls.issued_secrets]
    # The role was assumed in every member account: their keys and tokens are checked too.
    assert len(scanned_run.calls.issued_secrets) >= 3 * 10
    files = [path for path in scanned_run.output_dir.rglob("*") if path.is_file()]
    names = {path.name for path in files}
    assert {"findings.json", "findings.csv", "report.xlsx", "report.html",
            "orgscan.log", "plan.json"} <= names
    assert any(name.endswith(".sh") for name in names)
    logs = [path.read_text(encoding="utf-8") for path in files if path.suffix == ".log"]
    assert any("AccessDenied" in log for log in logs)  # the log has the scan's story
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"{secret[:8]}... leaked into {path.name}"
    for secret in secrets:
        assert secret not in scanned_run.terminal
    # The xlsx is a zip: its sheets are compressed, so look inside them too.
    xlsx = next(path for path in files if path.name == "report.xlsx")
    with zipfile.ZipFile(xlsx) as archive:
        for member in archive.namelist():
            content = archive.read(member)
            assert not any(secret.encode() in content for secret in secrets), member


def test_scan_calls_only_read_only_operations(demo_world: DemoWorld,
                                              scanned_run: ScannedRun) -> None:
    operations = {call.operation for call in scanned_run.calls.calls}
    writes = {op for op in operations if not READ_ONLY.match(op) and op not in ALSO_READ_ONLY}
    assert writes == set()
    # The recording saw the whole scan, not a part of it.
    assert {"DescribeTrails", "GetObjectLockConfiguration", "GetBucketVersioning", "ListBuckets",
            "DescribeRegions", "AssumeRole", "ListAccountsForParent"} <= operations
    assert scanned_run.calls.operations() == demo_world.baseline_calls.operations()
