"""``orgscan scan`` with bad input: exit 2, one short line on stderr, no traceback, no files."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws
from typer.testing import CliRunner

from orgscan.cli import app

pytestmark = pytest.mark.usefixtures("restore_orgscan_logger")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The output folder a scan would create; bad input must leave it absent."""
    return tmp_path / "reports"


@pytest.fixture
def moto_account(aws_env: None) -> Iterator[None]:
    """Valid (fake) credentials for a moto account outside any organization."""
    with mock_aws():
        yield


def scan(out: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["scan", "--output-dir", str(out), "--quiet", *args])
    return result.exit_code, result.stdout, result.stderr


def assert_bad_input(out: Path, code: int, stdout: str, stderr: str, *words: str) -> None:
    assert code == 2, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("orgscan: error: ")
    assert len(lines[0]) < 600  # the unknown-key message lists the known keys
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in stderr + stdout
    assert stdout == ""
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--accounts", "12345"], ["--accounts", "'12345'", "12-digit"]),
        (["--exclude-accounts", "1234567890ab"], ["--exclude-accounts", "12-digit"]),
        (["--regions", "us_east_1"], ["--regions", "'us_east_1'"]),
        (["--ou", "Workloads"], ["--ou", "'Workloads'", "OU id"]),
        (["--workers", "0"], ["--workers", "out of range"]),
        (["--min-retention-days", "0"], ["--min-retention-days"]),
        (["--require-mode", "STRICT"], ["--require-mode"]),
        (["--fail-on", "ERROR"], ["--fail-on"]),
        (["--format", "pdf"], ["--format"]),
    ],
)
def test_malformed_options(out: Path, aws_env: None, args: list[str], words: list[str]) -> None:
    assert_bad_input(out, *scan(out, *args), *words)


@pytest.mark.parametrize("region", ["xx-nowhere-1", "zz-nowhere-9"])
def test_unknown_regions(out: Path, moto_account: None, region: str) -> None:
    assert_bad_input(
        out, *scan(out, "--no-org", "--regions", f"us-east-1,{region}"), "unknown region", region
    )


def test_not_in_an_organization(out: Path, moto_account: None) -> None:
    assert_bad_input(
        out, *scan(out, "--regions", "us-east-1"), "not in an organization", "--no-org"
    )


def test_config_file_missing(out: Path, aws_env: None, tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    assert_bad_input(out, *scan(out, "--config", str(missing)), str(missing), "not found")


def test_config_file_is_a_folder(out: Path, aws_env: None, tmp_path: Path) -> None:
    assert_bad_input(out, *scan(out, "--config", str(tmp_path)), "is a directory")


def test_config_file_with_invalid_toml(out: Path, aws_env: None, tmp_path: Path) -> None:
    config = tmp_path / "scan.toml"
    config.write_text("regions = [\n", encoding="utf-8")
    assert_bad_input(out, *scan(out, "--config", str(config)), str(config), "invalid TOML")


def test_config_file_with_an_unknown_key(out: Path, aws_env: None, tmp_path: Path) -> None:
    config = tmp_path / "scan.toml"
    config.write_text('regoins = ["us-east-1"]\n', encoding="utf-8")
    assert_bad_input(out, *scan(out, "--config", str(config)), str(config), "unknown key 'regoins'")


def test_config_file_with_a_bad_value(out: Path, aws_env: None, tmp_path: Path) -> None:
    config = tmp_path / "scan.toml"
    config.write_text('accounts = ["12345"]\n', encoding="utf-8")
    assert_bad_input(
        out, *scan(out, "--config", str(config)), str(config), "'accounts'", "12-digit"
    )


def test_output_dir_that_is_a_file(aws_env: None, tmp_path: Path) -> None:
    a_file = tmp_path / "reports"
    a_file.write_text("keep me", encoding="utf-8")
    code, _, stderr = scan(a_file, "--no-org")
    assert code == 2
    assert stderr.startswith("orgscan: error: option --output-dir")
    assert a_file.read_text(encoding="utf-8") == "keep me"


def test_missing_credentials(
    out: Path, aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    empty = tmp_path / "empty"
    empty.write_text("", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    assert_bad_input(out, *scan(out, "--no-org", "--regions", "us-east-1"), "no AWS credentials")


def test_bad_input_leaves_no_log_handler_behind(out: Path, moto_account: None) -> None:
    logger = logging.getLogger("orgscan")
    before = list(logger.handlers)
    for _ in range(3):
        assert scan(out, "--no-org", "--regions", "zz-nowhere-9")[0] == 2
    assert logger.handlers == before


def test_aws_not_answering_is_exit_3_not_bad_input(
    aws_env: None, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on port 1 of the loopback address: STS cannot be reached at all.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    code, stdout, stderr = scan(out, "--max-attempts", "1")
    assert code == 3, stderr
    assert stderr.startswith("orgscan: error: cannot identify the caller")
    assert len(stderr.splitlines()) == 1
    assert "Traceback" not in stderr + stdout
    assert not out.exists()
