"""The control mapping: every entry cites its source; shown in the workbook and the page;
shipped in the wheel and found by a plain install."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from orgscan.controls import AppliesTo, Relation, load_controls

ROOT = Path(__file__).resolve().parents[2]


def test_every_entry_names_its_requirement_and_cites_a_public_source() -> None:
    mapping = load_controls()
    assert mapping.severity == "MEDIUM"
    requirements = {
        (c.framework.split(" v")[0].split(" Rev")[0], c.requirement) for c in mapping.controls
    }
    for expected in [
        ("AWS Security Hub CSPM", "S3.15"),
        ("NIST SP 800-53", "AU-9"),
        ("NIST SP 800-53", "AU-11"),
        ("PCI DSS", "10.3"),
        ("PCI DSS", "10.5.1"),
        ("CIS Amazon Web Services Foundations Benchmark", "3.1"),
    ]:
        assert expected in requirements
    assert any(c.requirement == "17a-4(f)" for c in mapping.controls)
    for control in mapping.controls:
        assert control.source.startswith("https://"), control.id
        assert control.note
    # What orgscan does not test is never exported as evidenced.
    related = {c.label for c in mapping.controls if c.relation is Relation.RELATED}
    assert related
    assert not related & set(mapping.labels(AppliesTo.FINDING))
    assert "CIS AWS Foundations Benchmark v1.4.0/3.1" in mapping.labels(AppliesTo.ACCOUNT)
    assert "AWS Security Hub S3.15" not in mapping.labels(AppliesTo.ACCOUNT)


def test_the_workbook_and_the_page_show_the_mapping(demo_run_master: Path) -> None:
    sheet = load_workbook(demo_run_master / "report.xlsx")["Controls"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Framework", "Requirement", "Title", "Evidenced by", "Relation")
    # The first entry of each requirement (AU-9 and AU-11 also label integrity checks).
    by_requirement = {row[1]: row for row in reversed(rows[1:])}
    assert (
        by_requirement["S3.15"][2] == "S3 general purpose buckets should have Object Lock enabled"
    )
    assert by_requirement["AU-11"][3] == "finding, account"
    assert len(rows) - 1 == len(load_controls().controls)
    # The demo's policy (ANY, 90 days) and its --regions: what it does not evidence, and why.
    assert rows[0][7:9] == ("Evidenced when", "In this run")
    by_id = {row[1]: row for row in rows[1:]}
    assert by_id["17a-4(f)"][7] == "status = PASS, require_mode = COMPLIANCE"
    assert by_id["17a-4(f)"][8] == (
        "not evidenced by this run: require_mode = COMPLIANCE (this run: ANY)"
    )
    assert by_id["10.5.1"][8] == (
        "not evidenced by this run: min_retention_days >= 365 (this run: 90)"
    )
    assert by_id["3.1"][8] == (
        "not evidenced by this run: all_enabled_regions_scanned "
        "(this run: --regions us-east-1,eu-west-1,eu-central-1)"
    )
    assert str(by_id["S3.15"][8]).startswith("evidenced by ")
    # Integrity checks carry their own controls, each under its check (contract 5.2).
    assert by_id["3.2"][3] == "integrity"
    assert by_id["3.2"][7] == "check = LOG_FILE_VALIDATION"
    assert by_id["3.2"][8] == "evidenced by 1 failing integrity check"
    page = (demo_run_master / "report.html").read_text()
    assert '<section id="controls"' in page
    assert (
        '<td data-label="Framework">PCI DSS v4.0</td><td data-label="Requirement">10.5.1</td>'
    ) in page
    assert (
        '<td data-label="In this run">not evidenced by this run: require_mode = COMPLIANCE '
        "(this run: ANY)</td>"
    ) in page


@pytest.mark.e2e
def test_the_wheel_ships_the_mapping_and_a_plain_install_loads_it(tmp_path: Path) -> None:
    python = sys.executable
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    subprocess.run(
        [python, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("orgscan-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (member,) = [
            n for n in archive.namelist() if n.endswith("/data/share/orgscan/configs/controls.toml")
        ]
        assert tomllib.loads(archive.read(member).decode())["version"] == 1
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--ignore-installed",
            "-q",
            "--prefix",
            str(venv),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    # The venv borrows the dependencies, never the source checkout (no editable install).
    site = Path(sysconfig.get_path("purelib"))
    venv_site = next((venv / "lib").glob("python3*/site-packages"))
    (venv_site / "deps.pth").write_text(f"{site}\n")
    code = (
        "import orgscan.controls as c; m = c.load_controls(); "
        "print(c.__file__); print(len(m.controls))"
    )
    ran = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert ran.returncode == 0, ran.stderr
    out = ran.stdout.split()
    assert out[0].startswith(str(venv))
    assert int(out[1]) == len(load_controls().controls)
