"""Reading a TOML config file and merging it with the command line into ``ScanSettings``;
writing settings back as a config file (``settings_to_config``).

Precedence: built-in defaults < the config file (``--config``) < the command line. Every value
is checked here; a bad one raises ``InputError`` naming the file (or option), the key and what
was expected, so the CLI can exit 2 before anything is written.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from orgscan.config.settings import SETTINGS, ScanSettings, declared, field_default, value_of
from orgscan.errors import InputError
from orgscan.remediation.plan import resolve_retention


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse a TOML config file; errors name the file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"config file {path}: not found") from None
    except IsADirectoryError:
        raise InputError(f"config file {path}: is a directory") from None
    except OSError as exc:
        raise InputError(f"config file {path}: cannot be read ({exc.strerror})") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"config file {path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"config file {path}: invalid TOML ({exc})") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise InputError(f"config file {path}: invalid TOML (nested too deeply)") from None


def build_settings(
    config: Mapping[str, Any] | None, cli: Mapping[str, Any], source: str = "config"
) -> ScanSettings:
    """Merge config-file values with command-line values (CLI wins) and validate them.

    ``cli`` holds only the options given on the command line, by config key; ``source`` names
    the config file in error messages.
    """
    merged: dict[str, tuple[Any, str]] = {}
    for key, value in (config or {}).items():
        if key not in SETTINGS:
            raise InputError(f"{source}: unknown key {key!r}; {_suggestion(key)}")
        merged[key] = (value, f"{source}: key {key!r}")
    for key, value in cli.items():
        if value is not None:
            merged[key] = (value, f"option --{key.replace('_', '-')}")
    values = {
        key: SETTINGS[key][1].validate(value, where) for key, (value, where) in merged.items()
    }
    days = values.pop("min_retention_years", None)  # the years, counted in days
    if days is not None:
        days_where = merged.get("min_retention_days", (None, ""))[1]
        years_where = merged["min_retention_years"][1]
        same_layer = days_where.startswith("option") == years_where.startswith("option")
        if days_where and same_layer and values["min_retention_days"] != days:
            raise InputError(
                f"{years_where}: give the minimum retention in days or in years, not both"
            )
        if years_where.startswith("option") or not days_where:  # the command line wins
            values["min_retention_days"] = days
    settings = from_values(values)
    overlap = set(settings.accounts) & set(settings.exclude_accounts)
    if overlap:
        raise InputError(f"accounts both included and excluded: {', '.join(sorted(overlap))}")
    if not settings.use_org and (settings.ous or settings.exclude_accounts):
        raise InputError("--ou and --exclude-accounts need --org")
    if "remediation" in merged:
        try:  # checked now, so a contradiction stops the scan before anything is written
            resolve_retention(settings.remediation, settings.policy)
        except InputError as exc:
            raise InputError(f"{merged['remediation'][1]}: {exc}") from None
    return settings


def default_text(key: str) -> str | None:
    """The default of ``key``'s option as ``--help`` shows it; None when there is none to say."""
    name, setting = SETTINGS[key]
    option = setting.option
    if option is not None and option.default is not None:
        return option.default
    if setting.show is None or (option is not None and option.flag):
        return None
    shown = setting.show(value_of(ScanSettings(), name, setting))
    if shown in (None, [], {}):
        return None
    return ",".join(shown) if isinstance(shown, list) else str(shown)


def from_values(values: Mapping[str, Any]) -> ScanSettings:
    """``ScanSettings`` from checked values by config key; the rest keep their defaults."""
    given: dict[str, Any] = {}
    parts: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        name, setting = SETTINGS[key]
        if setting.part is None:
            given[name] = value
        else:
            parts.setdefault(name, {})[setting.part] = value
    for name, values_of_part in parts.items():
        given[name] = replace(field_default(name), **values_of_part)
    return ScanSettings(**given)


def settings_to_config(settings: ScanSettings) -> dict[str, Any]:
    """``settings`` as a config-file document that ``build_settings`` reads back to them.

    TOML has no null: settings left unset (no region list, no external id, ...) are left out.
    """
    document = {
        setting.key: setting.show(value_of(settings, name, setting))
        for name, setting in declared(type(settings))
        if setting.show is not None
    }
    return {key: value for key, value in document.items() if value not in (None, [], {})}


def _suggestion(key: str) -> str:
    """The nearest known key, or where the keys are listed: the whole list of keys no longer
    fits the one line an error is."""
    near = difflib.get_close_matches(key, SETTINGS, n=1)
    listed = "`orgscan config show` lists every key"
    return f"did you mean {near[0]!r}? ({listed})" if near else listed
