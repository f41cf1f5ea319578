"""A new user's wrong inputs: each gets one clear line on stderr and the documented exit code;
and the demo's log, read at INFO, tells the story of the run."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orgscan.cli import app
from orgscan.cli.scan_cmd import ProgressBar, format_progress
from orgscan.findings import load_run
from orgscan.model import ErrorStage
from orgscan.scan.progress import ScanProgress
from tests.logger_state import orgscan_logger_kept

pytestmark = pytest.mark.usefixtures("restore_orgscan_logger")


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def assert_one_line(code: int, stderr: str, expected_code: int, *words: str) -> None:
    assert code == expected_code, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("orgscan: error: ")
    for word in words:
        assert word in lines[0]
    assert "╭" not in stderr
    assert "Traceback" not in stderr


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of one `orgscan demo` run, at the default log level."""
    output = tmp_path_factory.mktemp("demo") / "reports"
    with orgscan_logger_kept():
        code, _, stderr = invoke("demo", "--output-dir", str(output))
    assert code == 0, stderr
    return output


# ---------------------------------------------------------------------- wrong inputs


def test_an_unknown_aws_profile_is_bad_input(
    aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config").write_text("[default]\nregion = us-east-1\n", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_PROFILE", "doesnotexist")
    out = tmp_path / "reports"
    code, stdout, stderr = invoke("scan", "--output-dir", str(out))
    assert_one_line(code, stderr, 2, "AWS profile 'doesnotexist' not found")
    assert stdout == ""
    assert not out.exists()


def test_demo_workers_zero_is_one_clean_line(tmp_path: Path) -> None:
    code, _, stderr = invoke("demo", "--workers", "0", "--output-dir", str(tmp_path / "r"))
    assert_one_line(code, stderr, 2, "--workers", "out of range")
    assert not (tmp_path / "r").exists()


def test_a_bad_strategy_is_one_clean_line(tmp_path: Path) -> None:
    code, _, stderr = invoke("remediate", str(tmp_path), "--strategy", "bogus")
    assert_one_line(
        code, stderr, 2, "option --strategy", "'bogus'", "enable-in-place", "new-bucket"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["scan", "--fail-on", "sometimes"],
        ["scan", "--log-level", "LOUD"],
        ["scan", "--no-such-option"],
        ["no-such-command"],
        ["diff", "only-one-run"],
    ],
)
def test_usage_errors_are_one_clean_line(args: list[str]) -> None:
    code, _, stderr = invoke(*args)
    assert_one_line(code, stderr, 2)


def test_a_word_for_a_number_names_the_option() -> None:
    code, _, stderr = invoke("scan", "--workers", "eight")
    assert stderr == "orgscan: error: option --workers: expected a whole number\n"
    assert code == 2


@pytest.mark.parametrize("value", ['"8"', '"١٦"', '" 16 "'])
def test_numbers_given_as_strings_in_a_config_file_stop_the_run(tmp_path: Path, value: str) -> None:
    config = tmp_path / "scan.toml"
    config.write_text(f"workers = {value}\n", encoding="utf-8")
    code, stdout, stderr = invoke("config", "show", "--config", str(config))
    assert_one_line(code, stderr, 2, str(config), "key 'workers'", "whole number", "got the string")
    assert stdout == ""


def test_remediate_with_an_account_not_in_the_plan_is_bad_input(demo_output: Path) -> None:
    run = demo_output / "latest"
    code, stdout, stderr = invoke("remediate", str(run), "--accounts", "999999999999")
    assert_one_line(code, stderr, 2, "999999999999", "no step in this plan")
    assert stdout == ""
    # An account that does have steps is accepted.
    plan_accounts = re.findall(r"accounts with steps: ([0-9, ]+)", stderr)[0].split(", ")
    code, stdout, _ = invoke("remediate", str(run), "--accounts", plan_accounts[0])
    assert code == 0
    assert plan_accounts[0] in stdout


def test_history_of_a_run_folder_points_at_its_parent(demo_output: Path) -> None:
    code, _, stderr = invoke("history", str(demo_output / "latest"))
    assert_one_line(code, stderr, 2, "is a run folder", f"orgscan history {demo_output.resolve()}")
    code, stdout, _ = invoke("history", str(demo_output))
    assert code == 0
    assert "latest" in stdout


# ---------------------------------------------------------------------- the run's story


