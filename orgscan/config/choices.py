"""The settings that are one of a few words: ``--fail-on``, ``--log-level``, ``--log-format``.

StrEnums from the config file to the code that uses them; the command line takes them as option
types (case-insensitive).
"""

from __future__ import annotations

from enum import StrEnum

from orgscan.model import Status


class FailOn(StrEnum):
    """Which findings make ``orgscan scan`` exit 1."""

    FAIL = "FAIL"
    WARN = "WARN"
    NEVER = "never"

    def triggered_by(self, status: Status) -> bool:
        """True when a finding with ``status`` is at or above this level."""
        if self is FailOn.NEVER:
            return False
        if self is FailOn.WARN:
            return status in (Status.WARN, Status.FAIL)
        return status is Status.FAIL


class LogLevel(StrEnum):
    """``--log-level``: INFO tells the run's story, DEBUG adds one line per AWS call."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class LogFormat(StrEnum):
    """``--log-format``: lines of text, or one JSON object per line for log shippers."""

    TEXT = "text"
    JSON = "json"


class Panel(StrEnum):
    """The group a setting's option is listed under in ``--help``."""

    SCOPE = "Scope"
    ACCESS = "Access"
    POLICY = "Policy"
    OUTPUT = "Output"
    LOGGING = "Logging"
