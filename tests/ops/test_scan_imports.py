"""A run imports only what its formats need: a JSON-only scan loads no workbook or template
library, in a fresh interpreter, measured at the end of the scan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WATCHED = ("openpyxl", "jinja2", "pandas", "moto")

# Scans the demo organization through the in-process responder with `orgscan scan`, then prints
# which watched libraries the process imported and the files the run folder holds.
_CHILD = """
import json, sys
from pathlib import Path
from typer.testing import CliRunner
from orgscan.cli import app
from tests.fake_org import fake_demo

out, formats = Path(sys.argv[1]), sys.argv[2]
with fake_demo() as org:
    done = CliRunner().invoke(app, [
        "scan", "--regions", ",".join(org.regions),
        "--min-retention-days", str(org.policy.min_retention_days),
        "--require-mode", org.policy.require_mode.value,
        "--output-dir", str(out), "--format", formats, "--quiet", "--fail-on", "never",
    ])
run_dir = (out / "latest").resolve()
print(json.dumps({
    "exit": done.exit_code,
    "output": done.output,
    "files": sorted(p.name for p in run_dir.iterdir()),
    "modules": [m for m in WATCHED if m in sys.modules],
}))
"""


def _scan_in_fresh_interpreter(tmp_path: Path, formats: str) -> dict[str, object]:
    code = f"WATCHED = {WATCHED!r}\n{_CHILD}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "out"), formats],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    )
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.e2e
def test_a_json_only_scan_imports_no_workbook_template_or_dataframe_library(
    tmp_path: Path,
) -> None:
    report = _scan_in_fresh_interpreter(tmp_path, "json")
    # 3: the demo organization has a bucket that cannot be read and a denied region.
    assert report["exit"] == 3, report["output"]
    assert "findings.json" in report["files"]  # type: ignore[operator]
    assert "report.xlsx" not in report["files"]  # type: ignore[operator]
    assert report["modules"] == []


@pytest.mark.e2e
def test_a_scan_writing_the_workbook_and_page_imports_their_libraries(tmp_path: Path) -> None:
    # The other side: the test above would pass vacuously if nothing were ever imported.
    report = _scan_in_fresh_interpreter(tmp_path, "json,xlsx,html")
    assert {"report.xlsx", "report.html"} <= set(report["files"])  # type: ignore[call-overload]
    assert report["modules"] == ["openpyxl", "jinja2", "pandas"]