def test_the_demo_log_tells_the_story_of_the_run_at_info(demo_output: Path) -> None:
    log = (demo_output / "latest" / "orgscan.log").read_text(encoding="utf-8")
    result = load_run(demo_output / "latest")
    lines = log.splitlines()
    assert all(" DEBUG " not in line for line in lines)
    assert re.search(r"INFO .* caller arn:aws:\S+ \(account \d{12}\)", log)
    assert re.search(
        r"organization o-\w+, management account \d{12}: \d+ accounts "
        r"discovered",
        log,
    )
    assert "scope: " in log
    # One line per scanned account: how it was accessed, regions, trails, time taken; a
    # region that failed (the demo's SCP-denied one) was read and is counted as failed.
    failed = Counter(e.account_id for e in result.errors if e.stage is ErrorStage.REGIONS)
    assert list(failed.values()) == [1]
    for account in result.accounts:
        if account.scanned:
            regions = account.regions_scanned + failed[account.account_id]
            outcome = f", {failed[account.account_id]} failed" if failed[account.account_id] else ""
            assert re.search(
                rf"account {account.account_id}: (role assumed|caller's own "
                rf"credentials); {regions} regions read{outcome}; \d+ "
                rf"trails found \(\d+\.\d s\)",
                log,
            ), account.account_id
    # One line per bucket read, with its outcome.
    for bucket in {finding.bucket_name for finding in result.findings}:
        assert re.search(rf"bucket {re.escape(bucket)} \(owner (\d{{12}}|unknown)\): \w+", log)
    for service in ("sts", "organizations", "ec2", "cloudtrail", "s3"):
        assert re.search(rf"AWS {service}: \d+ calls, \d+ retries, \d+ throttled", log)
    for phase in ("planning", "scanning", "writing"):
        assert re.search(rf"phase {phase} took \d+\.\d s", log)
    assert "scan finished: " in lines[-1]
    for secret in ("testing", "SecretAccessKey", "SessionToken", "aws_secret"):
        assert secret not in log


def test_the_summary_names_the_reports_and_the_change_since_the_previous_run(
    demo_output: Path,
) -> None:
    code, stdout, stderr = invoke("demo", "--drift", "--output-dir", str(demo_output))
    assert code == 0, stderr
    run = (demo_output / "latest").resolve()
    assert f"    {run / 'report.html'}" in stdout
    assert f"    {run / 'report.xlsx'}" in stdout
    assert re.search(
        r"since the previous run \(\d{8}T\d{6}Z\): accounts: new failure 1\b.*; "
        r"trails: new failure \d+",
        stdout,
    )
    # The account verdicts, counted as findings.json has them.
    document = json.loads((run / "findings.json").read_text())
    verdicts = Counter(a["verdict"] for a in document["accounts"] if a["scanned"])
    assert verdicts["FAIL"] > 0
    assert (
        f"  accounts: PASS {verdicts['PASS']}  WARN {verdicts['WARN']}  "
        f"FAIL {verdicts['FAIL']}  ERROR {verdicts['ERROR']}"
    ) in stdout
    assert "scanning [" not in stderr  # no progress bar when stderr is not a terminal


def test_the_progress_bar_counts_accounts_of_those_planned() -> None:
    snapshot = ScanProgress(
        accounts_planned=52, accounts_done=13, regions_read=221, buckets_read=40, elapsed_s=12.0
    )
    assert format_progress(snapshot, width=8) == (
        "scanning [##------] 13/52 accounts, 221 regions, 40 buckets, 0:12 elapsed, ETA 0:36"
    )
    assert "ETA ?" in format_progress(ScanProgress(52, 0, 0, 0, 1.0))

    class Terminal:
        text = ""

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

    terminal = Terminal()
    times = iter([0.0, 0.05, 0.2])
    bar = ProgressBar(terminal, clock=lambda: next(times), columns=200)  # type: ignore[arg-type]
    bar(ScanProgress(52, 1, 17, 0, 1.0))
    bar(ScanProgress(52, 2, 34, 0, 1.05))  # within 0.1 s of the last redraw: skipped
    bar(ScanProgress(52, 3, 51, 1, 1.2))
    bar.close()
    assert terminal.text.count("\r") == 3
    assert "2/52" not in terminal.text
    assert terminal.text.endswith("3/52 accounts, 51 regions, 1 bucket, 0:01 elapsed, done\x1b[K\n")
    # Every account in, buckets still read: no "ETA 0:00" while work remains.
    assert format_progress(ScanProgress(52, 52, 884, 3, 30.0)).endswith(
        "52/52 accounts, 884 regions, 3 buckets, 0:30 elapsed, reading buckets"
    )
    # Writing the run folder is a phase of its own, with how long it took.
    writes = Terminal()
    clock = iter([10.0, 13.0])
    with ProgressBar(writes, clock=lambda: next(clock), columns=200).writing():  # type: ignore[arg-type]
        assert writes.text == "writing the run folder ..."
    assert writes.text.endswith("\rwrote the run folder in 0:03\x1b[K\n")
    narrow = Terminal()
    ProgressBar(narrow, columns=60)(ScanProgress(52, 3, 51, 1, 1.2))  # type: ignore[arg-type]
    assert narrow.text == "\r" + format_progress(ScanProgress(52, 3, 51, 1, 1.2))[:59] + "\x1b[K"
