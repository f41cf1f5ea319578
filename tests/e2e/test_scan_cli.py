"""The real ``orgscan scan`` in a subprocess against a moto server, through AWS_ENDPOINT_URL."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from orgscan.simulate import SimulatedOrg, build_demo_org, reset_moto_server

pytestmark = pytest.mark.e2e

#: A secret distinctive enough to search for: it must never reach a file of the run.
SECRET = "e2e-Secret-Key-must-not-be-logged"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": SECRET,
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, SimulatedOrg]]:
    """A moto server holding the demo organization: (endpoint, what was built)."""
    with pytest.MonkeyPatch.context() as patch:
        # The server runs in this process and reads these on every request.
        patch.setenv("MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS", "false")
        patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        try:
            host, port = moto.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            for name, value in {
                **FAKE_CREDENTIALS,
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            }.items():
                patch.setenv(name, value)
            for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "MOTO_ACCOUNT_ID"):
                patch.delenv(name, raising=False)
            yield endpoint, build_demo_org()
            reset_moto_server(endpoint)  # the state is this process's: leave none behind
        finally:
            moto.stop()


def orgscan(endpoint: str, *args: str, dash_m: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the installed ``orgscan`` script (``python -m orgscan`` with ``dash_m``) with only
    fake AWS credentials in its environment."""
    env = {
        name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "MOTO_"))
    }
    env |= FAKE_CREDENTIALS | {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    script = shutil.which("orgscan", path=str(Path(sys.executable).parent))
    command = [script] if script and not dash_m else [sys.executable, "-m", "orgscan"]
    return subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def latest_run(output_dir: Path) -> tuple[Path, dict[str, Any]]:
    latest = output_dir / "latest"
    assert latest.is_symlink()
    run_dir = output_dir / os.readlink(latest)
    assert run_dir.parent == output_dir
    assert run_dir.is_dir()
    assert [p for p in output_dir.iterdir() if p.is_dir() and not p.is_symlink()] == [run_dir]
    return run_dir, json.loads((run_dir / "findings.json").read_text(encoding="utf-8"))


def test_scan_of_the_demo_organization(server: tuple[str, SimulatedOrg], tmp_path: Path) -> None:
    endpoint, simulated = server
    output_dir = tmp_path / "reports"
    done = orgscan(
        endpoint,
        "scan",
        "--output-dir",
        str(output_dir),
        "--regions",
        ",".join(simulated.regions),
        "--format",
        "json,csv",
        "--min-retention-days",
        str(simulated.policy.min_retention_days),
    )
    assert done.returncode == 1, done.stderr  # the demo has FAIL findings
    assert "Traceback" not in done.stderr
    assert f"{len(simulated.trails)} trails" in done.stdout  # the summary on the terminal

    run_dir, document = latest_run(output_dir)
    assert document["schema_version"] == 3
    assert document["run"]["complete"] is True
    assert document["run"]["organization_id"] == simulated.organization_id
    assert sorted(document["run"]["regions"]) == sorted(simulated.regions)
    assert {f["trail_arn"]: f["reason_code"] for f in document["findings"]} == {
        arn: code.value for arn, code in simulated.expected_reasons.items()
    }
    central = [f for f in document["findings"] if f["bucket_name"] == "acme-log-archive-cloudtrail"]
    assert {f["bucket_account_id"] for f in central} == {simulated.log_archive_account_id}
    assert {f["status"] for f in central} == {"PASS"}
    accounts = {a["account_id"]: a for a in document["accounts"]}
    assert set(accounts) == set(simulated.accounts.values())
    (closed,) = simulated.closed_account_ids
    assert (accounts[closed]["state"], accounts[closed]["scanned"]) == ("SUSPENDED", False)
    assert [(e["stage"], e["error_code"]) for e in document["errors"]] == [
        ("bucket", "AccessDenied")
    ]

    with (run_dir / "findings.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["trail_arn"], r["reason_code"], r["status"]) for r in rows] == [
        (f["trail_arn"], f["reason_code"], f["status"]) for f in document["findings"]
    ]
    log = (run_dir / "orgscan.log").read_text(encoding="utf-8")
    assert log
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(encoding="utf-8", errors="replace"), path
    assert SECRET not in done.stdout + done.stderr
    assert not (run_dir / "report.html").exists()  # only the formats asked for
    assert not (run_dir / "report.xlsx").exists()


def test_scan_no_org_with_python_dash_m(server: tuple[str, SimulatedOrg], tmp_path: Path) -> None:
    endpoint, simulated = server
    output_dir = tmp_path / "reports"
    done = orgscan(
        endpoint,
        "scan",
        "--no-org",
        "--quiet",
        "--regions",
        "us-east-1",
        "--format",
        "json",
        "--output-dir",
        str(output_dir),
        dash_m=True,
    )
    # The organization trail's bucket is in the log archive, out of reach without --org:
    # an ERROR finding, so exit 3 (evidence incomplete), not 1.
    assert done.returncode == 3, done.stderr
    assert done.stdout == ""
    _, document = latest_run(output_dir)
    assert [(a["account_id"], a["scanned"]) for a in document["accounts"]] == [
        (simulated.management_account_id, True)
    ]
    assert [(f["trail_name"], f["status"], f["reason_code"]) for f in document["findings"]] == [
        ("acme-org-trail", "ERROR", "ACCESS_DENIED")
    ]
    assert document["run"]["organization_id"] is None


def test_bad_input_through_the_real_script(
    server: tuple[str, SimulatedOrg], tmp_path: Path
) -> None:
    endpoint, _ = server
    output_dir = tmp_path / "reports"
    done = orgscan(endpoint, "scan", "--output-dir", str(output_dir), "--regions", "zz-nowhere-9")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "orgscan: error: unknown region for partition aws: zz-nowhere-9"
    ]
    assert not output_dir.exists()
