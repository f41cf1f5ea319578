"""Every setting is declared once, in its ``ScanSettings`` field: the config keys, the checks,
``config show`` and the command-line options are read from there, and agree."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

import pytest
from typer.main import get_command

from orgscan.cli import app
from orgscan.config import (
    SETTINGS,
    LogFormat,
    LogLevel,
    Option,
    Panel,
    ScanSettings,
    Setting,
    build_settings,
    settings_to_config,
)
from orgscan.config import validators as check
from orgscan.config.declaration import declare
from orgscan.config.settings import declared, settings_by_key
from orgscan.errors import InputError


def _options(*command: str) -> dict[str, list[str]]:
    """The options of ``orgscan COMMAND`` by parameter name, with their flags."""
    group = get_command(app)
    for name in command:
        group = group.commands[name]  # type: ignore[attr-defined]
    return {param.name: param.opts for param in group.params if param.name}


def test_every_field_declares_its_settings_and_every_key_and_option_has_one() -> None:
    names = {spec.name for spec in fields(ScanSettings)}
    assert {name for name, _ in declared()} == names  # no field without a declaration
    keys = [setting.key for _, setting in declared()]
    assert len(keys) == len(set(keys)) == len(SETTINGS)
    with_option = {setting.key for _, setting in declared() if setting.option is not None}
    for command in (("scan",), ("config", "show")):
        options = _options(*command)
        shared = set(options) - {"config", "json_output", "help"}
        assert shared == with_option  # one option per setting that has one, nothing else
        for key in with_option:
            assert f"--{key.replace('_', '-')}" in options[key]
        flags = [flag for opts in options.values() for flag in opts]
        assert len(flags) == len(set(flags))
    # The settings only a config file can hold, and the spelling in years of a policy in days.
    assert set(SETTINGS) - with_option == {
        "require_default_retention",
        "require_log_file_validation",
        "remediation",
        "denied_regions",
        "break_glass_principals",
        "enforce_tamper_paths",
    }
    assert SETTINGS["min_retention_years"][0] == SETTINGS["min_retention_days"][0] == "policy"


def test_every_setting_is_documented_and_config_show_writes_every_field() -> None:
    assert all(setting.help.endswith(".") for _, setting in declared())
    document = settings_to_config(
        build_settings(
            None,
            {"external_id": "abc123", "max_attempts": 3, "regions": "eu-west-1", "ou": ["r-ab12"]},
        )
    )
    written = {setting.key for _, setting in declared() if setting.key in document}
    assert {"external_id", "max_attempts", "regions", "ou", "org", "format"} <= written
    assert "min_retention_years" not in document  # written as the days it means


@pytest.mark.parametrize(
    ("given", "level", "log_format"),
    [
        ({}, LogLevel.INFO, LogFormat.TEXT),
        ({"log_level": "debug", "log_format": "JSON"}, LogLevel.DEBUG, LogFormat.JSON),
    ],
)
def test_log_level_and_format_are_enums_from_the_config_file_on(
    given: dict[str, str], level: LogLevel, log_format: LogFormat
) -> None:
    settings = build_settings(given, {}, source="config file x.toml")
    assert settings.log_level is level
    assert settings.log_format is log_format
    assert settings_to_config(settings)["log_format"] == log_format.value
    with pytest.raises(InputError, match=r"key 'log_format': expected one of text, json$"):
        build_settings({"log_format": "xml"}, {}, source="config file x.toml")


def test_a_new_setting_is_one_field_and_its_code() -> None:
    @dataclass(frozen=True)
    class WithColour(ScanSettings):
        colour: str = field(
            default="blue",
            metadata=declare(
                Setting(
                    "colour",
                    check.matching(re.compile("^[a-z]+$"), "a colour"),
                    "The colour of the page.",
                    Option(Panel.OUTPUT, metavar="COLOUR"),
                )
            ),
        )

    table = settings_by_key(WithColour)
    assert set(table) == set(SETTINGS) | {"colour"}
    name, setting = table["colour"]
    assert name == "colour"
    assert setting.validate("red", "option --colour") == "red"
    with pytest.raises(InputError, match=r"^option --colour: expected a colour$"):
        setting.validate("Red!", "option --colour")
    settings = WithColour(colour="red")
    assert settings_to_config(settings)["colour"] == "red"
    assert settings.to_dict()["colour"] == "red"
