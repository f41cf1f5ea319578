"""Scan settings: defaults < config file < command line, and every bad value named exactly."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orgscan.cli import app
from orgscan.config import (
    FailOn,
    ScanSettings,
    build_settings,
    read_config_file,
    settings_to_config,
)
from orgscan.errors import InputError
from orgscan.model import Policy, RequiredMode

SOURCE = "config file scan.toml"


def test_defaults() -> None:
    settings = build_settings(None, {})
    assert settings == ScanSettings()
    assert settings.use_org is True
    assert settings.role_name == "OrganizationAccountAccessRole"
    assert settings.role_session_name == "orgscan"
    assert settings.workers == 16
    assert settings.output_dir == Path("reports")
    assert settings.formats == ("json", "csv", "xlsx", "html", "scripts")
    assert settings.policy == Policy(True, RequiredMode.ANY, None)
    assert settings.fail_on is FailOn.FAIL
    assert settings.regions == ()


def test_file_overrides_defaults_and_cli_overrides_file(tmp_path: Path) -> None:
    config = tmp_path / "scan.toml"
    config.write_text(
        'regions = ["eu-west-1", "us-east-1"]\n'
        'role_name = "AuditRole"\n'
        "workers = 4\n"
        "min_retention_days = 365\n"
        'require_mode = "governance"\n'
        'fail_on = "WARN"\n'
        'format = ["json", "csv"]\n'
        'accounts = ["111111111111"]\n'
        "require_default_retention = false\n",
        encoding="utf-8",
    )
    from_file = build_settings(read_config_file(config), {}, source=f"config file {config}")
    assert from_file.regions == ("eu-west-1", "us-east-1")
    assert from_file.role_name == "AuditRole"
    assert from_file.workers == 4
    assert from_file.policy == Policy(False, RequiredMode.GOVERNANCE, 365)
    assert from_file.fail_on is FailOn.WARN
    assert from_file.formats == ("json", "csv")
    assert from_file.accounts == ("111111111111",)
    assert from_file.role_session_name == "orgscan"  # untouched default

    both = build_settings(
        read_config_file(config),
        {
            "regions": "us-west-2",
            "workers": 32,
            "min_retention_days": None,
            "require_mode": "COMPLIANCE",
            "fail_on": "never",
            "accounts": "222222222222,333333333333",
        },
    )
    assert both.regions == ("us-west-2",)
    assert both.workers == 32
    # None on the command line means "not given": the file's value stays.
    assert both.policy == Policy(False, RequiredMode.COMPLIANCE, 365)
    assert both.fail_on is FailOn.NEVER
    assert both.accounts == ("222222222222", "333333333333")
    assert both.role_name == "AuditRole"


@pytest.mark.parametrize(
    ("given", "accepted"),
    [
        ("eusc-de-east-1", True),  # AWS European Sovereign Cloud (partition aws-eusc)
        ("us-isob-east-1", True),
        ("cn-northwest-1", True),
        ("e-west-1", False),
        ("europe-west-1", False),
        ("eusc-de-east", False),
    ],
)
def test_region_names_of_every_partition(given: str, accepted: bool) -> None:
    if accepted:
        assert build_settings(None, {"regions": given}).regions == (given,)
    else:
        with pytest.raises(InputError, match="is not an AWS region name"):
            build_settings(None, {"regions": given})


def test_comma_lists_are_trimmed_and_deduplicated() -> None:
    settings = build_settings(
        None,
        {
            "regions": " us-east-1, eu-west-1,us-east-1,",
            "exclude_accounts": "111111111111,111111111111",
        },
    )
    assert settings.regions == ("us-east-1", "eu-west-1")
    assert settings.exclude_accounts == ("111111111111",)


def test_ou_and_root_ids_are_accepted() -> None:
    settings = build_settings(None, {"ou": ["ou-ab12-cdef3456", "r-ab12"]})
    assert settings.ous == ("ou-ab12-cdef3456", "r-ab12")


BAD_VALUES = [
    # (config dict, cli dict, words the message must contain)
    pytest.param(
        {"regoins": ["us-east-1"]},
        {},
        [SOURCE, "unknown key 'regoins'", "regions"],
        id="unknown-key",
    ),
    pytest.param(
        {"workers": "many"}, {}, [SOURCE, "'workers'", "whole number"], id="wrong-type-workers"
    ),
    pytest.param(
        {"regions": 5}, {}, [SOURCE, "'regions'", "list of strings"], id="wrong-type-regions"
    ),
    pytest.param({"org": "yes"}, {}, [SOURCE, "'org'", "true or false"], id="wrong-type-bool"),
    pytest.param(
        {}, {"accounts": "12345"}, ["--accounts", "'12345'", "12-digit"], id="short-account-id"
    ),
    pytest.param(
        {},
        {"exclude_accounts": "11111111111a"},
        ["--exclude-accounts", "12-digit"],
        id="account-id-with-letter",
    ),
    pytest.param(
        {"accounts": ["1234567890123"]},
        {},
        [SOURCE, "'accounts'", "12-digit"],
        id="long-account-id-in-file",
    ),
    pytest.param({}, {"ou": ["Workloads"]}, ["--ou", "'Workloads'", "OU id"], id="bad-ou"),
    pytest.param({}, {"ou": ["ou-12"]}, ["--ou", "OU id"], id="truncated-ou"),
    pytest.param(
        {}, {"regions": "us_east_1"}, ["--regions", "'us_east_1'", "region"], id="bad-region"
    ),
    pytest.param({}, {"regions": ","}, ["--regions", "at least one region"], id="no-region"),
    pytest.param(
        {}, {"workers": 0}, ["--workers", "0 is out of range", "1 to 512"], id="zero-workers"
    ),
    pytest.param({}, {"workers": 100000}, ["--workers", "out of range"], id="huge-workers"),
    pytest.param(
        {}, {"min_retention_days": 0}, ["--min-retention-days", "out of range"], id="zero-days"
    ),
    pytest.param(
        {}, {"min_retention_days": 36501}, ["--min-retention-days", "36500"], id="huge-days"
    ),
    pytest.param(
        {},
        {"require_mode": "STRICT"},
        ["--require-mode", "ANY, GOVERNANCE, COMPLIANCE"],
        id="bad-mode",
    ),
    pytest.param({}, {"fail_on": "ERROR"}, ["--fail-on", "FAIL, WARN, never"], id="bad-fail-on"),
    pytest.param(
        {}, {"format": "json,pdf"}, ["--format", "json, csv, xlsx, html, scripts"], id="bad-format"
    ),
    pytest.param({}, {"role_name": "has space"}, ["--role-name", "IAM role name"], id="bad-role"),
    pytest.param(
        {},
        {"accounts": "111111111111", "exclude_accounts": "111111111111"},
        ["both included and excluded", "111111111111"],
        id="include-and-exclude",
    ),
    pytest.param({}, {"org": False, "ou": ["r-ab12"]}, ["--ou", "--org"], id="ou-without-org"),
]


@pytest.mark.parametrize(("config", "cli", "words"), BAD_VALUES)
def test_bad_values_name_the_source_and_key(
    config: dict[str, Any], cli: dict[str, Any], words: list[str]
) -> None:
    with pytest.raises(InputError) as caught:
        build_settings(config, cli, source=SOURCE)
    message = str(caught.value)
    for word in words:
        assert word in message
    assert "\n" not in message


def test_output_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    a_file = tmp_path / "reports"
    a_file.write_text("not a folder", encoding="utf-8")
    with pytest.raises(InputError, match=r"--output-dir: .*reports exists and is not a folder"):
        build_settings(None, {"output_dir": a_file})
    assert build_settings(None, {"output_dir": tmp_path}).output_dir == tmp_path


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text('regions = ["us-east-1"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"config file .*broken\.toml: invalid TOML"):
        read_config_file(config)


def test_unreadable_config_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"config file .*absent\.toml: not found"):
        read_config_file(tmp_path / "absent.toml")
    with pytest.raises(InputError, match=r"is a directory"):
        read_config_file(tmp_path)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match=r"binary\.toml: not UTF-8"):
        read_config_file(binary)


def test_min_retention_years_count_365_days_each() -> None:
    settings = build_settings({"min_retention_years": 7}, {})
    assert settings.policy.min_retention_days == 7 * 365
    from_cli = build_settings({"min_retention_days": 30}, {"min_retention_years": 1})
    assert from_cli.policy.min_retention_days == 365


def test_min_retention_in_days_and_years_at_once_is_refused() -> None:
    with pytest.raises(InputError, match="days or in years, not both"):
        build_settings(None, {"min_retention_days": 30, "min_retention_years": 1})


def test_denied_regions_are_validated_region_names() -> None:
    settings = build_settings({"denied_regions": ["ap-east-1", "me-south-1"]}, {})
    assert settings.denied_regions == ("ap-east-1", "me-south-1")
    assert settings_to_config(settings)["denied_regions"] == ["ap-east-1", "me-south-1"]
    with pytest.raises(InputError, match="denied_regions"):
        build_settings({"denied_regions": ["Mars"]}, {})


@pytest.mark.parametrize("where", ["option", "file"])
def test_config_show_says_the_external_id_is_set_without_printing_it(
    tmp_path: Path, where: str
) -> None:
    secret = "s3cr3t-shared-with-the-role-owner"
    config = tmp_path / "orgscan.toml"
    config.write_text(f'external_id = "{secret}"\n' if where == "file" else "")
    extra = ["--external-id", secret] if where == "option" else []
    runner = CliRunner()
    toml_out = runner.invoke(app, ["config", "show", "--config", str(config), *extra])
    json_out = runner.invoke(app, ["config", "show", "--config", str(config), "--json", *extra])
    assert (toml_out.exit_code, json_out.exit_code) == (0, 0)
    for outcome in (toml_out, json_out):
        assert secret not in outcome.output
    assert toml_out.stdout.startswith("# external_id is set; its value is not shown")
    assert "external_id" not in tomllib.loads(toml_out.stdout)
    assert json.loads(json_out.stdout)["external_id"] == "(set)"
    # Not set: nothing to say.
    assert "external_id" not in runner.invoke(app, ["config", "show"]).stdout
