"""The options of ``orgscan scan``, defined once for every command that takes them.

``orgscan scan`` and ``orgscan config show`` accept the same options with the same meaning;
``with_scan_options`` adds them to a command, which then receives one ``ScanOptions``. Each
option is named after its config-file key (``--role-name`` is ``role_name``), so the values go
to ``build_settings`` as they are.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from orgscan.cli.logsetup import LogFormat, LogLevel
from orgscan.cli.panels import ACCESS, LOGGING, OUTPUT, POLICY, SCOPE, choices
from orgscan.config import FailOn
from orgscan.model import RequiredMode

if TYPE_CHECKING:
    from orgscan.config import ScanSettings

R = TypeVar("R")

# Help texts escape "[": typer renders help as rich markup, which drops "[default: ...]".
# metavar="" on flags: typer would show their Python type (<bool>) as if they took a value.
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", metavar="FILE", help="TOML config file: the defaults of every option below."
    ),
]
OrgOpt = Annotated[
    bool | None,
    typer.Option(
        "--org/--no-org",
        metavar="",
        rich_help_panel=SCOPE,
        help="Discover accounts with Organizations, or scan only the caller's account.  "
        "\\[default: --org]",
        show_default=False,
    ),
]
AccountsOpt = Annotated[
    str | None,
    typer.Option(
        "--accounts",
        metavar="IDS",
        rich_help_panel=SCOPE,
        help="Only these accounts (comma-separated 12-digit ids).",
    ),
]
ExcludeOpt = Annotated[
    str | None,
    typer.Option(
        "--exclude-accounts",
        metavar="IDS",
        rich_help_panel=SCOPE,
        help="Skip these accounts (comma-separated ids).",
    ),
]
OuOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--ou",
        metavar="OU_ID",
        rich_help_panel=SCOPE,
        help="Only accounts under this OU (nested OUs included); repeatable.",
    ),
]
RegionsOpt = Annotated[
    str | None,
    typer.Option(
        "--regions",
        metavar="REGIONS",
        rich_help_panel=SCOPE,
        help="Regions to scan (comma-separated).  \\[default: every enabled region]",
    ),
]
RoleOpt = Annotated[
    str | None,
    typer.Option(
        "--role-name",
        metavar="NAME",
        rich_help_panel=ACCESS,
        help="Role assumed in member accounts.  \\[default: OrganizationAccountAccessRole]",
    ),
]
ExternalIdOpt = Annotated[
    str | None,
    typer.Option(
        "--external-id", metavar="ID", rich_help_panel=ACCESS, help="External id for AssumeRole."
    ),
]
SessionNameOpt = Annotated[
    str | None,
    typer.Option(
        "--role-session-name",
        metavar="NAME",
        rich_help_panel=ACCESS,
        help="Session name for AssumeRole (shows in CloudTrail).  \\[default: orgscan]",
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        metavar="N",
        rich_help_panel=ACCESS,
        help="AWS calls in flight at once (1-512).  \\[default: 16]",
    ),
]
AttemptsOpt = Annotated[
    int | None,
    typer.Option(
        "--max-attempts",
        metavar="N",
        rich_help_panel=ACCESS,
        help="AWS call attempts, retries included (1-20).  \\[default: botocore's]",
    ),
]
SerialOpt = Annotated[
    bool | None,
    typer.Option(
        "--serial",
        metavar="",
        rich_help_panel=ACCESS,
        show_default=False,
        help="Run every AWS call in the main thread (debugging).",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output-dir",
        metavar="DIR",
        rich_help_panel=OUTPUT,
        help="Where the run folder is written.  \\[default: reports/]",
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        metavar="FORMATS",
        rich_help_panel=OUTPUT,
        help="Any of json,csv,xlsx,html,scripts,asff,ocsf, comma-separated (findings.json is "
        "always written; asff and ocsf only when named).  "
        "\\[default: json,csv,xlsx,html,scripts]",
    ),
]
QuietOpt = Annotated[
    bool | None,
    typer.Option(
        "--quiet",
        "-q",
        metavar="",
        rich_help_panel=OUTPUT,
        show_default=False,
        help="No summary or progress on the terminal (for cron).",
    ),
]
MinDaysOpt = Annotated[
    int | None,
    typer.Option(
        "--min-retention-days",
        metavar="DAYS",
        rich_help_panel=POLICY,
        help="Shortest acceptable default retention in days.",
    ),
]
MinYearsOpt = Annotated[
    int | None,
    typer.Option(
        "--min-retention-years",
        metavar="YEARS",
        rich_help_panel=POLICY,
        help="Shortest acceptable default retention in years (365 days each); instead of "
        "--min-retention-days.",
    ),
]
ModeOpt = Annotated[
    RequiredMode | None,
    typer.Option(
        "--require-mode",
        case_sensitive=False,
        metavar=choices(RequiredMode),
        rich_help_panel=POLICY,
        help="Weakest acceptable default retention mode.  \\[default: ANY]",
    ),
]
FailOnOpt = Annotated[
    FailOn | None,
    typer.Option(
        "--fail-on",
        case_sensitive=False,
        metavar=choices(FailOn),
        rich_help_panel=POLICY,
        help="Exit 1 when a finding or account verdict is at or above this status; never: no 1.  "
        "\\[default: FAIL]",
    ),
]
ExceptionsOpt = Annotated[
    Path | None,
    typer.Option(
        "--exceptions",
        metavar="FILE",
        rich_help_panel=POLICY,
        help="Exceptions register: a TOML file of exceptions entries; replaces the config file's.",
    ),
]
LogLevelOpt = Annotated[
    LogLevel | None,
    typer.Option(
        "--log-level",
        case_sensitive=False,
        metavar=choices(LogLevel),
        rich_help_panel=LOGGING,
        help="How much orgscan.log tells: INFO the run's story, DEBUG every AWS call.  "
        "\\[default: INFO]",
    ),
]
LogFormatOpt = Annotated[
    LogFormat | None,
    typer.Option(
        "--log-format",
        case_sensitive=False,
        metavar=choices(LogFormat),
        rich_help_panel=LOGGING,
        help="Lines of text, or one JSON object per line.  \\[default: text]",
    ),
]
EvidenceBucketOpt = Annotated[
    str | None,
    typer.Option(
        "--evidence-bucket",
        metavar="S3_URI",
        rich_help_panel=OUTPUT,
        help="After the run, copy the run folder to s3://BUCKET/PREFIX, each object under Object "
        "Lock retention (the bucket must have Object Lock).",
    ),
]
EvidenceModeOpt = Annotated[
    str | None,
    typer.Option(
        "--evidence-lock-mode",
        metavar="COMPLIANCE|GOVERNANCE",
        rich_help_panel=OUTPUT,
        help="Retention mode of the copied objects.  \\[default: COMPLIANCE]",
    ),
]
EvidenceDaysOpt = Annotated[
    int | None,
    typer.Option(
        "--evidence-retention-days",
        metavar="DAYS",
        rich_help_panel=OUTPUT,
        help="Retention of the copied objects in days.  \\[default: --min-retention-days, else "
        "365]",
    ),
]

# Every shared option: its parameter name (the config key) and its typer annotation.
_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("config", ConfigOpt),
    ("org", OrgOpt),
    ("accounts", AccountsOpt),
    ("exclude_accounts", ExcludeOpt),
    ("ou", OuOpt),
    ("regions", RegionsOpt),
    ("role_name", RoleOpt),
    ("external_id", ExternalIdOpt),
    ("role_session_name", SessionNameOpt),
    ("workers", WorkersOpt),
    ("max_attempts", AttemptsOpt),
    ("serial", SerialOpt),
    ("min_retention_days", MinDaysOpt),
    ("min_retention_years", MinYearsOpt),
    ("require_mode", ModeOpt),
    ("fail_on", FailOnOpt),
    ("exceptions", ExceptionsOpt),
    ("output_dir", OutputOpt),
    ("format", FormatOpt),
    ("quiet", QuietOpt),
    ("evidence_bucket", EvidenceBucketOpt),
    ("evidence_lock_mode", EvidenceModeOpt),
    ("evidence_retention_days", EvidenceDaysOpt),
    ("log_level", LogLevelOpt),
    ("log_format", LogFormatOpt),
)


@dataclass(frozen=True)
class ScanOptions:
    """The shared options as given: the config file, and the other values by config key
    (None when the option was not given)."""

    config: Path | None
    values: dict[str, Any]

    def settings(self) -> ScanSettings:
        """The effective settings: defaults < config file < command line, validated."""
        from orgscan.config import build_settings, read_config_file

        file_values = read_config_file(self.config) if self.config is not None else None
        return build_settings(file_values, self.values, source=f"config file {self.config}")


def with_scan_options(command: Callable[..., R]) -> Callable[..., R]:
    """Give ``command`` every option of ``orgscan scan``, passed in as its first argument
    (a ``ScanOptions``); the command's own options follow the shared ones in ``--help``."""
    own = list(inspect.signature(command, eval_str=True).parameters.values())[1:]
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
        for name, annotation in _OPTIONS
    ]
    names = [name for name, _ in _OPTIONS]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> R:
        given = {name: kwargs.pop(name, None) for name in names}
        config = given.pop("config")
        given["ou"] = given["ou"] or None  # an unused repeatable option arrives as []
        return command(ScanOptions(config=config, values=given), **kwargs)

    parameters = [*shared, *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own)]
    # typer reads the signature; the annotations must match it (functools.wraps copied them).
    wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper
