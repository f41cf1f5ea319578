"""Scan settings: defaults, a TOML config file and command-line values, validated once.

``settings.py`` declares every setting once (``ScanSettings``: its config key, check, help and
option, as ``declaration.py`` describes them); ``loading.py`` reads a config file, merges it
with the command line and writes settings back as one;
``validators.py`` holds the checks; ``choices.py`` the settings that are one of a few words. The
output formats are ``orgscan.formats``.
"""

from orgscan.config.choices import FailOn, LogFormat, LogLevel, Panel
from orgscan.config.declaration import Option, Setting
from orgscan.config.loading import build_settings, read_config_file, settings_to_config
from orgscan.config.settings import (
    MAX_ATTEMPTS,
    MAX_WORKERS,
    SETTINGS,
    ScanSettings,
)
from orgscan.config.validators import DAYS_PER_YEAR
from orgscan.formats import OutputFormat

__all__ = [
    "DAYS_PER_YEAR",
    "MAX_ATTEMPTS",
    "MAX_WORKERS",
    "SETTINGS",
    "FailOn",
    "LogFormat",
    "LogLevel",
    "Option",
    "OutputFormat",
    "Panel",
    "ScanSettings",
    "Setting",
    "build_settings",
    "read_config_file",
    "settings_to_config",
]
