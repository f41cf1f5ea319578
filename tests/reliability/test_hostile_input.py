"""Hostile configuration and command-line input: exit 2, one line on stderr, nothing written.

The scan runs through the real command line (in-process) against moto, so that a value the
validation let through would reach the scan and show up as a different error or as output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from typer.testing import CliRunner

from orgscan.cli import app
from orgscan.config import build_settings, read_config_file
from orgscan.errors import InputError
from orgscan.exceptions_register import load_register
from tests.environment import use_fake_aws
from tests.reliability.documents import containers
from tests.reliability.refusals import assert_clean_refusal, refusal

#: The config keys of the contract (long option names with ``_``).
CONFIG_KEYS = (
    "org",
    "accounts",
    "exclude_accounts",
    "ou",
    "regions",
    "role_name",
    "external_id",
    "role_session_name",
    "workers",
    "output_dir",
    "format",
    "min_retention_days",
    "require_mode",
    "fail_on",
)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A runner in an empty folder, with fake credentials and moto (no organization)."""
    use_fake_aws(monkeypatch)
    monkeypatch.chdir(tmp_path)
    with mock_aws():
        yield CliRunner()


def files_under(folder: Path) -> list[str]:
    """Every path below ``folder`` (empty when it does not exist)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


# Each case: config file text (or None), extra CLI words, words the error line must contain.
HOSTILE_SCANS = [
    pytest.param('regions = ["us-east-1"\n', [], ["invalid TOML"], id="toml-unclosed"),
    pytest.param(
        "regions = " + "[" * 5000 + "]" * 5000 + "\n", [], ["scan.toml"], id="toml-nested-too-deep"
    ),
    pytest.param(b"workers = 4\n\xff\xfe", [], ["not UTF-8"], id="toml-not-utf8"),
    pytest.param('workers = "many"\n', [], ["'workers'", "whole number"], id="wrong-type-str"),
    pytest.param('workers = "²"\n', [], ["'workers'", "whole number"], id="superscript-digit"),
    pytest.param("regions = 5\n", [], ["'regions'", "list of strings"], id="wrong-type-int"),
    pytest.param("accounts = [123456789012]\n", [], ["'accounts'"], id="account-as-number"),
    pytest.param('org = "yes"\n', [], ["'org'", "true or false"], id="bool-as-string"),
    pytest.param("[regions]\nus = 1\n", [], ["'regions'"], id="table-for-list"),
    pytest.param(
        "workers = 9223372036854775807\n", [], ["'workers'", "out of range"], id="huge-int"
    ),
    pytest.param("min_retention_days = inf\n", [], ["'min_retention_days'"], id="infinite"),
    pytest.param("regoins = ['us-east-1']\n", [], ["unknown key 'regoins'"], id="typo-key"),
    pytest.param(
        None, ["--accounts", "12345678901"], ["--accounts", "12-digit"], id="account-11-digits"
    ),
    pytest.param(
        None, ["--accounts", "1234567890123"], ["--accounts", "12-digit"], id="account-13-digits"
    ),
    pytest.param(
        None, ["--exclude-accounts", "../../etc/passwd"], ["--exclude-accounts"], id="account-path"
    ),
    pytest.param(
        None,
        ["--accounts", "１２３４５６７８９０１２"],
        ["--accounts"],
        id="account-fullwidth-digits",
    ),
    pytest.param(None, ["--ou", "ou-12"], ["--ou", "OU id"], id="ou-short"),
    pytest.param(None, ["--ou", "OU-AB12-CDEF5678"], ["--ou"], id="ou-upper-case"),
    pytest.param(None, ["--ou", "ou-ab12-cdef5678; rm -rf /"], ["--ou"], id="ou-with-shell"),
    pytest.param(
        None,
        ["--regions", "us-east-1,xx-nowhere-9"],
        ["unknown region", "xx-nowhere-9"],
        id="unknown-region",
    ),
    pytest.param(None, ["--regions", "us-east-1\n--apply"], ["--regions"], id="region-newline"),
    pytest.param(
        None,
        ["--workers", "100000000000000000000"],
        ["--workers", "out of range"],
        id="huge-workers",
    ),
    pytest.param(None, ["--role-name", "a" * 65], ["--role-name"], id="role-too-long"),
    pytest.param(None, ["--external-id", "x"], ["--external-id"], id="external-id-short"),
    pytest.param(None, ["--format", "json,../../x"], ["--format"], id="format-path"),
]


@pytest.mark.parametrize(("config_text", "words", "expected"), HOSTILE_SCANS)
def test_hostile_scan_input_is_refused_before_anything_is_written(
    cli: CliRunner,
    tmp_path: Path,
    config_text: str | bytes | None,
    words: list[str],
    expected: list[str],
) -> None:
    out = tmp_path / "out"
    argv = ["scan", "--output-dir", str(out), *words]
    if config_text is not None:
        config = tmp_path / "scan.toml"
        if isinstance(config_text, bytes):
            config.write_bytes(config_text)
        else:
            config.write_text(config_text, encoding="utf-8")
        argv += ["--config", str(config)]

    result = cli.invoke(app, argv)

    assert_clean_refusal(result, *expected)
    assert files_under(out) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == (["scan.toml"] if config_text else [])


def test_output_dir_that_is_a_file_or_below_one(cli: CliRunner, tmp_path: Path) -> None:
    a_file = tmp_path / "report.txt"
    a_file.write_text("keep me", encoding="utf-8")
    for target in (a_file, a_file / "runs", tmp_path / ("x" * 300)):
        result = cli.invoke(app, ["scan", "--output-dir", str(target), "--no-org"])
        assert_clean_refusal(result)
    assert a_file.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]


# ---------------------------------------------------------------------- fuzzing

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "us-east-1",
            "123456789012",
            "ou-ab12-cdef5678",
            "r-ab12",
            "COMPLIANCE",
            "never",
            "json,csv",
            "0",
            "²",
            "-1",
            " 7 ",
        ]
    )
)


_values = st.recursive(_scalars, containers, max_leaves=8)
_keys = st.sampled_from(CONFIG_KEYS) | st.text(max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    config=st.dictionaries(_keys, _values, max_size=5),
    cli_values=st.dictionaries(st.sampled_from(CONFIG_KEYS), _values, max_size=3),
)
def test_build_settings_raises_only_input_errors(
    config: dict[str, Any], cli_values: dict[str, Any]
) -> None:
    message = refusal(InputError, build_settings, config, cli_values, "config file fuzz.toml")
    assert message is None or "\n" not in message


#: Bytes a TOML file may hold: random ones, random text, and two that once broke a loader.
_toml_files = (
    st.binary(max_size=200)
    | st.text(max_size=200).map(str.encode)
    | st.sampled_from(
        [
            b"exceptions = " + b"[" * 3000 + b"]" * 3000,
            b'[[exceptions]]\nbucket_name = "logs"\n\xff',
        ]
    )
)


@pytest.mark.parametrize(
    "loader", [read_config_file, load_register], ids=["config", "exceptions-register"]
)
@settings(max_examples=100, deadline=None)
@given(data=_toml_files)
def test_toml_file_loaders_raise_only_input_errors(
    tmp_path_factory: pytest.TempPathFactory, loader: Callable[[Path], Any], data: bytes
) -> None:
    path = tmp_path_factory.mktemp("toml") / "fuzz.toml"
    path.write_bytes(data)
    message = refusal(InputError, loader, path)
    assert message is None or "fuzz.toml" in message
