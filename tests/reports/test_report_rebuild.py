"""`orgscan report RUN_DIR` rebuilds the reports of a real run: plan, diff and exceptions included.

Two scans of the demo organization go into one output folder, the second after the demo's drift,
both with an exceptions register (one exception in force, one expired). The reports written at
scan time must equal the ones `orgscan report` rebuilds from the run folder's files, and they
must show the plan, the diff and the exceptions.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from orgscan.cli import app
from orgscan.reports.summary import display_time
from orgscan.runs.folder import resolve_latest
from orgscan.simulate import SimulatedOrg
from orgscan.simulate.demo import demo_spec, drifted
from orgscan.simulate.fakeaws import FakeAws
from tests.fake_org import answered_by
from tests.remediation.loop import demo_scan_args

from .page_parser import parse
from .workbook_helpers import find_row, records

REPORTS = ("report.html", "report.xlsx")


@dataclass(frozen=True)
class History:
    """The two run folders and the trails the register names."""

    first: Path
    second: Path
    excepted_arn: str
    expired_arn: str
    excepted_bucket: str


def register(path: Path, org: SimulatedOrg) -> tuple[str, str]:
    """An exceptions file: payments-prod's trail accepted until 2099, orders-dev's expired."""
    excepted = org.trail("payments-prod-trail").trail_arn
    expired = org.trail("orders-dev-trail").trail_arn
    path.write_text(
        f'[[exceptions]]\ntrail_arn = "{excepted}"\nowner = "secops@example.com"\n'
        f'reason = "payments bucket moves in Q1"\nexpires = 2099-12-31\n\n'
        f'[[exceptions]]\ntrail_arn = "{expired}"\nowner = "dev-lead@example.com"\n'
        f'reason = "short retention for the pilot"\nexpires = 2020-01-31\n',
        encoding="utf-8",
    )
    return excepted, expired


def scan_demo(output_dir: Path, exceptions: Path, *, drift: bool) -> tuple[Path, SimulatedOrg]:
    """Scan the demo organization with the register; return the new run folder."""
    # The scan only reads: the in-process responder answers it, no moto organization to build.
    fake = FakeAws(drifted(demo_spec()) if drift else demo_spec())
    with answered_by(fake):
        org = fake.simulated_org()
        if not exceptions.exists():
            register(exceptions, org)
        outcome = CliRunner().invoke(
            app,
            [
                *demo_scan_args(org, output_dir),
                "--exceptions",
                str(exceptions),
                "--workers",
                "8",
                "--quiet",
                "--fail-on",
                "never",
            ],
        )
    assert outcome.exit_code in (0, 3), outcome.output  # 3: the demo has an unreadable bucket
    run_dir = resolve_latest(output_dir)
    assert run_dir is not None
    return run_dir, org


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    base = tmp_path_factory.mktemp("history")
    exceptions = base / "exceptions.toml"
    first, _ = scan_demo(base / "out", exceptions, drift=False)
    second, org = scan_demo(base / "out", exceptions, drift=True)
    assert first != second
    excepted = org.trail("payments-prod-trail")
    return History(
        first=first,
        second=second,
        excepted_arn=excepted.trail_arn,
        expired_arn=org.trail("orders-dev-trail").trail_arn,
        excepted_bucket=excepted.bucket_name,
    )


@pytest.mark.parametrize("which", ["first", "second"])
def test_report_rebuilds_identical_files(history: History, which: str) -> None:
    run_dir: Path = getattr(history, which)
    written = {name: (run_dir / name).read_bytes() for name in REPORTS}
    for name in REPORTS:
        (run_dir / name).unlink()
    outcome = CliRunner().invoke(app, ["report", str(run_dir)])
    assert outcome.exit_code == 0, outcome.output
    assert str(run_dir / "report.html") in outcome.stdout
    for name in REPORTS:
        assert (run_dir / name).read_bytes() == written[name], name


def test_the_second_run_shows_diff_exceptions_and_plan(history: History) -> None:
    diff = json.loads((history.second / "diff.json").read_text(encoding="utf-8"))
    counts = diff["counts"]
    assert counts["new_failure"] > 0
    assert counts["resolved"] > 0
    accounts = Counter(a["class"] for a in diff["accounts"])
    assert accounts["new_failure"] == 1  # the drift leaves one more account unprotected
    # Accounts first (the verdict is per account), trails named separately.
    headline = (
        f"accounts: 1 new failure, {accounts['resolved']} resolved; "
        f"trails: {counts['new_failure']} new failures, {counts['resolved']} resolved; "
        f"since {display_time(diff['old']['started_at'], seconds=False)}"
    )
    listed = [t for t in diff["trails"] if t["class"] != "unchanged"]

    workbook = load_workbook(io.BytesIO((history.second / "report.xlsx").read_bytes()))
    summary = workbook["Summary"]
    assert summary.cell(find_row(summary, "Changes"), 2).value == headline
    assert summary.cell(find_row(summary, "Previous run folder"), 2).value == history.first.name
    assert (
        summary.cell(find_row(summary, "Exceptions"), 2).value
        == "1 finding excepted, 1 exception expired"
    )
    changes = records(workbook["Changes"])
    assert [row["Trail ARN"] for row in changes] == [t["trail_arn"] for t in listed]
    findings = {row["Trail ARN"]: row for row in records(workbook["Findings"])}
    assert findings[history.excepted_arn]["Exception"] == "EXCEPTED"
    assert findings[history.excepted_arn]["Status"] == "FAIL"
    assert findings[history.expired_arn]["Exception"] == "EXCEPTION EXPIRED"
    assert sum(1 for row in findings.values() if row["Exception"]) == 2

    # The Remediation sheet carries the plan: its strategy, steps and script per bucket.
    plan = json.loads((history.second / "remediation" / "plan.json").read_text(encoding="utf-8"))
    remediation = {row["Bucket"]: row for row in records(workbook["Remediation"])}
    # Trail changes (recording entries) are listed below the bucket table.
    buckets = [entry for entry in plan["entries"] if entry.get("kind", "bucket") == "bucket"]
    assert set(remediation) == {entry["bucket_name"] for entry in buckets}
    for entry in buckets:
        row = remediation[entry["bucket_name"]]
        assert row["Strategy"] == (entry["strategy"] or "no steps")
        assert row["What to do"] == entry["explanation"]
        assert str(row["Steps"]).count("\n") == max(len(entry["steps"]) - 1, 0)
        scripts = sorted({f"remediation/{step['account_id']}.sh" for step in entry["steps"]})
        assert row["Script"] == (", ".join(scripts) or "none: nothing to run")
        for script in scripts:
            assert (history.second / script).is_file()
    # The plan leaves a bucket under an accepted exception alone, and says why.
    excepted = remediation[history.excepted_bucket]
    assert (excepted["Strategy"], excepted["Script"]) == ("no steps", "none: nothing to run")
    assert (
        "An accepted exception covers these findings (secops@example.com until 2099-12-31"
        in str(excepted["What to do"])
    )
    assert excepted["Steps"] is None
    assert any(row["Strategy"] == "enable-in-place" for row in remediation.values())

    html = (history.second / "report.html").read_text(encoding="utf-8")
    page = parse(html)
    text = " ".join("".join(page.text).split())
    assert f"Since the previous run {headline} (run {history.first.name}" in text
    assert "Exceptions 1 finding excepted, 1 exception expired" in text
    moved = [a["class"] for a in diff["accounts"] if a["class"] != "unchanged"]
    assert [row["data-class"] for row in page.change_rows] == moved + [t["class"] for t in listed]
    marks = {row["data-exception"] for row in page.finding_rows if row.get("data-exception")}
    assert marks == {"EXCEPTED", "EXCEPTION EXPIRED"}
    # The page shows the bucket and recording entries; integrity fixes are in the scripts.
    shown = [entry for entry in plan["entries"] if entry.get("kind") != "integrity"]
    assert page.articles == len(shown)
    for entry in shown:
        assert entry["explanation"] in text


def test_the_first_run_says_so(history: History) -> None:
    assert not (history.first / "diff.json").exists()
    html = (history.first / "report.html").read_text(encoding="utf-8")
    assert "Since the previous run first run in this folder" in " ".join(
        "".join(parse(html).text).split()
    )
    workbook = load_workbook(io.BytesIO((history.first / "report.xlsx").read_bytes()))
    summary = workbook["Summary"]
    assert summary.cell(find_row(summary, "Changes"), 2).value == "first run in this folder"
