"""A scheduled scan end to end in moto: exceptions register, exit codes, --quiet, the logs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orgscan.cli import app
from orgscan.findings import load_run
from orgscan.runs.folder import resolve_latest

from .accounts import SCAN_ARGS, Account

TODAY = datetime.now(UTC).date()  # the scan judges exceptions by its UTC start date


#: The literal audit's policy: a locked bucket without a default retention rule is a WARN (it
#: is FAIL under the default policy), so that the test account has one trail of each status.
RELAXED = "require_default_retention = false\n"


def scan(output_dir: Path, *args: str) -> tuple[int, str, Path]:
    """Run `orgscan scan` under ``RELAXED`` (unless a config file is given, which then holds
    it); return the exit code, stdout and the new run folder."""
    if "--config" not in args:
        relaxed = output_dir.parent / "relaxed.toml"
        relaxed.write_text(RELAXED, encoding="utf-8")
        args = ("--config", str(relaxed), *args)
    outcome = CliRunner().invoke(app, [*SCAN_ARGS, "--output-dir", str(output_dir), *args])
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit), outcome.exception
    run_dir = resolve_latest(output_dir)
    assert run_dir is not None, outcome.output
    return outcome.exit_code, outcome.stdout, run_dir


def register(path: Path, entries: list[tuple[str, str, date]]) -> Path:
    """An exceptions file with one entry per (key, value, expiry)."""
    blocks = [
        f'[[exceptions]]\n{key} = "{value}"\nowner = "secops@example.com"\n'
        f'reason = "accepted for the audit"\nexpires = {expires.isoformat()}\n'
        for key, value, expires in entries
    ]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


@pytest.mark.parametrize(("fail_on", "code"), [("FAIL", 1), ("WARN", 1), ("never", 0)])
def test_exit_code_follows_fail_on(
    account: Account, tmp_path: Path, fail_on: str, code: int
) -> None:
    exit_code, stdout, run_dir = scan(tmp_path / "out", "--fail-on", fail_on)
    assert exit_code == code
    assert stdout == ""  # --quiet: nothing for cron to mail
    statuses = {f.trail_arn: f.status.value for f in load_run(run_dir).findings}
    assert statuses == {account.passing: "PASS", account.warning: "WARN", account.failing: "FAIL"}


def test_an_excepted_fail_does_not_fail_the_run(account: Account, tmp_path: Path) -> None:
    exceptions = register(
        tmp_path / "exceptions.toml", [("trail_arn", account.failing, TODAY + timedelta(days=30))]
    )
    exit_code, _, run_dir = scan(tmp_path / "out", "--exceptions", str(exceptions))
    assert exit_code == 0  # the WARN left does not reach --fail-on FAIL
    findings = {f.trail_arn: f for f in load_run(run_dir).findings}
    failing = findings[account.failing]
    assert failing.status.value == "FAIL"  # the status is kept; the mark says "accepted"
    assert failing.exception is not None
    assert failing.exception.owner == "secops@example.com"
    assert not failing.exception.expired
    assert findings[account.warning].exception is None
    # With --fail-on WARN the WARN (not excepted) still fails the run.
    assert scan(tmp_path / "out", "--exceptions", str(exceptions), "--fail-on", "WARN")[0] == 1


def test_an_expired_exception_no_longer_applies(account: Account, tmp_path: Path) -> None:
    exceptions = register(
        tmp_path / "exceptions.toml", [("trail_arn", account.failing, TODAY - timedelta(days=1))]
    )
    exit_code, _, run_dir = scan(tmp_path / "out", "--exceptions", str(exceptions))
    assert exit_code == 1
    failing = next(f for f in load_run(run_dir).findings if f.trail_arn == account.failing)
    assert failing.exception is not None
    assert failing.exception.expired
    log = (run_dir / "orgscan.log").read_text(encoding="utf-8")
    assert f"exception for {account.failing} (owner secops@example.com) expired on" in log


def test_register_in_the_config_file_and_by_bucket(account: Account, tmp_path: Path) -> None:
    config = tmp_path / "orgscan.toml"
    config.write_text(
        f'{RELAXED}fail_on = "WARN"\n\n'
        f'[[exceptions]]\nbucket_name = "open-logs"\nowner = "a@example.com"\n'
        f'reason = "r"\nexpires = {TODAY.isoformat()}\n\n'  # expires today: still applies
        f'[[exceptions]]\nbucket_name = "no-retention-logs"\nowner = "b@example.com"\n'
        f'reason = "r"\nexpires = {TODAY.isoformat()}\n\n'
        f'[[exceptions]]\nbucket_name = "gone-logs"\nowner = "c@example.com"\nreason = "r"\n'
        f"expires = {TODAY.isoformat()}\n",
        encoding="utf-8",
    )
    exit_code, _, run_dir = scan(tmp_path / "out", "--config", str(config))
    assert exit_code == 0
    log = (run_dir / "orgscan.log").read_text(encoding="utf-8")
    assert "exception for bucket gone-logs in config file" in log  # stale entries are named
    # --exceptions replaces the file's register: an empty one leaves the FAIL and the WARN.
    empty = tmp_path / "none.toml"
    empty.write_text("", encoding="utf-8")
    assert scan(tmp_path / "out", "--config", str(config), "--exceptions", str(empty))[0] == 1


def test_remediation_table_shapes_the_scripts(account: Account, tmp_path: Path) -> None:
    config = tmp_path / "orgscan.toml"
    config.write_text(
        RELAXED + 'format = ["json", "scripts"]\n[remediation]\n'
        'strategy = "new-bucket"\nmode = "COMPLIANCE"\ndays = 400\n',
        encoding="utf-8",
    )
    _, _, run_dir = scan(tmp_path / "out", "--config", str(config), "--format", "json,scripts")
    plan = json.loads((run_dir / "remediation" / "plan.json").read_text(encoding="utf-8"))
    assert plan["settings"] == {"strategy": "new-bucket", "mode": "COMPLIANCE", "days": 400}
    assert plan["retention"]["mode"] == "COMPLIANCE"
    assert plan["retention"]["days"] == 400


def test_final_log_line_and_the_shared_log(account: Account, tmp_path: Path) -> None:
    output_dir = tmp_path / "out"
    _, _, first = scan(output_dir, "--log-level", "WARNING")
    _, _, second = scan(output_dir, "--log-format", "json")
    text_lines = (first / "orgscan.log").read_text(encoding="utf-8").splitlines()
    assert " WARNING " in text_lines[-1]  # exit 1 needs attention: kept at --log-level WARNING
    assert text_lines[-1].endswith(
        "scan finished: 3 trails (PASS 1 WARN 1 FAIL 1 ERROR 0; 0 excepted), 1 of 1 accounts "
        f"scanned, coverage complete, exit code 1, run folder {first.name}"
    )
    last = json.loads((second / "orgscan.log").read_text(encoding="utf-8").splitlines()[-1])
    assert last["level"] == "WARNING"
    assert last["summary"] == {
        "trails": 3,
        "PASS": 1,
        "WARN": 1,
        "FAIL": 1,
        "ERROR": 0,
        "excepted": 0,
        "accounts_scanned": 1,
        "accounts": 1,
        "complete": True,
        "errors": 0,
        "exit_code": 1,
        "run_folder": second.name,
        "interrupted": False,
    }
    # Both runs also appended to the output folder's log, each line tagged with its run.
    shared = (output_dir / "orgscan.log").read_text(encoding="utf-8").splitlines()
    finished = [line for line in shared if "scan finished" in line]
    assert len(finished) == 2
    assert f"[{first.name}]" in finished[0]
    assert json.loads(finished[1])["run"] == second.name
