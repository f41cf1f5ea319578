"""The shipped config files, the config keys of remediation and the exceptions register, and
`orgscan config show`."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from typer.testing import CliRunner

from orgscan.cli import app
from orgscan.config import (
    SETTINGS,
    FailOn,
    ScanSettings,
    build_settings,
    read_config_file,
    settings_to_config,
)
from orgscan.errors import InputError
from orgscan.exceptions_register import ExceptionRegister
from orgscan.model import LockMode, RequiredMode
from orgscan.remediation import RemediationSettings, Strategy

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
SOURCE = "config file x.toml"


def same(first: ScanSettings, second: ScanSettings) -> bool:
    """Equal settings, wherever their exceptions were read from."""
    return first.exceptions.entries == second.exceptions.entries and replace(
        first, exceptions=ExceptionRegister()
    ) == replace(second, exceptions=ExceptionRegister())


def load(path: Path, cli: dict[str, Any] | None = None) -> ScanSettings:
    return build_settings(read_config_file(path), cli or {}, source=f"config file {path}")


# ------------------------------------------------------------------ shipped files


def test_default_toml_gives_exactly_the_defaults() -> None:
    assert load(CONFIGS / "default.toml") == ScanSettings()


def test_default_toml_documents_every_setting() -> None:
    text = (CONFIGS / "default.toml").read_text(encoding="utf-8")
    # A key is documented set to its default, or commented out when its default is "not set".
    documented = set(re.findall(r"^(?:# )?([a-z_]+) = ", text, flags=re.MULTILINE))
    documented |= set(re.findall(r"^(?:# )?\[\[?([a-z_]+)\]\]?$", text, flags=re.MULTILINE))
    assert set(SETTINGS) <= documented
    assert {"strategy", "mode", "days", "trail_arn", "owner", "reason", "expires"} <= documented
    # Every commented-out example is itself valid once uncommented.
    uncommented = re.sub(r"^# ([a-z_]+ = )", r"\1", text, flags=re.MULTILINE)
    uncommented = uncommented.replace('exceptions = "exceptions.toml"\n', "")
    uncommented = re.sub(
        r"^# (\[\[exceptions\]\]|trail_arn|owner|reason|expires)",
        r"\1",
        uncommented,
        flags=re.MULTILINE,
    )
    settings = build_settings(tomllib.loads(uncommented), {})
    assert settings.regions == ("us-east-1", "eu-west-1")
    assert settings.policy.min_retention_days == 365
    assert len(settings.exceptions.entries) == 1


def test_regulated_example() -> None:
    settings = load(CONFIGS / "examples" / "regulated.toml")
    assert settings.policy.require_mode is RequiredMode.COMPLIANCE
    assert settings.policy.min_retention_days == 365
    assert settings.fail_on is FailOn.WARN
    assert settings.remediation == RemediationSettings(
        Strategy.NEW_BUCKET, LockMode.COMPLIANCE, 365
    )
    [entry] = settings.exceptions.entries
    assert (entry.bucket_name, entry.expires) == ("legacy-cloudtrail-archive", date(2027, 3, 31))


def test_single_account_example() -> None:
    settings = load(CONFIGS / "examples" / "single-account.toml")
    assert settings.use_org is False
    assert settings.formats == ("json", "html", "scripts")


@pytest.mark.parametrize(
    "name", ["default.toml", "examples/regulated.toml", "examples/single-account.toml"]
)
def test_settings_survive_a_trip_through_a_config_file(name: str) -> None:
    settings = load(CONFIGS / name)
    document = tomllib.loads(tomli_w.dumps(settings_to_config(settings)))
    assert same(build_settings(document, {}), settings)


# ------------------------------------------------------------------ precedence


def test_cli_wins_over_the_file_for_the_register(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text(
        '[[exceptions]]\nbucket_name = "other-bucket"\nowner = "o"\nreason = "r"\n'
        "expires = 2030-01-01\n",
        encoding="utf-8",
    )
    settings = load(CONFIGS / "examples" / "regulated.toml", {"exceptions": other})
    assert [e.bucket_name for e in settings.exceptions.entries] == ["other-bucket"]
    assert settings.exceptions.source == str(other)
    assert settings.policy.min_retention_days == 365  # the rest of the file still applies


def test_register_path_in_the_config_file(tmp_path: Path) -> None:
    other = tmp_path / "exceptions.toml"
    other.write_text(
        '[[exceptions]]\nbucket_name = "other-bucket"\nowner = "o"\nreason = "r"\n'
        "expires = 2030-01-01\n",
        encoding="utf-8",
    )
    settings = build_settings({"exceptions": str(other)}, {})
    assert [e.bucket_name for e in settings.exceptions.entries] == ["other-bucket"]


# ------------------------------------------------------------------ new validation errors

ENTRY = {"bucket_name": "logs-bucket", "owner": "o", "reason": "r", "expires": date(2030, 1, 1)}


@pytest.mark.parametrize(
    ("config", "cli", "message"),
    [
        (
            {"remediation": "new-bucket"},
            {},
            f"{SOURCE}: key 'remediation': expected a table ([remediation]) with any of "
            "strategy, mode, days",
        ),
        (
            {"remediation": {"colour": "red"}},
            {},
            f"{SOURCE}: key 'remediation': unknown key 'colour' "
            "(known keys: strategy, mode, days, priority_accounts)",
        ),
        (
            {"remediation": {"strategy": "rebuild"}},
            {},
            f"{SOURCE}: key 'remediation': key 'strategy': expected one of enable-in-place, "
            "new-bucket",
        ),
        (
            {"remediation": {"mode": "STRICT"}},
            {},
            f"{SOURCE}: key 'remediation': key 'mode': expected one of GOVERNANCE, COMPLIANCE",
        ),
        (
            {"remediation": {"days": 0}},
            {},
            f"{SOURCE}: key 'remediation': key 'days': 0 is out of range (1 to 36500)",
        ),
        (
            {"remediation": {"days": "many"}},
            {},
            f"{SOURCE}: key 'remediation': key 'days': expected a whole number from 1 to 36500",
        ),
        (
            {"remediation": {"mode": "GOVERNANCE"}, "require_mode": "COMPLIANCE"},
            {},
            f"{SOURCE}: key 'remediation': the run's policy requires COMPLIANCE mode; GOVERNANCE "
            "would not pass",
        ),
        (
            {"remediation": {"days": 30}},
            {"min_retention_days": 365},
            f"{SOURCE}: key 'remediation': retention of 30 days is below the run's policy minimum "
            "of 365 days",
        ),
        (
            {"exceptions": 5},
            {},
            f"{SOURCE}: key 'exceptions': expected the path of an exceptions file or "
            "[[exceptions]] tables",
        ),
        (
            {"exceptions": {"bucket_name": "b"}},
            {},
            f"{SOURCE}: key 'exceptions': expected the path of an exceptions file or "
            "[[exceptions]] tables",
        ),
        (
            {"exceptions": [{**ENTRY, "owner": ""}]},
            {},
            f"{SOURCE}: key 'exceptions': exceptions[0] (entry 1): 'owner' must be a non-empty "
            "string, not ''",
        ),
        (
            {"exceptions": [{**ENTRY, "expires": "2030-01-01"}]},
            {},
            f"{SOURCE}: key 'exceptions': exceptions[0] (entry 1): 'expires' must be a TOML date",
        ),
        (
            {"exceptions": [ENTRY, ENTRY]},
            {},
            f"{SOURCE}: key 'exceptions': exceptions[1] (entry 2): 'bucket_name' 'logs-bucket' is "
            "already excepted by exceptions[0]",
        ),
        (
            {"exceptions": "no-such-register.toml"},
            {},
            f"{SOURCE}: key 'exceptions': no-such-register.toml: exceptions file not found",
        ),
        (
            {},
            {"exceptions": Path("no-such-register.toml")},
            "option --exceptions: no-such-register.toml: exceptions file not found",
        ),
    ],
)
def test_bad_values_name_the_source_and_key(
    config: dict[str, Any],
    cli: dict[str, Any],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as caught:
        build_settings(config, cli, source=SOURCE)
    assert str(caught.value).startswith(message)


def test_a_register_file_with_other_keys_is_refused(tmp_path: Path) -> None:
    register = tmp_path / "exceptions.toml"
    register.write_text('fail_on = "WARN"\n', encoding="utf-8")
    with pytest.raises(
        InputError,
        match=r"^option --exceptions: .*exceptions.toml: unknown key "
        r"'fail_on'; expected only \[\[exceptions\]\] entries",
    ):
        build_settings({}, {"exceptions": register})


# ------------------------------------------------------------------ orgscan config show


def show(*args: str) -> tuple[int, str, str]:
    outcome = CliRunner().invoke(app, ["config", "show", *args])
    return outcome.exit_code, outcome.stdout, outcome.stderr


def test_config_show_merges_file_and_command_line() -> None:
    code, stdout, _ = show(
        "--config",
        str(CONFIGS / "examples" / "regulated.toml"),
        "--workers",
        "3",
        "--regions",
        "eu-west-1",
        "--fail-on",
        "never",
    )
    assert code == 0
    document = tomllib.loads(stdout)
    assert document["workers"] == 3  # the command line wins
    assert document["regions"] == ["eu-west-1"]
    assert document["fail_on"] == "never"
    assert document["require_mode"] == "COMPLIANCE"  # the file's value where no option is given
    assert document["remediation"] == {"strategy": "new-bucket", "mode": "COMPLIANCE", "days": 365}
    assert document["exceptions"][0]["expires"] == date(2027, 3, 31)
    assert "external_id" not in document  # a secret: said to be set, never printed
    assert "max_attempts" not in document
    # What it prints is a config file giving the same settings, the secret aside.
    expected = load(
        CONFIGS / "examples" / "regulated.toml",
        {"workers": 3, "regions": "eu-west-1", "fail_on": "never"},
    )
    assert same(build_settings(document, {}), replace(expected, external_id=None))


def test_config_show_json_without_a_file() -> None:
    code, stdout, _ = show("--json", "--no-org", "--min-retention-days", "30")
    assert code == 0
    document = json.loads(stdout)
    assert document == {
        **settings_to_config(ScanSettings()),
        "org": False,
        "min_retention_days": 30,
    }


def test_config_show_bad_input_is_exit_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[remediation]\nstrategy = "rebuild"\n', encoding="utf-8")
    code, stdout, stderr = show("--config", str(bad))
    assert code == 2
    assert stdout == ""
    assert stderr == (
        f"orgscan: error: config file {bad}: key 'remediation': key 'strategy': "
        "expected one of enable-in-place, new-bucket\n"
    )


def test_scan_and_config_show_take_the_same_options() -> None:
    def options(*command: str) -> set[str]:
        help_text = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"}).stdout
        return set(re.findall(r"(--[a-z][a-z-]+)", help_text))

    scan_options = options("scan")
    assert {"--config", "--exceptions", "--fail-on", "--role-name", "--quiet"} <= scan_options
    assert options("config", "show") == scan_options | {"--json"}
